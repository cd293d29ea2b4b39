/**
 * Node.js library for model-hosting backend modules: the engines extension point, engine adapter
 * types and helpers, and a client of the model-hosting REST API.
 *
 * @packageDocumentation
 */
export * from './engines';
export * from './modelServer';
export * from './prometheus';
export * from './client';
