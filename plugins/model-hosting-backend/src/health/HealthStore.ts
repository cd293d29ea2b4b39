import { Knex } from 'knex';
import {
  DeploymentRef,
  HealthRecord,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const TABLE = 'model_hosting_health_checks';

/** Health-check history in the plugin database; it also remembers failures and recoveries across restarts. */
export class HealthStore {
  constructor(private readonly knex: Knex) {}

  async record(
    ref: DeploymentRef,
    result: {
      healthy: boolean;
      message: string;
      latencyMs: number;
      recovered?: boolean;
    },
  ) {
    await this.knex(TABLE).insert({
      ...ref,
      healthy: result.healthy,
      message: result.message.slice(0, 2000),
      latency_ms: Math.round(result.latencyMs),
      recovered: result.recovered ?? false,
    });
  }

  async history(ref: DeploymentRef, limit: number): Promise<HealthRecord[]> {
    const rows = await this.knex(TABLE)
      .where(ref)
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(r => ({
      checkedAt: new Date(r.checked_at).toISOString(),
      healthy: !!r.healthy,
      message: r.message ?? '',
      latencyMs: r.latency_ms ?? undefined,
      recovered: !!r.recovered,
    }));
  }

  /** How many of the latest checks failed in a row. */
  async consecutiveFailures(
    ref: DeploymentRef,
    lookback: number,
  ): Promise<number> {
    const rows = await this.knex(TABLE)
      .where(ref)
      .orderBy('id', 'desc')
      .limit(lookback)
      .select('healthy', 'recovered');
    let n = 0;
    for (const r of rows) {
      // A recovery starts the count again.
      if (r.healthy || r.recovered) break;
      n++;
    }
    return n;
  }

  /** Times of the recoveries since `since`, newest first. */
  async recoveriesSince(ref: DeploymentRef, since: Date): Promise<Date[]> {
    const rows = await this.knex(TABLE)
      .where(ref)
      .andWhere('recovered', true)
      .andWhere('checked_at', '>=', since)
      .orderBy('id', 'desc')
      .select('checked_at');
    return rows.map(r => new Date(r.checked_at));
  }

  async deleteOlderThan(date: Date): Promise<number> {
    return this.knex(TABLE).where('checked_at', '<', date).delete();
  }
}
