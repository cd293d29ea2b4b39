import { Knex } from 'knex';
import {
  AuditEntry,
  AuditOutcome,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const TABLE = 'model_hosting_audit_log';

/** Who did what to which deployment, and how it ended: in the plugin's database (SQLite or PostgreSQL). */
export class AuditLog {
  constructor(private readonly knex: Knex) {}

  async record(entry: Omit<AuditEntry, 'id' | 'createdAt'>): Promise<void> {
    await this.knex(TABLE).insert({
      actor: entry.actor,
      action: entry.action,
      cluster: entry.cluster,
      namespace: entry.namespace,
      name: entry.name,
      input: JSON.stringify(entry.input ?? {}),
      outcome: entry.outcome,
      message: entry.message ?? null,
    });
  }

  /** Newest first. */
  async list(filter: {
    cluster?: string;
    namespace?: string;
    name?: string;
    limit: number;
  }): Promise<AuditEntry[]> {
    const query = this.knex(TABLE).orderBy('id', 'desc').limit(filter.limit);
    if (filter.cluster) query.where('cluster', filter.cluster);
    if (filter.namespace) query.where('namespace', filter.namespace);
    if (filter.name) query.where('name', filter.name);
    const rows = await query;
    return rows.map(row => ({
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
    }));
  }
}
