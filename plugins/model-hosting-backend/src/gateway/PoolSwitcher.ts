import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DeploymentRef,
  ModelDeployment,
  PoolModel,
  poolOf,
  refKey,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentEntry } from '../deployments/ModelDeployments';

/** What switching on request needs of the deployments seam. */
export interface SwitchableDeployments {
  find(ref: DeploymentRef): DeploymentEntry | undefined;
  requestModel(
    entry: DeploymentEntry,
    model: PoolModel,
    trigger: 'request',
    event: { reason: string; message: string },
    options?: { replicas?: number },
  ): Promise<ModelDeployment>;
  setSwitchQueue(
    ref: DeploymentRef,
    queue: Array<{ model: string; requestedAt: string; waiting: number }>,
  ): Promise<void>;
}

/** Longest wait for the requests forwarded to the running model before a switch starts anyway. */
const DRAIN_MS = 30_000;

interface Waiting {
  since: number;
  count: number;
}

/** When the model in the spec became the running one: its last switch, or the deployment's start. */
const activeSince = (md: ModelDeployment) =>
  Date.parse(md.status?.lastSwitch?.finishedAt ?? '') ||
  Date.parse(md.metadata.creationTimestamp ?? '') ||
  0;

/**
 * Switch on request, as vllm-chill does for one GPU and many models: a gateway request for a
 * model of a deployment's pool that it does not run asks for a switch (the reconciler runs it with
 * the deployment's strategy) and waits until the model serves. Requests for the running model
 * keep flowing until the switch is due; then new ones wait and those already forwarded finish
 * before the switch starts (they are not cut off by the old pods going away). Requests for
 * different models take turns, oldest first, and a model stays at least
 * switching.minResidencySeconds while it is in use, so two busy models never thrash.
 */
export class PoolSwitcher {
  /** Requests waiting per deployment and model, on this replica. */
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  /** The queue last shown in status, and the one to show, per deployment. */
  private readonly published = new Map<string, string>();
  private readonly wanted = new Map<
    string,
    {
      ref: DeploymentRef;
      queue: Array<{ model: string; requestedAt: string; waiting: number }>;
      text: string;
    }
  >();
  private readonly writing = new Set<string>();
  /** Requests this replica forwarded to each deployment that have not finished. */
  private readonly forwarded = new Map<string, number>();
  /** Since when a deployment's running model takes no new requests because a switch is due. */
  private readonly draining = new Map<string, number>();
  /** Deployments whose switch is being asked for right now (one request asks, the others wait). */
  private readonly asking = new Set<string>();

  constructor(
    private readonly deployments: SwitchableDeployments,
    private readonly logger: LoggerService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request waiting for `model`; the returned function takes it back. */
  enter(ref: DeploymentRef, model: string): () => void {
    const key = refKey(ref);
    const byModel = this.waiting.get(key) ?? new Map<string, Waiting>();
    this.waiting.set(key, byModel);
    const w = byModel.get(model) ?? { since: this.now(), count: 0 };
    w.count++;
    byModel.set(model, w);
    this.publish(ref);
    return () => {
      w.count--;
      if (w.count <= 0) byModel.delete(model);
      if (!byModel.size) this.waiting.delete(key);
      // Nobody waits for another model any more: the running one takes requests again.
      const current = this.deployments.find(ref)?.md.spec.model.name;
      if (![...byModel.keys()].some(m => m !== current))
        this.draining.delete(key);
      this.publish(ref);
    };
  }

  /** Counts a request forwarded to the deployment; the returned function says it finished. */
  admit(ref: DeploymentRef): () => void {
    const key = refKey(ref);
    this.forwarded.set(key, (this.forwarded.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.forwarded.get(key) ?? 1) - 1;
      if (n > 0) this.forwarded.set(key, n);
      else this.forwarded.delete(key);
    };
  }

  /** Whether requests for the running model wait: a switch is due once those forwarded finish. */
  isDraining(ref: DeploymentRef): boolean {
    return this.draining.has(refKey(ref));
  }

  /**
   * One step for a request waiting for `model`: asks for the switch when it is this model's turn
   * and the running one may go. Returns whether the spec now names `model`.
   */
  async step(entry: DeploymentEntry, model: string): Promise<boolean> {
    const { md, ref } = entry;
    if (md.spec.model.name === model) return true;
    if (!this.isTurnOf(ref, model) || !this.mayLeave(md, ref)) return false;
    const poolModel = poolOf(md).find(m => m.name === model);
    if (!poolModel) return false;
    const atZero = (md.spec.replicas ?? 1) === 0;
    const key = refKey(ref);
    if (this.asking.has(key)) return false;
    if (!atZero) {
      const since = this.draining.get(key) ?? this.now();
      this.draining.set(key, since);
      if ((this.forwarded.get(key) ?? 0) > 0 && this.now() - since < DRAIN_MS)
        return false;
    }
    this.asking.add(key);
    try {
      await this.deployments.requestModel(
        entry,
        poolModel,
        'request',
        {
          reason: 'SwitchRequested',
          message: `A request for ${model} arrived while ${
            md.spec.model.name
          } ran; switching${atZero ? ' and scaling up from zero' : ''}`,
        },
        atZero
          ? { replicas: Math.max(1, md.spec.autoscaling?.minReplicas ?? 1) }
          : {},
      );
    } finally {
      this.draining.delete(key);
      this.asking.delete(key);
    }
    this.logger.info(
      `switching ${refKey(ref)} from ${
        md.spec.model.name
      } to ${model} on request`,
    );
    return true;
  }

  /** The waiting model whose oldest request came first (the model in the spec aside). */
  private isTurnOf(ref: DeploymentRef, model: string): boolean {
    const current = this.deployments.find(ref)?.md.spec.model.name;
    const queue = [...(this.waiting.get(refKey(ref)) ?? [])].filter(
      ([m]) => m !== current,
    );
    queue.sort((a, b) => a[1].since - b[1].since);
    return queue[0]?.[0] === model;
  }

  /**
   * The running model may go when nothing runs (at zero), when nobody uses it (no request in
   * flight, none waiting for it), or once it has stayed its minimum residency; never while it is
   * still on its way in (that would interrupt one switch with another, over and over).
   */
  private mayLeave(md: ModelDeployment, ref: DeploymentRef): boolean {
    if ((md.spec.replicas ?? 1) === 0) return true;
    const current = md.spec.model.name;
    // The model last asked for has not served yet: let it arrive before anything else is asked.
    if (md.status?.switch || servedModel(md) !== current) return false;
    const inUse =
      (this.forwarded.get(refKey(ref)) ?? 0) > 0 ||
      (this.waiting.get(refKey(ref))?.get(current)?.count ?? 0) > 0;
    if (!inUse) return true;
    const residencyMs = (md.spec.switching?.minResidencySeconds ?? 60) * 1000;
    return this.now() - activeSince(md) >= residencyMs;
  }

  /** Shows the queue in status (only when it changed). */
  private publish(ref: DeploymentRef) {
    const key = refKey(ref);
    const queue = [...(this.waiting.get(key) ?? [])]
      .sort((a, b) => a[1].since - b[1].since)
      .map(([model, w]) => ({
        model,
        requestedAt: new Date(w.since).toISOString(),
        waiting: w.count,
      }));
    const text = JSON.stringify(queue.map(q => [q.model, q.waiting]));
    this.wanted.set(key, { ref, queue, text });
    void this.write(key);
  }

  /**
   * Writes the latest queue, one write at a time per deployment so that an older queue never
   * lands after a newer one; a failed write is tried again a few times.
   */
  private async write(key: string) {
    if (this.writing.has(key)) return;
    this.writing.add(key);
    try {
      for (let failures = 0; failures < 5; ) {
        const want = this.wanted.get(key);
        if (!want || this.published.get(key) === want.text) break;
        try {
          await this.deployments.setSwitchQueue(want.ref, want.queue);
          this.published.set(key, want.text);
          failures = 0;
        } catch (e) {
          failures++;
          this.logger.debug(`could not show the switch queue of ${key}: ${e}`);
          await new Promise(r => setTimeout(r, 200 * failures));
        }
      }
    } finally {
      this.writing.delete(key);
    }
  }
}
