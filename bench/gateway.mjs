// The gateway side by side (issue 17, goal 3): the same stand-in model server (vLLM's API) reached
// directly, through our gateway, through LiteLLM's proxy and through nginx as a plain reverse
// proxy (the floor), with the same clients: added latency at p50 (one client), throughput with 32
// and 256 clients, streaming time to first token. Then our gateway on its default access path
// (the API server's service proxy to the pod IP the pod runner serves) against the pod directly,
// and scale from zero. Run: bash bench/run.sh gateway.mjs
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  benchClusters,
  clustersConfig,
  deleteNamespaces,
  ensureNodes,
  fmt,
  kube,
  openNamespace,
  percentile,
  record,
  repo,
  say,
  sleep,
  smoke,
  spawnGroup,
  startBackend,
  state,
  token,
} from './common.mjs';

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
const {
  createFakeEngine,
  podNetwork,
} = require('../packages/engine-stand-ins/src/index.js');

const SECONDS = Number(process.env.MH_BENCH_SECONDS ?? (smoke ? 1 : 8));
const SEQUENTIAL = smoke ? 20 : 400;
const [cluster] = benchClusters();
const client = await kube(cluster.kubeconfig);
await ensureNodes(client, 10);
const dir = path.join(state, 'gateway');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const children = [];
const freePort = () =>
  new Promise(r => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
async function waitHttp(url, ok = s => s < 500) {
  for (let i = 0; i < 600; i++) {
    const dead = children.find(c => c.exitCode !== null);
    if (dead)
      throw new Error(
        `${dead.spawnargs[0]} exited (${dead.exitCode}) before ${url} answered; its log is in ${dir}`,
      );
    try {
      const r = await fetch(url);
      if (ok(r.status)) return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`${url} did not answer`);
}

// 1. The stand-in every loopback path reaches, and the peers in front of it.
const engine = await createFakeEngine({
  engine: 'vllm',
  servedModel: 'warm-model',
});
engine.state.streamDelayMs = 0;
const peers = Object.fromEntries(
  execFileSync('bash', [path.join(repo, 'bench/peers.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .map(l => l.split('=')),
);
const targets = {
  direct: { url: engine.url, model: 'warm-model', headers: {} },
};
if (peers.NGINX) {
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  upstream model { server ${new URL(engine.url).host}; keepalive 512; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  children.push(
    spawnGroup(
      peers.NGINX,
      ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      {
        stdio: [
          'ignore',
          'ignore',
          fs.openSync(path.join(dir, 'nginx.log'), 'w'),
        ],
      },
    ),
  );
  targets.nginx = {
    url: `http://127.0.0.1:${port}`,
    model: 'warm-model',
    headers: {},
  };
}
if (peers.LITELLM) {
  const port = await freePort();
  // The proxy refuses to start without a strong master key; clients send it, as ours send a token.
  const litellmKey = `sk-bench-${crypto.randomBytes(24).toString('hex')}`;
  fs.writeFileSync(
    path.join(dir, 'litellm.yaml'),
    `model_list:
  - model_name: warm-model
    litellm_params:
      model: openai/warm-model
      api_base: ${engine.url}/v1
      api_key: none
litellm_settings:
  telemetry: false
general_settings:
  master_key: ${litellmKey}
`,
  );
  children.push(
    spawnGroup(
      peers.LITELLM,
      [
        '--config',
        path.join(dir, 'litellm.yaml'),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ],
      {
        env: {
          ...process.env,
          LITELLM_LOCAL_MODEL_COST_MAP: 'True',
          LITELLM_LOG: 'ERROR',
          LITELLM_TELEMETRY: 'False',
        },
        stdio: [
          'ignore',
          'ignore',
          fs.openSync(path.join(dir, 'litellm.log'), 'w'),
        ],
      },
    ),
  );
  targets.litellm = {
    url: `http://127.0.0.1:${port}`,
    model: 'warm-model',
    headers: { Authorization: `Bearer ${litellmKey}` },
  };
}

// 2. Our gateway: one deployment whose server is the loopback stand-in (an endpoint override),
// one reached the default way (the API server's service proxy to the pod runner's stand-in).
await openNamespace(client, 'bench-gw');
await openNamespace(client, 'bench-gw-lo');
await openNamespace(client, 'bench-gw-cold');
const backend = await startBackend({
  name: 'backend-gateway',
  nodeOptions: process.env.MH_BENCH_PROFILE
    ? `--cpu-prof --cpu-prof-dir=${process.env.MH_BENCH_PROFILE}`
    : '',
  config: {
    ...clustersConfig([cluster]),
    modelHosting: {
      health: {
        endpoints: [
          {
            cluster: cluster.name,
            namespace: 'bench-gw-lo',
            name: 'warm',
            url: engine.url,
          },
        ],
      },
    },
  },
});
await backend.synced();
const deploy = (namespace, name, extra = {}) =>
  backend.call('POST', '/api/model-hosting/deployments', {
    cluster: cluster.name,
    namespace,
    name,
    spec: {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'warm-model' },
      resources: { cpu: '100m', memory: '64Mi' },
      replicas: 1,
      ...extra,
    },
  });
await deploy('bench-gw', 'warm');
await deploy('bench-gw-lo', 'warm');
await deploy('bench-gw-cold', 'cold', {
  replicas: 0,
  autoscaling: {
    enabled: true,
    minReplicas: 0,
    maxReplicas: 1,
    metrics: [{ type: 'requestsInFlight', target: 4 }],
    scaleToZeroAfterSeconds: 3600,
  },
});
for (const ns of ['bench-gw', 'bench-gw-lo'])
  for (;;) {
    const d = await backend.call(
      'GET',
      `/api/model-hosting/deployments/${cluster.name}/${ns}/warm`,
    );
    if (d.summary.phase === 'Ready') break;
    await sleep(300);
  }
const auth = { Authorization: `Bearer ${token}` };
const gatewayUrl = backend.base + '/api/model-hosting';
targets.ours = {
  url: gatewayUrl,
  model: 'bench-gw-lo/warm-model',
  headers: auth,
};
// The portal's own floor: the cheapest authenticated answer the same backend gives (its engines
// list: Backstage's HTTP stack, token check and JSON, no model server behind it). What the gateway
// adds beyond this is ours; up to it is the portal's.
targets['portal floor'] = {
  url: gatewayUrl,
  path: '/engines',
  method: 'GET',
  headers: auth,
};
// A person signed in as production signs them in (oauth2-proxy's headers, a User of the
// catalog): the portal policy decides each of their requests through the permission backend,
// where a service token's are decided in this plugin.
targets['ours (signed-in user)'] = {
  url: gatewayUrl,
  model: 'bench-gw-lo/warm-model',
  headers: { Authorization: `Bearer ${await backend.signIn('alice')}` },
};
targets['ours (default path)'] = {
  url: gatewayUrl,
  model: 'bench-gw/warm-model',
  headers: auth,
};
const net = podNetwork({ kubeconfig: cluster.kubeconfig });
if (net) {
  await net.control('bench-gw', 'warm', { streamDelayMs: 0 });
  const [pod] = await net.pods({ namespace: 'bench-gw', deployment: 'warm' });
  targets['direct to the pod'] = {
    url: `http://${pod.ip}:${pod.port ?? 8000}`,
    model: 'warm-model',
    headers: {},
  };
}
await Promise.all(
  Object.values(targets).map(t =>
    waitHttp(`${t.url}${t.path ?? '/v1/models'}`, s => s < 500 || s === 401),
  ),
);

const body = (model, stream = false) =>
  JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Echo: OK' }],
    ...(stream ? { stream: true } : {}),
  });
const agents = new Map();
/** One request; resolves the time to the first byte of the body and to its end. */
function request(name, stream = false) {
  const t = targets[name];
  const u = new URL(`${t.url}${t.path ?? '/v1/chat/completions'}`);
  if (!agents.has(name))
    agents.set(name, new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const data = t.method === 'GET' ? undefined : body(t.model, stream);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first;
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: t.method ?? 'POST',
        agent: agents.get(name),
        headers: data
          ? {
              ...t.headers,
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(data),
            }
          : t.headers,
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', c => {
          // The first token: the first server-sent event with content, or the first byte.
          if (
            first === undefined &&
            (!stream || /"content":"[^"]/.test(text + c))
          )
            first = performance.now() - t0;
          text += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 200)
            return reject(
              new Error(
                `${name}: HTTP ${res.statusCode} ${text.slice(0, 200)}`,
              ),
            );
          resolve({ first, total: performance.now() - t0 });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

// 3. Added latency, one client. A client sends its requests one after another to the same
// server: each target gets runs of consecutive requests (the first few of a run not counted),
// the targets taking turns run by run so that each sees the same machine state. (One request to
// each target in turn made every figure depend on the target before it.)
const names = Object.keys(targets);
say(`targets: ${names.join(', ')}`);
const latency = Object.fromEntries(names.map(n => [n, []]));
const ttft = Object.fromEntries(names.map(n => [n, []]));
const RUNS = 4;
const WARM = 5;
for (let run = 0; run < RUNS; run++)
  for (const n of names)
    for (let i = 0; i < SEQUENTIAL / RUNS + WARM; i++) {
      const r = await request(n);
      if (i >= WARM) latency[n].push(r.total);
    }
const streamed = names.filter(n => targets[n].method !== 'GET');
for (let run = 0; run < RUNS; run++)
  for (const n of streamed)
    for (let i = 0; i < SEQUENTIAL / 2 / RUNS + WARM; i++) {
      const r = await request(n, true);
      if (i >= WARM) ttft[n].push(r.first);
    }
const p50 = v => percentile(v, 50);
const added = (n, base = 'direct') => p50(latency[n]) - p50(latency[base]);
const addedTtft = (n, base = 'direct') => p50(ttft[n]) - p50(ttft[base]);
for (const n of names)
  say(
    `  ${n}: p50 ${fmt(p50(latency[n]))}, p99 ${fmt(
      percentile(latency[n], 99),
    )}${
      ttft[n].length ? `; streaming first token p50 ${fmt(p50(ttft[n]))}` : ''
    }`,
  );

// 4. Throughput with 32 and 256 clients, each target on its own (load.mjs, a process of its own).
// Asynchronous: the loopback stand-in answers from this process's event loop.
async function load(n, clients) {
  const t = targets[n];
  const { stdout: out } = await execFileAsync(
    process.execPath,
    [
      path.join(repo, 'bench/load.mjs'),
      JSON.stringify({
        url: `${t.url}${t.path ?? '/v1/chat/completions'}`,
        method: t.method ?? 'POST',
        body: body(t.model),
        headers: t.headers,
        clients,
        seconds: SECONDS,
      }),
    ],
    { encoding: 'utf8', timeout: (SECONDS + 60) * 1000 },
  );
  return JSON.parse(out);
}
const rps = {};
for (const clients of [32, 256])
  for (const n of names) {
    const r = await load(n, clients);
    rps[`${n}@${clients}`] = r;
    say(
      `  ${n}, ${clients} clients: ${r.rps.toFixed(0)} req/s, p50 ${fmt(
        r.p50,
      )}, p99 ${fmt(r.p99)}${
        r.errors ? `, ${r.errors} errors (${r.lastError})` : ''
      }`,
    );
  }

// 5. The table.
const peerText = (f, unit = 'ms') =>
  ['nginx', 'litellm']
    .filter(n => targets[n])
    .map(n => `${n === 'litellm' ? 'LiteLLM' : n} ${f(n).toFixed(2)} ${unit}`)
    .join(', ') || 'no peers';
const nginxAdded = targets.nginx ? added('nginx') : NaN;
const litellmAdded = targets.litellm ? added('litellm') : NaN;
record({
  figure: 'gateway added latency at p50, one client (loopback stand-in)',
  target: '<= nginx + 1 ms and <= LiteLLM',
  measured: `+${added('ours').toFixed(2)} ms`,
  peer: peerText(n => added(n)),
  ratio: targets.nginx
    ? `nginx +${(added('ours') - nginxAdded).toFixed(2)} ms`
    : '',
  pass:
    !!targets.nginx &&
    !!targets.litellm &&
    added('ours') <= nginxAdded + 1 &&
    added('ours') <= litellmAdded,
  note: targets.litellm
    ? ''
    : 'LiteLLM could not be installed (bench/peers.sh says why)',
});
for (const clients of [32, 256]) {
  const share = n => rps[`${n}@${clients}`].rps / rps[`direct@${clients}`].rps;
  record({
    figure: `gateway throughput, ${clients} clients (loopback stand-in)`,
    target: '>= 80 % of direct',
    measured: `${rps[`ours@${clients}`].rps.toFixed(0)} req/s (direct ${rps[
      `direct@${clients}`
    ].rps.toFixed(0)})`,
    peer: ['nginx', 'litellm']
      .filter(n => targets[n])
      .map(
        n =>
          `${n === 'litellm' ? 'LiteLLM' : n} ${rps[
            `${n}@${clients}`
          ].rps.toFixed(0)} req/s (${(100 * share(n)).toFixed(0)} %)`,
      )
      .join(', '),
    ratio: `${(100 * share('ours')).toFixed(0)} % of direct`,
    pass: share('ours') >= 0.8,
  });
}
record({
  figure: 'streaming time to first token added, p50 (loopback stand-in)',
  target: '<= 1 ms',
  measured: `+${addedTtft('ours').toFixed(2)} ms`,
  peer: peerText(n => addedTtft(n)),
  pass: addedTtft('ours') <= 1,
});
if (targets['direct to the pod']) {
  const base = 'direct to the pod';
  const dp = 'ours (default path)';
  record({
    figure:
      'default access path: gateway -> API server service proxy -> pod IP, added at p50',
    measured: `+${added(dp, base).toFixed(2)} ms (first token +${addedTtft(
      dp,
      base,
    ).toFixed(2)} ms)`,
    peer: `loopback override +${added('ours').toFixed(2)} ms`,
    ratio: `${rps[`${dp}@32`].rps.toFixed(0)} req/s at 32 clients vs ${rps[
      `${base}@32`
    ].rps.toFixed(0)} to the pod directly`,
  });
}

{
  const user = 'ours (signed-in user)';
  record({
    figure:
      "a signed-in person's request through the gateway (oauth2-proxy sign-in, the portal policy)",
    measured: `+${added(user).toFixed(2)} ms at p50; ${rps[
      `${user}@32`
    ].rps.toFixed(0)} req/s at 32 clients`,
    peer: `a service token +${added('ours').toFixed(2)} ms; ${rps[
      `ours@32`
    ].rps.toFixed(0)} req/s`,
    ratio: `+${(added(user) - added('ours')).toFixed(2)} ms for the person`,
  });
}

{
  const floor = 'portal floor';
  record({
    figure:
      "portal floor: the same backend's cheapest authenticated answer (GET /engines, nothing forwarded)",
    measured: `+${added(floor).toFixed(2)} ms at p50; ${rps[
      `${floor}@32`
    ].rps.toFixed(0)} req/s at 32 clients`,
    peer: `ours +${added('ours').toFixed(2)} ms; ${rps[`ours@32`].rps.toFixed(
      0,
    )} req/s`,
    ratio: `ours adds ${(added('ours') - added(floor)).toFixed(
      2,
    )} ms beyond the portal's floor`,
  });
}

// 6. Scale from zero: a request for a model at zero replicas -> the scale patch sent.
const patch = [];
for (let i = 0; i < (smoke ? 1 : 5); i++) {
  for (;;) {
    const d = await backend.call(
      'GET',
      `/api/model-hosting/deployments/${cluster.name}/bench-gw-cold/cold`,
    );
    if (d.summary.phase === 'ScaledToZero') break;
    if (d.summary.replicas !== 0)
      await backend.call(
        'POST',
        `/api/model-hosting/deployments/${cluster.name}/bench-gw-cold/cold/scale`,
        {
          replicas: 0,
        },
      );
    await sleep(300);
  }
  await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: body('bench-gw-cold/warm-model'),
  }).then(r => r.text());
  patch.push((await backend.stats()).lastScaleFromZero.patchDelayMs);
}
record({
  figure: 'scale from zero: request arrives -> scale patch sent',
  target: '<= 100 ms',
  measured: `p50 ${fmt(percentile(patch, 50))}, worst ${fmt(
    Math.max(...patch),
  )}`,
  pass: Math.max(...patch) <= 100,
});

await deleteNamespaces(client, ['bench-gw', 'bench-gw-lo', 'bench-gw-cold']);
await backend.stop();
for (const c of children) c.kill('SIGTERM');
for (const a of agents.values()) a.destroy();
await engine.close();
client.close();
