import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  AuditEntry,
  AuditOutcome,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { hideEnvValues } from '../tenancy/redact';

const TABLE = 'model_hosting_audit_log';

/**
 * The columns' limit (varchar(255) on PostgreSQL). A refused request may name a cluster,
 * namespace or deployment of any length; its record must still fit, or PostgreSQL refuses it.
 */
const clip = (s: string) => s.slice(0, 255);

/** Who did what to which deployment, and how it ended: in the plugin's database (SQLite or PostgreSQL). */
export class AuditLog {
  /** Records whose write failed, written again with backoff (a bounded queue). */
  private readonly retry: Array<Record<string, unknown>> = [];
  private retryTimer?: NodeJS.Timeout;
  private retryMs = 1000;

  constructor(
    private readonly knex: Knex,
    private readonly logger?: LoggerService,
  ) {}

  /**
   * Writes one record. Never fails what it records: a failed write is logged and tried again in
   * the background until the database takes it (at most 1000 records wait).
   */
  async record(entry: Omit<AuditEntry, 'id' | 'createdAt'>): Promise<void> {
    const row = {
      actor: clip(entry.actor),
      action: entry.action,
      cluster: clip(entry.cluster),
      namespace: clip(entry.namespace),
      name: clip(entry.name),
      input: JSON.stringify(hideEnvValues(entry.input ?? {})),
      outcome: entry.outcome,
      message: entry.message ?? null,
      owner: entry.owner ? clip(entry.owner) : null,
      created_at: new Date(),
    };
    try {
      await this.knex(TABLE).insert(row);
    } catch (e) {
      this.logger?.error(
        `could not write the audit record of ${entry.action} on ${entry.name}, will retry: ${e}`,
      );
      if (this.retry.length < 1000) this.retry.push(row);
      this.scheduleRetry();
    }
  }

  private scheduleRetry() {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      while (this.retry.length) {
        try {
          await this.knex(TABLE).insert(this.retry[0]);
          this.retry.shift();
          this.retryMs = 1000;
        } catch (e) {
          this.retryMs = Math.min(this.retryMs * 2, 60_000);
          this.scheduleRetry();
          return;
        }
      }
    }, this.retryMs);
    this.retryTimer.unref?.();
  }

  /** Records still waiting for the database. */
  get pending() {
    return this.retry.length;
  }

  /**
   * Newest first, only the records `visible` keeps: pages are read until `limit` records are
   * kept or 20 pages were read, so a reader who may see few records still gets an answer fast.
   */
  async list(
    filter: {
      cluster?: string;
      namespace?: string;
      name?: string;
      limit: number;
    },
    visible: (entries: AuditEntry[]) => Promise<boolean[]> = async e =>
      e.map(() => true),
  ): Promise<AuditEntry[]> {
    const kept: AuditEntry[] = [];
    let before: number | undefined;
    for (let page = 0; page < 20 && kept.length < filter.limit; page++) {
      const query = this.knex(TABLE).orderBy('id', 'desc').limit(filter.limit);
      if (filter.cluster) query.where('cluster', filter.cluster);
      if (filter.namespace) query.where('namespace', filter.namespace);
      if (filter.name) query.where('name', filter.name);
      if (before !== undefined) query.where('id', '<', before);
      const entries = (await query).map(toEntry);
      if (!entries.length) break;
      const allowed = await visible(entries);
      kept.push(...entries.filter((_, i) => allowed[i]));
      before = entries[entries.length - 1].id;
    }
    return kept.slice(0, filter.limit);
  }
}

function toEntry(row: any): AuditEntry {
  return {
    id: Number(row.id),
    createdAt: new Date(row.created_at).toISOString(),
    actor: row.actor,
    action: row.action,
    cluster: row.cluster,
    namespace: row.namespace,
    name: row.name,
    input: JSON.parse(row.input),
    outcome: row.outcome as AuditOutcome,
    message: row.message ?? undefined,
    owner: row.owner ?? undefined,
  };
}
