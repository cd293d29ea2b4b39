/**
 * The scaffolder module of model hosting: the model-hosting:deploy and model-hosting:manifest
 * template actions.
 *
 * @packageDocumentation
 */
export { scaffolderModuleModelHosting as default } from './module';
export { createDeployAction } from './deployAction';
export { createManifestAction } from './manifestAction';
