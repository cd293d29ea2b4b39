// Benchmark for health checks (issue 4). Run: bash bench/health.sh
// 1000 ModelDeployments on a local cluster, each with its own local model server (half speak the
// HTTP predictor protocol, half are vLLM, whose /metrics are metered after each healthy check),
// checked by the real backend: the time of one round over all of them, and memory.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  benchKube,
  ensureNamespace,
  parallel,
  repo,
  sleep,
  startBackend,
  state,
  token,
} from './common.mjs';

const require = createRequire(import.meta.url);
const {
  createFakeEngine,
} = require('../packages/integration-tests/fakeEngine.js');

const N = Number(process.env.MH_BENCH_DEPLOYMENTS ?? 1000);
const CONCURRENCY = Number(process.env.MH_BENCH_CONCURRENCY ?? 50);
const ns = 'bench-health';
const { core, custom } = benchKube();

for (let i = 0; i < Math.ceil(N / 150) + 1; i++) {
  const r = { cpu: '256', memory: '1Ti', pods: '200' };
  await core
    .createNode({
      body: {
        metadata: {
          name: `bench-${i}`,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { type: 'kwok' },
        },
        status: { capacity: r, allocatable: r },
      },
    })
    .catch(e => {
      if (e.code !== 409) throw e;
    });
}
await ensureNamespace(core, ns);

console.log(`starting ${N} local model servers...`);
const servers = [];
const names = Array.from({ length: N }, (_, i) => `hc-${i}`);
const engineOf = i => (i % 2 ? 'vllm' : 'http');
for (let i = 0; i < N; i++)
  servers.push(await createFakeEngine({ servedModel: names[i] }));

const benchConfig = path.join(state, 'app-config.health-bench.yaml');
fs.writeFileSync(
  benchConfig,
  JSON.stringify({
    backend: {
      baseUrl: 'http://localhost:7200',
      listen: { port: 7200 },
      database: { client: 'better-sqlite3', connection: ':memory:' },
      auth: {
        externalAccess: [
          { type: 'static', options: { token, subject: 'bench' } },
        ],
      },
    },
    modelHosting: {
      health: {
        tickSeconds: 3600,
        concurrency: CONCURRENCY,
        statusRefreshSeconds: 3600,
        timeoutSeconds: 5,
        endpoints: names.map((name, i) => ({
          cluster: 'local',
          namespace: ns,
          name,
          url: servers[i].url,
        })),
      },
    },
  }),
);

const backend = await startBackend({
  port: 7200,
  token,
  logFile: path.join(state, 'backend-health.log'),
  configs: [
    path.join(repo, 'app-config.yaml'),
    benchConfig,
    path.join(state, 'mh-bench.app-config.yaml'),
  ],
});
try {
  const stats = () => backend.call('GET', '/api/model-hosting/stats');
  console.log(`creating ${N} ModelDeployments...`);
  await parallel(
    names.map((name, i) => [name, engineOf(i)]),
    16,
    ([name, engine]) =>
      custom
        .createNamespacedCustomObject({
          group: 'modelhosting.io',
          version: 'v1alpha1',
          plural: 'modeldeployments',
          namespace: ns,
          body: {
            apiVersion: 'modelhosting.io/v1alpha1',
            kind: 'ModelDeployment',
            metadata: { name },
            spec: {
              owner: 'group:default/ml-platform',
              engine,
              model: { name },
              resources: { cpu: '10m', memory: '16Mi' },
              replicas: 1,
              healthCheck: { intervalSeconds: 5 },
            },
          },
        })
        .catch(e => {
          if (e.code !== 409) throw e;
        }),
  );
  for (;;) {
    const fleet = await backend.call('GET', '/api/model-hosting/deployments');
    const ready = fleet.items.filter(
      i => i.namespace === ns && i.readyReplicas === 1,
    ).length;
    process.stdout.write(`\r  ${ready}/${N} ready`);
    if (ready >= N) break;
    await sleep(2000);
  }
  console.log('');
  const before = (await stats()).memory;
  const round = async label => {
    await sleep(5500); // every deployment's 5 s interval has passed
    const served = servers.reduce((n, s) => n + s.state.requests, 0);
    const previous = (await stats()).healthRound?.finishedAt;
    await backend
      .call(
        'POST',
        '/api/model-hosting/.backstage/scheduler/v1/tasks/model-hosting-health-checks/trigger',
      )
      .catch(() => undefined);
    let r;
    do {
      await sleep(200);
      r = (await stats()).healthRound;
    } while (!r || r.finishedAt === previous);
    const requests = servers.reduce((n, s) => n + s.state.requests, 0) - served;
    console.log(
      `${label}: ${r.checked} deployments checked in ${(
        r.durationMs / 1000
      ).toFixed(2)} s at concurrency ${
        r.concurrency
      } (${requests} requests to the model servers)`,
    );
    return r;
  };
  const first = await round(
    `round 1 (health goes from unknown to Healthy: ${N} status writes)`,
  );
  // Traffic the vLLM servers served between the rounds: round 2 meters it from their /metrics.
  const vllmServers = servers.filter((_, i) => engineOf(i) === 'vllm');
  for (const s of vllmServers) s.state.counters.success += 3;
  const second = await round(
    `round 2 (steady state: history rows, ${vllmServers.length} vLLM servers metered)`,
  );
  const usage = await backend.call('GET', '/api/model-hosting/usage?range=1h');
  const metered = usage.series.reduce((n, p) => n + p.requests, 0);
  const after = (await stats()).memory;
  const rss = (after.rss - before.rss) / 2 ** 20;
  console.log(`\nSummary`);
  console.log(
    `${second.durationMs <= 10_000 ? 'PASS' : 'MISS'}  ${
      second.checked
    } endpoints checked in ${(second.durationMs / 1000).toFixed(
      2,
    )} s at concurrency ${
      second.concurrency
    } (target <= 10 s); first round with status writes ${(
      first.durationMs / 1000
    ).toFixed(2)} s`,
  );
  console.log(
    `${
      metered === vllmServers.length * 3 ? 'PASS' : 'MISS'
    }  metered ${metered} of the ${
      vllmServers.length * 3
    } requests the vLLM servers served between the rounds`,
  );
  console.log(
    `      backend RSS ${(after.rss / 2 ** 20).toFixed(0)} MB, +${rss.toFixed(
      0,
    )} MB across both rounds (heap ${(after.heapUsed / 2 ** 20).toFixed(
      0,
    )} MB)`,
  );
} finally {
  backend.stop();
  await Promise.all(servers.map(s => s.close()));
}
