import { createHash } from 'crypto';
import { isDeepStrictEqual } from 'util';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  LABELS,
  ModelDeployment,
  ModelDeploymentStatus,
} from '@internal/backstage-plugin-model-hosting-common';
import { oneMoreFits } from '../capacity/nodeFit';
import { ClusterCache } from '../cluster/ClusterCache';
import { ResourceCache } from '../cluster/ResourceCache';
import { KubeGateway } from '../cluster/KubeGateway';
import { engineFor } from '../engines';
import { plan } from './plan';
import { decideRollout, RolloutDecision } from './rollout';
import { computeStatus } from './status';

const APPLIED_HASH = 'modelhosting.io/applied-hash';
const WORKERS = 4;
const RESYNC_MS = 60_000;

const keyOf = (namespace: string | undefined, name: string) =>
  `${namespace}/${name}`;

/**
 * Makes one cluster match its ModelDeployments. Level-triggered: any change to a ModelDeployment
 * or what it owns queues it; each pass reads the cache, plans, applies what differs and writes status.
 * Only the leader of the cluster's Lease runs passes.
 */
export class Reconciler {
  private readonly queue = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly retries = new Map<string, number>();
  private active = false;
  private workers = 0;
  private resyncTimer?: NodeJS.Timeout;
  /** Passes that finished, for tests and the benchmark. */
  passes = 0;

  constructor(
    private readonly cache: ClusterCache,
    private readonly gateway: KubeGateway,
    private readonly logger: LoggerService,
    private readonly identity: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    cache.modelDeployments.onChange((_t, md) =>
      this.enqueue(keyOf(md.metadata.namespace, md.metadata.name)),
    );
    const byOwner = (_t: string, o: KubernetesObject) => {
      const instance = o.metadata?.labels?.[LABELS.instance];
      if (instance) this.enqueue(keyOf(o.metadata?.namespace, instance));
    };
    for (const c of [
      cache.deployments,
      cache.pods,
      cache.services,
      cache.configMaps,
      cache.hpas,
    ])
      c.onChange(byOwner);
    // Freed or added capacity can unblock Pending deployments and rolling switches.
    cache.nodes.onChange(() => this.enqueueAll());
  }

  /** Becomes the cluster's active reconciler (or stops being it). */
  setActive(active: boolean) {
    if (active === this.active) return;
    this.active = active;
    this.logger.info(
      active
        ? 'became the active reconciler'
        : 'is no longer the active reconciler',
    );
    clearInterval(this.resyncTimer);
    if (active) {
      this.enqueueAll();
      this.resyncTimer = setInterval(() => this.enqueueAll(), RESYNC_MS);
      this.resyncTimer.unref?.();
    }
  }

  get isActive() {
    return this.active;
  }

  stop() {
    this.setActive(false);
  }

  enqueueAll() {
    for (const md of this.cache.modelDeployments.list())
      this.enqueue(keyOf(md.metadata.namespace, md.metadata.name));
  }

  enqueue(key: string) {
    if (!this.active) return;
    this.queue.add(key);
    while (this.workers < WORKERS && this.queue.size > this.inFlight.size) {
      this.workers++;
      void this.work().finally(() => this.workers--);
    }
  }

  private async work() {
    for (;;) {
      if (!this.active) return;
      if (!this.cache.synced) {
        // Plans made from a half-listed cache could delete what they cannot see yet.
        await new Promise(r => setTimeout(r, 200));
        continue;
      }
      const key = [...this.queue].find(k => !this.inFlight.has(k));
      if (!key) return;
      this.queue.delete(key);
      this.inFlight.add(key);
      try {
        await this.reconcile(key);
        this.retries.delete(key);
      } catch (e) {
        if (e instanceof ConflictError) {
          // Our view was stale; the watch brings the newer object and we look again.
          setTimeout(() => this.enqueue(key), 100).unref?.();
          continue;
        }
        const attempt = (this.retries.get(key) ?? 0) + 1;
        this.retries.set(key, attempt);
        if (attempt === 1) await this.reportFailure(key, e);
        const delay = Math.min(500 * 2 ** attempt, 30_000);
        this.logger.warn(
          `reconcile of ${key} failed (attempt ${attempt}, retry in ${delay} ms): ${e}`,
        );
        setTimeout(() => this.enqueue(key), delay).unref?.();
      } finally {
        this.inFlight.delete(key);
        this.passes++;
      }
    }
  }

  /** One pass for one ModelDeployment. */
  async reconcile(key: string) {
    const [namespace, name] = key.split('/');
    const md = this.cache.modelDeployments.get(namespace, name);
    // Deleted: owner references let the garbage collector remove the children.
    if (!md || md.metadata.deletionTimestamp) return;
    const engine = engineFor(md.spec.engine);
    const deployment = this.cache.deployments.get(namespace, name);
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

    if (decision.action.kind === 'scaleDown') {
      if (deployment?.spec?.replicas !== 0)
        this.cache.deployments.upsert(
          await this.gateway.scaleDeployment(namespace, name, 0),
        );
    } else {
      const desired = plan(md, engine, { replicas: decision.action.replicas });
      const { configMaps, services, deployments, hpas } = this.cache;
      await this.applyIfChanged(desired.configMap, configMaps);
      await this.applyIfChanged(desired.service, services);
      await this.applyIfChanged(
        desired.deployment,
        deployments,
        d => d.spec?.replicas === desired.deployment.spec?.replicas,
      );
      const hpa = hpas.get(namespace, name);
      if (desired.hpa) await this.applyIfChanged(desired.hpa, hpas);
      else if (hpa)
        await this.gateway.delete(
          'autoscaling/v2',
          'HorizontalPodAutoscaler',
          namespace,
          name,
        );
    }

    const status = computeStatus(
      md,
      engine,
      { deployment, pods },
      decision,
      now,
    );
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
      .patchStatus(namespace, name, { ...md.status, conditions })
      .catch(e =>
        this.logger.debug(`could not report the failure on ${key}: ${e}`),
      );
  }

  /** Server-side apply, skipped when the cached object already carries the same plan. */
  private async applyIfChanged<T extends KubernetesObject>(
    desired: T,
    cache: ResourceCache<T>,
    alsoSame: (c: T) => boolean = () => true,
  ) {
    const hash = createHash('sha256')
      .update(JSON.stringify(desired))
      .digest('hex')
      .slice(0, 16);
    desired.metadata = {
      ...desired.metadata,
      annotations: { ...desired.metadata?.annotations, [APPLIED_HASH]: hash },
    };
    const cached = cache.get(
      desired.metadata.namespace,
      desired.metadata.name!,
    );
    if (
      cached &&
      cached.metadata?.annotations?.[APPLIED_HASH] === hash &&
      alsoSame(cached)
    )
      return;
    cache.upsert(await this.gateway.apply(desired));
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
      await this.gateway
        .recordEvent(md, type, reason, message, this.identity)
        .catch(e =>
          this.logger.warn(
            `could not record event ${reason} on ${md.metadata.namespace}/${md.metadata.name}: ${e}`,
          ),
        );
    }
  }
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
const sameStatus = (
  a: ModelDeploymentStatus | undefined,
  b: ModelDeploymentStatus,
) => isDeepStrictEqual(plain(a), plain(b));
