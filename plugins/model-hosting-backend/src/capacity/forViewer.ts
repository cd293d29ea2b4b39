import {
  ClusterCapacity,
  GpuHolder,
  PendingPod,
} from '@modelhosting/backstage-plugin-model-hosting-common';

type Ref = { namespace: string; name: string } | undefined;

/**
 * Pure: the capacity one caller may see. Their teams' pods keep their names; everyone else's
 * become one count per node and resource (holders) and one count per cluster (pending).
 */
export function forViewer(
  capacity: ClusterCapacity,
  mine: (deployment: Ref) => boolean,
): ClusterCapacity {
  const nodes = capacity.nodes.map(node => {
    const own = node.holders.filter(h => mine(h.deployment));
    const others = new Map<string, number>();
    for (const h of node.holders.filter(x => !mine(x.deployment))) {
      others.set(h.resource, (others.get(h.resource) ?? 0) + h.count);
    }
    const summed: GpuHolder[] = [...others].map(([resource, count]) => ({
      pod: '',
      namespace: '',
      resource,
      count,
      otherTeams: true,
    }));
    return { ...node, holders: [...own, ...summed] };
  });
  const ownPending = capacity.pending.filter(p => mine(p.deployment));
  const otherPending = capacity.pending.filter(p => !mine(p.deployment));
  const pending: PendingPod[] = [...ownPending];
  if (otherPending.length) {
    const requests: Record<string, number> = {};
    for (const p of otherPending) {
      for (const [r, n] of Object.entries(p.requests))
        requests[r] = (requests[r] ?? 0) + n;
    }
    pending.push({
      pod: '',
      namespace: '',
      requests,
      reason: `${otherPending.length} pod(s) of other teams waiting for GPUs`,
      otherTeams: true,
    });
  }
  return { ...capacity, nodes, pending };
}
