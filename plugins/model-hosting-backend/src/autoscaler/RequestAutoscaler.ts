import { LoggerService } from '@backstage/backend-plugin-api';
import { V1Pod } from '@kubernetes/client-node';
import {
  ModelDeployment,
  refKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  EngineLoad,
  parseMetrics,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { EngineRegistry, PerServerAccess } from '../engines';
import { decideReplicas, LoadHistory } from './decide';

export interface AutoscalerOptions {
  tickMs: number;
  /** Moving-average window of the load signal. */
  windowMs: number;
}

/** What the autoscaler needs of the deployments seam. */
export interface ScaledDeployments {
  synced(): DeploymentEntry[];
  readyPods(entry: DeploymentEntry): V1Pod[];
  scale(
    entry: DeploymentEntry,
    replicas: number,
    event?: { reason: string; message: string },
  ): Promise<void>;
}

/** The gateway's counts of one deployment's requests, over every backend replica. */
export interface GatewayLoad {
  /** Reads what the other replicas published; once per round. */
  refresh?(): Promise<void>;
  inFlightOf(ref: DeploymentEntry['ref']): number;
  waitingOf(ref: DeploymentEntry['ref']): number;
  lastRequestOf(ref: DeploymentEntry['ref']): number | undefined;
}

/** Deployments the built-in autoscaler owns: request-based metrics (cpu and memory belong to the HPA). */
export const isRequestScaled = (md: ModelDeployment) =>
  !!md.spec.autoscaling?.enabled &&
  (md.spec.autoscaling.metrics ?? []).length > 0 &&
  (md.spec.autoscaling.metrics ?? []).every(
    m => m.type === 'requestsInFlight' || m.type === 'queueDepth',
  );

/**
 * The built-in autoscaler for requestsInFlight and queueDepth: reads the gateway's counters and the
 * engines' load gauges (vLLM num_requests_running / waiting), averages them over a window, applies
 * the spec's stabilization windows and writes spec.replicas through the scale subresource; idle
 * deployments go to zero after scaleToZeroAfterSeconds. Runs where the cluster's reconciler leads.
 */
export class RequestAutoscaler {
  private timer?: NodeJS.Timeout;
  private readonly history = new Map<string, LoadHistory>();
  private running = false;

  constructor(
    private readonly deployments: ScaledDeployments,
    private readonly engines: EngineRegistry,
    private readonly access: PerServerAccess,
    private readonly traffic: GatewayLoad,
    private readonly isLeader: (cluster: string) => boolean,
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
      if (this.deployments.synced().some(e => this.isLeader(e.ref.cluster))) {
        await this.traffic.refresh?.();
      }
      for (const entry of this.deployments.synced()) {
        if (!this.isLeader(entry.ref.cluster) || !isRequestScaled(entry.md))
          continue;
        await this.evaluate(entry).catch(e =>
          this.logger.warn(
            `autoscaling ${entry.ref.namespace}/${entry.ref.name}: ${e}`,
          ),
        );
      }
    } finally {
      this.running = false;
    }
  }

  /** The engine's own load, for the whole deployment: each serving process's gauges, added up. */
  private async engineLoad(
    entry: DeploymentEntry,
  ): Promise<EngineLoad | undefined> {
    const metrics = this.engines.get(entry.md.spec.engine).metrics;
    if (!metrics) return undefined;
    const servers = this.access.perServer(
      entry.ref,
      entry.md,
      this.deployments.readyPods(entry),
    );
    const loads = (
      await Promise.all(
        servers.map(s =>
          s
            .call('GET', metrics.path, undefined, 2000)
            .then(res =>
              res.status < 300
                ? metrics.load(parseMetrics(res.text))
                : undefined,
            )
            // a server that does not answer adds no load; health checks report it
            .catch(() => undefined),
        ),
      )
    ).filter((l): l is EngineLoad => l !== undefined);
    if (!loads.length) return undefined;
    return {
      running: loads.reduce((n, l) => n + l.running, 0),
      waiting: loads.reduce((n, l) => n + l.waiting, 0),
      served: loads.reduce((n, l) => n + (l.served ?? 0), 0),
    };
  }

  async evaluate(entry: DeploymentEntry) {
    const { ref, md } = entry;
    const key = refKey(ref);
    const now = this.now();
    const a = md.spec.autoscaling!;
    const engine = await this.engineLoad(entry);
    const gatewayInFlight = this.traffic.inFlightOf(ref);
    const gatewayWaiting = this.traffic.waitingOf(ref);
    // Every metric of the list: each says how many replicas its load needs; the most wins.
    const loads = (a.metrics ?? []).map(metric => {
      const value =
        metric.type === 'queueDepth'
          ? gatewayWaiting + (engine?.waiting ?? 0)
          : Math.max(gatewayInFlight, engine?.running ?? 0) + gatewayWaiting;
      return { type: metric.type, value, replicas: value / metric.target };
    });
    const top = loads.reduce(
      (m, l) => (l.replicas > m.replicas ? l : m),
      loads[0],
    );
    const load = top?.replicas ?? 0;
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
    // Scaled up by someone else (another replica's gateway waking it, a person): that is use.
    if (h.lastSeen !== undefined && (md.spec.replicas ?? 1) > h.lastSeen)
      h.lastActive = now;
    const current = md.spec.replicas ?? 1;
    const decision = decideReplicas(h, {
      now,
      load,
      current,
      target: 1,
      metric: top?.type,
      autoscaling: a,
      windowMs: this.options.windowMs,
    });
    if (decision.replicas === current) return;
    await this.deployments.scale(entry, decision.replicas, {
      reason: decision.replicas === 0 ? 'ScaledToZero' : 'Autoscaled',
      message: `Scaled from ${current} to ${decision.replicas}: ${decision.reason}`,
    });
    this.logger.info(
      `autoscaled ${key} from ${current} to ${decision.replicas}: ${decision.reason}`,
    );
  }
}
