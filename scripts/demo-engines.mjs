// For the local demo: the example ModelDeployments (k8s/examples) get a trickle of real requests,
// so that health checks and usage charts have something to show.
//
//   node scripts/demo-engines.mjs <admin kubeconfig> <config out>
//
// With the cluster's pod network (the pod runner of scripts/cluster serves the example pods on their
// pod IPs), the requests go to the pods through the API server's service proxy, as any client of
// the cluster would send them; <config out> gets no endpoint overrides. Without a pod network (not
// root), stand-ins for each engine listen on loopback instead (@modelhosting/engine-stand-ins),
// follow model switches, get the same trickle, and <config out> points the health checks at them
// (modelHosting.health.endpoints).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from './cluster/pod-runner/kube.mjs';

const require = createRequire(import.meta.url);
const {
  createFakeEngine,
  podNetwork,
} = require('../packages/engine-stand-ins/src/index.js');

const [kubeconfigPath, configOut] = process.argv.slice(2);
if (!kubeconfigPath || !configOut) {
  console.error('usage: demo-engines.mjs <admin kubeconfig> <config out>');
  process.exit(2);
}
const ns = 'ml-serving';
const kube = await connect(kubeconfigPath);
const net = podNetwork({ kubeconfig: kubeconfigPath });

/** The examples' ModelDeployments, refreshed now and then: the model each serves right now. */
let deployments = [];
async function refresh() {
  const r = await kube.request(
    'GET',
    `/apis/modelhosting.io/v1alpha1/namespaces/${ns}/modeldeployments`,
  );
  if (r.status === 200) deployments = r.body.items;
}

const served = md => md.status?.activeModel ?? md.spec.model.name;

/** What the demo asks each engine: a chat, a generation, an iris prediction. */
function requestFor(md) {
  const model = served(md);
  switch (md.spec.engine) {
    case 'vllm':
    case 'openai':
      return {
        path: '/v1/chat/completions',
        body: {
          model,
          messages: [{ role: 'user', content: 'Echo: Hello from the demo' }],
          max_tokens: 16,
        },
      };
    case 'ollama':
      return {
        path: '/api/generate',
        body: { model, prompt: 'Echo: Hello from the demo', stream: false },
      };
    default: {
      const rows = Array.from(
        { length: 1 + Math.floor(Math.random() * 3) },
        () => [
          4.5 + Math.random() * 3,
          2 + Math.random() * 2,
          1 + Math.random() * 5.5,
          0.1 + Math.random() * 2.4,
        ],
      );
      return {
        path: `/v2/models/${encodeURIComponent(md.spec.model.name)}/infer`,
        body: {
          inputs: [
            {
              name: 'predict',
              shape: [rows.length, 4],
              datatype: 'FP32',
              data: rows.flat(),
            },
          ],
        },
      };
    }
  }
}

/** How long the examples' answers take (ms): a small model on a GPU, a tiny predictor. */
const DEMO_DELAYS = {
  'vllm-instruct': 450,
  'ollama-chat': 300,
  'iris-classifier': 15,
};

const portOf = md =>
  ({ vllm: 8000, ollama: 11434, openai: 8080, http: 8080 }[md.spec.engine] ??
  8080);

let send;
if (net) {
  // Through the API server's service proxy, to whichever pod the Service picks.
  send = async md => {
    const { path, body } = requestFor(md);
    const proxy = `/api/v1/namespaces/${ns}/services/${
      md.metadata.name
    }:${portOf(md)}/proxy${path}`;
    await kube.request('POST', proxy, body, 'application/json', {
      timeoutMs: 10_000,
    });
  };
  // Answers take about as long as a small model's would, so the latency chart shows something.
  for (const [name, delayMs] of Object.entries(DEMO_DELAYS)) {
    await net.control(ns, name, { delayMs }).catch(() => {});
  }
  fs.writeFileSync(
    configOut,
    '# Written by scripts/demo-engines.mjs: the pod network is up, so the health checks reach the\n' +
      "# example pods through the API server's service proxy; no endpoint overrides.\n{}\n",
  );
  console.log(
    `demo traffic: through the service proxy to the pods of ${ns} (pod network ${net.info.podCIDR})`,
  );
} else {
  const engines = {
    'ollama-chat': await createFakeEngine({
      engine: 'ollama',
      env: { MODEL_NAME: 'llama3.1:8b' },
    }),
    'vllm-instruct': await createFakeEngine({
      engine: 'vllm',
      args: [
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--served-model-name',
        'meta-llama/Llama-3.1-8B-Instruct',
      ],
    }),
    'iris-classifier': await createFakeEngine({
      engine: 'http',
      env: {
        MODEL_NAME: 'iris-classifier',
        MLSERVER_MODEL_NAME: 'iris-classifier',
        MODEL_VERSION: '1.4.0',
      },
    }),
  };
  for (const [name, e] of Object.entries(engines))
    e.state.delayMs = DEMO_DELAYS[name] ?? 0;
  fs.writeFileSync(
    configOut,
    JSON.stringify(
      {
        modelHosting: {
          health: {
            endpoints: Object.entries(engines).map(([name, e]) => ({
              cluster: 'local',
              namespace: ns,
              name,
              url: e.url,
            })),
          },
        },
      },
      null,
      2,
    ),
  );
  send = async md => {
    const e = engines[md.metadata.name];
    if (!e) return;
    const { path, body } = requestFor(md);
    await fetch(`${e.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  };
  // Serve what each deployment asks for, as a real server would after a switch.
  setInterval(() => {
    for (const md of deployments) {
      const e = engines[md.metadata.name];
      if (!e) continue;
      if (md.spec.engine === 'ollama')
        e.state.models.add(
          served(md).includes(':') ? served(md) : `${served(md)}:latest`,
        );
      else e.state.servedModel = served(md);
    }
  }, 1000);
  console.log(
    `no pod network: stand-in model servers on loopback: ${Object.entries(
      engines,
    )
      .map(([n, e]) => `${n} ${e.url}`)
      .join(', ')}`,
  );
}

await refresh().catch(() => {});
setInterval(() => refresh().catch(() => {}), 10_000);
// A trickle: every few seconds a request or two per example, all of them real.
setInterval(async () => {
  for (const md of deployments) {
    const n = Math.floor(Math.random() * 3);
    for (let i = 0; i < n; i++) {
      try {
        await send(md);
      } catch {
        // scaled to zero, restarting, or the cluster is down: try again next time
      }
    }
  }
}, 5000);
