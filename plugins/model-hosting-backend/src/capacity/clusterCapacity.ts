import {
  ClusterCapacity,
  GpuHolder,
  GpuResourceUsage,
  NodeCapacity,
  PendingPod,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ClusterCache } from '../cluster/ClusterCache';
import {
  deploymentOfPod,
  gpuRequests,
  unschedulableReason,
} from '../cluster/pods';
import { GPU_LABELS } from './placement';

const isGpuResource = (name: string) =>
  name === 'nvidia.com/gpu' || name.startsWith('nvidia.com/mig-');

function sharingOf(
  labels: Record<string, string>,
  resources: GpuResourceUsage[],
) {
  if (resources.length === 0) return 'none';
  if (labels[GPU_LABELS.sharingStrategy] === 'time-slicing')
    return 'timeSliced';
  if (resources.some(r => r.resource.startsWith('nvidia.com/mig-')))
    return 'mig';
  return 'exclusive';
}

/** Pure over the cache: GPUs per node (allocatable vs requested), who holds them, and who waits. */
export function clusterCapacity(
  cluster: string,
  cache: ClusterCache,
): ClusterCapacity {
  const totals = new Map<string, GpuResourceUsage>();
  const nodes: NodeCapacity[] = cache.nodes.list().map(node => {
    const name = node.metadata!.name!;
    const labels = node.metadata?.labels ?? {};
    const allocatable = Object.entries(node.status?.allocatable ?? {}).filter(
      ([r]) => isGpuResource(r),
    );
    const pods = cache
      .podsOnNode(name)
      .filter(
        p => !p.metadata?.deletionTimestamp || p.status?.phase === 'Running',
      );
    const holders: GpuHolder[] = pods.flatMap(pod =>
      Object.entries(gpuRequests(pod)).map(([resource, count]) => ({
        deployment: deploymentOfPod(pod),
        pod: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        resource,
        count,
      })),
    );
    const resources = allocatable.map(([resource, value]) => ({
      resource,
      allocatable: Number(value),
      requested: holders
        .filter(h => h.resource === resource)
        .reduce((n, h) => n + h.count, 0),
    }));
    for (const r of resources) {
      const t = totals.get(r.resource) ?? {
        resource: r.resource,
        allocatable: 0,
        requested: 0,
      };
      t.allocatable += r.allocatable;
      t.requested += r.requested;
      totals.set(r.resource, t);
    }
    const sharing: NodeCapacity['sharing'] = sharingOf(labels, resources);
    return {
      name,
      product: labels[GPU_LABELS.product],
      sharing,
      ready:
        node.status?.conditions?.find(c => c.type === 'Ready')?.status ===
        'True',
      resources,
      holders,
    };
  });

  const pending: PendingPod[] = cache.pods
    .list()
    .filter(p => !p.spec?.nodeName && Object.keys(gpuRequests(p)).length > 0)
    .map(p => ({
      deployment: deploymentOfPod(p),
      pod: p.metadata!.name!,
      namespace: p.metadata!.namespace!,
      requests: gpuRequests(p),
      reason: unschedulableReason([p]) ?? 'waiting for the scheduler',
    }));

  return {
    cluster,
    reachable: !cache.error,
    error: cache.error,
    nodes: nodes.sort((a, b) => a.name.localeCompare(b.name)),
    totals: [...totals.values()].sort((a, b) =>
      a.resource.localeCompare(b.resource),
    ),
    pending,
  };
}
