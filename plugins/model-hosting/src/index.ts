/**
 * Model hosting on Kubernetes: fleet, GPU capacity and actions for model servers.
 *
 * @packageDocumentation
 */
export {
  modelHostingPlugin,
  ModelHostingPage,
  EntityModelServerContent,
  EntityModelServerCard,
  ModelHostingClusterPickerFieldExtension,
  ModelHostingGpuProductPickerFieldExtension,
} from './plugin';
export { isModelServer } from './components/EntityContent/ModelServerEntityContent';
export { modelHostingApiRef, ModelHostingClient } from './api';
export type {
  AutoscalingSettings,
  DryRunOption,
  ModelHostingApi,
  UsageRange,
} from './api';
