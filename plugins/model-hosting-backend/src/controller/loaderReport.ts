import { V1Pod } from '@kubernetes/client-node';
import { ModelDeploymentStatus } from '@modelhosting/backstage-plugin-model-hosting-common';

type ModelCache = NonNullable<ModelDeploymentStatus['modelCache']>;

interface Report {
  models?: Array<{ cache?: string; bytes?: number; seconds?: number }>;
  seconds?: number;
}

/** The model loader's termination message of a pod, when it finished and said something valid. */
function reportOf(pod: V1Pod): { report: Report; at?: string } | undefined {
  const loader = pod.status?.initContainerStatuses?.find(
    s => s.name === 'model-loader',
  );
  const done = loader?.state?.terminated;
  if (!done || done.exitCode !== 0 || !done.message) return undefined;
  try {
    const report = JSON.parse(done.message) as Report;
    if (!report || typeof report !== 'object') return undefined;
    return {
      report,
      at: done.finishedAt
        ? new Date(done.finishedAt as any).toISOString()
        : undefined,
    };
  } catch {
    return undefined; // not ours to trust
  }
}

/**
 * Pure: what the model loader reported when the newest pod started: whether every model was in
 * the cache, how long loading took, and the running model's size.
 */
export function modelCacheOf(pods: V1Pod[]): ModelCache | undefined {
  const reports = pods
    .map(reportOf)
    .filter((r): r is NonNullable<ReturnType<typeof reportOf>> => !!r)
    .sort((a, b) => String(b.at).localeCompare(String(a.at)));
  const latest = reports[0];
  if (!latest) return undefined;
  const models = Array.isArray(latest.report.models)
    ? latest.report.models
    : [];
  const seconds = Number(latest.report.seconds);
  const bytes = Number(models[0]?.bytes);
  return {
    // Only a download is a miss: a model on its own claim (volume), one the engine pulls
    // (engine) or a preload that failed (error) fetched nothing.
    hit: models.length > 0 && models.every(m => m.cache !== 'miss'),
    ...(Number.isFinite(seconds)
      ? { loadSeconds: Math.round(seconds * 10) / 10 }
      : {}),
    ...(Number.isFinite(bytes) && bytes >= 0
      ? { bytes: Math.round(bytes) }
      : {}),
    ...(latest.at ? { reportedAt: latest.at } : {}),
  };
}
