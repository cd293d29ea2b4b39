import { monitorEventLoopDelay } from 'perf_hooks';

/** p50, p99 and the longest event-loop delay of one window, in milliseconds. */
export interface EventLoopDelayWindow {
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * How long work waited for the backend's event loop, over the last complete window: when it is
 * high, every reaction (reconcile passes, the gateway, the pages) waits on CPU, not on the queue
 * or the cluster.
 */
export class EventLoopDelay {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private timer?: NodeJS.Timeout;
  private last?: EventLoopDelayWindow;

  constructor(private readonly windowSeconds = 30) {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
  }

  start() {
    this.histogram.enable();
    this.timer = setInterval(
      () => this.closeWindow(),
      this.windowSeconds * 1000,
    );
    this.timer.unref?.();
  }

  stop() {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  /** The last complete window (undefined until one has passed). */
  get lastWindow(): EventLoopDelayWindow | undefined {
    return this.last;
  }

  /** Ends the current window: it becomes the last one, and a new one starts. */
  closeWindow() {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    const h = this.histogram;
    this.last = {
      seconds: this.windowSeconds,
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
    };
    h.reset();
  }
}
