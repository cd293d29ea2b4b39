import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DeploymentRef,
  refKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Knex } from 'knex';
import { Traffic } from './Traffic';

const TABLE = 'model_hosting_gateway_load';

interface Load {
  inFlight: number;
  waiting: number;
  lastRequest?: number;
}

/**
 * The gateway load of every backend replica. Each replica publishes its own counts to the plugin
 * database every second; the built-in autoscaler, which runs on one replica, reads them all, so a
 * request held or in flight on any replica counts, and a deployment one replica woke is not
 * scaled back to zero by another.
 */
export class FleetTraffic {
  private timer?: NodeJS.Timeout;
  private others = new Map<string, Load>();
  private published = new Map<string, string>();

  constructor(
    private readonly knex: Knex,
    private readonly local: Traffic,
    private readonly instance: string,
    private readonly logger: LoggerService,
    private readonly publishMs = 1000,
  ) {}

  start() {
    let rounds = 0;
    this.timer = setInterval(() => {
      // Now and then, the rows of replicas gone for an hour go too.
      if (++rounds % 600 === 0)
        void this.forgetOlderThan(new Date(Date.now() - 3600_000)).catch(
          () => undefined,
        );
      void this.publish().catch(e =>
        this.logger.warn(`could not publish gateway load: ${e}`),
      );
    }, this.publishMs);
    this.timer.unref?.();
  }

  async stop() {
    clearInterval(this.timer);
    await this.knex(TABLE)
      .where('instance', this.instance)
      .delete()
      .catch(() => undefined);
  }

  /** Writes this replica's counts that changed since the last time. */
  async publish(now = new Date()) {
    const rows = this.local
      .snapshot()
      .map(l => ({
        instance: this.instance,
        ...l.ref,
        in_flight: l.inFlight,
        waiting: l.waiting,
        last_request_at: l.lastRequest ? new Date(l.lastRequest) : null,
        updated_at: now,
      }))
      // Busy rows are refreshed each time (readers skip stale ones); idle ones once.
      .filter(r => {
        const state = `${r.in_flight}/${
          r.waiting
        }/${r.last_request_at?.getTime()}`;
        const changed = this.published.get(refKey(r)) !== state;
        this.published.set(refKey(r), state);
        return changed || r.in_flight > 0 || r.waiting > 0;
      });
    if (!rows.length) return;
    await this.knex(TABLE)
      .insert(rows)
      .onConflict(['instance', 'cluster', 'namespace', 'name'])
      .merge(['in_flight', 'waiting', 'last_request_at', 'updated_at']);
  }

  /** Reads the other replicas' fresh counts (one query); call once per autoscaler round. */
  async refresh(now = Date.now()) {
    const fresh = new Date(now - 3 * this.publishMs);
    const rows = await this.knex(TABLE)
      .whereNot('instance', this.instance)
      .select('*');
    const others = new Map<string, Load>();
    for (const r of rows) {
      const key = refKey(r);
      const load = others.get(key) ?? { inFlight: 0, waiting: 0 };
      // Counts of a replica that stopped publishing are stale; its last request still counts.
      if (new Date(r.updated_at) >= fresh) {
        load.inFlight += Number(r.in_flight);
        load.waiting += Number(r.waiting);
      }
      const last = r.last_request_at
        ? new Date(r.last_request_at).getTime()
        : undefined;
      if (last && (!load.lastRequest || last > load.lastRequest))
        load.lastRequest = last;
      others.set(key, load);
    }
    this.others = others;
  }

  inFlightOf(ref: DeploymentRef): number {
    return (
      this.local.inFlightOf(ref) + (this.others.get(refKey(ref))?.inFlight ?? 0)
    );
  }

  waitingOf(ref: DeploymentRef): number {
    return (
      this.local.waitingOf(ref) + (this.others.get(refKey(ref))?.waiting ?? 0)
    );
  }

  lastRequestOf(ref: DeploymentRef): number | undefined {
    const times = [
      this.local.lastRequestOf(ref),
      this.others.get(refKey(ref))?.lastRequest,
    ];
    const known = times.filter((t): t is number => t !== undefined);
    return known.length ? Math.max(...known) : undefined;
  }

  /** Drops the rows of replicas gone for an hour. */
  async forgetOlderThan(when: Date) {
    await this.knex(TABLE).where('updated_at', '<', when).delete();
  }
}
