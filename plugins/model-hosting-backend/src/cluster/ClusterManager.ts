import os from 'os';
import { randomUUID } from 'crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { KubeConfig } from '@kubernetes/client-node';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { LeaderElector } from '../controller/LeaderElector';
import { Reconciler } from '../controller/Reconciler';
import { ClusterCache } from './ClusterCache';
import { ClusterDefinition } from './clusterConfig';
import { KubeGateway } from './KubeGateway';

export interface ClusterManagerOptions {
  requestTimeoutMs: number;
  /** Run reconcilers in this process (they still take turns through the Lease). */
  reconcile: boolean;
  leaseNamespace: string;
  leaseDurationSeconds: number;
  identity?: string;
}

/** One configured cluster: its watch cache, its API gateway and, when leading, its reconciler. */
export interface Cluster {
  name: string;
  kubeConfig: KubeConfig;
  cache: ClusterCache;
  gateway: KubeGateway;
  reconciler: Reconciler;
  elector?: LeaderElector;
}

/** Owns every cluster's cache, gateway and reconciler, from start to shutdown. */
export class ClusterManager {
  readonly identity: string;
  private readonly clusters = new Map<string, Cluster>();

  constructor(
    definitions: ClusterDefinition[],
    options: ClusterManagerOptions,
    logger: LoggerService,
  ) {
    this.identity =
      options.identity ??
      `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    for (const def of definitions) {
      const log = logger.child({ cluster: def.name });
      const cache = new ClusterCache(def.name, def.kubeConfig, log);
      const gateway = new KubeGateway(
        def.name,
        def.kubeConfig,
        options.requestTimeoutMs,
      );
      const reconciler = new Reconciler(cache, gateway, log, this.identity);
      const elector = options.reconcile
        ? new LeaderElector(
            gateway,
            {
              namespace: options.leaseNamespace,
              leaseName: 'model-hosting-reconciler',
              identity: this.identity,
              leaseDurationSeconds: options.leaseDurationSeconds,
              renewIntervalMs: (options.leaseDurationSeconds * 1000) / 3,
            },
            leader => reconciler.setActive(leader),
            log,
          )
        : undefined;
      this.clusters.set(def.name, {
        name: def.name,
        kubeConfig: def.kubeConfig,
        cache,
        gateway,
        reconciler,
        elector,
      });
    }
  }

  start() {
    for (const c of this.clusters.values()) {
      c.cache.start();
      c.elector?.start();
    }
  }

  async stop() {
    for (const c of this.clusters.values()) {
      await c.elector?.stop();
      c.reconciler.stop();
      c.cache.stop();
    }
  }

  get names(): string[] {
    return [...this.clusters.keys()];
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  /** A cluster by name: 400 for a name nobody configured. */
  get(name: string): Cluster {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new InputError(
        `Unknown cluster '${name}'; configured clusters: ${
          this.names.join(', ') || 'none'
        }`,
      );
    }
    return cluster;
  }

  /** A cluster whose cache can answer: 503 while it is unreachable or still listing. */
  readable(name: string): Cluster {
    const cluster = this.get(name);
    if (!cluster.cache.synced) {
      throw new ServiceUnavailableError(
        `Cluster '${name}' is ${
          cluster.cache.error
            ? `unreachable: ${cluster.cache.error}`
            : 'still loading'
        }`,
      );
    }
    return cluster;
  }
}
