import { V1Pod } from '@kubernetes/client-node';
import {
  DeploymentRef,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';
import { Knex } from 'knex';
import { isPodReady } from '../cluster/ClusterCache';
import { EngineAccess } from '../health/EngineAccess';
import {
  counterDelta,
  EngineCounters,
  NO_COUNTS,
  parseVllmMetrics,
} from './engineCounters';
import { UsageStore } from './UsageStore';

const TABLE = 'model_hosting_engine_counters';

/**
 * Whose count is a deployment's usage: vLLM's own counters see every request, through the gateway
 * or not, so they meter vLLM while health checks read them; the gateway meters every other engine.
 * One source per deployment, so each request counts once.
 */
export const engineMetersItself = (
  md: ModelDeployment,
  healthChecksRun: boolean,
) => healthChecksRun && md.spec.engine === 'vllm';

/**
 * Usage from vLLM's counters, read from each server process on its own (through a Service a
 * random pod would answer, and their counters do not add up across readings). The last reading
 * per process is kept in the database, so a restart, or another backend instance running the
 * next round, meters only what is new.
 */
export class EngineMeter {
  private readonly startedAt: number;

  constructor(
    private readonly knex: Knex,
    private readonly access: EngineAccess,
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
    const key = {
      cluster: ref.cluster,
      namespace: ref.namespace,
      name: ref.name,
    };
    const rows: Array<{ server: string; counters: string }> = await this.knex(
      TABLE,
    )
      .where(key)
      .select('server', 'counters');
    const last = new Map(
      rows.map(r => [r.server, JSON.parse(r.counters) as EngineCounters]),
    );
    const total = { ...NO_COUNTS };
    for (const server of this.access.perServer(
      ref,
      md,
      pods.filter(isPodReady),
    )) {
      const reading = await server
        .call('GET', '/metrics')
        .then(res =>
          res.status < 400 ? parseVllmMetrics(res.text) : undefined,
        )
        .catch(() => undefined); // an unreachable server is the health check's to report
      if (!reading) continue;
      // A process seen for the first time counts from zero when it is new: it started after
      // metering began here, or other processes of the deployment were metered before it.
      const started = reading.processStartMs ?? server.startedAtMs;
      const isNew =
        (started !== undefined && started >= this.startedAt) || last.size > 0;
      const before = last.get(server.id) ?? (isNew ? NO_COUNTS : undefined);
      await this.knex(TABLE)
        .insert({
          ...key,
          server: server.id,
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
      await this.knex(TABLE).where(key).whereIn('server', gone).delete();

    await this.usage.add(
      ref,
      md.status?.activeModel ?? md.spec.model.name,
      {
        requests: total.requests,
        promptTokens: total.promptTokens,
        generationTokens: total.generationTokens,
        latencyMsSum: total.latencySecondsSum * 1000,
        latencyCount: total.latencyCount,
      },
      at,
    );
  }

  /** Drops the readings of deployments no longer metered. */
  async forgetOlderThan(when: Date) {
    await this.knex(TABLE).where('read_at', '<', when).delete();
  }
}
