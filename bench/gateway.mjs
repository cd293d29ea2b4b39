// Benchmark for the gateway (issue 5). Run: bash bench/gateway.sh
// Added latency of the gateway over calling the model server directly, throughput, and how fast a
// request to a model at zero replicas turns into a scale patch.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  benchKube,
  ensureNamespace,
  fmt,
  percentile,
  repo,
  sleep,
  startBackend,
  state,
  summary,
  timed,
  token,
} from './common.mjs';

const require = createRequire(import.meta.url);
const {
  createFakeEngine,
} = require('../packages/integration-tests/fakeEngine.js');
const ns = 'bench-gateway';
const { core } = benchKube();
await ensureNamespace(core, ns);

const warm = await createFakeEngine({ servedModel: 'warm-model' });
const cold = await createFakeEngine({ servedModel: 'cold-model' });
const config = path.join(state, 'app-config.gateway-bench.yaml');
fs.writeFileSync(
  config,
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
        enabled: false,
        endpoints: [
          { cluster: 'local', namespace: ns, name: 'warm', url: warm.url },
          { cluster: 'local', namespace: ns, name: 'cold', url: cold.url },
        ],
      },
    },
  }),
);
const backend = await startBackend({
  port: 7200,
  token,
  logFile: path.join(state, 'backend-gateway.log'),
  configs: [
    path.join(repo, 'app-config.yaml'),
    config,
    path.join(state, 'mh-bench.app-config.yaml'),
  ],
});
const body = model =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Say OK.' }] });
const post = (url, model) =>
  fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
    },
    body: body(model),
  }).then(async r => {
    if (r.status !== 200)
      throw new Error(`${url}: ${r.status} ${await r.text()}`);
    return r.json();
  });
const gatewayUrl = `${backend.base}/api/model-hosting/v1/chat/completions`;
const directUrl = `${warm.url}/v1/chat/completions`;
try {
  const deploy = (name, model, extra) =>
    backend.call('POST', '/api/model-hosting/deployments', {
      cluster: 'local',
      namespace: ns,
      name,
      spec: {
        owner: 'group:default/ml-platform',
        engine: 'openai',
        model: { name: model },
        resources: { cpu: '100m' },
        ...extra,
      },
    });
  await deploy('warm', 'warm-model', { replicas: 1 });
  await deploy('cold', 'cold-model', {
    replicas: 0,
    autoscaling: {
      enabled: true,
      minReplicas: 0,
      maxReplicas: 1,
      metrics: [{ type: 'requestsInFlight', target: 4 }],
      scaleToZeroAfterSeconds: 3600,
    },
  });
  for (;;) {
    const d = await backend.call(
      'GET',
      `/api/model-hosting/deployments/local/${ns}/warm`,
    );
    if (d.summary.phase === 'Ready') break;
    await sleep(500);
  }

  // Latency, one request at a time, alternating so that both see the same machine state.
  for (let i = 0; i < 50; i++) {
    await post(directUrl, 'warm-model');
    await post(gatewayUrl, 'warm-model');
  }
  const direct = [];
  const through = [];
  for (let i = 0; i < 500; i++) {
    direct.push((await timed(() => post(directUrl, 'warm-model'))).ms);
    through.push((await timed(() => post(gatewayUrl, 'warm-model'))).ms);
  }
  const added = percentile(through, 50) - percentile(direct, 50);

  // Where the added time goes: authentication alone (GET /capacity) against authentication and
  // the permission decision (GET /v1/models).
  const get = p =>
    fetch(`${backend.base}/api/model-hosting${p}`, {
      headers: { Authorization: `Bearer ${token}` },
    }).then(r => r.json());
  const authOnly = [];
  const withPermission = [];
  for (let i = 0; i < 300; i++) {
    authOnly.push((await timed(() => get('/capacity'))).ms);
    withPermission.push((await timed(() => get('/v1/models'))).ms);
  }

  // Throughput with 32 clients.
  const throughput = async url => {
    let sent = 0;
    const n = 3000;
    const t = await timed(() =>
      Promise.all(
        Array.from({ length: 32 }, async () => {
          while (sent++ < n) await post(url, 'warm-model');
        }),
      ),
    );
    return n / (t.ms / 1000);
  };
  const directRps = await throughput(directUrl);
  const gatewayRps = await throughput(gatewayUrl);

  // Scale from zero: request arrives -> scale patch sent (the gateway's own timestamps).
  const reactions = [];
  for (let i = 0; i < 5; i++) {
    for (;;) {
      const d = await backend.call(
        'GET',
        `/api/model-hosting/deployments/local/${ns}/cold`,
      );
      if (d.summary.phase === 'ScaledToZero') break;
      if (d.summary.replicas !== 0)
        await backend.call(
          'POST',
          `/api/model-hosting/deployments/local/${ns}/cold/scale`,
          { replicas: 0 },
        );
      await sleep(300);
    }
    const t = await timed(() => post(gatewayUrl, 'cold-model'));
    const s = (await backend.call('GET', '/api/model-hosting/stats'))
      .lastScaleFromZero;
    reactions.push({ patch: s.patchedAt - s.arrivedAt, answered: t.ms });
  }
  const patch = reactions.map(r => r.patch);

  console.log('\nSummary');
  console.log(`      ${summary('direct to the model server', direct)}`);
  console.log(
    `      ${summary(
      'through the gateway (auth, permission, routing, metering)',
      through,
    )}`,
  );
  console.log(
    `${added <= 2 ? 'PASS' : 'MISS'}  gateway adds ${fmt(
      added,
    )} at p50 (target <= 2 ms)`,
  );
  console.log(
    `      the permission decision: GET /v1/models p50 ${fmt(
      percentile(withPermission, 50),
    )} against ${fmt(
      percentile(authOnly, 50),
    )} for authentication alone (GET /capacity)`,
  );
  console.log(
    `      throughput with 32 clients: direct ${directRps.toFixed(
      0,
    )} req/s, gateway ${gatewayRps.toFixed(0)} req/s`,
  );
  console.log(
    `${
      Math.max(...patch) <= 100 ? 'PASS' : 'MISS'
    }  scale from zero: request arrives -> scale patch sent p50 ${fmt(
      percentile(patch, 50),
    )}, worst ${fmt(
      Math.max(...patch),
    )} (target <= 100 ms); first answer after ${reactions
      .map(r => fmt(r.answered))
      .join(', ')}`,
  );
} finally {
  backend.stop();
  await warm.close();
  await cold.close();
}
