import { Knex } from 'knex';
import {
  DeploymentRef,
  UsagePoint,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const TABLE = 'model_hosting_usage';

export interface UsageDelta {
  requests?: number;
  errors?: number;
  pulls?: number;
  promptTokens?: number;
  generationTokens?: number;
  latencyMsSum?: number;
  latencyCount?: number;
  /** One GPU-utilization sample, in percent. */
  gpuUtilization?: number;
}

const COUNTERS = [
  'requests',
  'errors',
  'pulls',
  'prompt_tokens',
  'generation_tokens',
  'latency_ms_sum',
  'latency_count',
  'gpu_util_sum',
  'gpu_util_count',
];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const floorTo = (t: number, step: number) =>
  new Date(Math.floor(t / step) * step);

/**
 * Usage in the plugin database: minute buckets (kept a day) rolled up into hour buckets (kept a
 * month). Counters add up, so several writers (health checks, the gateway) can share a bucket.
 */
export class UsageStore {
  constructor(private readonly knex: Knex) {}

  async add(
    ref: DeploymentRef,
    model: string,
    delta: UsageDelta,
    at = new Date(),
    /** Write inside this transaction (the caller's), or on its own. */
    db: Knex = this.knex,
  ) {
    const counts = {
      requests: delta.requests ?? 0,
      errors: delta.errors ?? 0,
      pulls: delta.pulls ?? 0,
      prompt_tokens: delta.promptTokens ?? 0,
      generation_tokens: delta.generationTokens ?? 0,
      latency_ms_sum: delta.latencyMsSum ?? 0,
      latency_count: delta.latencyCount ?? 0,
      gpu_util_sum: delta.gpuUtilization ?? 0,
      gpu_util_count: delta.gpuUtilization === undefined ? 0 : 1,
    };
    if (Object.values(counts).every(v => v === 0)) return;
    const key = {
      resolution: 'minute',
      bucket_start: floorTo(at.getTime(), MINUTE),
      ...ref,
      model,
    };
    const used = counts.requests > 0 ? { last_used: at } : {};
    await db(TABLE)
      .insert({ ...key, ...counts, ...used })
      .onConflict([
        'resolution',
        'bucket_start',
        'cluster',
        'namespace',
        'name',
        'model',
      ])
      .merge(
        Object.fromEntries([
          ...Object.keys(counts).map(c => [
            c,
            db.raw(`${TABLE}.${c} + ?`, [counts[c as keyof typeof counts]]),
          ]),
          ...(counts.requests > 0 ? [['last_used', at]] : []),
        ]),
      );
  }

  /** Folds finished minute buckets into hour buckets and drops what is past its retention. */
  async rollup(
    now = new Date(),
    retention = { minuteHours: 24, hourDays: 30 },
  ) {
    const currentHour = floorTo(now.getTime(), HOUR);
    await this.knex.transaction(async tx => {
      // Only hours whose minutes are all still kept: older hours were rolled up while they were.
      const oldestWhole = floorTo(
        now.getTime() - (retention.minuteHours - 1) * HOUR,
        HOUR,
      );
      const rows = await tx(TABLE)
        .where('resolution', 'minute')
        .andWhere('bucket_start', '>=', oldestWhole)
        .andWhere('bucket_start', '<', currentHour)
        .select('*');
      const hours = new Map<string, any>();
      for (const r of rows) {
        const hour = floorTo(new Date(r.bucket_start).getTime(), HOUR);
        const k = [
          hour.toISOString(),
          r.cluster,
          r.namespace,
          r.name,
          r.model,
        ].join('|');
        const h = hours.get(k) ?? {
          resolution: 'hour',
          bucket_start: hour,
          cluster: r.cluster,
          namespace: r.namespace,
          name: r.name,
          model: r.model,
          ...Object.fromEntries(COUNTERS.map(c => [c, 0])),
          last_used: null,
        };
        for (const c of COUNTERS) h[c] += Number(r[c]);
        if (
          r.last_used &&
          (!h.last_used || new Date(r.last_used) > new Date(h.last_used))
        )
          h.last_used = new Date(r.last_used);
        hours.set(k, h);
      }
      for (const h of hours.values()) {
        // Hour buckets are rebuilt from their minutes, so running the rollup twice changes nothing.
        await tx(TABLE)
          .insert(h)
          .onConflict([
            'resolution',
            'bucket_start',
            'cluster',
            'namespace',
            'name',
            'model',
          ])
          .merge();
      }
      await tx(TABLE)
        .where('resolution', 'minute')
        .andWhere(
          'bucket_start',
          '<',
          new Date(now.getTime() - retention.minuteHours * HOUR),
        )
        .delete();
      await tx(TABLE)
        .where('resolution', 'hour')
        .andWhere(
          'bucket_start',
          '<',
          new Date(now.getTime() - retention.hourDays * 24 * HOUR),
        )
        .delete();
    });
  }

  /**
   * A time series for one deployment (or the whole fleet when ref is undefined), one point per
   * step from `from` to `to`; minutes come from minute buckets, longer steps from hour buckets
   * (plus the minutes not yet rolled up).
   */
  async series(
    ref: Partial<DeploymentRef>,
    from: Date,
    to: Date,
    stepMs: number,
  ): Promise<UsagePoint[]> {
    const resolutionFor = stepMs < HOUR ? ['minute'] : ['hour', 'minute'];
    const query = this.knex(TABLE)
      .whereIn('resolution', resolutionFor)
      .andWhere('bucket_start', '>=', floorTo(from.getTime(), stepMs))
      .andWhere('bucket_start', '<', to);
    for (const k of ['cluster', 'namespace', 'name'] as const)
      if (ref[k]) query.andWhere(k, ref[k]);
    const rows = await query.select('*');
    const points = new Map<number, UsagePoint>();
    const start = floorTo(from.getTime(), stepMs).getTime();
    for (let t = start; t < to.getTime(); t += stepMs) {
      points.set(t, {
        t: new Date(t).toISOString(),
        requests: 0,
        errors: 0,
        pulls: 0,
        promptTokens: 0,
        generationTokens: 0,
      });
    }
    const hourCovered = new Set(
      rows
        .filter(r => r.resolution === 'hour')
        .map(
          r =>
            `${new Date(r.bucket_start).getTime()}|${r.cluster}|${
              r.namespace
            }|${r.name}|${r.model}`,
        ),
    );
    const latency = new Map<number, { sum: number; count: number }>();
    const gpu = new Map<number, { sum: number; count: number }>();
    for (const r of rows) {
      const t = new Date(r.bucket_start).getTime();
      // A minute already counted in its rolled-up hour must not count twice.
      if (
        r.resolution === 'minute' &&
        stepMs >= HOUR &&
        hourCovered.has(
          `${floorTo(t, HOUR).getTime()}|${r.cluster}|${r.namespace}|${
            r.name
          }|${r.model}`,
        )
      )
        continue;
      const p = points.get(floorTo(t, stepMs).getTime());
      if (!p) continue;
      p.requests += Number(r.requests);
      p.errors += Number(r.errors);
      p.pulls += Number(r.pulls);
      p.promptTokens += Number(r.prompt_tokens);
      p.generationTokens += Number(r.generation_tokens);
      const l = latency.get(floorTo(t, stepMs).getTime()) ?? {
        sum: 0,
        count: 0,
      };
      l.sum += Number(r.latency_ms_sum);
      l.count += Number(r.latency_count);
      latency.set(floorTo(t, stepMs).getTime(), l);
      const g = gpu.get(floorTo(t, stepMs).getTime()) ?? { sum: 0, count: 0 };
      g.sum += Number(r.gpu_util_sum);
      g.count += Number(r.gpu_util_count);
      gpu.set(floorTo(t, stepMs).getTime(), g);
    }
    for (const [t, l] of latency)
      if (l.count > 0) points.get(t)!.latencyMs = Math.round(l.sum / l.count);
    for (const [t, g] of gpu)
      if (g.count > 0)
        points.get(t)!.gpuUtilization = Math.round((g.sum / g.count) * 10) / 10;
    return [...points.values()];
  }

  /** Usage per model of one deployment since `from` (minute buckets, kept a day by default). */
  async perModel(ref: DeploymentRef, from: Date) {
    const rows: Array<Record<string, unknown>> = await this.knex(TABLE)
      .where({ ...ref, resolution: 'minute' })
      .andWhere('bucket_start', '>=', floorTo(from.getTime(), MINUTE))
      .groupBy('model')
      .select('model')
      .sum({
        requests: 'requests',
        errors: 'errors',
        prompt: 'prompt_tokens',
        generation: 'generation_tokens',
      })
      .max({ last: 'last_used' });
    return new Map(
      rows.map(r => [
        String(r.model),
        {
          requests: Number(r.requests ?? 0),
          errors: Number(r.errors ?? 0),
          promptTokens: Number(r.prompt ?? 0),
          generationTokens: Number(r.generation ?? 0),
          lastUsed: r.last
            ? new Date(r.last as string).toISOString()
            : undefined,
        },
      ]),
    );
  }

  async lastUsed(ref: DeploymentRef): Promise<string | undefined> {
    const row = await this.knex(TABLE)
      .where(ref)
      .max({ last: 'last_used' })
      .first();
    return row?.last ? new Date(row.last).toISOString() : undefined;
  }
}
