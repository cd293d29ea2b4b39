// The plugin's database on whichever server the suite runs against (SQLite, or PostgreSQL with
// MH_TEST_DATABASE=pg): its migrations up and down, usage rollups over finished hours and days
// through the real scheduler task, and values at the columns' limits.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { randomUUID } from 'crypto';
import { ConfigReader } from '@backstage/config';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { mockServices } from '@backstage/backend-test-utils';
import {
  databaseConfig,
  ModelHosting,
  startModelHosting,
  testDatabase,
} from './backend';
import { eventually, repo } from './kube';

const MIGRATIONS = path.join(repo, 'plugins/model-hosting-backend/migrations');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

/**
 * A knex client for plugin `pluginId`'s database under `key`, made the way the backend makes it;
 * `close` ends its connections and the manager's keepalive.
 */
async function openDatabase(key: string, pluginId = 'model-hosting') {
  const hooks: Array<() => Promise<void> | void> = [];
  const lifecycle = {
    addStartupHook: () => {},
    addBeforeShutdownHook: () => {},
    addShutdownHook: (hook: () => Promise<void> | void) => {
      hooks.push(hook);
    },
  };
  const manager = DatabaseManager.fromConfig(
    new ConfigReader({ backend: { database: databaseConfig(key) } }),
    { rootLifecycle: lifecycle as any },
  );
  const knex = await manager
    .forPlugin(pluginId, {
      logger: mockServices.logger.mock(),
      lifecycle: lifecycle as any,
    })
    .getClient();
  return Object.assign(knex, {
    close: async () => {
      for (const hook of hooks) await hook();
      await knex.destroy();
    },
  });
}

const tempKey = () =>
  testDatabase === 'pg'
    ? randomUUID()
    : fs.mkdtempSync(path.join(os.tmpdir(), 'mh-db-'));

describe(`the plugin's migrations on ${testDatabase}`, () => {
  const TABLES = {
    model_hosting_audit_log: ['id', 'actor', 'input', 'owner'],
    model_hosting_health_checks: ['id', 'healthy', 'recovered'],
    model_hosting_usage: ['bucket_start', 'model', 'gpu_util_sum'],
    model_hosting_engine_counters: ['server', 'counters'],
    model_hosting_gateway_load: ['instance', 'in_flight', 'waiting'],
  };

  it('go up one at a time, down one at a time, and up again, on an empty database', async () => {
    const knex = await openDatabase(tempKey(), 'mh-migrations');
    try {
      const names = fs.readdirSync(MIGRATIONS).filter(f => f.endsWith('.js'));
      expect(names.length).toBeGreaterThan(0);
      const config = { directory: MIGRATIONS };
      for (let i = 0; i < names.length; i++) await knex.migrate.up(config);
      const [done, pending] = await knex.migrate.list(config);
      expect(done.map((m: any) => m.name ?? m)).toEqual(names);
      expect(pending).toEqual([]);
      for (const [table, columns] of Object.entries(TABLES)) {
        expect(await knex.schema.hasTable(table)).toBe(true);
        for (const c of columns)
          expect([table, c, await knex.schema.hasColumn(table, c)]).toEqual([
            table,
            c,
            true,
          ]);
      }
      // Down in reverse: each migration's down undoes exactly its up.
      for (let i = names.length - 1; i >= 0; i--) {
        await knex.migrate.down(config);
        const [left] = await knex.migrate.list(config);
        expect(left.map((m: any) => m.name ?? m)).toEqual(names.slice(0, i));
      }
      for (const table of Object.keys(TABLES))
        expect([table, await knex.schema.hasTable(table)]).toEqual([
          table,
          false,
        ]);
      // And up again in one go, as a backend start does.
      await knex.migrate.latest(config);
      for (const table of Object.keys(TABLES))
        expect(await knex.schema.hasTable(table)).toBe(true);
      // A later migration's down keeps the data of the tables it does not own.
      await knex('model_hosting_usage').insert({
        resolution: 'minute',
        bucket_start: new Date(floorTo(Date.now(), MINUTE)),
        cluster: 'c',
        namespace: 'n',
        name: 'd',
        model: 'm',
        requests: 1,
      });
      await knex.migrate.down(config);
      expect(
        Number(
          (await knex('model_hosting_usage').count({ n: '*' }).first())!.n,
        ),
      ).toBe(1);
    } finally {
      await knex.close();
    }
  });
});

describe(`usage rollups on ${testDatabase}`, () => {
  const key = tempKey();
  let mh: ModelHosting;
  let knex: Awaited<ReturnType<typeof openDatabase>>;
  const TASK = 'model-hosting-usage-rollup';
  const tasksPath = '/api/model-hosting/.backstage/scheduler/v1/tasks';

  beforeAll(async () => {
    mh = await startModelHosting({ sqliteDir: key });
    knex = await openDatabase(key);
  });
  afterAll(async () => {
    await knex?.close();
    await mh?.stop();
  });

  const taskState = async () => {
    const res = await mh.api().get(tasksPath);
    return res.body.tasks.find((t: any) => t.taskId === TASK).taskState;
  };

  /** Runs the scheduler's rollup task now, as an operator does, and resolves when `done` holds. */
  async function runRollup(done: () => Promise<boolean>) {
    // The task runs once when the backend starts: wait for that run to end first.
    await eventually(async () => {
      const s = await taskState();
      if (s?.status !== 'idle') throw new Error(JSON.stringify(s));
    }, 30_000);
    const res = await mh.api().post(`${tasksPath}/${TASK}/trigger`);
    expect(res.status).toBe(200);
    await eventually(async () => {
      if (!(await done())) throw new Error('the rollup has not run yet');
      const s = await taskState();
      if (s.status !== 'idle' || s.lastRunError)
        throw new Error(JSON.stringify(s));
    }, 60_000);
  }

  const rows = async (resolution: 'minute' | 'hour') =>
    (
      await knex('model_hosting_usage')
        .where('resolution', resolution)
        .orderBy(['bucket_start', 'name'])
    ).map((r: any) => ({
      t: new Date(r.bucket_start).getTime(),
      name: r.name,
      model: r.model,
      requests: Number(r.requests),
      errors: Number(r.errors),
      promptTokens: Number(r.prompt_tokens),
      latencyMsSum: Number(r.latency_ms_sum),
      latencyCount: Number(r.latency_count),
      lastUsed: r.last_used ? new Date(r.last_used).getTime() : null,
    }));

  // Within 3 minutes of the hour the test first waits for the next one: its timeout covers that.
  const ROLLUP_TEST_TIMEOUT_MS = 3 * MINUTE + 120_000;
  it(
    'folds finished hours, keeps the current one in minutes, drops what is past retention, and charts 1h, 24h and 7d',
    async () => {
      // Minutes of the current hour must stay unfinished until the rollup has run.
      const untilNextHour = HOUR - (Date.now() % HOUR);
      if (untilNextHour < 3 * MINUTE)
        await new Promise(r => setTimeout(r, untilNextHour + 1000));
      const now = Date.now();
      const hour = floorTo(now, HOUR);
      const base = {
        cluster: 'local',
        namespace: 'usage',
        errors: 0,
        pulls: 0,
        prompt_tokens: 0,
        generation_tokens: 0,
        latency_ms_sum: 0,
        latency_count: 0,
      };
      const minute = (t: number, fields: object) => ({
        ...base,
        name: 'chat',
        model: 'llama',
        resolution: 'minute',
        bucket_start: new Date(floorTo(t, MINUTE)),
        ...fields,
      });
      const hourRow = (t: number, requests: number) => ({
        ...base,
        name: 'chat',
        model: 'llama',
        resolution: 'hour',
        bucket_start: new Date(floorTo(t, HOUR)),
        requests,
      });
      const twoHoursAgo = hour - 2 * HOUR;
      await knex('model_hosting_usage').insert([
        // A finished hour two hours ago, in two minutes: folds into one hour bucket.
        minute(twoHoursAgo + 5 * MINUTE, {
          requests: 3,
          prompt_tokens: 30,
          latency_ms_sum: 300,
          latency_count: 3,
          last_used: new Date(twoHoursAgo + 5 * MINUTE + 7000),
        }),
        minute(twoHoursAgo + 40 * MINUTE, {
          requests: 4,
          errors: 1,
          latency_ms_sum: 100,
          latency_count: 4,
          last_used: new Date(twoHoursAgo + 40 * MINUTE + 2000),
        }),
        // The last finished hour, another deployment and model.
        minute(hour - HOUR + 10 * MINUTE, {
          name: 'embed',
          model: 'tiny-embed',
          requests: 5,
        }),
        // The current hour: not finished, so not folded.
        minute(hour, { requests: 2 }),
        // 30 hours ago: past the minutes' 24 hours; its hour was folded when it could be.
        minute(now - 30 * HOUR, { requests: 100 }),
        hourRow(now - 30 * HOUR, 100),
        // Three days ago, in hours; and forty days ago, past the hours' 30 days.
        hourRow(now - 3 * DAY, 50),
        hourRow(now - 40 * DAY, 999),
      ]);

      const thirtyHoursAgo = floorTo(now - 30 * HOUR, MINUTE);
      await runRollup(
        async () =>
          !(await rows('minute')).some(r => r.t === thirtyHoursAgo) &&
          (await rows('hour')).some(r => r.t === twoHoursAgo),
      );

      const expectedHours = [
        {
          t: floorTo(now - 3 * DAY, HOUR),
          name: 'chat',
          model: 'llama',
          requests: 50,
          errors: 0,
          promptTokens: 0,
          latencyMsSum: 0,
          latencyCount: 0,
          lastUsed: null,
        },
        {
          t: floorTo(now - 30 * HOUR, HOUR),
          name: 'chat',
          model: 'llama',
          requests: 100,
          errors: 0,
          promptTokens: 0,
          latencyMsSum: 0,
          latencyCount: 0,
          lastUsed: null,
        },
        {
          t: twoHoursAgo,
          name: 'chat',
          model: 'llama',
          requests: 7,
          errors: 1,
          promptTokens: 30,
          latencyMsSum: 400,
          latencyCount: 7,
          lastUsed: twoHoursAgo + 40 * MINUTE + 2000,
        },
        {
          t: hour - HOUR,
          name: 'embed',
          model: 'tiny-embed',
          requests: 5,
          errors: 0,
          promptTokens: 0,
          latencyMsSum: 0,
          latencyCount: 0,
          lastUsed: null,
        },
      ];
      expect(await rows('hour')).toEqual(expectedHours);
      // Minutes within 24 hours stay (the 1h chart reads them); the one past it is gone.
      expect(
        (await rows('minute')).map(r => [r.t, r.name, r.requests]),
      ).toEqual([
        [twoHoursAgo + 5 * MINUTE, 'chat', 3],
        [twoHoursAgo + 40 * MINUTE, 'chat', 4],
        [hour - HOUR + 10 * MINUTE, 'embed', 5],
        [hour, 'chat', 2],
      ]);

      // Charts: each request once, whether it is read from minutes or from their hour.
      const usage = async (range: string) => {
        const res = await mh
          .api()
          .get(`/api/model-hosting/usage?range=${range}`);
        expect(res.status).toBe(200);
        return res.body as {
          stepSeconds: number;
          series: Array<{ t: string; requests: number; latencyMs?: number }>;
        };
      };
      const total = (s: Array<{ requests: number }>) =>
        s.reduce((n, p) => n + p.requests, 0);
      const at = <P extends { t: string }>(s: P[], t: number) =>
        s.find(p => new Date(p.t).getTime() === t);

      const week = await usage('7d');
      expect(week.stepSeconds).toBe(6 * 3600);
      expect(total(week.series)).toBe(50 + 100 + 7 + 5 + 2);
      expect(at(week.series, floorTo(now - 3 * DAY, 6 * HOUR))?.requests).toBe(
        50,
      );

      const day = await usage('24h');
      expect(day.stepSeconds).toBe(3600);
      expect(total(day.series)).toBe(7 + 5 + 2);
      expect(at(day.series, twoHoursAgo)).toMatchObject({
        requests: 7,
        latencyMs: Math.round(400 / 7),
      });
      expect(at(day.series, hour - HOUR)?.requests).toBe(5);
      expect(at(day.series, hour)?.requests).toBe(2);

      const lastHour = await usage('1h');
      expect(lastHour.stepSeconds).toBe(60);
      expect(at(lastHour.series, hour)?.requests).toBe(2);

      // A second run changes nothing but what became stale (a new marker past 24 hours).
      await knex('model_hosting_usage').insert(
        minute(now - 30 * HOUR - 5 * MINUTE, { requests: 1000 }),
      );
      const marker = floorTo(now - 30 * HOUR - 5 * MINUTE, MINUTE);
      await runRollup(
        async () => !(await rows('minute')).some(r => r.t === marker),
      );
      expect(await rows('hour')).toEqual(expectedHours);
      expect(total((await usage('7d')).series)).toBe(164);
    },
    ROLLUP_TEST_TIMEOUT_MS,
  );
});

describe(`values at the columns' limits on ${testDatabase}`, () => {
  let mh: ModelHosting;
  beforeAll(async () => {
    mh = await startModelHosting({ reconcile: false });
  });
  afterAll(async () => mh?.stop());

  it('audits a refused deploy whose names are longer than any valid one, and reads its input back whole', async () => {
    const name = `n${'x'.repeat(299)}`;
    const input = {
      cluster: 'local',
      namespace: `ns-${'y'.repeat(296)}`,
      name,
      spec: {
        owner: `group:default/${'z'.repeat(290)}`,
        engine: 'vllm',
        model: { name: 'ünïcødé/模型 "quoted" \\ back' },
        env: [{ name: 'TOKEN', value: 'secret' }],
        engineArgs: ['--max-model-len', '4096'],
      },
    };
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send(input);
    expect(res.status).toBe(400);
    const records = await eventually(async () => {
      const audit = await mh.api().get('/api/model-hosting/audit?limit=50');
      expect(audit.status).toBe(200);
      const found = audit.body.items.filter(
        (e: any) => e.action === 'deploy' && e.outcome === 'rejected',
      );
      expect(found).toHaveLength(1);
      return found;
    }, 20_000);
    // Refs are kept up to the column's 255 characters; the input is JSON of any size, kept whole.
    expect(records[0].name).toBe(name.slice(0, 255));
    expect(records[0].namespace).toBe(input.namespace.slice(0, 255));
    expect(records[0].input).toEqual({
      ...input,
      spec: { ...input.spec, env: [{ name: 'TOKEN', value: '(hidden)' }] },
    });
  });
});
