import { V1Pod } from '@kubernetes/client-node';
import {
  DeploymentRef,
  ModelDeployment,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  EngineCounters,
  parseMetrics,
  sumSamples,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { Knex } from 'knex';
import { isPodReady } from '../cluster/pods';
import { EngineRegistry, PerServerAccess } from '../engines';
import { counterDelta, NO_COUNTS } from './engineCounters';
import { UsageStore } from './UsageStore';

const TABLE = 'model_hosting_engine_counters';

/**
 * Whose count is a deployment's usage: an engine whose own counters see every request (vLLM),
 * through the gateway or not, is metered from them while health checks read them; the gateway
 * meters every other engine. One source per deployment, so each request counts once.
 */
export const engineMetersItself = (
  engines: EngineRegistry,
  md: ModelDeployment,
  healthChecksRun: boolean,
) =>
  healthChecksRun &&
  engines.has(md.spec.engine) &&
  engines.get(md.spec.engine).metering === 'engine';

/**
 * Usage from an engine's own counters (vLLM's), read from each server process on its own (through a Service a
 * random pod would answer, and their counters do not add up across readings). The last reading
 * per process is kept in the database, so a restart, or another backend instance running the
 * next round, meters only what is new.
 */
export class EngineMeter {
  private readonly startedAt: number;

  constructor(
    private readonly knex: Knex,
    private readonly access: PerServerAccess,
    private readonly engines: EngineRegistry,
    private readonly usage: UsageStore,
    now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  async meter(
    ref: DeploymentRef,
    md: ModelDeployment,
    pods: V1Pod[],
    at = new Date(),
  ) {
    const metrics = this.engines.get(md.spec.engine).metrics;
    if (!metrics) return;
    const key = {
      cluster: ref.cluster,
      namespace: ref.namespace,
      name: ref.name,
    };
    // Every server is read first; the readings and the usage they add are then written together.
    const readings: Array<{
      id: string;
      counters: EngineCounters;
      startedAtMs?: number;
    }> = [];
    for (const server of this.access.perServer(
      ref,
      md,
      pods.filter(isPodReady),
    )) {
      const text = await server
        .call('GET', metrics.path)
        .then(res => (res.status < 300 ? res.text : undefined))
        .catch(() => undefined); // an unreachable server is the health check's to report
      if (text === undefined) continue;
      const families = parseMetrics(text);
      const counters = metrics.counters(families);
      if (!counters) continue;
      const startSeconds = sumSamples(families, 'process_start_time_seconds');
      readings.push({
        id: server.id,
        counters,
        startedAtMs:
          startSeconds !== undefined ? startSeconds * 1000 : server.startedAtMs,
      });
    }
    // One transaction: a reading never becomes the baseline without the usage it metered.
    await this.knex.transaction(async tx => {
      const rows: Array<{ server: string; counters: string }> = await tx(TABLE)
        .where(key)
        .select('server', 'counters');
      const last = new Map(
        rows.map(r => [r.server, JSON.parse(r.counters) as EngineCounters]),
      );
      const total = { ...NO_COUNTS };
      for (const reading of readings) {
        // A process seen for the first time counts from zero when it is new: it started after
        // metering began here, or other processes of the deployment were metered before it.
        const started = reading.startedAtMs;
        const isNew =
          (started !== undefined && started >= this.startedAt) || last.size > 0;
        const before = last.get(reading.id) ?? (isNew ? NO_COUNTS : undefined);
        await tx(TABLE)
          .insert({
            ...key,
            server: reading.id,
            counters: JSON.stringify(reading.counters),
            read_at: at,
          })
          .onConflict(['cluster', 'namespace', 'name', 'server'])
          .merge(['counters', 'read_at']);
        if (!before) continue; // the first reading of an old process is only the baseline
        const d = counterDelta(before, reading.counters);
        for (const k of Object.keys(total) as Array<keyof EngineCounters>)
          total[k] += d[k];
      }
      // Processes that are gone will not be read again.
      const alive = new Set(['endpoint', ...pods.map(p => p.metadata?.name)]);
      const gone = rows.map(r => r.server).filter(s => !alive.has(s));
      if (gone.length)
        await tx(TABLE).where(key).whereIn('server', gone).delete();
      await this.usage.add(
        ref,
        servedModel(md),
        {
          requests: total.requests,
          promptTokens: total.promptTokens,
          generationTokens: total.generationTokens,
          latencyMsSum: total.latencySecondsSum * 1000,
          latencyCount: total.latencyCount,
        },
        at,
        tx,
      );
    });
  }

  /** Drops the readings of deployments no longer metered. */
  async forgetOlderThan(when: Date) {
    await this.knex(TABLE).where('read_at', '<', when).delete();
  }
}
