/**
 * Types and constants shared by the model-hosting frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './modelDeployment';
export * from './api';
export * from './permissions';
export * from './entityRef';
export * from './validation';
export * from './modelCache';
