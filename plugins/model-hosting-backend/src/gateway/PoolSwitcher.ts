import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DeploymentRef,
  ModelDeployment,
  PoolModel,
  poolOf,
  refKey,
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
 * keep flowing until the switch starts. Requests for different models take turns, oldest first,
 * and a model stays at least switching.minResidencySeconds while it is in use, so two busy
 * models never thrash.
 */
export class PoolSwitcher {
  /** Requests waiting per deployment and model, on this replica. */
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  private readonly published = new Map<string, string>();

  constructor(
    private readonly deployments: SwitchableDeployments,
    private readonly inFlightOf: (ref: DeploymentRef) => number,
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
      this.publish(ref);
    };
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
   * flight, none waiting for it), or once it has stayed its minimum residency.
   */
  private mayLeave(md: ModelDeployment, ref: DeploymentRef): boolean {
    if ((md.spec.replicas ?? 1) === 0) return true;
    const current = md.spec.model.name;
    const inUse =
      this.inFlightOf(ref) > 0 ||
      (this.waiting.get(refKey(ref))?.get(current)?.count ?? 0) > 0;
    if (!inUse) return true;
    const residencyMs = (md.spec.switching?.minResidencySeconds ?? 60) * 1000;
    return this.now() - activeSince(md) >= residencyMs;
  }

  /** Shows the queue in status (only when it changed). */
  private publish(ref: DeploymentRef) {
    const queue = [...(this.waiting.get(refKey(ref)) ?? [])]
      .sort((a, b) => a[1].since - b[1].since)
      .map(([model, w]) => ({
        model,
        requestedAt: new Date(w.since).toISOString(),
        waiting: w.count,
      }));
    const text = JSON.stringify(queue.map(q => [q.model, q.waiting]));
    if (this.published.get(refKey(ref)) === text) return;
    this.published.set(refKey(ref), text);
    void this.deployments
      .setSwitchQueue(ref, queue)
      .catch(e =>
        this.logger.debug(
          `could not show the switch queue of ${refKey(ref)}: ${e}`,
        ),
      );
  }
}
