import { V1Pod } from '@kubernetes/client-node';
import {
  ClusterCapacity,
  GpuHolder,
  GpuResourceUsage,
  LABELS,
  NodeCapacity,
  PendingPod,
} from '@internal/backstage-plugin-model-hosting-common';
import { ClusterCache } from '../cluster/ClusterCache';
import { gpuRequests, isOurs } from '../cluster/slim';
import { unschedulableReason } from '../controller/status';

const isGpuResource = (name: string) =>
  name === 'nvidia.com/gpu' || name.startsWith('nvidia.com/mig-');

const deploymentOf = (pod: V1Pod) =>
  isOurs(pod)
    ? {
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.labels![LABELS.instance],
      }
    : undefined;

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
        deployment: deploymentOf(pod),
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
    const sharing: NodeCapacity['sharing'] =
      resources.length === 0
        ? 'none'
        : labels['nvidia.com/gpu.sharing-strategy'] === 'time-slicing'
        ? 'timeSliced'
        : resources.some(r => r.resource.startsWith('nvidia.com/mig-'))
        ? 'mig'
        : 'exclusive';
    return {
      name,
      product: labels['nvidia.com/gpu.product'],
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
      deployment: deploymentOf(p),
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
