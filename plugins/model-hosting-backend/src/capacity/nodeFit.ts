import { V1Node, V1Pod, V1Toleration } from '@kubernetes/client-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { gpuRequests } from '../cluster/pods';
import { GPU_LABELS, placement } from './placement';

/** The GPU resource and count one replica asks for. */
export function gpuAsk(md: ModelDeployment): {
  resource: string;
  count: number;
} {
  const gpu = md.spec.resources?.gpu;
  return {
    resource: gpu?.resource ?? 'nvidia.com/gpu',
    count: gpu?.count ?? 0,
  };
}

function tolerates(tolerations: V1Toleration[], node: V1Node): boolean {
  return (node.spec?.taints ?? [])
    .filter(t => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .every(t =>
      tolerations.some(
        tol =>
          tol.key === t.key &&
          (tol.operator === 'Exists' || tol.value === t.value) &&
          (!tol.effect || tol.effect === t.effect),
      ),
    );
}

/** Whether the scheduler could place one of this deployment's pods on the node, ignoring free capacity. */
export function nodeMatches(md: ModelDeployment, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const p = placement(md);
  if (node.spec?.unschedulable) return false;
  if (node.status?.conditions?.find(c => c.type === 'Ready')?.status !== 'True')
    return false;
  if (
    p.avoidTimeSliced &&
    labels[GPU_LABELS.sharingStrategy] === 'time-slicing'
  )
    return false;
  return (
    Object.entries(p.nodeSelector).every(([k, v]) => labels[k] === v) &&
    tolerates(p.tolerations, node)
  );
}

/** GPUs of one resource name already requested by the pods on a node. */
export function usedOnNode(pods: V1Pod[], resource: string): number {
  return pods.reduce((sum, pod) => sum + (gpuRequests(pod)[resource] ?? 0), 0);
}

/** Whether one more replica fits somewhere right now: what a rolling switch needs for its first new pod. */
export function oneMoreFits(
  md: ModelDeployment,
  nodes: V1Node[],
  podsOnNode: (node: string) => V1Pod[],
): boolean {
  const { resource, count } = gpuAsk(md);
  if (count === 0) return true;
  return nodes.some(node => {
    if (!nodeMatches(md, node)) return false;
    const allocatable = Number(node.status?.allocatable?.[resource] ?? 0);
    return (
      allocatable - usedOnNode(podsOnNode(node.metadata!.name!), resource) >=
      count
    );
  });
}
