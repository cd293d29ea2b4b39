import {
  DeploymentSummary,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';

/** The fleet-table view of one ModelDeployment. */
export function summarize(cluster: string, md: ModelDeployment): DeploymentSummary {
  const { spec, status, metadata } = md;
  const gpu = spec.resources?.gpu;
  return {
    cluster,
    namespace: metadata.namespace ?? 'default',
    name: metadata.name,
    owner: spec.owner,
    engine: spec.engine,
    model: spec.model.name,
    activeModel: status?.activeModel,
    phase: status?.phase,
    replicas: spec.replicas ?? 1,
    readyReplicas: status?.readyReplicas ?? 0,
    gpu: {
      count: gpu?.count ?? 0,
      resource: gpu?.resource ?? 'nvidia.com/gpu',
      product: gpu?.product,
    },
    createdAt: metadata.creationTimestamp,
  };
}
