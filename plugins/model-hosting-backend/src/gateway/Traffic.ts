import {
  DeploymentRef,
  refKey as keyOf,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/** Requests in flight and the last request per deployment: the gateway's own counters, read by the autoscaler. */
export class Traffic {
  private readonly inFlight = new Map<string, number>();
  private readonly lastRequest = new Map<string, number>();
  private readonly waiting = new Map<string, number>();
  private readonly refs = new Map<string, DeploymentRef>();

  private seen(ref: DeploymentRef): string {
    const k = keyOf(ref);
    if (!this.refs.has(k)) this.refs.set(k, ref);
    return k;
  }

  /** Every deployment this replica's gateway has served or held, with its counts now. */
  snapshot(): Array<{
    ref: DeploymentRef;
    inFlight: number;
    waiting: number;
    lastRequest?: number;
  }> {
    return [...this.refs].map(([k, ref]) => ({
      ref,
      inFlight: this.inFlight.get(k) ?? 0,
      waiting: this.waiting.get(k) ?? 0,
      lastRequest: this.lastRequest.get(k),
    }));
  }

  start(ref: DeploymentRef) {
    const k = this.seen(ref);
    this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    this.lastRequest.set(k, Date.now());
  }

  finish(ref: DeploymentRef) {
    const k = keyOf(ref);
    this.inFlight.set(k, Math.max(0, (this.inFlight.get(k) ?? 0) - 1));
    this.lastRequest.set(k, Date.now());
  }

  /** Reserves a place among the requests held while a deployment scales from zero; false when full. */
  hold(ref: DeploymentRef, max: number): boolean {
    const k = this.seen(ref);
    const n = this.waiting.get(k) ?? 0;
    if (n >= max) return false;
    this.waiting.set(k, n + 1);
    return true;
  }

  release(ref: DeploymentRef) {
    const k = keyOf(ref);
    this.waiting.set(k, Math.max(0, (this.waiting.get(k) ?? 0) - 1));
  }

  inFlightOf(ref: DeploymentRef): number {
    return this.inFlight.get(keyOf(ref)) ?? 0;
  }

  waitingOf(ref: DeploymentRef): number {
    return this.waiting.get(keyOf(ref)) ?? 0;
  }

  lastRequestOf(ref: DeploymentRef): number | undefined {
    return this.lastRequest.get(keyOf(ref));
  }
}
