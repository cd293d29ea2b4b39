import { Knex } from 'knex';
import {
  AuditEntry,
  AuditOutcome,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const TABLE = 'model_hosting_audit_log';

/** Literal env values may be credentials: an audit record keeps their names only. */
export function redactEnv(input: unknown): unknown {
  const spec = (input as { spec?: { env?: Array<{ value?: string }> } })?.spec;
  if (!spec?.env || !Array.isArray(spec.env)) return input;
  return {
    ...(input as object),
    spec: {
      ...spec,
      env: spec.env.map(e =>
        e && e.value !== undefined ? { ...e, value: '(hidden)' } : e,
      ),
    },
  };
}

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
      input: JSON.stringify(redactEnv(entry.input ?? {})),
      outcome: entry.outcome,
      message: entry.message ?? null,
      owner: entry.owner ?? null,
    });
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
