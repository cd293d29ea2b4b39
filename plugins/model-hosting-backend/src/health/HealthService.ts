import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  DeploymentRef,
  ModelDeployment,
  ModelDeploymentStatus,
} from '@internal/backstage-plugin-model-hosting-common';
import { Cluster, ClusterManager } from '../cluster/ClusterManager';
import { ANNOTATIONS } from '../controller/plan';
import { EngineMeter, engineMetersItself } from '../usage/EngineMeter';
import { PrometheusGpu } from '../usage/PrometheusGpu';
import { UsageStore } from '../usage/UsageStore';
import { EngineAccess } from './EngineAccess';
import { HealthStore } from './HealthStore';
import { probe, ProbeResult } from './probes';

export interface HealthOptions {
  concurrency: number;
  /** Write lastHealthCheck at least this often even when health did not change. */
  statusRefreshMs: number;
  maxRestartsPerHour: number;
  /** Wait this long after a recovery before the next, doubling each time. */
  recoveryBackoffMs: number;
}

type Due = { cluster: Cluster; ref: DeploymentRef; md: ModelDeployment };
const keyOf = (r: DeploymentRef) => `${r.cluster}/${r.namespace}/${r.name}`;

/** Runs `fn` over items with at most `limit` at a time. */
async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Health checks with auto-recovery. Each deployment is checked every healthCheck.intervalSeconds;
 * results go to its status (Healthy condition, lastHealthCheck) and to the history table; after
 * failureThreshold failures in a row its pods are restarted, with backoff and a cap per hour.
 */
export class HealthService {
  private readonly lastChecked = new Map<string, number>();
  private readonly lastStatusWrite = new Map<string, number>();
  private readonly cappedWarned = new Map<string, number>();
  /** The last error of the GPU-utilization source, shown with the usage charts. */
  gpuError?: string;
  /** The last round, for /stats and the benchmark. */
  lastRound?: {
    checked: number;
    durationMs: number;
    concurrency: number;
    finishedAt: string;
  };

  constructor(
    private readonly clusters: ClusterManager,
    private readonly access: EngineAccess,
    private readonly store: HealthStore,
    private readonly usage: UsageStore,
    private readonly meter: EngineMeter,
    private readonly logger: LoggerService,
    private readonly options: HealthOptions,
    private readonly prometheus?: PrometheusGpu,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get gpuUtilization() {
    return { configured: !!this.prometheus, error: this.gpuError };
  }

  /** Deployments whose interval has passed and that have pods to ask. */
  due(): Due[] {
    const now = this.now().getTime();
    const due: Due[] = [];
    for (const cluster of this.clusters.all()) {
      if (!cluster.cache.synced) continue;
      for (const md of cluster.cache.modelDeployments.list()) {
        if (
          md.metadata.deletionTimestamp ||
          (md.spec.replicas ?? 1) === 0 ||
          !md.status?.readyReplicas
        )
          continue;
        const ref = {
          cluster: cluster.name,
          namespace: md.metadata.namespace!,
          name: md.metadata.name,
        };
        const last =
          this.lastChecked.get(keyOf(ref)) ??
          Date.parse(md.status?.lastHealthCheck?.time ?? '') ??
          0;
        const interval = (md.spec.healthCheck?.intervalSeconds ?? 30) * 1000;
        if (!(now - (Number.isNaN(last) ? 0 : last) < interval))
          due.push({ cluster, ref, md });
      }
    }
    return due;
  }

  /** One round: every due deployment, `concurrency` at a time. Never throws for a single check. */
  async runDue(): Promise<number> {
    const started = Date.now();
    const due = this.due();
    await mapLimit(due, this.options.concurrency, d =>
      this.check(d).catch(e =>
        this.logger.error(
          `health check of ${keyOf(d.ref)} failed to complete: ${e}`,
        ),
      ),
    );
    await this.recordGpuUtilization();
    this.lastRound = {
      checked: due.length,
      durationMs: Date.now() - started,
      concurrency: this.options.concurrency,
      finishedAt: new Date().toISOString(),
    };
    return due.length;
  }

  async check({ cluster, ref, md }: Due): Promise<ProbeResult> {
    const key = keyOf(ref);
    const started = Date.now();
    this.lastChecked.set(key, this.now().getTime());
    const result = await probe(this.access.client(ref, md), md);
    const latencyMs = Date.now() - started;
    const model = md.status?.activeModel ?? md.spec.model.name;
    if (result.pulled.length)
      await this.usage.add(ref, model, { pulls: result.pulled.length });
    // A healthy vLLM server's counters are read right after its check (this is a check: they run).
    if (result.healthy && engineMetersItself(md, true))
      await this.meter.meter(ref, md, cluster.cache.podsOf(md));

    let recovered = false;
    if (!result.healthy && result.recoverable !== false) {
      const threshold = md.spec.healthCheck?.failureThreshold ?? 3;
      const failures =
        (await this.store.consecutiveFailures(ref, threshold)) + 1;
      if (failures >= threshold)
        recovered = await this.recover(
          cluster,
          ref,
          md,
          failures,
          result.message,
        );
    }
    await this.store.record(ref, { ...result, latencyMs, recovered });
    await this.writeStatus(cluster, ref, result);
    return result;
  }

  /** One Prometheus query per round: each GPU deployment's mean utilization over its pods. */
  private async recordGpuUtilization() {
    if (!this.prometheus) return;
    let byPod: Map<string, number>;
    try {
      byPod = await this.prometheus.utilizationByPod();
      this.gpuError = undefined;
    } catch (e) {
      // Prometheus down is a failed measurement with its reason, not a failed round.
      this.gpuError = (e as Error).message;
      this.logger.warn(`GPU utilization unavailable: ${this.gpuError}`);
      return;
    }
    for (const cluster of this.clusters.all()) {
      for (const md of cluster.cache.modelDeployments.list()) {
        const samples = cluster.cache
          .podsOf(md)
          .map(p => byPod.get(`${p.metadata?.namespace}/${p.metadata?.name}`))
          .filter((v): v is number => v !== undefined);
        if (!samples.length) continue;
        const ref = {
          cluster: cluster.name,
          namespace: md.metadata.namespace!,
          name: md.metadata.name,
        };
        await this.usage.add(
          ref,
          md.status?.activeModel ?? md.spec.model.name,
          {
            gpuUtilization: samples.reduce((a, b) => a + b, 0) / samples.length,
          },
        );
      }
    }
  }

  /** Restarts the pods, unless the hourly cap or the backoff says wait. Returns whether it did. */
  private async recover(
    cluster: Cluster,
    ref: DeploymentRef,
    md: ModelDeployment,
    failures: number,
    reason: string,
  ): Promise<boolean> {
    const now = this.now();
    const recent = await this.store.recoveriesSince(
      ref,
      new Date(now.getTime() - 3600_000),
    );
    const key = keyOf(ref);
    if (recent.length >= this.options.maxRestartsPerHour) {
      if ((this.cappedWarned.get(key) ?? 0) < now.getTime() - 3600_000) {
        this.cappedWarned.set(key, now.getTime());
        await cluster.gateway
          .recordEvent(
            md,
            'Warning',
            'RecoveryCapped',
            `Unhealthy (${reason}), but already restarted ${recent.length} times in the last hour; not restarting again`,
            this.clusters.identity,
          )
          .catch(() => undefined);
      }
      return false;
    }
    const backoff =
      this.options.recoveryBackoffMs * 2 ** Math.max(0, recent.length - 1);
    if (recent[0] && now.getTime() - recent[0].getTime() < backoff)
      return false;
    await cluster.gateway.patchModelDeployment(ref.namespace, ref.name, {
      metadata: {
        annotations: { [ANNOTATIONS.restartedAt]: now.toISOString() },
      },
    });
    await cluster.gateway
      .recordEvent(
        md,
        'Warning',
        'AutoRecovery',
        `Restarting the pods after ${failures} failed health checks: ${reason}`,
        this.clusters.identity,
      )
      .catch(() => undefined);
    this.logger.warn(
      `restarted ${keyOf(
        ref,
      )} after ${failures} failed health checks: ${reason}`,
    );
    return true;
  }

  /** The Healthy condition and lastHealthCheck; written when health changes, else now and then. */
  private async writeStatus(
    cluster: Cluster,
    ref: DeploymentRef,
    result: ProbeResult,
    attempt = 0,
  ): Promise<void> {
    const md = cluster.cache.modelDeployments.get(ref.namespace, ref.name);
    if (!md) return;
    const key = keyOf(ref);
    const now = this.now();
    const previous = md.status?.conditions?.find(c => c.type === 'Healthy');
    const status = result.healthy ? 'True' : 'False';
    const changed =
      previous?.status !== status || previous?.message !== result.message;
    if (
      !changed &&
      now.getTime() - (this.lastStatusWrite.get(key) ?? 0) <
        this.options.statusRefreshMs
    )
      return;
    const healthy = {
      type: 'Healthy',
      status: status as 'True' | 'False',
      reason: result.healthy ? 'ChecksPassed' : 'CheckFailed',
      message: result.message,
      lastTransitionTime:
        previous?.status === status && previous.lastTransitionTime
          ? previous.lastTransitionTime
          : now.toISOString(),
      observedGeneration: md.metadata.generation,
    };
    const next: ModelDeploymentStatus = {
      ...md.status,
      conditions: [
        ...(md.status?.conditions ?? []).filter(c => c.type !== 'Healthy'),
        healthy,
      ],
      lastHealthCheck: {
        time: now.toISOString(),
        healthy: result.healthy,
        message: result.message,
      },
    };
    try {
      cluster.cache.modelDeployments.upsert(
        await cluster.gateway.patchStatus(
          ref.namespace,
          ref.name,
          next,
          md.metadata.resourceVersion,
        ),
      );
      this.lastStatusWrite.set(key, now.getTime());
    } catch (e) {
      // The reconciler wrote in between: read again (the cache has caught up) and retry once.
      if (e instanceof ConflictError && attempt < 2) {
        await new Promise(r => setTimeout(r, 200));
        return this.writeStatus(cluster, ref, result, attempt + 1);
      }
      throw e;
    }
  }

  async history(ref: DeploymentRef, limit: number) {
    return this.store.history(ref, limit);
  }
}
