// Against the floor (issue 17, goal 2): N ModelDeployments created -> all Ready, against N plain
// Deployments with the same pods (the same ConfigMap, Service and Deployment the reconciler makes,
// created directly) on the same cluster, without the backend. Also what the plugin adds to a
// spec change and to a model switch, and one deployment through Backstage's Kubernetes plugin
// against ours. Run: bash bench/run.sh ready.mjs  (MH_BENCH_DEPLOYMENTS, default 1000)
import os from 'node:os';
import {
  apiServerPid,
  benchClusters,
  benchModelDeployment,
  clustersConfig,
  cpuByRole,
  cpuOf,
  cpuSpent,
  deleteNamespaces,
  ensureNodes,
  fmt,
  kube,
  MD,
  openNamespace,
  parallel,
  percentile,
  record,
  say,
  sleep,
  smoke,
  startBackend,
  summary,
  timed,
} from './common.mjs';

const N = Number(process.env.MH_BENCH_DEPLOYMENTS ?? (smoke ? 20 : 1000));
const CONCURRENCY = 16;
const [cluster] = benchClusters();
const client = await kube(cluster.kubeconfig, { maxSockets: CONCURRENCY });
await ensureNodes(client, 2 * N + 10);

const backendConfig = {
  ...clustersConfig([cluster]),
  // Shorter leases than production's default, so the first reconciler starts at once.
  modelHosting: { reconciler: { leaseDurationSeconds: 15 } },
};
const name = cluster.name;

/** When each object was created (the create call answered), by deployment name. */
const createdAt = new Map();

/**
 * Waits until every object of a watched collection passes `ready`; the progress every 10 s; where
 * the time went per deployment: create -> Deployment seen -> its pod Ready -> ready.
 */
async function timeToReady(ns, path, total, ready, create) {
  const readyAt = new Map();
  const deploymentAt = new Map();
  const podReadyAt = new Map();
  createdAt.clear();
  const stops = [
    await client.watch(path, (type, obj) => {
      if (type !== 'DELETED' && ready(obj) && !readyAt.has(obj.metadata.name))
        readyAt.set(obj.metadata.name, performance.now());
    }),
    await client.watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      (type, d) => {
        if (!deploymentAt.has(d.metadata.name))
          deploymentAt.set(d.metadata.name, performance.now());
      },
    ),
    await client.watch(`/api/v1/namespaces/${ns}/pods`, (type, pod) => {
      const instance = pod.metadata.labels?.['app.kubernetes.io/instance'];
      if (
        instance &&
        !podReadyAt.has(instance) &&
        pod.status?.conditions?.find(c => c.type === 'Ready')?.status === 'True'
      )
        podReadyAt.set(instance, performance.now());
    }),
  ];
  const cpu0 = cpuByRole();
  const t0 = performance.now();
  const created = await timed(create);
  const curve = [];
  let next = 10_000;
  while (readyAt.size < total) {
    await sleep(100);
    const t = performance.now() - t0;
    if (t >= next) {
      curve.push(readyAt.size);
      say(`  ${readyAt.size}/${total} Ready after ${(t / 1000).toFixed(0)} s`);
      next += 10_000;
    }
    if (t > 1_800_000) throw new Error(`${path}: not all Ready in 30 minutes`);
  }
  const cpu = cpuSpent(cpu0, cpuByRole());
  stops.forEach(s => s());
  const times = [...readyAt.values()].map(t => t - t0);
  const gaps = (a, b) =>
    [...readyAt.keys()].map(k => b.get(k) - a.get(k)).filter(Number.isFinite);
  const stage = (label, values) =>
    `${label} p50 ${(percentile(values, 50) / 1000).toFixed(2)} s, p99 ${(
      percentile(values, 99) / 1000
    ).toFixed(2)} s`;
  const stages = [
    stage('create -> Deployment', gaps(createdAt, deploymentAt)),
    stage('Deployment -> pod Ready', gaps(deploymentAt, podReadyAt)),
    stage('pod Ready -> Ready', gaps(podReadyAt, readyAt)),
  ].join('; ');
  say(`  where the time went: ${stages}`);
  const seconds = Math.max(...times) / 1000;
  say(
    `  CPU meanwhile: ${cpu.total.toFixed(1)} s (${(
      cpu.total / seconds
    ).toFixed(2)} of ${os.cpus().length} cores): ${cpu.text}`,
  );
  return {
    cpu,
    seconds,
    createSeconds: created.ms / 1000,
    firstMinute: times.filter(t => t <= 60_000).length,
    p50: percentile(times, 50) / 1000,
    curve,
    stages,
  };
}

/** A copy of a template object for deployment `to`: its names (the deployment's and its ConfigMap's) replaced. */
const strip = (obj, ns, from, to, i) => {
  const copy = JSON.parse(JSON.stringify(obj));
  copy.metadata = {
    name: copy.metadata.name,
    namespace: ns,
    labels: copy.metadata.labels,
    annotations: copy.metadata.annotations,
  };
  delete copy.status;
  const text = JSON.stringify(copy)
    .replaceAll(`"${from}"`, `"${to}"`)
    .replaceAll(`"${from}-engine"`, `"${to}-engine"`);
  const out = JSON.parse(text);
  if (out.data?.MODEL_NAME && i % 2 === 0) out.data.MODEL_NAME = `model-${i}`;
  return out;
};

// 1. The objects the reconciler makes for each engine, as templates for the floor.
let backend = await startBackend({
  config: backendConfig,
  name: 'backend-ready',
});
await backend.synced();
await openNamespace(client, 'bench-template');
for (const i of [0, 1])
  await client.must(
    'POST',
    `${MD}/namespaces/bench-template/modeldeployments`,
    benchModelDeployment('bench-template', `template-${i}`, i),
  );
const templates = [];
for (const i of [0, 1]) {
  for (;;) {
    const md = await client.must(
      'GET',
      `${MD}/namespaces/bench-template/modeldeployments/template-${i}`,
    );
    if (md.status?.phase === 'Ready') break;
    await sleep(500);
  }
  const get = kind =>
    client.must(
      'GET',
      `/api/v1/namespaces/bench-template/${kind}/template-${i}`,
    );
  templates.push({
    configMap: await client.must(
      'GET',
      `/api/v1/namespaces/bench-template/configmaps/template-${i}-engine`,
    ),
    service: await get('services'),
    deployment: await client.must(
      'GET',
      `/apis/apps/v1/namespaces/bench-template/deployments/template-${i}`,
    ),
  });
}
await backend.stop();
await client.must('DELETE', '/api/v1/namespaces/bench-template');

// 2. The floor: N plain Deployments with the same pods, no backend running.
say(
  `floor: ${N} Deployments (with their ConfigMap and Service) created directly`,
);
await openNamespace(client, 'bench-floor');
const floor = await timeToReady(
  'bench-floor',
  '/apis/apps/v1/namespaces/bench-floor/deployments',
  N,
  d => (d.status?.readyReplicas ?? 0) >= 1,
  () =>
    parallel(
      Array.from({ length: N }, (_, i) => i),
      CONCURRENCY,
      async i => {
        const t = templates[i % 2];
        const n = `md-${i}`;
        await client.must(
          'POST',
          '/api/v1/namespaces/bench-floor/configmaps',
          strip(t.configMap, 'bench-floor', `template-${i % 2}`, n, i),
        );
        await client.must(
          'POST',
          '/api/v1/namespaces/bench-floor/services',
          strip(
            {
              ...t.service,
              spec: {
                ...t.service.spec,
                clusterIP: undefined,
                clusterIPs: undefined,
              },
            },
            'bench-floor',
            `template-${i % 2}`,
            n,
            i,
          ),
        );
        await client.must(
          'POST',
          '/apis/apps/v1/namespaces/bench-floor/deployments',
          strip(t.deployment, 'bench-floor', `template-${i % 2}`, n, i),
        );
        createdAt.set(n, performance.now());
      },
    ),
);
say(
  `floor: all ${N} Ready ${floor.seconds.toFixed(
    1,
  )} s after the first create (created in ${floor.createSeconds.toFixed(
    1,
  )} s; ${floor.firstMinute} in the first minute)`,
);
await deleteNamespaces(client, ['bench-floor']);
say('floor namespace deleted');

// 3. The same through ModelDeployments and the real backend.
backend = await startBackend({
  config: backendConfig,
  name: 'backend-ready',
  nodeOptions: process.env.MH_BENCH_PROFILE
    ? '--cpu-prof --cpu-prof-dir=' + process.env.MH_BENCH_PROFILE
    : '',
});
await backend.synced();
for (;;) {
  const s = await backend.stats();
  if (s.clusters.every(c => c.activeReconciler)) break;
  await sleep(200);
}
say(`${N} ModelDeployments`);
await openNamespace(client, 'bench-md');
const before = await backend.stats();
const ours = await timeToReady(
  'bench-md',
  `${MD}/namespaces/bench-md/modeldeployments`,
  N,
  md => md.status?.phase === 'Ready',
  () =>
    parallel(
      Array.from({ length: N }, (_, i) => i),
      CONCURRENCY,
      async i => {
        await client.must(
          'POST',
          `${MD}/namespaces/bench-md/modeldeployments`,
          benchModelDeployment('bench-md', `md-${i}`, i),
        );
        createdAt.set(`md-${i}`, performance.now());
      },
    ),
);
const after = await backend.stats();
const c0 = before.clusters[0];
const c1 = after.clusters[0];
say(
  `ModelDeployments: all ${N} Ready ${ours.seconds.toFixed(
    1,
  )} s after the first create (created in ${ours.createSeconds.toFixed(1)} s; ${
    ours.firstMinute
  } in the first minute); ${
    c1.reconcilePasses - c0.reconcilePasses
  } reconcile passes, ${c1.apiRequests.writes - c0.apiRequests.writes} writes`,
);
const ops = Object.entries(c1.apiRequests.byOperation ?? {})
  .map(([op, n]) => [op, n - (c0.apiRequests.byOperation?.[op] ?? 0)])
  .filter(([, n]) => n > 0)
  .sort((a, b) => b[1] - a[1])
  .map(([op, n]) => `${op} ${(n / N).toFixed(2)}`)
  .join(', ');
say(`  the plugin's writes per ModelDeployment: ${ops}`);
// The Events the plugin recorded on the ModelDeployments, by reason (with one message of each).
const events = (
  await client.must(
    'GET',
    '/api/v1/namespaces/bench-md/events?fieldSelector=involvedObject.kind%3DModelDeployment',
  )
).items;
const byReason = new Map();
for (const e of events) {
  const r = byReason.get(e.reason) ?? { count: 0, message: e.message };
  r.count += e.count ?? 1;
  byReason.set(e.reason, r);
}
say(
  `  Events on the ModelDeployments: ${[...byReason.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, r]) => `${reason} ${r.count} (e.g. "${r.message}")`)
    .join('; ')}`,
);
const ratio = ours.seconds / floor.seconds;
record({
  figure: `${N} ModelDeployments created -> all Ready`,
  target: '<= 1.2x the floor',
  measured: `${ours.seconds.toFixed(1)} s (${
    ours.firstMinute
  } Ready in the first minute)`,
  peer: `floor: ${N} plain Deployments ${floor.seconds.toFixed(1)} s (${
    floor.firstMinute
  } in the first minute)`,
  ratio: `${ratio.toFixed(2)}x`,
  pass: ratio <= 1.2,
});
// Both runs keep the machine's cores busy, so the time follows the work: what each part of the
// machine spent until all were Ready says where ours goes beyond the floor.
record({
  figure: `CPU spent until all ${N} were Ready (the whole machine)`,
  measured: `${ours.cpu.total.toFixed(1)} s (${ours.cpu.text})`,
  peer: `floor: ${floor.cpu.total.toFixed(1)} s (${floor.cpu.text})`,
  ratio: `${(ours.cpu.total / floor.cpu.total).toFixed(2)}x`,
});

// 4. Reconcile reaction: a spec change -> the Deployment carries it (seen by a watch).
const seen = new Map();
const stopWatch = await client.watch(
  '/apis/apps/v1/namespaces/bench-md/deployments',
  (_type, d) => {
    const arg = d.spec?.template?.spec?.containers?.[0]?.args?.find(a =>
      a.startsWith('--bench='),
    );
    if (arg && !seen.has(arg)) seen.set(arg, performance.now());
    const echo = d.metadata?.annotations?.['bench.modelhosting.io/echo'];
    if (echo && !seen.has(echo)) seen.set(echo, performance.now());
  },
);
const reactions = [];
for (let i = 0; i < (smoke ? 3 : 40); i++) {
  const target = `md-${((i * 37) % N) - (((i * 37) % N) % 2)}`; // HTTP predictors take engineArgs
  const marker = `--bench=${i}`;
  const t0 = performance.now();
  await client.must(
    'PATCH',
    `${MD}/namespaces/bench-md/modeldeployments/${target}`,
    { spec: { engineArgs: [marker] } },
    'application/merge-patch+json',
  );
  while (!seen.has(marker)) await sleep(2);
  reactions.push(seen.get(marker) - t0);
}
// The cluster's own floor for a reaction: one write seen by a watch (an annotation on the same
// Deployments, which the plan does not set). Ours is two of those (our watch sees the spec
// change; the bench's sees our apply) plus the backend's share.
const echoes = [];
for (let i = 0; i < (smoke ? 3 : 40); i++) {
  const target = `md-${((i * 37) % N) - (((i * 37) % N) % 2)}`;
  const marker = `--bench=floor-${i}`;
  const t0 = performance.now();
  await client.must(
    'PATCH',
    `/apis/apps/v1/namespaces/bench-md/deployments/${target}`,
    { metadata: { annotations: { 'bench.modelhosting.io/echo': marker } } },
    'application/merge-patch+json',
  );
  while (!seen.has(marker)) await sleep(2);
  echoes.push(seen.get(marker) - t0);
}
stopWatch();
// Where a reaction goes inside the backend: the queue's wait and the pass (the latest passes).
const stats = await backend.stats();
const inside = stats.clusters.find(c => c.name === name);
const loop = stats.eventLoopDelay;
const ms = p =>
  p ? `p50 ${fmt(p.p50 * 1000)}, p99 ${fmt(p.p99 * 1000)}` : '?';
record({
  figure: 'reconcile reaction (spec change -> Deployment updated)',
  target: 'p99 <= 500 ms',
  measured: summary('', reactions).replace(/^: /, ''),
  peer: `floor: one write seen by a watch ${summary('', echoes).replace(
    /^: /,
    '',
  )}; inside the backend: queue wait ${ms(
    inside?.reconcileQueueWait,
  )}; pass ${ms(inside?.reconcilePassDuration)}; event-loop delay ${
    loop ? `p50 ${fmt(loop.p50)}, p99 ${fmt(loop.p99)}` : '?'
  } (last ${loop?.seconds ?? 30} s)`,
  pass: percentile(reactions, 99) <= 500,
});

// 5. One deployment's objects: Backstage's Kubernetes plugin (live calls) against ours (the cache).
// The catalog's entity for md-0 (with its kubernetes-id, -namespace and -cluster annotations),
// as the Kubernetes tab sends it.
const entityName = `${name}.bench-md.md-0`;
let entity;
for (let i = 0; ; i++) {
  try {
    entity = await backend.call(
      'GET',
      `/api/catalog/entities/by-name/component/default/${entityName}`,
    );
    break;
  } catch (e) {
    if (i > 120) throw e;
    await sleep(1000);
  }
}
const theirs = [];
const oursOne = [];
for (let i = 0; i < (smoke ? 8 : 55); i++) {
  const a = await timed(() =>
    backend.call('POST', `/api/kubernetes/services/${entityName}`, { entity }),
  );
  const b = await timed(() =>
    backend.call('GET', `/api/model-hosting/deployments/${name}/bench-md/md-0`),
  );
  if (i >= 5) {
    theirs.push(a.ms);
    oursOne.push(b.ms);
  }
}
record({
  figure:
    'one deployment: model-hosting (cache) vs @backstage/plugin-kubernetes-backend (live lists)',
  measured: `p50 ${fmt(percentile(oursOne, 50))}`,
  peer: `Kubernetes plugin p50 ${fmt(percentile(theirs, 50))}`,
  ratio: `${(percentile(theirs, 50) / percentile(oursOne, 50)).toFixed(
    1,
  )}x faster`,
});

// 6. A model switch (recreate, one replica): what the plugin adds beyond the cluster's own work.
const sw = 'md-1';
const marks = [];
const mark = what => marks.push({ what, t: performance.now() });
const find = what => marks.find(e => e.what === what)?.t;
const stops = await Promise.all([
  client.watch(
    `/api/v1/namespaces/bench-md/pods?labelSelector=${encodeURIComponent(
      `app.kubernetes.io/instance=${sw}`,
    )}`,
    (type, pod) => {
      const model = pod.metadata.annotations?.['modelhosting.io/model'];
      if (type === 'DELETED') mark(`gone:${model}`);
      if (
        pod.status?.conditions?.find(c => c.type === 'Ready')?.status ===
          'True' &&
        !pod.metadata.deletionTimestamp
      )
        mark(`ready:${model}`);
    },
  ),
  client.watch(
    `/apis/apps/v1/namespaces/bench-md/deployments?fieldSelector=metadata.name%3D${sw}`,
    (_type, d) => {
      if (d.spec.replicas === 0) mark('scaledDown');
      mark(
        `applied:${d.spec.template.metadata.annotations?.['modelhosting.io/model']}`,
      );
    },
  ),
  client.watch(
    `${MD}/namespaces/bench-md/modeldeployments?fieldSelector=metadata.name%3D${sw}`,
    (_type, m) => {
      if (m.status?.lastSwitch?.to && !m.status.switch)
        mark(`done:${m.status.lastSwitch.to}`);
    },
  ),
]);
let from = (
  await client.must('GET', `${MD}/namespaces/bench-md/modeldeployments/${sw}`)
).status.activeModel;
const overheads = [];
let unfinished = false;
for (let i = 0; i < (smoke ? 1 : 10); i++) {
  const to = `org/switched-${i}`;
  marks.length = 0;
  const t0 = performance.now();
  await client.must(
    'PATCH',
    `${MD}/namespaces/bench-md/modeldeployments/${sw}`,
    { spec: { model: { name: to } } },
    'application/merge-patch+json',
  );
  // A loaded machine can take minutes per switch: the switches finished so far are the figure.
  const deadline = Date.now() + 300_000;
  while (!find(`done:${to}`) && Date.now() < deadline) await sleep(2);
  if (!find(`done:${to}`)) {
    say(`switch ${i} did not finish in 5 minutes: ${JSON.stringify(marks)}`);
    unfinished = true;
    break;
  }
  const [scaledDown, oldGone, applied, newReady, done] = [
    find('scaledDown'),
    find(`gone:${from}`),
    find(`applied:${to}`),
    find(`ready:${to}`),
    find(`done:${to}`),
  ];
  if ([scaledDown, oldGone, applied, newReady].some(x => x === undefined))
    throw new Error(`switch ${i}: missing events ${JSON.stringify(marks)}`);
  overheads.push(
    scaledDown -
      t0 +
      Math.max(0, applied - oldGone) +
      Math.max(0, done - newReady),
  );
  from = to;
}
stops.forEach(s => s());
record({
  figure:
    'switch overhead added by the plugin (reaction, start of the new model, status)',
  target: 'p99 <= 1000 ms',
  measured: overheads.length
    ? `${summary('', overheads).replace(/^: /, '')}${
        unfinished ? '; then a switch did not finish in 5 minutes' : ''
      }`
    : 'no switch finished in 5 minutes',
  pass:
    !unfinished && overheads.length > 0 && percentile(overheads, 99) <= 1000,
});
// 7. At rest, health checks on: what the Ready fleet costs its API server in a steady state (the
// checks through its service proxy, and the status writes: a changed verdict at once, an unchanged
// one every statusRefreshSeconds). A window of 5 minutes: the default refresh's period.
{
  const windowMs = smoke ? 10_000 : 300_000;
  const pid = apiServerPid(name);
  const before = await backend.stats();
  const cpu0 = cpuOf(pid);
  const t0 = performance.now();
  await sleep(windowMs);
  const after = await backend.stats();
  const seconds = (performance.now() - t0) / 1000;
  const cores = (cpuOf(pid) - cpu0) / seconds;
  const ops = s => s.clusters[0].apiRequests.byOperation ?? {};
  const writes = Object.entries(ops(after))
    .map(([op, n]) => [op, n - (ops(before)[op] ?? 0)])
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${(n / seconds).toFixed(2)}/s`)
    .join(', ');
  const statusWrites =
    (ops(after)['update status'] ?? 0) - (ops(before)['update status'] ?? 0);
  record({
    figure: `at rest, health checks on: ${N} Ready deployments' status writes (${Math.round(
      seconds,
    )} s)`,
    measured: `${(statusWrites / seconds).toFixed(2)} a second`,
    peer: `the plugin's API requests: ${writes || 'none'}; kube-apiserver ${(
      cores * 100
    ).toFixed(0)} % of a core (health checks through its proxy included)`,
  });
}

// The backend first (its profile is written as it exits); then the namespace, which at 1000
// deployments the garbage collector may take minutes to empty: measured nothing, so not fatal.
await backend.stop();
await deleteNamespaces(client, ['bench-md']).catch(e =>
  say(`  left behind: ${e.message}`),
);
client.close();
