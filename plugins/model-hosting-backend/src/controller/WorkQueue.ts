export interface WorkQueueOptions {
  /** Keys handled at once. */
  workers: number;
  /** Milliseconds before the next try of a key whose handling failed (attempt counts from 1). */
  backoffMs: (attempt: number, error: unknown) => number;
  /** Work waits while this says no (say, a cache that has not listed everything yet). */
  ready?: () => boolean;
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
 * once; failures retry with backoff; keys are taken first in, first out.
 */
export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Added again while in flight: queued once the current pass ends. */
  private readonly dirty = new Set<string>();
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
    this.queued.clear();
    this.dirty.clear();
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    this.attempts.clear();
  }

  get isActive() {
    return this.active;
  }

  /** Keys waiting or being handled. */
  get length() {
    return this.queued.size + this.inFlight.size;
  }

  add(key: string) {
    if (!this.active) return;
    const retry = this.retries.get(key);
    if (retry) {
      // A change arrived before the retry: handle it now, the retry is moot.
      clearTimeout(retry);
      this.retries.delete(key);
    }
    if (this.inFlight.has(key)) this.dirty.add(key);
    else this.queued.add(key);
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
      this.queued.size > 0
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
      const key = this.queued.values().next().value as string | undefined;
      if (key === undefined) return;
      this.queued.delete(key);
      this.inFlight.add(key);
      try {
        await this.handle(key);
        this.attempts.delete(key);
      } catch (e) {
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempt);
        await this.options.onFailure?.(key, e, attempt);
        this.retryLater(key, this.options.backoffMs(attempt, e));
      } finally {
        this.inFlight.delete(key);
        if (this.dirty.delete(key) && this.active) this.queued.add(key);
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
