/**
 * The catalog module of model hosting: every ModelDeployment as a model-server Component, its API
 * and its model.
 *
 * @packageDocumentation
 */
export { catalogModuleModelHosting as default } from './module';
export { entitiesFor, modelEntityName } from './entities';
