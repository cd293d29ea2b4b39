import { V1Pod } from '@kubernetes/client-node';
import knexFactory, { Knex } from 'knex';
import path from 'path';
import { modelDeployment } from '../controller/testFixtures';
import { EngineRegistry, PerServerAccess } from '../engines';
import { EngineMeter, engineMetersItself } from './EngineMeter';
import { UsageStore } from './UsageStore';

const ref = { cluster: 'local', namespace: 'ml', name: 'chat' };
const engines = new EngineRegistry();
const md = modelDeployment(m => (m.spec.engine = 'vllm'));
const T0 = Date.parse('2026-11-24T10:00:00Z');

/** What each pod's /metrics says now: its request counter and when its process started. */
type Servers = Record<string, { requests: number; startedAtMs: number }>;

const pod = (name: string): V1Pod => ({
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

const accessTo = (servers: Servers) =>
  ({
    perServer: (_r: unknown, _m: unknown, ready: V1Pod[]) =>
      ready.map(p => ({
        id: p.metadata!.name!,
        call: async () => {
          const s = servers[p.metadata!.name!];
          return {
            status: 200,
            text: `vllm:request_success_total{model_name="m"} ${
              s.requests
            }\nvllm:prompt_tokens_total ${
              s.requests * 10
            }\nprocess_start_time_seconds ${s.startedAtMs / 1000}\n`,
          };
        },
      })),
  } as unknown as PerServerAccess);

describe('EngineMeter', () => {
  let knex: Knex;
  let usage: UsageStore;
  const metered = async () =>
    Number(
      (await knex('model_hosting_usage').sum({ n: 'requests' }))[0].n ?? 0,
    );

  beforeEach(async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    await knex.migrate.latest({
      directory: path.resolve(__dirname, '../../migrations'),
    });
    usage = new UsageStore(knex);
  });
  afterEach(() => knex.destroy());

  it('takes the first reading of a process that was running before as a baseline, then meters what is new', async () => {
    const servers: Servers = { a: { requests: 100, startedAtMs: T0 - 60_000 } };
    const meter = new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    );
    await meter.meter(ref, md, [pod('a')]);
    expect(await metered()).toBe(0);
    servers.a.requests = 130;
    await meter.meter(ref, md, [pod('a')]);
    expect(await metered()).toBe(30);
  });

  it('reads every pod on its own and adds them up; a new pod counts from zero', async () => {
    const servers: Servers = {
      a: { requests: 100, startedAtMs: T0 - 60_000 },
      b: { requests: 5, startedAtMs: T0 - 60_000 },
    };
    const meter = new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    );
    await meter.meter(ref, md, [pod('a'), pod('b')]);
    servers.a.requests = 110;
    servers.b.requests = 8;
    servers.c = { requests: 4, startedAtMs: T0 + 5_000 };
    await meter.meter(ref, md, [pod('a'), pod('b'), pod('c')]);
    expect(await metered()).toBe(10 + 3 + 4);
  });

  it('counts everything after a restart of the server (its counters went down)', async () => {
    const servers: Servers = { a: { requests: 100, startedAtMs: T0 - 60_000 } };
    const meter = new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    );
    await meter.meter(ref, md, [pod('a')]);
    servers.a = { requests: 7, startedAtMs: T0 + 1000 };
    await meter.meter(ref, md, [pod('a')]);
    expect(await metered()).toBe(7);
  });

  it('meters each request once when another backend instance (or a restarted one) reads next', async () => {
    const servers: Servers = { a: { requests: 100, startedAtMs: T0 - 60_000 } };
    await new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    ).meter(ref, md, [pod('a')]);
    servers.a.requests = 120;
    await new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    ).meter(ref, md, [pod('a')]);
    servers.a.requests = 125;
    await new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0 + 60_000,
    ).meter(ref, md, [pod('a')]);
    expect(await metered()).toBe(25);
  });

  it('forgets pods that are gone, and skips pods that are not ready', async () => {
    const servers: Servers = {
      a: { requests: 1, startedAtMs: T0 - 60_000 },
      b: { requests: 1, startedAtMs: T0 - 60_000 },
    };
    const meter = new EngineMeter(
      knex,
      accessTo(servers),
      engines,
      usage,
      () => T0,
    );
    await meter.meter(ref, md, [pod('a'), pod('b')]);
    await meter.meter(ref, md, [pod('a')]);
    expect(
      (await knex('model_hosting_engine_counters').select('server')).map(
        r => r.server,
      ),
    ).toEqual(['a']);
    const unready = {
      ...pod('a'),
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    };
    servers.a.requests = 50;
    await meter.meter(ref, md, [unready]);
    expect(await metered()).toBe(0);
  });

  it('leaves engines without counters, and vLLM without health checks, to the gateway', () => {
    expect(engineMetersItself(engines, md, true)).toBe(true);
    expect(engineMetersItself(engines, md, false)).toBe(false);
    expect(
      engineMetersItself(
        engines,
        modelDeployment(m => (m.spec.engine = 'ollama')),
        true,
      ),
    ).toBe(false);
  });
});
