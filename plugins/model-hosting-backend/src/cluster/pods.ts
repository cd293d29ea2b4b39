import { V1Pod } from '@kubernetes/client-node';
import {
  LABELS,
  MANAGED_BY,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/** Objects the plugin manages carry its managed-by label. */
export const isOurs = (o: { metadata?: { labels?: Record<string, string> } }) =>
  o.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY;

/** A pod that passes its readiness probe: one that serves. */
export const isPodReady = (pod: V1Pod) =>
  pod.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True';

/** GPU extended resources (whole GPUs, time-sliced replicas and MIG slices) a pod asks for. */
export function gpuRequests(pod: V1Pod): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of pod.spec?.containers ?? []) {
    const limits = {
      ...(c.resources?.requests ?? {}),
      ...(c.resources?.limits ?? {}),
    };
    for (const [name, value] of Object.entries(limits)) {
      if (name.startsWith('nvidia.com/'))
        out[name] = (out[name] ?? 0) + Number(value);
    }
  }
  return out;
}

/** Why pods wait for a node, in the scheduler's words ("0/6 nodes are available: …"). */
export function unschedulableReason(pods: V1Pod[]): string | undefined {
  for (const pod of pods) {
    const c = pod.status?.conditions?.find(x => x.type === 'PodScheduled');
    if (c?.status === 'False' && c.reason === 'Unschedulable') {
      return c.message ?? 'no node fits the pod';
    }
  }
  return undefined;
}

/** The ModelDeployment a pod belongs to, for pods the plugin manages. */
export const deploymentOfPod = (pod: V1Pod) =>
  isOurs(pod)
    ? {
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.labels![LABELS.instance],
      }
    : undefined;
