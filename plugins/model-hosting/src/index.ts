/**
 * Model hosting on Kubernetes: fleet, GPU capacity and actions for model servers.
 *
 * @packageDocumentation
 */
export { modelHostingPlugin, ModelHostingPage } from './plugin';
export { modelHostingApiRef, ModelHostingClient } from './api';
export type { ModelHostingApi } from './api';
