import { LoggerService } from '@backstage/backend-plugin-api';
import { Cluster } from '../cluster/Clusters';
import { EngineRegistry } from '../engines';
import { Reconciler, ReconcilerInstruments } from './Reconciler';
import { Tenancy } from '../tenancy/Tenancy';
import { LeaderElector } from './LeaderElector';
import { StorageOptions } from './storage';

export interface ControllerOptions {
  /** Run reconcilers in this process (they still take turns through the Lease). */
  enabled: boolean;
  leaseNamespace: string;
  leaseDurationSeconds: number;
  /** Deployments reconciled at once per cluster. */
  workers?: number;
}

/** One cluster's reconciler and the Lease election that decides whether it runs here. */
interface ClusterController {
  reconciler: Reconciler;
  elector?: LeaderElector;
}

/**
 * The controllers of every cluster: each cluster's reconciler runs in the backend replica that
 * holds that cluster's Lease.
 */
export class Controllers {
  private readonly controllers = new Map<string, ClusterController>();

  constructor(
    clusters: Cluster[],
    engines: EngineRegistry,
    tenancy: Tenancy,
    storage: StorageOptions,
    options: ControllerOptions,
    logger: LoggerService,
    instruments: Omit<ReconcilerInstruments, 'workers'> = {},
  ) {
    for (const cluster of clusters) {
      const log = logger.child({ cluster: cluster.name });
      const reconciler = new Reconciler(
        cluster,
        engines,
        tenancy,
        storage,
        log,
        { ...instruments, workers: options.workers },
      );
      const elector = options.enabled
        ? new LeaderElector(
            cluster.gateway,
            {
              namespace: options.leaseNamespace,
              leaseName: 'model-hosting-reconciler',
              identity: cluster.gateway.identity,
              leaseDurationSeconds: options.leaseDurationSeconds,
              renewIntervalMs: (options.leaseDurationSeconds * 1000) / 3,
            },
            leader => reconciler.setActive(leader),
            log,
          )
        : undefined;
      this.controllers.set(cluster.name, { reconciler, elector });
    }
  }

  start() {
    for (const c of this.controllers.values()) c.elector?.start();
  }

  async stop() {
    for (const c of this.controllers.values()) {
      await c.elector?.stop();
      c.reconciler.stop();
    }
  }

  /** Whether this replica runs the cluster's controller loops (reconciler, built-in autoscaler). */
  isLeader(cluster: string): boolean {
    return this.controllers.get(cluster)?.reconciler.isActive ?? false;
  }
}
