/**
 * Types and constants shared by the model-hosting frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './modelDeployment';
export * from './api';
