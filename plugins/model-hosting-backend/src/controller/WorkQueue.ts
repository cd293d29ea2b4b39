export interface WorkQueueOptions {
  /** Keys handled at once. */
  workers: number;
  /** Milliseconds before the next try of a key whose handling failed (attempt counts from 1). */
  backoffMs: (attempt: number, error: unknown) => number;
  /** Work waits while this says no (say, a cache that has not listed everything yet). */
  ready?: () => boolean;
  /** Told after each pass: how long its key waited in the queue, and how long the pass took. */
  observe?: (waitedMs: number, workedMs: number) => void;
  /** Told of every failure before its retry is scheduled. */
  onFailure?: (
    key: string,
    error: unknown,
    attempt: number,
  ) => void | Promise<void>;
}

/**
 * The reconciler's queue, as controller-runtime's: a key is queued once however often it is
 * added; a key added while it is being handled is handled again afterwards, never twice at
 * once; failures retry with backoff; keys are taken first in, first out. As controller-runtime's
 * priority queue, a periodic resync waits behind changes: a thousand no-op passes must not stand
 * between a user's edit and its pass. An urgent change (what a user waits to see) goes before the
 * other changes: in a burst of new deployments, one whose pods became ready does not wait behind
 * the first passes of the others.
 */
export class WorkQueue {
  /** Urgent keys: taken before any other. */
  private readonly urgent = new Map<string, number>();
  /** Waiting keys, with when each was first added (what a pass's queue wait counts from). */
  private readonly queued = new Map<string, number>();
  /** Keys queued by a resync only: taken when no change waits. */
  private readonly background = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  /** Added again while in flight: queued once the current pass ends (with when it was added). */
  private readonly dirty = new Map<string, number>();
  /** Of those, the ones added urgently. */
  private readonly dirtyUrgent = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private active = false;
  private workers = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handle: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions,
  ) {}

  start() {
    this.active = true;
    this.spawn();
  }

  /** Stops taking keys and forgets the queued ones (the next leader lists everything anew). */
  stop() {
    this.active = false;
    this.urgent.clear();
    this.queued.clear();
    this.background.clear();
    this.dirty.clear();
    this.dirtyUrgent.clear();
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    this.attempts.clear();
  }

  get isActive() {
    return this.active;
  }

  /** Keys waiting or being handled. */
  get length() {
    return this.waiting + this.inFlight.size;
  }

  private get waiting() {
    return this.urgent.size + this.queued.size + this.background.size;
  }

  /**
   * Queues a key: for a change (first in, first out), an urgent change (before the other
   * changes), or a resync (after every change).
   */
  add(key: string, reason: 'urgent' | 'change' | 'resync' = 'change') {
    if (!this.active) return;
    if (reason === 'resync') {
      // Already on its way, or backing off after a failure: a resync adds nothing.
      if (
        this.inFlight.has(key) ||
        this.urgent.has(key) ||
        this.queued.has(key) ||
        this.retries.has(key) ||
        this.background.has(key)
      )
        return;
      this.background.set(key, Date.now());
      this.spawn();
      return;
    }
    // Waiting in a lane behind this one (a resync; a change, when this one is urgent): moves up,
    // keeping when it was first added.
    const lane = reason === 'urgent' ? this.urgent : this.queued;
    const below =
      reason === 'urgent' ? [this.queued, this.background] : [this.background];
    for (const lower of below) {
      const at = lower.get(key);
      if (at === undefined) continue;
      lower.delete(key);
      lane.set(key, at);
    }
    const retry = this.retries.get(key);
    if (retry) {
      // A change arrived before the retry: handle it now, the retry is moot.
      clearTimeout(retry);
      this.retries.delete(key);
    }
    const now = Date.now();
    if (this.inFlight.has(key)) {
      if (!this.dirty.has(key)) this.dirty.set(key, now);
      if (reason === 'urgent') this.dirtyUrgent.add(key);
    } else if (!this.queued.has(key) && !this.urgent.has(key)) {
      lane.set(key, now);
    }
    this.spawn();
  }

  /** Resolves once nothing is queued or in flight (for tests and a clean stop). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  private spawn() {
    while (
      this.active &&
      this.workers < this.options.workers &&
      this.waiting > 0
    ) {
      this.workers++;
      void this.work().finally(() => {
        this.workers--;
        if (this.length === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach(w => w());
        }
      });
    }
  }

  private async work() {
    while (this.active) {
      if (this.options.ready && !this.options.ready()) {
        await new Promise(r => setTimeout(r, 200));
        continue;
      }
      const from = [this.urgent, this.queued, this.background].find(
        lane => lane.size > 0,
      );
      if (from === undefined) return;
      const [key, addedAt] = from.entries().next().value as [string, number];
      from.delete(key);
      this.inFlight.add(key);
      const takenAt = Date.now();
      try {
        await this.handle(key);
        this.attempts.delete(key);
        this.options.observe?.(takenAt - addedAt, Date.now() - takenAt);
      } catch (e) {
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempt);
        await this.options.onFailure?.(key, e, attempt);
        this.retryLater(key, this.options.backoffMs(attempt, e));
      } finally {
        this.inFlight.delete(key);
        const dirtyAt = this.dirty.get(key);
        if (dirtyAt !== undefined) {
          this.dirty.delete(key);
          const lane = this.dirtyUrgent.delete(key) ? this.urgent : this.queued;
          if (this.active) lane.set(key, dirtyAt);
        }
      }
    }
  }

  private retryLater(key: string, delayMs: number) {
    if (!this.active || this.retries.has(key)) return;
    const timer = setTimeout(() => {
      this.retries.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.retries.set(key, timer);
  }
}
