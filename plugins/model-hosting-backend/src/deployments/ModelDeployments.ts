import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { V1Deployment, V1Pod } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  DeploymentRef,
  ModelDeployment,
  ModelDeploymentStatus,
  modelDeploymentReadPermission,
  PoolModel,
  refOf,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Cluster, Clusters } from '../cluster/Clusters';
import { isPodReady } from '../cluster/pods';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';

/** One ModelDeployment as the caches hold it, with the cluster it lives on. */
export interface DeploymentEntry {
  cluster: Cluster;
  ref: DeploymentRef;
  md: ModelDeployment;
}

type Condition = NonNullable<ModelDeploymentStatus['conditions']>[number];
type EventType = 'Normal' | 'Warning';

const notFound = (ref: DeploymentRef) =>
  new NotFoundError(
    `No ModelDeployment ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
  );

/**
 * The one seam for reading and writing ModelDeployments, used by actions, the gateway, the
 * autoscaler, health checks and the fleet. Reads come from the watch caches; every write goes
 * through the cluster's gateway, lands in the cache at once (write-through) and, where a person
 * would want to see it in `kubectl describe`, leaves an Event.
 */
export class ModelDeployments {
  constructor(
    private readonly clusters: Clusters,
    private readonly authorizer: DeploymentAuthorizer,
  ) {}

  /** Every ModelDeployment on every cluster (not being deleted), cluster by cluster. */
  all(options: { includeDeleting?: boolean } = {}): DeploymentEntry[] {
    return this.clusters.all().flatMap(cluster =>
      cluster.cache.modelDeployments
        .list()
        .filter(md => options.includeDeleting || !md.metadata.deletionTimestamp)
        .map(md => ({ cluster, ref: refOf(cluster.name, md), md })),
    );
  }

  /** The ModelDeployments of one namespace on every cluster (not being deleted), from an index. */
  inNamespace(namespace: string): DeploymentEntry[] {
    return this.clusters.all().flatMap(cluster =>
      cluster.cache
        .modelDeploymentsIn(namespace)
        .filter(md => !md.metadata.deletionTimestamp)
        .map(md => ({ cluster, ref: refOf(cluster.name, md), md })),
    );
  }

  /** The ModelDeployments of clusters listed at least once. */
  synced(): DeploymentEntry[] {
    return this.all().filter(e => e.cluster.cache.synced);
  }

  /** The current state of one deployment, when the cache has it. */
  find(ref: DeploymentRef): DeploymentEntry | undefined {
    const cluster = this.clusters.get(ref.cluster);
    const md = cluster.cache.modelDeployments.get(ref.namespace, ref.name);
    return md ? { cluster, ref, md } : undefined;
  }

  /** One deployment: 400 for an unknown cluster, 503 while it cannot be read, 404 when absent. */
  require(ref: DeploymentRef): DeploymentEntry {
    const cluster = this.clusters.readable(ref.cluster);
    const md = cluster.cache.modelDeployments.get(ref.namespace, ref.name);
    if (!md) throw notFound(ref);
    return { cluster, ref, md };
  }

  /** One deployment the caller may read: as require, and 403 when the policy says no. */
  async requireReadable(
    ref: DeploymentRef,
    credentials: BackstageCredentials,
  ): Promise<DeploymentEntry> {
    const entry = this.require(ref);
    const [allowed] = await this.authorizer.allowed(
      modelDeploymentReadPermission,
      [entry],
      credentials,
    );
    if (!allowed) {
      throw new NotAllowedError(
        `You may not read ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    }
    return entry;
  }

  pods(entry: DeploymentEntry): V1Pod[] {
    return entry.cluster.cache.podsOf(entry.md);
  }

  readyPods(entry: DeploymentEntry): V1Pod[] {
    return this.pods(entry).filter(isPodReady);
  }

  /** The Deployment running it, as the cache has it. */
  deployment(entry: DeploymentEntry): V1Deployment | undefined {
    return entry.cluster.cache.deployments.get(
      entry.ref.namespace,
      entry.ref.name,
    );
  }

  /** Whether a replica answers right now (the Deployment's count: ahead of the status). */
  isServing(ref: DeploymentRef): boolean {
    const entry = this.find(ref);
    if (!entry || (entry.md.spec.replicas ?? 1) === 0) return false;
    return (this.deployment(entry)?.status?.readyReplicas ?? 0) > 0;
  }

  /** Writes spec.replicas through the scale subresource, as kubectl scale and the HPA do. */
  async scale(
    entry: DeploymentEntry,
    replicas: number,
    event?: { reason: string; message: string },
    options: { dryRun?: boolean } = {},
  ): Promise<void> {
    const { cluster, ref } = entry;
    await cluster.gateway.scaleModelDeployment(
      ref.namespace,
      ref.name,
      replicas,
      options.dryRun,
    );
    if (options.dryRun) return;
    if (event) await this.event(entry, 'Normal', event.reason, event.message);
  }

  /** A merge patch of the spec; with dryRun the API server only validates it (CEL rules included). */
  async patchSpec(
    entry: DeploymentEntry,
    spec: Partial<ModelDeployment['spec']>,
    event?: { reason: string; message: string },
    options: { dryRun?: boolean } = {},
  ): Promise<ModelDeployment> {
    const { cluster, ref } = entry;
    const updated = await cluster.gateway.patchModelDeployment(
      ref.namespace,
      ref.name,
      { spec },
      options.dryRun,
    );
    if (options.dryRun) return updated;
    cluster.cache.modelDeployments.upsert(updated);
    if (event) await this.event(entry, 'Normal', event.reason, event.message);
    return updated;
  }

  /**
   * Asks for another model (the reconciler runs the switch): spec.model replaced whole, who asked
   * kept in an annotation the switch's status reports; `replicas` wakes a deployment at zero too.
   */
  async requestModel(
    entry: DeploymentEntry,
    model: PoolModel,
    trigger: 'request' | 'action',
    event: { reason: string; message: string },
    options: { replicas?: number; strategy?: 'recreate' | 'rolling' } = {},
  ): Promise<ModelDeployment> {
    const { cluster, ref } = entry;
    const patch = {
      metadata: { annotations: { [ANNOTATIONS.switchTrigger]: trigger } },
      spec: {
        model: {
          name: model.name,
          version: model.version ?? null,
          source: model.source ?? null,
        },
        ...(options.replicas !== undefined
          ? { replicas: options.replicas }
          : {}),
        ...(options.strategy
          ? { switching: { strategy: options.strategy } }
          : {}),
      },
    };
    const updated = await cluster.gateway.patchModelDeployment(
      ref.namespace,
      ref.name,
      patch,
    );
    cluster.cache.modelDeployments.upsert(updated);
    await this.event(entry, 'Normal', event.reason, event.message);
    return updated;
  }

  /** The models gateway requests wait for, in status (last writer wins: it is informational). */
  async setSwitchQueue(
    ref: DeploymentRef,
    queue: NonNullable<ModelDeploymentStatus['switchQueue']>,
  ) {
    const entry = this.find(ref);
    if (!entry) return;
    await entry.cluster.gateway.patchStatus(ref.namespace, ref.name, {
      switchQueue: queue.length ? queue : (null as unknown as undefined),
    });
  }

  /** A rollout restart, kept in the resource (an annotation the plan copies to the pod template). */
  async restart(
    entry: DeploymentEntry,
    event: { type: EventType; reason: string; message: string },
  ) {
    const { cluster, ref } = entry;
    const restartedAt = new Date().toISOString();
    const updated = await cluster.gateway.patchModelDeployment(
      ref.namespace,
      ref.name,
      {
        metadata: { annotations: { [ANNOTATIONS.restartedAt]: restartedAt } },
      },
    );
    cluster.cache.modelDeployments.upsert(updated);
    await this.event(entry, event.type, event.reason, event.message);
    return restartedAt;
  }

  /** Creates the resource (dryRun: only the API server's checks). */
  async create(
    cluster: Cluster,
    md: ModelDeployment,
    event: { reason: string; message: string },
    options: { dryRun?: boolean } = {},
  ): Promise<ModelDeployment> {
    const created = await cluster.gateway.createModelDeployment(
      md,
      options.dryRun,
    );
    if (options.dryRun) return created;
    cluster.cache.modelDeployments.upsert(created);
    await this.event(
      { cluster, ref: refOf(cluster.name, created), md: created },
      'Normal',
      event.reason,
      event.message,
    );
    return created;
  }

  /** Deletes the resource; its children are garbage-collected through their owner references. */
  async delete(entry: DeploymentEntry): Promise<void> {
    await entry.cluster.gateway.deleteModelDeployment(
      entry.ref.namespace,
      entry.ref.name,
    );
  }

  /**
   * Replaces one status condition and merges the given fields, with the resourceVersion read: a
   * concurrent writer (the reconciler) makes it retry on the newer object, twice at most.
   */
  async setCondition(
    ref: DeploymentRef,
    condition: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>,
    fields: Partial<ModelDeploymentStatus> = {},
    now = new Date(),
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const entry = this.find(ref);
      if (!entry) return;
      const { md, cluster } = entry;
      const previous = md.status?.conditions?.find(
        c => c.type === condition.type,
      );
      const next: Condition = {
        ...condition,
        lastTransitionTime:
          previous?.status === condition.status && previous.lastTransitionTime
            ? previous.lastTransitionTime
            : now.toISOString(),
        observedGeneration: md.metadata.generation,
      };
      const status: ModelDeploymentStatus = {
        ...md.status,
        ...fields,
        conditions: [
          ...(md.status?.conditions ?? []).filter(
            c => c.type !== condition.type,
          ),
          next,
        ],
      };
      try {
        cluster.cache.modelDeployments.upsert(
          await cluster.gateway.patchStatus(
            ref.namespace,
            ref.name,
            status,
            md.metadata.resourceVersion,
          ),
        );
        return;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
        // The reconciler wrote in between: the watch brings its version; look again.
        await new Promise(r => setTimeout(r, 200));
      }
    }
  }

  /** An Event on the resource; never fails the action it reports. */
  event(
    entry: DeploymentEntry,
    type: EventType,
    reason: string,
    message: string,
  ) {
    return entry.cluster.gateway.event(entry.md, type, reason, message);
  }
}
