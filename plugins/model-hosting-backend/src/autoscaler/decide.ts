import { ModelDeploymentSpec } from '@modelhosting/backstage-plugin-model-hosting-common';

/** What the autoscaler remembers of one deployment (in memory: a restart only restarts the windows). */
export interface LoadHistory {
  samples: Array<{ t: number; load: number }>;
  recommendations: Array<{ t: number; replicas: number }>;
  lastActive: number;
  lastServed?: number;
  /** The replicas after our last decision: a different current count means someone scaled by hand. */
  lastSeen?: number;
}

type Autoscaling = NonNullable<ModelDeploymentSpec['autoscaling']>;

/**
 * Pure: the replica count for the load seen. A moving average over windowMs against the target per
 * replica; scale up to the lowest recommendation of the up window and down to the highest of the
 * down window (as the HPA does, so a spike or a lull alone does not move it); to zero once idle for
 * scaleToZeroAfterSeconds.
 */
export function decideReplicas(
  h: LoadHistory,
  input: {
    now: number;
    load: number;
    current: number;
    target: number;
    /** The metric whose load this is, when it is already in replicas (load / target). */
    metric?: string;
    autoscaling: Autoscaling;
    windowMs: number;
  },
): { replicas: number; reason: string } {
  const decided = decideFor(h, input);
  h.lastSeen = decided.replicas;
  return decided;
}

function decideFor(
  h: LoadHistory,
  input: {
    now: number;
    load: number;
    current: number;
    target: number;
    /** The metric whose load this is, when it is already in replicas (load / target). */
    metric?: string;
    autoscaling: Autoscaling;
    windowMs: number;
  },
): { replicas: number; reason: string } {
  const { now, load, current, target, autoscaling: a, windowMs } = input;
  // A scale by hand counts as a recommendation: it holds for the scale-down window.
  if (h.lastSeen !== undefined && current !== h.lastSeen)
    h.recommendations.push({ t: now, replicas: current });
  h.samples.push({ t: now, load });
  h.samples = h.samples.filter(s => now - s.t <= windowMs);
  const average = h.samples.reduce((n, s) => n + s.load, 0) / h.samples.length;
  const min = a.minReplicas ?? 1;
  const max = a.maxReplicas;
  const idleMs = now - h.lastActive;

  if (
    min === 0 &&
    a.scaleToZeroAfterSeconds !== undefined &&
    average === 0 &&
    idleMs >= a.scaleToZeroAfterSeconds * 1000
  ) {
    h.recommendations = [];
    return { replicas: 0, reason: `idle for ${Math.round(idleMs / 1000)} s` };
  }
  // Scaled to zero and nothing asked: stay there (the gateway wakes it on the next request).
  if (current === 0 && average === 0) return { replicas: 0, reason: 'idle' };

  const wanted = Math.min(max, Math.max(min, 1, Math.ceil(average / target)));
  h.recommendations.push({ t: now, replicas: wanted });
  const upWindow = (a.scaleUpStabilizationSeconds ?? 60) * 1000;
  const downWindow = (a.scaleDownStabilizationSeconds ?? 300) * 1000;
  h.recommendations = h.recommendations.filter(
    r => now - r.t <= Math.max(upWindow, downWindow),
  );
  const inWindow = (ms: number) =>
    h.recommendations.filter(r => now - r.t <= ms).map(r => r.replicas);
  const reason = input.metric
    ? `${input.metric} needs ${average.toFixed(
        1,
      )} replicas on average (the most of its metrics)`
    : `${average.toFixed(
        1,
      )} requests on average against a target of ${target} per replica`;
  if (wanted > current)
    return {
      replicas: Math.max(current, Math.min(...inWindow(upWindow))),
      reason,
    };
  if (wanted < current)
    return {
      replicas: Math.min(current, Math.max(...inWindow(downWindow))),
      reason,
    };
  return { replicas: current, reason };
}
