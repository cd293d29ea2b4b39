import type { MetricsService } from '@backstage/backend-plugin-api/alpha';

type Attributes = Record<string, string>;

/** A count that only goes up, such as API requests made. */
export interface Counter {
  add(value?: number, attributes?: Attributes): void;
}

/** A duration or size per event, such as a health round's length. */
export interface Histogram {
  record(value: number, attributes?: Attributes): void;
}

/** Values per histogram series kept for the percentiles of /stats. */
const HISTOGRAM_WINDOW = 1000;

/** The latest HISTOGRAM_WINDOW values of a series; `next` is where the next one goes. */
interface Window {
  values: number[];
  next: number;
}

const keyOf = (attributes?: Attributes) =>
  attributes
    ? Object.entries(attributes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '';

/**
 * The plugin's own measurements as OpenTelemetry instruments through Backstage's metrics service
 * (exported wherever the backend's OpenTelemetry SDK sends them, e.g. a Prometheus scrape), plus
 * the totals in memory for `GET /stats`, which operators and the benchmarks read.
 */
export class PluginMetrics {
  private readonly counts = new Map<
    string,
    Map<string, { attributes: Attributes; value: number }>
  >();
  private readonly last = new Map<string, Map<string, number>>();
  /** The latest values of each histogram series (a bounded window), for percentiles in /stats. */
  private readonly windows = new Map<string, Map<string, Window>>();

  constructor(private readonly metrics?: MetricsService) {}

  counter(name: string, description: string): Counter {
    const instrument = this.metrics?.createCounter(name, { description });
    const series = new Map<string, { attributes: Attributes; value: number }>();
    this.counts.set(name, series);
    return {
      add: (value = 1, attributes = {}) => {
        instrument?.add(value, attributes);
        const k = keyOf(attributes);
        const s = series.get(k) ?? { attributes, value: 0 };
        s.value += value;
        series.set(k, s);
      },
    };
  }

  histogram(name: string, description: string, unit?: string): Histogram {
    const instrument = this.metrics?.createHistogram(name, {
      description,
      unit,
    });
    const latest = new Map<string, number>();
    const windows = new Map<string, Window>();
    this.last.set(name, latest);
    this.windows.set(name, windows);
    return {
      record: (value, attributes) => {
        instrument?.record(value, attributes);
        const k = keyOf(attributes);
        latest.set(k, value);
        const w = windows.get(k) ?? { values: [], next: 0 };
        // A ring: the oldest value gives way once the window is full (percentiles ignore order).
        w.values[w.next] = value;
        w.next = (w.next + 1) % HISTOGRAM_WINDOW;
        windows.set(k, w);
      },
    };
  }

  /** A counter's total over the series whose attributes include `match` (all, when none). */
  total(name: string, match: Attributes = {}): number {
    let total = 0;
    for (const s of this.counts.get(name)?.values() ?? []) {
      if (Object.entries(match).every(([k, v]) => s.attributes[k] === v))
        total += s.value;
    }
    return total;
  }

  /** A counter's totals by the value of one attribute, over the series whose attributes include `match`. */
  totalsBy(
    name: string,
    attribute: string,
    match: Attributes = {},
  ): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const s of this.counts.get(name)?.values() ?? []) {
      const value = s.attributes[attribute];
      if (
        value === undefined ||
        !Object.entries(match).every(([k, v]) => s.attributes[k] === v)
      )
        continue;
      totals[value] = (totals[value] ?? 0) + s.value;
    }
    return totals;
  }

  /** p50, p99 and the largest of a histogram's latest values for these attributes (none yet: undefined). */
  percentiles(
    name: string,
    attributes?: Attributes,
  ): { count: number; p50: number; p99: number; max: number } | undefined {
    const values = this.windows.get(name)?.get(keyOf(attributes))?.values;
    if (!values?.length) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return {
      count: sorted.length,
      p50: at(0.5),
      p99: at(0.99),
      max: sorted[sorted.length - 1],
    };
  }

  /** The latest value a histogram recorded for these attributes. */
  latest(name: string, attributes?: Attributes): number | undefined {
    return this.last.get(name)?.get(keyOf(attributes));
  }
}

/** Names of the plugin's instruments, in one place. */
export const METRICS = {
  apiReads: 'model_hosting.kubernetes.list_watch_requests',
  /**
   * Writes by kind, `write` (actions, reconciles, status) or `lease` (leader election), and by
   * operation (`apply Deployment`, `update status`, `record event`, …).
   */
  apiWrites: 'model_hosting.kubernetes.write_requests',
  reconcilePasses: 'model_hosting.reconciler.passes',
  /** From a change (or resync) queueing a deployment to its pass starting, and the pass itself. */
  reconcileQueueWait: 'model_hosting.reconciler.queue_wait',
  reconcilePassDuration: 'model_hosting.reconciler.pass_duration',
  healthChecks: 'model_hosting.health.checks',
  healthRound: 'model_hosting.health.round_duration',
  scaleFromZeroPatch: 'model_hosting.gateway.scale_from_zero_patch_delay',
} as const;
