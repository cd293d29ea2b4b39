/**
 * The model-hosting backend plugin: ModelDeployments on one or many clusters, their reconciler,
 * actions, health checks, usage, autoscaler and OpenAI-compatible gateway.
 *
 * @packageDocumentation
 */
export { modelHostingPlugin as default } from './plugin';
export { readModelHostingConfig } from './config';
export type { ModelHostingConfig } from './config';
