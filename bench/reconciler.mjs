// Benchmark for the cluster cache and reconciler (issue 3). Run: bash bench/reconciler.sh
// Prints each figure next to its target.
import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  benchKube,
  ensureNamespace,
  fmt,
  parallel,
  percentile,
  repo,
  sleep,
  startBackend,
  state,
  summary,
  timed,
  token,
} from './common.mjs';

const N = Number(process.env.MH_BENCH_DEPLOYMENTS ?? 1000);
const ns = 'bench';
const { kc, core, custom } = benchKube();
const md = {
  group: 'modelhosting.io',
  version: 'v1alpha1',
  plural: 'modeldeployments',
};
const mergePatch = k8s.setHeaderOptions(
  'Content-Type',
  k8s.PatchStrategy.MergePatch,
);
const results = [];
const report = (line, ok) => {
  const text = `${ok === undefined ? '     ' : ok ? 'PASS ' : 'MISS '} ${line}`;
  results.push(text);
  console.log(text);
};

const spec = name => ({
  owner: 'group:default/ml-platform',
  engine: 'http',
  model: { name: `model-${name}` },
  resources: { cpu: '10m', memory: '16Mi' },
  replicas: 1,
});

// 1. Capacity for 1000 pods: CPU-only simulated nodes.
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

// 2. One catalog entity, so Backstage's Kubernetes plugin can look the same deployment up.
const probe = 'md-0';
const entityFile = path.join(state, 'bench-entity.yaml');
fs.writeFileSync(
  entityFile,
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${probe}
  annotations:
    backstage.io/kubernetes-id: ${probe}
    backstage.io/kubernetes-namespace: ${ns}
spec: { type: model-server, lifecycle: production, owner: group:default/ml-platform }
`,
);
const benchConfig = path.join(state, 'app-config.bench.yaml');
fs.writeFileSync(
  benchConfig,
  `backend:
  baseUrl: http://localhost:7200
  listen: { port: 7200 }
  database: { client: better-sqlite3, connection: ':memory:' }
  auth:
    externalAccess:
      - type: static
        options: { token: ${token}, subject: bench }
catalog:
  locations:
    - { type: file, target: ${entityFile} }
`,
);

const backend = await startBackend({
  port: 7200,
  token,
  logFile: path.join(state, 'backend.log'),
  configs: [
    path.join(repo, 'app-config.yaml'),
    benchConfig,
    path.join(state, 'mh-bench.app-config.yaml'),
  ],
});
try {
  const stats = () => backend.call('GET', '/api/model-hosting/stats');
  while (!(await stats()).clusters[0].synced) await sleep(200);
  await sleep(2000);
  const before = (await stats()).memory;

  // 3. 1000 ModelDeployments, reconciled from scratch.
  console.log(`creating ${N} ModelDeployments...`);
  const created = await timed(() =>
    parallel(
      Array.from({ length: N }, (_, i) => `md-${i}`),
      16,
      name =>
        custom
          .createNamespacedCustomObject({
            ...md,
            namespace: ns,
            body: {
              apiVersion: 'modelhosting.io/v1alpha1',
              kind: 'ModelDeployment',
              metadata: { name },
              spec: spec(name),
            },
          })
          .catch(e => {
            if (e.code !== 409) throw e;
          }),
    ),
  );
  const ready = await timed(async () => {
    for (;;) {
      const fleet = await backend.call('GET', '/api/model-hosting/deployments');
      const n = fleet.items.filter(
        i => i.namespace === ns && i.phase === 'Ready',
      ).length;
      if (n >= N) return;
      process.stdout.write(`\r  ${n}/${N} Ready`);
      await sleep(2000);
    }
  });
  console.log('');
  report(
    `created ${N} ModelDeployments in ${(created.ms / 1000).toFixed(
      1,
    )} s; all Ready (pods Running on ${Math.ceil(N / 150) + 1} nodes) ${(
      ready.ms / 1000
    ).toFixed(1)} s later`,
  );
  await sleep(3000);
  const after = await stats();
  const heap = (after.memory.heapUsed - before.heapUsed) / 2 ** 20;
  const rss = (after.memory.rss - before.rss) / 2 ** 20;
  report(
    `cache memory growth for ${N} deployments (+${N} pods, ${N} each of Deployments, ReplicaSets, Services, ConfigMaps): heap +${heap.toFixed(
      0,
    )} MB, RSS +${rss.toFixed(0)} MB (target <= 200 MB)`,
    rss <= 200,
  );
  report(`objects held: ${JSON.stringify(after.clusters[0].objects)}`);

  // 4. Fleet status across the cluster: latency and Kubernetes requests per call.
  for (let i = 0; i < 20; i++)
    await backend.call('GET', '/api/model-hosting/deployments');
  const requestsBefore = (await stats()).clusters[0].apiRequests;
  const fleetTimes = [];
  const calls = 200;
  for (let i = 0; i < calls; i++)
    fleetTimes.push(
      (await timed(() => backend.call('GET', '/api/model-hosting/deployments')))
        .ms,
    );
  const requestsAfter = (await stats()).clusters[0].apiRequests;
  // Lists, watches and writes: what a fleet call could cause. Lease renewals run on their own clock.
  const perCall =
    (requestsAfter.listsAndWatches -
      requestsBefore.listsAndWatches +
      requestsAfter.writes -
      requestsBefore.writes) /
    calls;
  report(
    `${summary(
      `fleet status (${N} deployments)`,
      fleetTimes,
    )} (target p99 <= 50 ms)`,
    percentile(fleetTimes, 99) <= 50,
  );
  report(
    `Kubernetes requests per fleet call: ${perCall} (target 0; ${
      requestsAfter.lease - requestsBefore.lease
    } Lease renewals ran meanwhile)`,
    perCall === 0,
  );

  // 5. One deployment's objects: ours vs Backstage's Kubernetes plugin, same cluster, same entity.
  for (let i = 0; i < 60; i++) {
    try {
      await backend.call(
        'GET',
        `/api/catalog/entities/by-name/component/default/${probe}`,
      );
      break;
    } catch {
      await sleep(1000);
    }
  }
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: probe, namespace: 'default' },
  };
  const theirs = [];
  const ours = [];
  for (let i = 0; i < 5; i++) {
    await backend.call('POST', `/api/kubernetes/services/${probe}`, { entity });
    await backend.call(
      'GET',
      `/api/model-hosting/deployments/local/${ns}/${probe}`,
    );
  }
  const k8sResponse = await backend.call(
    'POST',
    `/api/kubernetes/services/${probe}`,
    { entity },
  );
  const kinds =
    k8sResponse.items?.[0]?.resources
      ?.filter(r => r.resources.length)
      .map(r => r.type) ?? [];
  for (let i = 0; i < 50; i++) {
    theirs.push(
      (
        await timed(() =>
          backend.call('POST', `/api/kubernetes/services/${probe}`, { entity }),
        )
      ).ms,
    );
    ours.push(
      (
        await timed(() =>
          backend.call(
            'GET',
            `/api/model-hosting/deployments/local/${ns}/${probe}`,
          ),
        )
      ).ms,
    );
  }
  const ratio = percentile(theirs, 50) / percentile(ours, 50);
  report(
    summary(
      'one deployment through @backstage/plugin-kubernetes-backend',
      theirs,
    ) + ` (it returned ${kinds.join(', ')})`,
  );
  report(
    summary(
      'one deployment through model-hosting (pods, events, HPA, status)',
      ours,
    ),
  );
  report(
    `model-hosting is ${ratio.toFixed(1)}x faster at p50 (target >= 10x)`,
    ratio >= 10,
  );

  // 6. Reconcile reaction: spec change -> the Deployment carries it.
  const watcher = new k8s.Watch(kc);
  const seen = new Map();
  const abort = await watcher.watch(
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    {},
    (type, obj) => {
      const arg = obj.spec?.template?.spec?.containers?.[0]?.args?.find(a =>
        a.startsWith('--bench='),
      );
      if (arg && !seen.has(arg)) seen.set(arg, performance.now());
    },
    () => {},
  );
  const reactions = [];
  for (let i = 0; i < 40; i++) {
    const target = `md-${(i * 37) % N}`;
    const marker = `--bench=${i}`;
    const t0 = performance.now();
    await custom.patchNamespacedCustomObject(
      {
        ...md,
        namespace: ns,
        name: target,
        body: { spec: { engineArgs: [marker] } },
      },
      mergePatch,
    );
    while (!seen.has(marker)) await sleep(2);
    reactions.push(seen.get(marker) - t0);
  }
  abort.abort();
  report(
    `${summary(
      'reconcile reaction (spec change -> Deployment updated, seen by a watch)',
      reactions,
    )} (target p99 <= 500 ms)`,
    percentile(reactions, 99) <= 500,
  );

  // 7. Switch overhead: what the plugin adds to a recreate switch, beyond the cluster's own work
  // (ReplicaSet controller, pod termination, scheduling, readiness): its reaction to the spec
  // change, its start of the new model once the old pods are gone, its status once new pods are ready.
  const switchName = 'md-1';
  const seenAt = [];
  const mark = (what, t = performance.now()) => seenAt.push({ what, t });
  const find = what => seenAt.find(e => e.what === what)?.t;
  const watches = await Promise.all([
    watcher.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: `app.kubernetes.io/instance=${switchName}` },
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
      () => {},
    ),
    watcher.watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { fieldSelector: `metadata.name=${switchName}` },
      (_type, d) => {
        if (d.spec.replicas === 0) mark('scaledDown');
        mark(
          `applied:${d.spec.template.metadata.annotations?.['modelhosting.io/model']}`,
        );
      },
      () => {},
    ),
    watcher.watch(
      `/apis/modelhosting.io/v1alpha1/namespaces/${ns}/modeldeployments`,
      { fieldSelector: `metadata.name=${switchName}` },
      (_type, m) => {
        if (m.status?.lastSwitch?.to && !m.status.switch)
          mark(`done:${m.status.lastSwitch.to}`);
      },
      () => {},
    ),
  ]);
  const overheads = [];
  const totals = [];
  let from = (
    await backend.call(
      'GET',
      `/api/model-hosting/deployments/local/${ns}/${switchName}`,
    )
  ).summary.activeModel;
  for (let i = 0; i < 10; i++) {
    const to = `switched-${i}`;
    seenAt.length = 0;
    const t0 = performance.now();
    await custom.patchNamespacedCustomObject(
      {
        ...md,
        namespace: ns,
        name: switchName,
        body: { spec: { model: { name: to } } },
      },
      mergePatch,
    );
    while (!find(`done:${to}`)) await sleep(2);
    const [scaledDown, oldGone, applied, newReady, done] = [
      find('scaledDown'),
      find(`gone:${from}`),
      find(`applied:${to}`),
      find(`ready:${to}`),
      find(`done:${to}`),
    ];
    if ([scaledDown, oldGone, applied, newReady].some(x => x === undefined))
      throw new Error(`switch ${i}: missing events ${JSON.stringify(seenAt)}`);
    const parts = [
      scaledDown - t0,
      Math.max(0, applied - oldGone),
      Math.max(0, done - newReady),
    ];
    overheads.push(parts.reduce((a, b) => a + b, 0));
    totals.push(done - t0);
    console.log(
      `  switch ${i}: total ${fmt(done - t0)}; plugin: react ${fmt(
        parts[0],
      )}, start new ${fmt(parts[1])}, report ${fmt(parts[2])}`,
    );
    from = to;
  }
  watches.forEach(w => w.abort());
  report(summary('switch, request to done (recreate, one replica)', totals));
  report(
    `${summary(
      'switch overhead added by the plugin (reaction, start of the new model, status)',
      overheads,
    )} (target <= 1000 ms)`,
    percentile(overheads, 99) <= 1000,
  );
} finally {
  backend.stop();
}
console.log('\nSummary');
for (const line of results) console.log(line);
