import { V1Node, V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  deploymentEntityRef,
  DeploymentSummary,
  ModelDeployment,
  PodInfo,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { isPodReady } from '../cluster/pods';

/** The in-cluster URL of a deployment's server (its Service). */
export const endpointOf = (md: ModelDeployment, port: number) =>
  md.status?.endpoint ??
  `http://${md.metadata.name}.${md.metadata.namespace}.svc.cluster.local:${port}`;

function healthOf(md: ModelDeployment): DeploymentSummary['health'] {
  const healthy = md.status?.conditions?.find(c => c.type === 'Healthy');
  if (!healthy) return 'unknown';
  return healthy.status === 'True' ? 'healthy' : 'unhealthy';
}

/** The fleet-table view of one ModelDeployment. */
export function summarize(
  cluster: string,
  md: ModelDeployment,
  port: number,
): DeploymentSummary {
  const { spec, status, metadata } = md;
  const gpu = spec.resources?.gpu;
  const namespace = metadata.namespace ?? 'default';
  return {
    cluster,
    namespace,
    name: metadata.name,
    entityRef: deploymentEntityRef({ cluster, namespace, name: metadata.name }),
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
    autoscaling: spec.autoscaling
      ? {
          enabled: spec.autoscaling.enabled,
          minReplicas: spec.autoscaling.minReplicas ?? 1,
          maxReplicas: spec.autoscaling.maxReplicas,
        }
      : undefined,
    switch: status?.switch,
    health: healthOf(md),
    createdAt: metadata.creationTimestamp,
    endpoint: endpointOf(md, port),
    cacheBytes: status?.modelCache?.bytes,
  };
}

export function podInfo(pod: V1Pod, node: V1Node | undefined): PodInfo {
  const scheduled = pod.status?.conditions?.find(
    c => c.type === 'PodScheduled',
  );
  const waiting = pod.status?.containerStatuses?.find(s => s.state?.waiting)
    ?.state?.waiting;
  // A model loader that failed says why (its termination message): the server never started.
  // A kubelet backing off shows the failure in lastState (state is then waiting: CrashLoopBackOff).
  const loaderStatus = pod.status?.initContainerStatuses?.find(
    s => s.name === 'model-loader',
  );
  const failed = [
    loaderStatus?.state?.terminated,
    loaderStatus?.lastState?.terminated,
  ].find(t => t && t.exitCode !== 0);
  const loaderFailed = failed
    ? `model-loader: ${(failed.message ?? failed.reason ?? 'failed').slice(
        0,
        500,
      )}`
    : undefined;
  return {
    name: pod.metadata!.name!,
    node: pod.spec?.nodeName,
    gpuProduct: node?.metadata?.labels?.['nvidia.com/gpu.product'],
    phase: pod.metadata?.deletionTimestamp ? 'Terminating' : pod.status?.phase,
    ready: isPodReady(pod),
    restarts: (pod.status?.containerStatuses ?? []).reduce(
      (n, s) => n + (s.restartCount ?? 0),
      0,
    ),
    model: pod.metadata?.annotations?.[ANNOTATIONS.model],
    reason:
      scheduled?.status === 'False'
        ? scheduled.message
        : loaderFailed ?? waiting?.message ?? waiting?.reason,
    createdAt: pod.metadata?.creationTimestamp as unknown as string | undefined,
  };
}
