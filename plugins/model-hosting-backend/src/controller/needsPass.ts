import { isDeepStrictEqual } from 'util';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * Whether a change to a ModelDeployment asks for a reconcile pass: anything but its status (as
 * controller-runtime's GenerationChanged and annotation predicates). Status is what passes and
 * health checks write; a pass after each of those writes would find nothing to do, and in a burst
 * (1000 first health checks, 1000 new deployments) such passes fill the queue. The periodic
 * resync still looks at every deployment.
 */
export function needsPass(
  md: ModelDeployment,
  previous: ModelDeployment | undefined,
): boolean {
  if (!previous) return true;
  const now = md.metadata;
  const before = previous.metadata;
  return (
    now.generation !== before.generation ||
    now.deletionTimestamp !== before.deletionTimestamp ||
    !isDeepStrictEqual(now.labels, before.labels) ||
    !isDeepStrictEqual(now.annotations, before.annotations) ||
    !isDeepStrictEqual(now.ownerReferences, before.ownerReferences) ||
    !isDeepStrictEqual(md.spec, previous.spec)
  );
}
