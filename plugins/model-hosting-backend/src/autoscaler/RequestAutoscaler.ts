import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DeploymentRef,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';
import { Cluster, ClusterManager } from '../cluster/ClusterManager';
import { Traffic } from '../gateway/Traffic';
import { EngineAccess } from '../health/EngineAccess';
import { sumMetric } from '../usage/engineCounters';
import { decideReplicas, LoadHistory } from './decide';

export interface AutoscalerOptions {
  tickMs: number;
  /** Moving-average window of the load signal. */
  windowMs: number;
}

const keyOf = (r: DeploymentRef) => `${r.cluster}/${r.namespace}/${r.name}`;

/** Deployments the built-in autoscaler owns: request-based metrics (cpu and memory belong to the HPA). */
export const isRequestScaled = (md: ModelDeployment) =>
  !!md.spec.autoscaling?.enabled &&
  (md.spec.autoscaling.metrics ?? []).length > 0 &&
  (md.spec.autoscaling.metrics ?? []).every(
    m => m.type === 'requestsInFlight' || m.type === 'queueDepth',
  );

/**
 * The built-in autoscaler for requestsInFlight and queueDepth: reads the gateway's counters and the
 * engines' gauges (vLLM num_requests_running / waiting), averages them over a window, applies the
 * spec's stabilization windows and writes spec.replicas through the scale subresource; idle
 * deployments go to zero after scaleToZeroAfterSeconds. Runs where the cluster's reconciler leads.
 */
export class RequestAutoscaler {
  private timer?: NodeJS.Timeout;
  private readonly history = new Map<string, LoadHistory>();
  private running = false;

  constructor(
    private readonly clusters: ClusterManager,
    private readonly access: EngineAccess,
    private readonly traffic: Traffic,
    private readonly logger: LoggerService,
    private readonly options: AutoscalerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  start() {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref?.();
  }

  stop() {
    clearInterval(this.timer);
  }

  async tick() {
    if (this.running) return; // a slow round is not stacked on
    this.running = true;
    try {
      for (const cluster of this.clusters.all()) {
        if (!cluster.reconciler.isActive || !cluster.cache.synced) continue;
        for (const md of cluster.cache.modelDeployments
          .list()
          .filter(isRequestScaled)) {
          await this.evaluate(cluster, md).catch(e =>
            this.logger.warn(
              `autoscaling ${md.metadata.namespace}/${md.metadata.name}: ${e}`,
            ),
          );
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The engine's own load, for the whole deployment: each serving process's gauges, added up. */
  private async engineLoad(
    cluster: Cluster,
    ref: DeploymentRef,
    md: ModelDeployment,
  ): Promise<{ running: number; waiting: number; served: number } | undefined> {
    if (md.spec.engine !== 'vllm') return undefined;
    const servers = this.access.perServer(
      ref,
      md,
      cluster.cache.readyPodsOf(md),
    );
    const texts = (
      await Promise.all(
        servers.map(s =>
          s
            .call('GET', '/metrics', undefined, 2000)
            .then(res => (res.status < 400 ? res.text : undefined))
            .catch(() => undefined),
        ),
      )
    ) // a server that does not answer adds no load; health checks report it
      .filter((t): t is string => t !== undefined);
    if (!texts.length) return undefined;
    const sum = (name: string) =>
      texts.reduce((n, t) => n + (sumMetric(t, name) ?? 0), 0);
    return {
      running: sum('vllm:num_requests_running'),
      waiting: sum('vllm:num_requests_waiting'),
      served: sum('vllm:request_success_total'),
    };
  }

  async evaluate(cluster: Cluster, md: ModelDeployment) {
    const ref = {
      cluster: cluster.name,
      namespace: md.metadata.namespace!,
      name: md.metadata.name,
    };
    const key = keyOf(ref);
    const now = this.now();
    const a = md.spec.autoscaling!;
    const metric = a.metrics![0];
    const engine = await this.engineLoad(cluster, ref, md);
    const gatewayInFlight = this.traffic.inFlightOf(ref);
    const gatewayWaiting = this.traffic.waitingOf(ref);
    const load =
      metric.type === 'queueDepth'
        ? gatewayWaiting + (engine?.waiting ?? 0)
        : Math.max(gatewayInFlight, engine?.running ?? 0) + gatewayWaiting;

    let h = this.history.get(key);
    if (!h) {
      h = {
        samples: [],
        recommendations: [],
        lastActive: now,
        lastServed: engine?.served,
      };
      this.history.set(key, h);
    }
    const lastRequest = this.traffic.lastRequestOf(ref);
    if (
      load > 0 ||
      (engine &&
        h.lastServed !== undefined &&
        engine.served !== h.lastServed) ||
      (lastRequest && lastRequest > h.lastActive)
    ) {
      h.lastActive = Math.max(now, lastRequest ?? 0);
    }
    if (engine) h.lastServed = engine.served;

    const current = md.spec.replicas ?? 1;
    const decision = decideReplicas(h, {
      now,
      load,
      current,
      target: metric.target,
      autoscaling: a,
      windowMs: this.options.windowMs,
    });
    if (decision.replicas === current) return;
    await cluster.gateway.scaleModelDeployment(
      ref.namespace,
      ref.name,
      decision.replicas,
    );
    await cluster.gateway
      .recordEvent(
        md,
        'Normal',
        decision.replicas === 0 ? 'ScaledToZero' : 'Autoscaled',
        `Scaled from ${current} to ${decision.replicas}: ${decision.reason}`,
        this.clusters.identity,
      )
      .catch(() => undefined);
    this.logger.info(
      `autoscaled ${key} from ${current} to ${decision.replicas}: ${decision.reason}`,
    );
  }
}
