import { createHash } from 'crypto';
import { isDeepStrictEqual } from 'util';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  LABELS,
  ModelDeployment,
  ModelDeploymentStatus,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { oneMoreFits } from '../capacity/nodeFit';
import { Cluster } from '../cluster/Clusters';
import { ResourceCache } from '../cluster/ResourceCache';
import { EngineRegistry } from '../engines';
import { RECONCILE_WORKERS } from '../config';
import { Counter, Histogram } from '../metrics';
import { plan } from './plan';
import { decideRollout, RolloutDecision } from './rollout';
import { Tenancy } from '../tenancy/Tenancy';
import {
  controlledBy,
  NameConflictError,
  requireFreeNames,
} from '../tenancy/ownership';
import { firstDrift } from './drift';
import { computeStatus } from './status';
import { needsPass } from './needsPass';
import { isEdit, replicasChanged } from './urgent';
import { StorageOptions } from './storage';
import { WorkQueue } from './WorkQueue';

const APPLIED_HASH = 'modelhosting.io/applied-hash';
const RESYNC_MS = 60_000;

const keyOf = (namespace: string | undefined, name: string) =>
  `${namespace}/${name}`;
const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
const sameStatus = (
  a: ModelDeploymentStatus | undefined,
  b: ModelDeploymentStatus,
) => isDeepStrictEqual(plain(a), plain(b));

/** What a reconciler reports of its work, and how much of it runs at once. */
export interface ReconcilerInstruments {
  passes?: Counter;
  /** Seconds a deployment waited in the queue before its pass. */
  queueWait?: Histogram;
  /** Seconds a pass took. */
  passDuration?: Histogram;
  /** Deployments reconciled at once (default RECONCILE_WORKERS). */
  workers?: number;
  now?: () => Date;
}

/** Why the reconciler wrote nothing for a deployment: shown as Reconciled=False. */
interface Refusal {
  reason: 'PolicyViolation' | 'NameConflict';
  message: string;
}

/** A planned child and what our cache holds of its kind (only objects with our label). */
interface Child {
  desired: KubernetesObject;
  cache: Pick<ResourceCache<KubernetesObject>, 'get' | 'upsert'>;
}

/** A stale view (conflict) is retried soon; anything else backs off up to 30 s. */
export function reconcileBackoffMs(attempt: number, error: unknown): number {
  if (error instanceof ConflictError)
    return Math.min(100 * 2 ** (attempt - 1), 5_000);
  return Math.min(500 * 2 ** attempt, 30_000);
}

/**
 * Makes one cluster match its ModelDeployments. Level-triggered: any change to a ModelDeployment
 * or what it owns queues it; each pass reads the cache, plans, applies what differs and writes status.
 * Only the leader of the cluster's Lease runs passes.
 */
export class Reconciler {
  private readonly queue: WorkQueue;
  private resyncTimer?: NodeJS.Timeout;
  private readonly now: () => Date;

  constructor(
    private readonly cluster: Cluster,
    private readonly engines: EngineRegistry,
    private readonly tenancy: Tenancy,
    private readonly storage: StorageOptions,
    private readonly logger: LoggerService,
    instruments: ReconcilerInstruments = {},
  ) {
    const { cache } = cluster;
    const attributes = { cluster: cluster.name };
    this.now = instruments.now ?? (() => new Date());
    this.queue = new WorkQueue(
      async key => {
        try {
          await this.reconcile(key);
        } finally {
          instruments.passes?.add(1, attributes);
        }
      },
      {
        workers: instruments.workers ?? RECONCILE_WORKERS,
        observe: (waitedMs, workedMs) => {
          instruments.queueWait?.record(waitedMs / 1000, attributes);
          instruments.passDuration?.record(workedMs / 1000, attributes);
        },
        // Plans made from a half-listed cache could delete what they cannot see yet.
        ready: () => cache.synced,
        backoffMs: reconcileBackoffMs,
        onFailure: async (key, e, attempt) => {
          if (e instanceof ConflictError) return; // our view was stale; the watch brings the newer object
          this.logger.warn(
            `reconcile of ${key} failed (attempt ${attempt}): ${e}`,
          );
          if (attempt === 1) await this.reportFailure(key, e);
        },
      },
    );
    // What users wait to see goes first: their edits, and a deployment's replicas becoming ready.
    cache.modelDeployments.onChange((_t, md, previous) => {
      if (needsPass(md, previous))
        this.queue.add(
          keyOf(md.metadata.namespace, md.metadata.name),
          isEdit(md, previous) ? 'urgent' : 'change',
        );
    });
    const queueOwner = (
      o: KubernetesObject,
      reason: 'urgent' | 'change' = 'change',
    ) => {
      const instance = o.metadata?.labels?.[LABELS.instance];
      if (instance)
        this.queue.add(keyOf(o.metadata?.namespace, instance), reason);
    };
    cache.deployments.onChange((_t, d, previous) =>
      queueOwner(d, replicasChanged(d, previous) ? 'urgent' : 'change'),
    );
    for (const c of [
      cache.claims,
      cache.pods,
      cache.services,
      cache.configMaps,
      cache.hpas,
    ]) {
      c.onChange((_t, o: KubernetesObject) => queueOwner(o));
    }
    // Freed or added capacity can unblock Pending deployments and rolling switches.
    cache.nodes.onChange(() => this.enqueueAll());
  }

  private get cache() {
    return this.cluster.cache;
  }

  private get gateway() {
    return this.cluster.gateway;
  }

  /** Becomes the cluster's active reconciler (or stops being it). */
  setActive(active: boolean) {
    if (active === this.queue.isActive) return;
    this.logger.info(
      active
        ? 'became the active reconciler'
        : 'is no longer the active reconciler',
    );
    clearInterval(this.resyncTimer);
    if (active) {
      this.queue.start();
      this.enqueueAll();
      this.resyncTimer = setInterval(() => this.enqueueAll(), RESYNC_MS);
      this.resyncTimer.unref?.();
    } else {
      this.queue.stop();
    }
  }

  get isActive() {
    return this.queue.isActive;
  }

  stop() {
    this.setActive(false);
  }

  /** Every deployment, behind any change waiting (a resync, a node's capacity changing). */
  enqueueAll() {
    for (const md of this.cache.modelDeployments.list()) {
      this.queue.add(keyOf(md.metadata.namespace, md.metadata.name), 'resync');
    }
  }

  /** One pass for one ModelDeployment. */
  async reconcile(key: string) {
    const [namespace, name] = key.split('/');
    const md = this.cache.modelDeployments.get(namespace, name);
    // Deleted: owner references let the garbage collector remove the children.
    if (!md || md.metadata.deletionTimestamp) return;
    const engine = this.engines.get(md.spec.engine);
    const cachedDeployment = this.cache.deployments.get(namespace, name);
    // Only a Deployment this ModelDeployment controls says how it runs.
    const deployment =
      cachedDeployment && controlledBy(cachedDeployment, md)
        ? cachedDeployment
        : undefined;
    const pods = this.cache.podsOf(md);
    const now = this.now();
    const decision = decideRollout(
      md,
      {
        deployment,
        podCount: pods.length,
        oneMoreFits: oneMoreFits(md, this.cache.nodes.list(), node =>
          this.cache.podsOnNode(node),
        ),
      },
      now,
    );

    // The admins' rules, again: a ModelDeployment made with kubectl gets no pods that break them.
    const violations = this.tenancy.violations(
      this.cluster.name,
      md,
      this.cache.namespaces.get(undefined, namespace),
    );
    let refusal: Refusal | undefined = violations.length
      ? {
          reason: 'PolicyViolation',
          message: `refused by ${violations
            .map(v => `${v.rule}: ${v.message}`)
            .join('; ')}`,
        }
      : undefined;
    if (!refusal) {
      try {
        await this.applyChildren(md, decision);
      } catch (e) {
        if (!(e instanceof NameConflictError)) throw e;
        refusal = { reason: 'NameConflict', message: e.message };
      }
    }

    const status = computeStatus(
      md,
      engine,
      { deployment, pods },
      decision,
      now,
    );
    if (refusal) {
      status.conditions = [
        ...(status.conditions ?? []).filter(c => c.type !== 'Reconciled'),
        {
          type: 'Reconciled',
          status: 'False',
          ...refusal,
          observedGeneration: md.metadata.generation,
          lastTransitionTime:
            md.status?.conditions?.find(
              c => c.type === 'Reconciled' && c.reason === refusal!.reason,
            )?.lastTransitionTime ?? now.toISOString(),
        },
      ];
    }
    if (!sameStatus(md.status, status)) {
      // Merge patch: null removes a field.
      const patch = {
        ...status,
        switch: status.switch ?? null,
      } as ModelDeploymentStatus;
      this.cache.modelDeployments.upsert(
        await this.gateway.patchStatus(
          namespace,
          name,
          patch,
          md.metadata.resourceVersion,
        ),
      );
    }
    await this.recordEvents(md, decision, status);
    const before = md.status?.conditions?.find(c => c.type === 'Reconciled');
    if (
      refusal &&
      (before?.reason !== refusal.reason || before?.message !== refusal.message)
    ) {
      await this.gateway.event(md, 'Warning', refusal.reason, refusal.message);
    }
  }

  /** Applies the plan (or the first step of a recreate switch); never writes over what is not ours. */
  private async applyChildren(md: ModelDeployment, decision: RolloutDecision) {
    const namespace = md.metadata.namespace!;
    const name = md.metadata.name;
    const deployment = this.cache.deployments.get(namespace, name);
    if (decision.action.kind === 'scaleDown') {
      if (deployment && !controlledBy(deployment, md)) {
        throw new NameConflictError('Deployment', namespace, name, deployment);
      }
      if (deployment?.spec?.replicas !== 0) {
        this.cache.deployments.upsert(
          await this.gateway.scaleDeployment(namespace, name, 0),
        );
      }
      return;
    }
    const engine = this.engines.get(md.spec.engine);
    const desired = plan(
      md,
      engine,
      { replicas: decision.action.replicas },
      this.storage,
    );
    const { configMaps, services, deployments, hpas, claims } = this.cache;
    const first: Child[] = [
      { desired: desired.configMap, cache: configMaps },
      ...(desired.claim ? [{ desired: desired.claim, cache: claims }] : []),
      { desired: desired.service, cache: services },
    ];
    const deploymentChild: Child = {
      desired: desired.deployment,
      cache: deployments,
    };
    const hpaChild: Child | undefined = desired.hpa && {
      desired: desired.hpa,
      cache: hpas,
    };
    // Every name our cache does not hold (it keeps only what carries our label) is read in one
    // round before anything is written: a name taken by someone else refuses the whole plan.
    const planned = [
      ...first,
      deploymentChild,
      ...(hpaChild ? [hpaChild] : []),
    ];
    await requireFreeNames(
      md,
      planned.map(({ desired: d, cache }) => ({
        apiVersion: d.apiVersion!,
        kind: d.kind!,
        name: d.metadata!.name!,
        cache,
      })),
      c =>
        c.cache.get(namespace, c.name) ??
        this.gateway.read(c.apiVersion, c.kind, namespace, c.name),
    );
    // What the pods use (the engine ConfigMap, the model-cache claim) before the pods, the three
    // at once: each write waits for the API server, and a pass's writes in a row are what a burst
    // of new deployments queues behind.
    await Promise.all(first.map(c => this.applyIfChanged(md, c)));
    await this.applyIfChanged(md, deploymentChild);
    const hpa = hpas.get(namespace, name);
    if (hpaChild) await this.applyIfChanged(md, hpaChild);
    else if (hpa && controlledBy(hpa, md)) {
      await this.gateway.delete(
        'autoscaling/v2',
        'HorizontalPodAutoscaler',
        namespace,
        name,
      );
    }
  }

  /** Shows why the cluster does not match the spec on the resource itself (kubectl describe, the UI). */
  private async reportFailure(key: string, error: unknown) {
    const [namespace, name] = key.split('/');
    const md = this.cache.modelDeployments.get(namespace, name);
    if (!md) return;
    const message = error instanceof Error ? error.message : String(error);
    const conditions = [
      ...(md.status?.conditions ?? []).filter(c => c.type !== 'Reconciled'),
      {
        type: 'Reconciled',
        status: 'False' as const,
        reason: 'ApplyFailed',
        message,
        lastTransitionTime: this.now().toISOString(),
        observedGeneration: md.metadata.generation,
      },
    ];
    await this.gateway
      // Only the conditions: the rest of the cached status may be older than the cluster's.
      .patchStatus(namespace, name, { conditions })
      .catch(e =>
        this.logger.debug(`could not report the failure on ${key}: ${e}`),
      );
  }

  /**
   * Server-side apply when the object differs from the plan in any field the plan sets (a new
   * plan, or an edit by hand, which is reverted with an Event). Called after requireFreeNames.
   */
  private async applyIfChanged(md: ModelDeployment, { desired, cache }: Child) {
    const hash = createHash('sha256')
      .update(JSON.stringify(desired))
      .digest('hex')
      .slice(0, 16);
    desired.metadata = {
      ...desired.metadata,
      annotations: { ...desired.metadata?.annotations, [APPLIED_HASH]: hash },
    };
    const { namespace, name } = desired.metadata as {
      namespace: string;
      name: string;
    };
    const cached = cache.get(namespace, name);
    const drift = cached ? firstDrift(desired, cached) : 'new';
    if (!drift) return;
    cache.upsert(await this.gateway.apply(desired));
    if (cached?.metadata?.annotations?.[APPLIED_HASH] === hash) {
      // Our plan had not changed: someone changed the object (kubectl edit, set image, …).
      await this.gateway.event(
        md,
        'Warning',
        'DriftReverted',
        `${desired.kind} ${name} was changed outside model hosting (${drift}); reverted to the plan`,
      );
    }
  }

  private async recordEvents(
    md: ModelDeployment,
    decision: RolloutDecision,
    status: ModelDeploymentStatus,
  ) {
    const events: Array<['Normal' | 'Warning', string, string]> = [];
    if (decision.started) {
      events.push([
        'Normal',
        'SwitchStarted',
        `Switching from ${decision.started.from} to ${decision.started.to} (${decision.started.strategy})`,
      ]);
    }
    if (decision.completed) {
      events.push([
        'Normal',
        'SwitchCompleted',
        `Switched from ${decision.completed.from} to ${decision.completed.to} in ${decision.completed.seconds} s`,
      ]);
    }
    // Transitions worth a line in `kubectl describe`; Deploying and Switching are covered by the action's own events.
    if (
      md.status?.phase !== status.phase &&
      status.phase !== 'Deploying' &&
      status.phase !== 'Switching'
    ) {
      const scheduled = status.conditions?.find(c => c.type === 'Scheduled');
      const detail =
        status.phase === 'Pending'
          ? scheduled?.message
          : `${status.readyReplicas}/${md.spec.replicas ?? 1} replicas ready`;
      events.push([
        status.phase === 'Failed' || status.phase === 'Pending'
          ? 'Warning'
          : 'Normal',
        status.phase!,
        detail ?? '',
      ]);
    }
    for (const [type, reason, message] of events) {
      await this.gateway.event(md, type, reason, message);
    }
  }
}
