import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * Pure: which of several deployments serving one model takes a request. Ready ones first; else
 * one already starting, rather than waking another from zero; among equals the one with the
 * fewest requests in flight per ready replica, so traffic spreads.
 */
export function choose<T extends { md: ModelDeployment }>(
  candidates: T[],
  inFlight: (t: T) => number,
): T {
  const ready = (t: T) => t.md.status?.readyReplicas ?? 0;
  const rank = (t: T) => {
    if (ready(t) > 0) return 2;
    return (t.md.spec.replicas ?? 1) > 0 ? 1 : 0;
  };
  const load = (t: T) => inFlight(t) / Math.max(1, ready(t));
  return [...candidates].sort(
    (a, b) => rank(b) - rank(a) || load(a) - load(b),
  )[0];
}
