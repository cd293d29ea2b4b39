// Switch on request (issue 15): a gateway request for the pool model a deployment does not run,
// held through the switch (recreate, one replica) and answered by the new model, against the
// procedure the vllm-chill seed runs for the same switch on a plain Deployment with the same pod
// (scale to 0, wait for the pod to go, the new model into the ConfigMap, scale to 1, wait for
// Ready). The figure judged is the plugin's overhead beyond the cluster's own work: the request's
// total time minus the old pod's termination and the new pod's start (deleted -> gone, created ->
// Ready), as watched. Run: bash bench/run.sh switch.mjs  (MH_BENCH_SWITCHES, default 10)
import {
  benchClusters,
  clustersConfig,
  ensureNodes,
  kube,
  MD,
  openNamespace,
  percentile,
  record,
  say,
  sleep,
  smoke,
  startBackend,
  summary,
  token,
} from './common.mjs';

const SWITCHES = Number(process.env.MH_BENCH_SWITCHES ?? (smoke ? 2 : 10));
const NS = 'bench-switch';
const MODELS = ['org/model-a', 'org/model-b'];
const [cluster] = benchClusters();
const client = await kube(cluster.kubeconfig);
await ensureNodes(client, 10, 'switch');
await openNamespace(client, NS);

const isReady = pod =>
  pod.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True';

/** Pod lifecycle moments of one app, by pod name: deleted (deletionTimestamp seen), gone, created, Ready. */
async function watchPods(instance) {
  const pods = new Map();
  const at = (name, what) => {
    const p = pods.get(name) ?? {};
    if (p[what] === undefined) p[what] = performance.now();
    pods.set(name, p);
  };
  const stop = await client.watch(
    `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(
      `app.kubernetes.io/instance=${instance}`,
    )}`,
    (type, pod) => {
      const name = pod.metadata.name;
      at(name, 'created');
      if (type === 'DELETED') at(name, 'gone');
      else if (pod.metadata.deletionTimestamp) at(name, 'deleted');
      else if (isReady(pod)) at(name, 'ready');
    },
  );
  return {
    stop,
    /** Waits for a Ready pod created after `t0`; the cluster's work since `t0` in ms. */
    async clusterWork(t0, old) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const fresh = [...pods.entries()].find(
          ([n, p]) => !old.has(n) && p.created >= t0 && p.ready,
        );
        const gone = [...old].map(n => pods.get(n));
        if (fresh && gone.every(p => p?.gone)) {
          const stopping = gone.reduce(
            (ms, p) => ms + (p.gone - (p.deleted ?? p.gone)),
            0,
          );
          return stopping + (fresh[1].ready - fresh[1].created);
        }
        if (Date.now() > deadline)
          throw new Error(`${instance}: no new Ready pod within 120 s`);
        await sleep(5);
      }
    },
    live: () =>
      new Set([...pods].filter(([, p]) => !p.gone).map(([name]) => name)),
  };
}

const backend = await startBackend({
  config: {
    ...clustersConfig([cluster]),
    modelHosting: { reconciler: { leaseDurationSeconds: 15 } },
  },
  name: 'backend-switch',
  port: Number(process.env.MH_BENCH_PORT ?? 7210),
});
await backend.synced();

// Ours: a pool of two models; each request asks for the one not running.
await client.must('POST', `${MD}/namespaces/${NS}/modeldeployments`, {
  apiVersion: 'modelhosting.io/v1alpha1',
  kind: 'ModelDeployment',
  metadata: { name: 'chill', namespace: NS },
  spec: {
    owner: 'group:default/ml-platform',
    engine: 'vllm',
    model: { name: MODELS[0] },
    models: MODELS.map(name => ({ name })),
    resources: { cpu: '10m', memory: '16Mi' },
    replicas: 1,
    switching: { strategy: 'recreate', minResidencySeconds: 0 },
  },
});
const ours = await watchPods('chill');
const waitPhase = async () => {
  for (;;) {
    const md = await client.must(
      'GET',
      `${MD}/namespaces/${NS}/modeldeployments/chill`,
    );
    if (md.status?.phase === 'Ready') return md;
    await sleep(200);
  }
};
await waitPhase();
const totals = [];
const overheads = [];
for (let i = 1; i <= SWITCHES; i++) {
  const model = MODELS[i % 2];
  const old = ours.live();
  const t0 = performance.now();
  const res = await fetch(
    `${backend.base}/api/model-hosting/v1/chat/completions`,
    {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        model: `${NS}/${model}`,
        max_tokens: 4,
        messages: [{ role: 'user', content: 'Say OK.' }],
      }),
    },
  );
  const body = await res.json();
  const total = performance.now() - t0;
  if (res.status !== 200 || body.model !== model)
    throw new Error(`switch ${i}: ${res.status} ${JSON.stringify(body)}`);
  const work = await ours.clusterWork(t0, old);
  totals.push(total);
  overheads.push(total - work);
  say(
    `  ours ${i}: ${(total / 1000).toFixed(2)} s, cluster ${(
      work / 1000
    ).toFixed(2)} s`,
  );
  await waitPhase();
}
ours.stop();

// The seed's procedure on a plain Deployment and ConfigMap with the same pod (copies of ours).
const strip = obj => {
  const copy = JSON.parse(
    JSON.stringify(obj)
      .replaceAll('"chill"', '"seed"')
      .replaceAll('"chill-engine"', '"seed-engine"'),
  );
  copy.metadata = {
    name: copy.metadata.name,
    namespace: NS,
    labels: copy.metadata.labels,
    annotations: copy.metadata.annotations,
  };
  delete copy.status;
  return copy;
};
const configMap = await client.must(
  'GET',
  `/api/v1/namespaces/${NS}/configmaps/chill-engine`,
);
const deployment = await client.must(
  'GET',
  `/apis/apps/v1/namespaces/${NS}/deployments/chill`,
);
await client.must('DELETE', `${MD}/namespaces/${NS}/modeldeployments/chill`);
await backend.stop();
const seedPods = await watchPods('seed');
await client.must(
  'POST',
  `/api/v1/namespaces/${NS}/configmaps`,
  strip(configMap),
);
await client.must(
  'POST',
  `/apis/apps/v1/namespaces/${NS}/deployments`,
  strip({ ...deployment, spec: { ...deployment.spec, replicas: 1 } }),
);
const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/seed`;
const scale = replicas =>
  client.must(
    'PATCH',
    DEPLOYMENT,
    { spec: { replicas } },
    'application/merge-patch+json',
  );
const replicasReady = async n => {
  for (;;) {
    const d = await client.must('GET', DEPLOYMENT);
    const ready = d.status?.readyReplicas ?? 0;
    const all = d.status?.replicas ?? 0;
    if (ready === n && all === n) return;
    await sleep(100);
  }
};
await replicasReady(1);
const seedTotals = [];
for (let i = 1; i <= SWITCHES; i++) {
  const model = MODELS[i % 2];
  const old = seedPods.live();
  const t0 = performance.now();
  await scale(0);
  await replicasReady(0);
  await client.must(
    'PATCH',
    `/api/v1/namespaces/${NS}/configmaps/seed-engine`,
    { data: { MODEL_NAME: model } },
    'application/merge-patch+json',
  );
  await scale(1);
  await replicasReady(1);
  const total = performance.now() - t0;
  const work = await seedPods.clusterWork(t0, old);
  seedTotals.push(total);
  say(
    `  seed ${i}: ${(total / 1000).toFixed(2)} s, cluster ${(
      work / 1000
    ).toFixed(2)} s`,
  );
}
seedPods.stop();
await client.must('DELETE', `/api/v1/namespaces/${NS}`);
client.close();

record({
  figure:
    'switch on request: overhead beyond the pods (request held -> answered by the new model)',
  target: 'p99 <= 1000 ms',
  measured: summary('', overheads).replace(/^: /, ''),
  peer: `request total p50 ${(percentile(totals, 50) / 1000).toFixed(
    2,
  )} s; seed procedure (scale 0, ConfigMap, scale 1, wait) p50 ${(
    percentile(seedTotals, 50) / 1000
  ).toFixed(2)} s`,
  ratio: `${(percentile(totals, 50) / percentile(seedTotals, 50)).toFixed(
    2,
  )}x the seed`,
  pass: percentile(overheads, 99) <= 1000,
});
