import { Clusters } from './cluster/Clusters';
import { METRICS, PluginMetrics } from './metrics';
import { RoundReport } from './health/HealthRounds';
import { EventLoopDelayWindow } from './eventLoopDelay';

/**
 * GET /stats: what the plugin holds and has asked of the API servers, from its metrics; for
 * operators and the benchmarks.
 */
export function collectStats(deps: {
  /** This backend instance, as it holds Leases and signs Events. */
  identity: string;
  clusters: Clusters;
  metrics: PluginMetrics;
  isLeader: (cluster: string) => boolean;
  healthRound?: RoundReport;
  eventLoopDelay?: EventLoopDelayWindow;
}) {
  const { clusters, metrics } = deps;
  const delay = metrics.latest(METRICS.scaleFromZeroPatch);
  return {
    identity: deps.identity,
    memory: process.memoryUsage(),
    // Milliseconds work waited for the event loop over the last window: the backend's CPU headroom.
    eventLoopDelay: deps.eventLoopDelay,
    clusters: clusters.all().map(c => ({
      name: c.name,
      synced: c.cache.synced,
      error: c.cache.error,
      objects: c.cache.counts,
      apiRequests: {
        listsAndWatches: metrics.total(METRICS.apiReads, { cluster: c.name }),
        writes: metrics.total(METRICS.apiWrites, {
          cluster: c.name,
          kind: 'write',
        }),
        lease: metrics.total(METRICS.apiWrites, {
          cluster: c.name,
          kind: 'lease',
        }),
        byOperation: metrics.totalsBy(METRICS.apiWrites, 'operation', {
          cluster: c.name,
        }),
      },
      activeReconciler: deps.isLeader(c.name),
      reconcilePasses: metrics.total(METRICS.reconcilePasses, {
        cluster: c.name,
      }),
      // Seconds, over the latest passes: where a change's reaction time goes.
      reconcileQueueWait: metrics.percentiles(METRICS.reconcileQueueWait, {
        cluster: c.name,
      }),
      reconcilePassDuration: metrics.percentiles(
        METRICS.reconcilePassDuration,
        { cluster: c.name },
      ),
    })),
    healthRound: deps.healthRound,
    lastScaleFromZero:
      delay === undefined
        ? undefined
        : { patchDelayMs: Math.round(delay * 1000) },
  };
}
