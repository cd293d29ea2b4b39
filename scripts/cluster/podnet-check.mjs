#!/usr/bin/env node
// Checks the pod network of a running local cluster end to end, without the Backstage backend: it
// creates ConfigMaps, Deployments and Services shaped the way the reconciler makes them (see
// plugins/model-hosting-backend/src/engines and controller/plan.ts), then checks, through the API
// server as any client would:
//   - every engine's pods become Ready from their probes and answer their engine's API (and only
//     that one) through the service proxy and the pod proxy; POST bodies arrive;
//   - EndpointSlices hold the pod IPs; a stand-in told to fail or hang makes its pod unready, and
//     ready again after;
//   - scaling to 3 gives 3 pods listening on their IPs; a model switch (ConfigMap + rollout)
//     restarts the pods, which then serve the new model; a deleted pod stops listening;
//   - an Ollama pod whose model is a local real model runs real Ollama (when built);
//   - the HPA scales from kwok's usage annotations (with --hpa).
// With --pods N it instead starts N single-pod deployments at once and reports the time until all
// are Ready and what the pod runner and the stand-in host cost.
//
//   node scripts/cluster/podnet-check.mjs [--kubeconfig <admin kubeconfig>] [--hpa] [--keep]
//   node scripts/cluster/podnet-check.mjs --pods 1000
// Default kubeconfig: .local/model-hosting.kubeconfig.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { connect } from './pod-runner/kube.mjs';

const require = createRequire(import.meta.url);
const { podNetwork } = require('../../packages/engine-stand-ins/src/client.js');
const repo = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);

const args = process.argv.slice(2);
const flag = name => args.includes(name);
const option = (name, dflt) =>
  args.includes(name) ? args[args.indexOf(name) + 1] : dflt;
const kubeconfig = option(
  '--kubeconfig',
  path.join(repo, '.local/model-hosting.kubeconfig'),
);
const kube = await connect(kubeconfig);
const net = podNetwork({ kubeconfig });
if (!net) {
  console.error(
    `no pod network for ${kubeconfig} (no ${kubeconfig.replace(
      /\.kubeconfig$/,
      '',
    )}.pod-runner.json with a live runner)`,
  );
  process.exit(1);
}

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const say = msg => console.log(`[${secs()} s] ${msg}`);
let failures = 0;
const check = (ok, what) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function eventually(what, fn, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > until)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s (last: ${JSON.stringify(
          last,
        )?.slice(0, 300)})`,
      );
    await sleep(250);
  }
}

async function req(method, p, body, contentType) {
  const r = await kube.request(method, p, body, contentType);
  if (
    r.status >= 400 &&
    !(method === 'DELETE' && r.status === 404) &&
    !(method === 'POST' && r.status === 409)
  ) {
    throw new Error(
      `${method} ${p}: HTTP ${r.status} ${JSON.stringify(r.body).slice(
        0,
        300,
      )}`,
    );
  }
  return r;
}

// ---- objects as the reconciler makes them --------------------------------------------------------
const probe = (p, port, period, failures) => ({
  httpGet: { path: p, port },
  periodSeconds: period,
  failureThreshold: failures,
  timeoutSeconds: 5,
});
const ENGINES = {
  vllm: {
    port: 8000,
    config: model => ({
      MODEL_NAME: model,
      MODEL_SOURCE: `hf://${model}`,
      TENSOR_PARALLEL_SIZE: '1',
    }),
    image: 'vllm/vllm-openai:v0.8.5',
    args: [
      '--model',
      '$(MODEL_NAME)',
      '--served-model-name',
      '$(MODEL_NAME)',
      '--port',
      '8000',
      '--tensor-parallel-size',
      '$(TENSOR_PARALLEL_SIZE)',
    ],
    probes: ['/health', '/health', '/health', 10, 180],
  },
  ollama: {
    port: 11434,
    config: model => ({
      OLLAMA_HOST: '0.0.0.0:11434',
      MODEL_NAME: model,
      EXPECTED_MODELS: model,
    }),
    image: 'ollama/ollama:0.6.8',
    command: ['/bin/sh', '-c'],
    args: [
      'ollama serve & until ollama list >/dev/null 2>&1; do sleep 1; done; ollama pull "$MODEL_NAME"; wait',
    ],
    probes: ['/api/tags', '/api/tags', '/', 5, 60],
  },
  openai: {
    port: 8080,
    config: model => ({ MODEL_NAME: model, MODEL_SOURCE: '' }),
    image: 'ghcr.io/ggml-org/llama.cpp:server',
    args: [
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--hf-repo',
      '$(MODEL_NAME)',
      '--alias',
      '$(MODEL_NAME)',
    ],
    probes: ['/v1/models', '/v1/models', '/v1/models', 10, 120],
  },
  http: {
    port: 8080,
    config: model => ({
      MODEL_NAME: model,
      MODEL_VERSION: '1.4.0',
      MODEL_URI: '',
      MLSERVER_MODEL_NAME: model,
      MLSERVER_MODEL_URI: '',
      MLSERVER_HTTP_PORT: '8080',
    }),
    image: 'seldonio/mlserver:1.6.1',
    args: [],
    probes: ['/v2/health/ready', '/v2/health/ready', '/v2/health/ready', 5, 60],
  },
};

function objects(
  ns,
  name,
  engine,
  model,
  { replicas = 1, annotations = {}, resources, tolerate = true } = {},
) {
  const e = ENGINES[engine];
  const selector = {
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': 'backstage-model-hosting',
  };
  const labels = {
    ...selector,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/part-of': 'model-hosting',
    'modelhosting.io/engine': engine,
  };
  const config = e.config(model);
  const [startup, readiness, liveness, startupPeriod, startupFailures] =
    e.probes;
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-engine`, namespace: ns, labels },
      data: config,
    },
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        strategy: { type: 'Recreate' },
        template: {
          metadata: {
            labels,
            annotations: {
              'modelhosting.io/model': model,
              'modelhosting.io/config-hash': model,
              ...annotations,
            },
          },
          spec: {
            tolerations: tolerate
              ? [
                  {
                    key: 'nvidia.com/gpu',
                    operator: 'Exists',
                    effect: 'NoSchedule',
                  },
                ]
              : undefined,
            containers: [
              {
                name: 'server',
                image: e.image,
                command: e.command,
                args: e.args,
                env: Object.keys(config).map(key => ({
                  name: key,
                  valueFrom: {
                    configMapKeyRef: { name: `${name}-engine`, key },
                  },
                })),
                ports: [{ name: 'http', containerPort: e.port }],
                resources,
                startupProbe: probe(
                  startup,
                  e.port,
                  startupPeriod,
                  startupFailures,
                ),
                readinessProbe: probe(readiness, e.port, 10, 3),
                livenessProbe: probe(liveness, e.port, 30, 3),
              },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels },
      spec: {
        selector,
        ports: [{ name: 'http', port: e.port, targetPort: 'http' }],
      },
    },
  };
}

async function apply(o) {
  await req(
    'POST',
    `/api/v1/namespaces/${o.configMap.metadata.namespace}/configmaps`,
    o.configMap,
  );
  await req(
    'POST',
    `/apis/apps/v1/namespaces/${o.deployment.metadata.namespace}/deployments`,
    o.deployment,
  );
  if (o.service)
    await req(
      'POST',
      `/api/v1/namespaces/${o.service.metadata.namespace}/services`,
      o.service,
    );
}

async function namespace(ns) {
  await req('DELETE', `/api/v1/namespaces/${ns}`);
  await eventually(
    `namespace ${ns} gone`,
    async () =>
      (await kube.request('GET', `/api/v1/namespaces/${ns}`)).status === 404,
    120_000,
  );
  await req('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
}

const deploymentStatus = async (ns, name) =>
  (await req('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body
    .status;
const podsOf = async (ns, name) =>
  (
    await req(
      'GET',
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(
        `app.kubernetes.io/instance=${name}`,
      )}`,
    )
  ).body.items.filter(p => !p.metadata.deletionTimestamp);
const isReady = p =>
  p.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True';
const svcProxy = (ns, name, port, p) =>
  `/api/v1/namespaces/${ns}/services/${name}:${port}/proxy${p}`;

/** Straight to a pod IP from the host, through the veth: what clusterDns access does in a real cluster. */
function direct(ip, port, p, timeoutMs = 2000) {
  return new Promise(resolve => {
    const r = http.get({ host: ip, port, path: p, timeout: timeoutMs }, res => {
      let text = '';
      res.on('data', c => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', e => resolve({ status: 0, text: e.code || e.message }));
  });
}

// ---- the end-to-end check ----------------------------------------------------------------------------
async function endToEnd() {
  const ns = 'podnet-check';
  say(
    `pod network ${net.info.podCIDR} in netns ${net.info.netns}; runner ${net.info.control}`,
  );
  await namespace(ns);
  const realModels = net.realOllamaModels();
  const realModel = realModels.find(m => !/embed/.test(m));
  const specs = [
    ['vllm', 'vllm', 'meta-llama/Llama-3.1-8B-Instruct'],
    ['ollama', 'ollama', 'llama3.1:8b'],
    ['openai', 'openai', 'org/tiny-GGUF'],
    ['http', 'http', 'iris-classifier'],
    ...(realModel ? [['ollama-real', 'ollama', realModel]] : []),
  ];
  const created = Date.now();
  for (const [name, engine, model] of specs)
    await apply(objects(ns, name, engine, model));
  for (const [name] of specs) {
    await eventually(
      `${name} available`,
      async () => (await deploymentStatus(ns, name))?.availableReplicas === 1,
      120_000,
    );
    say(
      `${name}: Deployment available ${((Date.now() - created) / 1000).toFixed(
        1,
      )} s after creation`,
    );
  }

  say('through the service proxy, each engine answers its own API');
  const get = async (name, port, p) =>
    (await kube.request('GET', svcProxy(ns, name, port, p))).body;
  check(
    (await get('vllm', 8000, '/v1/models')).data?.[0]?.id ===
      'meta-llama/Llama-3.1-8B-Instruct',
    'vLLM: GET /v1/models lists the served model',
  );
  check(
    (await get('ollama', 11434, '/api/tags')).models?.[0]?.name ===
      'llama3.1:8b',
    'Ollama: GET /api/tags lists MODEL_NAME',
  );
  check(
    (await get('openai', 8080, '/v1/models')).data?.[0]?.id === 'org/tiny-GGUF',
    'llama.cpp: GET /v1/models lists the alias',
  );
  check(
    (await get('http', 8080, '/v2/models/iris-classifier')).versions?.[0] ===
      '1.4.0',
    'MLServer: GET /v2/models/iris-classifier',
  );
  const cross = await kube.request(
    'GET',
    svcProxy(ns, 'vllm', 8000, '/api/tags'),
  );
  check(cross.status === 404, `vLLM: GET /api/tags is a 404 (${cross.status})`);
  const cross2 = await kube.request(
    'GET',
    svcProxy(ns, 'ollama', 11434, '/metrics'),
  );
  check(
    cross2.status === 404,
    `Ollama: GET /metrics is a 404 (${cross2.status})`,
  );

  say('POST bodies arrive through the proxy');
  const chat = await kube.request(
    'POST',
    svcProxy(ns, 'vllm', 8000, '/v1/chat/completions'),
    {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [{ role: 'user', content: 'Echo: through the API server' }],
    },
  );
  check(
    chat.body?.choices?.[0]?.message?.content === 'through the API server',
    `vLLM chat answered "${chat.body?.choices?.[0]?.message?.content}"`,
  );
  const received = await net.received(ns, 'vllm');
  check(
    received.some(
      r =>
        r.path === '/v1/chat/completions' &&
        r.body.includes('through the API server'),
    ),
    'the runner saw the body the stand-in received',
  );
  const infer = await kube.request(
    'POST',
    svcProxy(ns, 'http', 8080, '/v2/models/iris-classifier/infer'),
    {
      inputs: [
        {
          name: 'predict',
          shape: [1, 4],
          datatype: 'FP32',
          data: [6.7, 3.0, 5.2, 2.3],
        },
      ],
    },
  );
  check(
    infer.body?.outputs?.[0]?.data?.[0] === 2,
    'MLServer: /infer classified the row it was sent',
  );
  const empty = await kube.request(
    'POST',
    svcProxy(ns, 'ollama', 11434, '/api/generate'),
    '',
    'application/json',
  );
  check(
    empty.status === 400,
    `Ollama: an empty POST body is a 400 (${empty.status} ${JSON.stringify(
      empty.body,
    )})`,
  );
  const gen = await kube.request(
    'POST',
    svcProxy(ns, 'ollama', 11434, '/api/generate'),
    { model: 'llama3.1:8b', prompt: 'Echo: hi', stream: false },
  );
  check(gen.body?.response === 'hi', 'Ollama: /api/generate with stream:false');

  if (realModel) {
    say(`real Ollama behind ollama-real (${realModel})`);
    const pods = await net.pods({ namespace: ns, deployment: 'ollama-real' });
    check(
      pods[0]?.kind === 'ollama',
      `the pod runs real Ollama (kind ${pods[0]?.kind})`,
    );
    const tags = await get('ollama-real', 11434, '/api/tags');
    check(
      tags.models?.some(m => m.name === realModel),
      `real /api/tags lists ${realModel}`,
    );
    const ver = await get('ollama-real', 11434, '/api/version');
    check(typeof ver.version === 'string', `real /api/version: ${ver.version}`);
    const t = Date.now();
    const real = await kube.request(
      'POST',
      svcProxy(ns, 'ollama-real', 11434, '/api/generate'),
      {
        model: realModel,
        prompt: 'hello',
        stream: false,
        options: { num_predict: 8 },
      },
    );
    check(
      typeof real.body?.response === 'string' && real.body.done === true,
      `real /api/generate answered in ${Date.now() - t} ms (eval_count ${
        real.body?.eval_count
      })`,
    );
    const pull = await kube.request(
      'POST',
      svcProxy(ns, 'ollama-real', 11434, '/api/pull'),
      { model: 'llama3.1:8b', stream: false },
    );
    check(
      pull.status >= 400,
      `a pull of a public model fails fast inside the namespace (${
        pull.status
      } ${JSON.stringify(pull.body).slice(0, 120)})`,
    );
  }

  say('EndpointSlices hold the pod IPs');
  const slices = (
    await req(
      'GET',
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dvllm`,
    )
  ).body.items;
  const pod = (await podsOf(ns, 'vllm'))[0];
  const addresses = slices.flatMap(s =>
    s.endpoints.map(e => ({ ip: e.addresses[0], ready: e.conditions.ready })),
  );
  check(
    addresses.length === 1 &&
      addresses[0].ip === pod.status.podIP &&
      addresses[0].ready,
    `EndpointSlice: ${JSON.stringify(addresses)} = pod IP ${pod.status.podIP}`,
  );
  const podProxy = await kube.request(
    'GET',
    `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}:8000/proxy/metrics`,
  );
  check(
    /vllm:request_success_total\{[^}]*\} [1-9]/.test(podProxy.body),
    'pod proxy: /metrics counts the chat it served',
  );
  const d = await direct(pod.status.podIP, 8000, '/health');
  check(
    d.status === 200,
    `the pod IP answers from the host (GET http://${pod.status.podIP}:8000/health: ${d.status})`,
  );

  for (const mode of ['error', 'hang']) {
    say(`readiness follows the process: vllm told to ${mode}`);
    const t = Date.now();
    await net.control(ns, 'vllm', { mode });
    await eventually(
      'pod unready',
      async () => !isReady((await podsOf(ns, 'vllm'))[0]),
      30_000,
    );
    check(
      true,
      `pod not Ready ${((Date.now() - t) / 1000).toFixed(
        1,
      )} s after the stand-in started to ${mode}`,
    );
    await eventually('endpoint not ready', async () => {
      const s = (
        await req(
          'GET',
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dvllm`,
        )
      ).body.items;
      return s.flatMap(x => x.endpoints).every(e => !e.conditions.ready);
    });
    check(true, 'its endpoint is not ready');
    const t2 = Date.now();
    await net.resetControl(ns, 'vllm');
    await eventually(
      'pod ready again',
      async () => isReady((await podsOf(ns, 'vllm'))[0]),
      30_000,
    );
    check(
      true,
      `Ready again ${((Date.now() - t2) / 1000).toFixed(
        1,
      )} s after it recovered`,
    );
  }

  say('scale vllm to 3');
  await req(
    'PATCH',
    `/apis/apps/v1/namespaces/${ns}/deployments/vllm/scale`,
    { spec: { replicas: 3 } },
    'application/merge-patch+json',
  );
  const three = await eventually('3 ready pods', async () => {
    const ps = await podsOf(ns, 'vllm');
    return ps.length === 3 && ps.every(isReady) && ps;
  });
  const answers = await Promise.all(
    three.map(p => direct(p.status.podIP, 8000, '/v1/models')),
  );
  check(
    answers.every(a => a.status === 200),
    `3 pods listening: ${three.map(p => p.status.podIP).join(', ')}`,
  );

  say(
    'switch vllm to another model (ConfigMap + rollout, as the reconciler does)',
  );
  const before = new Set(three.map(p => p.metadata.uid));
  await req(
    'PATCH',
    `/api/v1/namespaces/${ns}/configmaps/vllm-engine`,
    { data: { MODEL_NAME: 'Qwen/Qwen2.5-7B-Instruct' } },
    'application/merge-patch+json',
  );
  await req(
    'PATCH',
    `/apis/apps/v1/namespaces/${ns}/deployments/vllm`,
    {
      spec: {
        template: {
          metadata: {
            annotations: {
              'modelhosting.io/model': 'Qwen/Qwen2.5-7B-Instruct',
              'modelhosting.io/config-hash': 'qwen',
            },
          },
        },
      },
    },
    'application/merge-patch+json',
  );
  const t = Date.now();
  await eventually(
    'new pods serve the new model',
    async () => {
      const ps = await podsOf(ns, 'vllm');
      if (
        ps.length !== 3 ||
        !ps.every(isReady) ||
        ps.some(p => before.has(p.metadata.uid))
      )
        return false;
      return (
        (await get('vllm', 8000, '/v1/models')).data?.[0]?.id ===
        'Qwen/Qwen2.5-7B-Instruct'
      );
    },
    120_000,
  );
  check(
    true,
    `3 new pods serve Qwen/Qwen2.5-7B-Instruct ${(
      (Date.now() - t) /
      1000
    ).toFixed(1)} s after the switch`,
  );

  say('a deleted pod stops listening');
  const gone = (await podsOf(ns, 'vllm'))[0];
  await req('DELETE', `/api/v1/namespaces/${ns}/pods/${gone.metadata.name}`);
  await eventually(
    'old IP refuses',
    async () =>
      (await direct(gone.status.podIP, 8000, '/health', 500)).status === 0 ||
      undefined,
    30_000,
  ).catch(() => {});
  const after = await direct(gone.status.podIP, 8000, '/health', 500);
  const reused = (await podsOf(ns, 'vllm')).some(
    p => p.status?.podIP === gone.status.podIP,
  );
  check(
    after.status === 0 || reused,
    `${gone.status.podIP} no longer answers (${after.text || after.status})`,
  );

  if (flag('--hpa')) {
    say('HPA on kwok usage annotations');
    const name = 'hpa';
    await apply(
      objects(ns, name, 'http', 'iris-classifier', {
        annotations: { 'kwok.x-k8s.io/usage-cpu': '450m' },
        resources: { requests: { cpu: '500m' } },
      }),
    );
    await req(
      'POST',
      `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`,
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name, namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: { type: 'Utilization', averageUtilization: 50 },
              },
            },
          ],
        },
      },
    );
    const th = Date.now();
    await eventually(
      'HPA scales up',
      async () => (await deploymentStatus(ns, name))?.readyReplicas >= 2,
      180_000,
    );
    check(
      true,
      `the HPA scaled to ${
        (await deploymentStatus(ns, name)).readyReplicas
      } ready pods in ${((Date.now() - th) / 1000).toFixed(0)} s`,
    );
  }

  if (!flag('--keep')) await req('DELETE', `/api/v1/namespaces/${ns}`);
  say(failures ? `${failures} check(s) failed` : 'all checks passed');
  process.exit(failures ? 1 : 0);
}

// ---- many pods at once ---------------------------------------------------------------------------
function cpuSeconds(pid) {
  try {
    const f = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
const rssMiB = pid => {
  try {
    return (
      Number(
        /VmRSS:\s+(\d+)/.exec(
          fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
        )[1],
      ) / 1024
    );
  } catch {
    return NaN;
  }
};

async function load(n) {
  const ns = 'podnet-load';
  say(`${n} single-pod deployments (half vLLM, half HTTP predictors) in ${ns}`);
  const nodes = Math.ceil(n / 150) + 1;
  for (let i = 0; i < nodes; i++) {
    const r = { cpu: '256', memory: '1Ti', pods: '200' };
    await req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `podnet-load-${i}`,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: 'kwok', 'kubernetes.io/hostname': `podnet-load-${i}` },
      },
      status: { capacity: r, allocatable: r },
    });
  }
  await namespace(ns);
  const stats0 = await net.stats();
  const hostPid = stats0.standInHost.pid;
  const runnerPid = stats0.runner.pid;
  const cpu0 = { runner: cpuSeconds(runnerPid), host: cpuSeconds(hostPid) };
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        const engine = i % 2 ? 'http' : 'vllm';
        await apply(
          objects(
            ns,
            `m${i}`,
            engine,
            engine === 'vllm' ? `org/model-${i}` : `predictor-${i}`,
            { tolerate: false },
          ),
        );
      }
    }),
  );
  say(
    `created ${n} ConfigMaps, Deployments and Services in ${(
      (Date.now() - start) /
      1000
    ).toFixed(1)} s`,
  );
  let peak = { runner: 0, host: 0 };
  let last = -1;
  await eventually(
    `${n} pods ready`,
    async () => {
      const s = await net.stats();
      peak = {
        runner: Math.max(peak.runner, rssMiB(runnerPid)),
        host: Math.max(peak.host, rssMiB(hostPid)),
      };
      if (s.ready !== last && (s.ready % 100 === 0 || s.ready === n))
        say(`${s.ready}/${s.pods} pods ready`);
      last = s.ready;
      return s.ready >= n && s;
    },
    900_000,
  );
  const ready = (Date.now() - start) / 1000;
  const cpu1 = { runner: cpuSeconds(runnerPid), host: cpuSeconds(hostPid) };
  say(`all ${n} pods Ready ${ready.toFixed(1)} s after the first was created`);
  // Deployments see it too, and how long each pod took from creation to Ready.
  const tav = Date.now();
  await eventually(
    `${n} Deployments available`,
    async () =>
      (
        await req('GET', `/apis/apps/v1/namespaces/${ns}/deployments?limit=0`)
      ).body.items.filter(d => d.status?.availableReplicas === 1).length === n,
    300_000,
  );
  check(
    true,
    `${n} Deployments available (${((Date.now() - tav) / 1000).toFixed(
      1,
    )} s after the runner had all pods Ready)`,
  );
  const pods = (await req('GET', `/api/v1/namespaces/${ns}/pods?limit=0`)).body
    .items;
  const lat = pods
    .map(p => {
      const ready = p.status.conditions?.find(
        c => c.type === 'Ready' && c.status === 'True',
      );
      return ready
        ? (new Date(ready.lastTransitionTime) -
            new Date(p.metadata.creationTimestamp)) /
            1000
        : NaN;
    })
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const q = f => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))];
  say(
    `pod created → Ready (1 s resolution): p50 ${q(0.5)} s, p95 ${q(
      0.95,
    )} s, max ${lat[lat.length - 1]} s over ${lat.length} pods`,
  );
  // Steady state: probes only.
  const s0 = await net.stats();
  const c0 = {
    runner: cpuSeconds(runnerPid),
    host: cpuSeconds(hostPid),
    t: Date.now(),
  };
  await sleep(30_000);
  const s1 = await net.stats();
  const c1 = {
    runner: cpuSeconds(runnerPid),
    host: cpuSeconds(hostPid),
    t: Date.now(),
  };
  const dt = (c1.t - c0.t) / 1000;
  say(
    `steady state over ${dt.toFixed(0)} s: ${(
      (s1.probesRun - s0.probesRun) /
      dt
    ).toFixed(0)} probes/s; CPU runner ${(
      (100 * (c1.runner - c0.runner)) /
      dt
    ).toFixed(1)} %, stand-in host ${((100 * (c1.host - c0.host)) / dt).toFixed(
      1,
    )} % of one core`,
  );
  say(
    `memory: runner RSS ${rssMiB(runnerPid).toFixed(
      0,
    )} MiB (peak ${peak.runner.toFixed(0)}), stand-in host RSS ${rssMiB(
      hostPid,
    ).toFixed(0)} MiB (peak ${peak.host.toFixed(
      0,
    )}); CPU while starting: runner ${(cpu1.runner - cpu0.runner).toFixed(
      1,
    )} s, host ${(cpu1.host - cpu0.host).toFixed(1)} s`,
  );
  // A sample of pods answers through the service proxy.
  const sample = await Promise.all(
    [0, 1, Math.floor(n / 2), n - 1].map(async i => {
      const name = `m${i}`;
      const p = i % 2 ? '/v2/health/ready' : '/v1/models';
      return (
        await kube.request('GET', svcProxy(ns, name, i % 2 ? 8080 : 8000, p))
      ).status;
    }),
  );
  check(
    sample.every(s => s === 200),
    `sample of pods answers through the service proxy (${sample.join(', ')})`,
  );
  if (!flag('--keep')) {
    const tdel = Date.now();
    await req('DELETE', `/api/v1/namespaces/${ns}`);
    await eventually(
      'pods gone from the runner',
      async () => (await net.stats()).pods === 0,
      600_000,
    );
    say(
      `namespace deleted: the runner stopped all ${n} servers in ${(
        (Date.now() - tdel) /
        1000
      ).toFixed(1)} s`,
    );
    for (let i = 0; i < nodes; i++)
      await req('DELETE', `/api/v1/nodes/podnet-load-${i}`);
  }
  process.exit(failures ? 1 : 0);
}

try {
  if (option('--pods')) await load(Number(option('--pods')));
  else await endToEnd();
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
}
