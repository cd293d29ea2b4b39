// Ten times the scale over three clusters (issue 17, goals 1, 4 and 5): ModelDeployments in steps
// (1000, 5000, 10,000 over mh-bench-1..3), each with its pod served by the pod runner on its pod
// IP. At each step: the cache's heap per 1000 deployments, fleet status latency, a health round
// over every deployment through the default access path (the API server's service proxy) with
// status writes and a steady one, the backend's RSS meanwhile, and (MH_BENCH_FLEET_PAGE=1, at the
// first and last step) the fleet page in Chromium against this backend.
// Run: bash bench/run.sh scale.mjs 3   (MH_BENCH_STEPS=1000,5000,10000)
// MH_BENCH_PODS=N (or all): only the first N deployments run a pod; the rest are created scaled to zero
// (replicas 0, as scale-to-zero leaves idle deployments), so the steps beyond what the pod runners
// can start on 2 cores still measure the caches, fleet status and the fleet page at that size.
import fs from 'node:fs';
import {
  benchClusters,
  benchModelDeployment,
  clustersConfig,
  ensureNodes,
  fmt,
  kube,
  MD,
  mb,
  openNamespace,
  parallel,
  percentile,
  record,
  rssOf,
  say,
  sleep,
  smoke,
  startBackend,
  timed,
} from './common.mjs';

const STEPS = (
  process.env.MH_BENCH_STEPS ?? (smoke ? '20,40' : '1000,5000,10000')
)
  .split(',')
  .map(Number);
const MAX = Math.max(...STEPS);
const PODS = ['', 'all', undefined].includes(process.env.MH_BENCH_PODS)
  ? Infinity
  : Number(process.env.MH_BENCH_PODS);
if (Number.isNaN(PODS))
  throw new Error(
    `MH_BENCH_PODS must be a number or "all", not '${process.env.MH_BENCH_PODS}'`,
  );
const withPods = step => Math.min(step, PODS);
/** How many are reconciled to what their spec asks: Ready, or scaled to zero (those without pods). */
const settledCount = async () => {
  const count = async phase =>
    (
      await backend.call(
        'GET',
        `/api/model-hosting/deployments?limit=0&phase=${phase}`,
      )
    ).total;
  return (await count('Ready')) + (await count('ScaledToZero'));
};
const clusters = benchClusters();
const NS = 'bench-scale';
const clients = await Promise.all(
  clusters.map(c => kube(c.kubeconfig, { maxSockets: 32 })),
);
const perCluster = Math.ceil(withPods(MAX) / clusters.length);
for (const client of clients) {
  await ensureNodes(client, perCluster + 10);
  await openNamespace(client, NS);
}

const backend = await startBackend({
  name: 'backend-scale',
  inspect: true,
  nodeOptions: process.env.MH_BENCH_PROFILE
    ? `--cpu-prof --cpu-prof-dir=${process.env.MH_BENCH_PROFILE}`
    : '',
  config: {
    ...clustersConfig(clusters),
    modelHosting: {
      health: {
        // Rounds when this benchmark triggers them; every deployment is due 5 s after its last check.
        tickSeconds: 3600,
        statusRefreshSeconds: 3600,
      },
    },
  },
});
await backend.synced();
const pid = backend.pid();
// Start-up settles (the catalog's first passes, code compiled on first use) before the baseline.
await sleep(smoke ? 5000 : 20_000);

/** What survives a full garbage collection (the backend runs with --inspect for it). */
const liveHeap = () => backend.heap();
const heap0 = await liveHeap();
say(
  `backend up: heap ${mb(heap0).toFixed(0)} MB, RSS ${rssOf(pid).toFixed(
    0,
  )} MB`,
);

/**
 * The API servers' floor for a round's status writes: one merge patch of the status (its whole
 * status with a new lastHealthCheck, as the backend writes it) for each deployment with a ready
 * pod among md-<from> and later, sent straight to the API servers `concurrency` at a time.
 */
async function statusWriteFloor(from, concurrency) {
  const lists = await Promise.all(
    clients.map(client =>
      client.must('GET', `${MD}/namespaces/${NS}/modeldeployments`),
    ),
  );
  const jobs = lists.flatMap((list, c) =>
    list.items
      .filter(
        md =>
          md.status?.readyReplicas && Number(md.metadata.name.slice(3)) >= from,
      )
      .map(md => [clients[c], md]),
  );
  const time = new Date().toISOString();
  const t = await timed(() =>
    parallel(jobs, concurrency, ([client, md]) =>
      client.must(
        'PATCH',
        `${MD}/namespaces/${NS}/modeldeployments/${md.metadata.name}/status`,
        {
          status: {
            ...md.status,
            lastHealthCheck: { ...md.status.lastHealthCheck, time },
          },
        },
        'application/merge-patch+json',
      ),
    ),
  );
  return { ms: t.ms, writes: jobs.length };
}

let created = 0;
const results = [];
const pageSteps = new Set([STEPS[0], STEPS.at(-1)]);
for (const step of STEPS) {
  // 1. Up to `step` ModelDeployments, spread over the clusters.
  const t = await timed(() =>
    Promise.all(
      clients.map((client, c) =>
        parallel(
          Array.from({ length: step - created }, (_, k) => created + k).filter(
            i => i % clients.length === c,
          ),
          32,
          i =>
            client.must(
              'POST',
              `${MD}/namespaces/${NS}/modeldeployments`,
              benchModelDeployment(NS, `md-${i}`, i, {
                healthCheck: { intervalSeconds: 5 },
                ...(i >= PODS ? { replicas: 0 } : {}),
              }),
            ),
        ),
      ),
    ),
  );
  say(
    `${step}: created ${step - created} ModelDeployments in ${(
      t.ms / 1000
    ).toFixed(0)} s (${withPods(step)} of ${step} with a pod)`,
  );
  const before = created;
  created = step;
  const ready = await timed(async () => {
    for (let last = -1; ; ) {
      const n = await settledCount();
      if (n >= step) return;
      if (n !== last) say(`  ${n}/${step} Ready or scaled to zero`);
      last = n;
      await sleep(5000);
    }
  });
  say(
    `${step}: all Ready or scaled to zero ${(ready.ms / 1000).toFixed(
      0,
    )} s after the last create`,
  );
  // Measured once the portal has settled: the catalog holds a model-server Component for every
  // deployment (the entities are processed and stitched). Users look at a fleet at rest, not
  // during the catalog's first processing of thousands of new entities.
  const inCatalog = await timed(async () => {
    const deadline = Date.now() + 20 * 60_000;
    for (let last = -1; ; ) {
      const { totalItems } = await backend.call(
        'GET',
        '/api/catalog/entities/by-query?filter=kind=component,spec.type=model-server&limit=1&fields=metadata.name',
      );
      if (totalItems >= step) return;
      if (Date.now() > deadline) {
        say(
          `  the catalog holds ${totalItems}/${step} after 20 min: measuring anyway`,
        );
        return;
      }
      if (totalItems !== last) say(`  ${totalItems}/${step} in the catalog`);
      last = totalItems;
      await sleep(5000);
    }
  });
  say(
    `${step}: every deployment in the catalog ${(inCatalog.ms / 1000).toFixed(
      0,
    )} s after all were Ready`,
  );
  await sleep(5000);

  // 2. What the caches hold.
  const heap = await liveHeap();
  if (process.env.MH_BENCH_HEAP_SNAPSHOT === '1') {
    const file = `${
      process.env.MH_BENCH_STATE ?? '.'
    }/scale-${step}.heapsnapshot`;
    await backend.heapSnapshot(file);
    say(`${step}: heap snapshot in ${file}`);
  }
  const stats = await backend.stats();
  const objects = stats.clusters.reduce((acc, c) => {
    for (const [k, v] of Object.entries(c.objects)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  const perThousand = mb(heap - heap0) / (step / 1000);
  // Per 1000 of the deployments added since the last step: start-up noise cancels out.
  const previous = results.at(-1);
  const marginal = previous
    ? mb(heap - previous.heap) / ((step - previous.step) / 1000)
    : perThousand;
  say(
    `${step}: heap ${mb(heap).toFixed(0)} MB (+${mb(heap - heap0).toFixed(
      0,
    )}), ${perThousand.toFixed(1)} MB per 1000; objects ${JSON.stringify(
      objects,
    )}`,
  );

  // 3. Fleet status: the fleet page's call (its first page of 20 rows, the total and the filters'
  // values), and the whole fleet in one answer (what an API client listing everything gets).
  const timeCalls = async (path, n) => {
    for (let i = 0; i < 10; i++) await backend.call('GET', path);
    const ms = [];
    for (let i = 0; i < n; i++)
      ms.push((await timed(() => backend.call('GET', path))).ms);
    return ms;
  };
  const fleet = await timeCalls(
    '/api/model-hosting/deployments?limit=20',
    smoke ? 20 : 200,
  );

  // 4. Health rounds through the default path; the backend's RSS meanwhile.
  let peak = rssOf(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 250);
  const round = async () => {
    await sleep(5500);
    const previous = (await backend.stats()).healthRound?.finishedAt;
    await backend.call(
      'POST',
      '/api/model-hosting/.backstage/scheduler/v1/tasks/model-hosting-health-checks/trigger',
    );
    for (;;) {
      await sleep(250);
      const r = (await backend.stats()).healthRound;
      if (r && r.finishedAt !== previous && r.checked > 0) return r;
    }
  };
  // The step's new deployments with a pod are checked for the first time: a status write each.
  const firstChecks = withPods(step) - withPods(before);
  const writes = firstChecks > 0 ? await round() : undefined;
  const steady = await round();
  clearInterval(sampler);
  // Where the RSS is, right after the rounds (no collection forced): V8's heap, or buffers.
  const memory = await backend.memory();
  // The whole fleet in one answer, after the rounds: its 4 MB answers at 10,000 would otherwise
  // stay in the RSS measured with the health checks.
  const fullList = await timeCalls(
    '/api/model-hosting/deployments',
    smoke ? 5 : 50,
  );
  const floor = writes
    ? await statusWriteFloor(before, steady.concurrency)
    : undefined;
  const checkedOk = (
    await backend.call('GET', '/api/model-hosting/deployments')
  ).items.filter(i => i.health === 'healthy').length;
  say(
    `${step}: health round ${
      writes
        ? `with ${firstChecks} status writes ${(
            writes.durationMs / 1000
          ).toFixed(2)} s (${writes.checked} checked; floor: ${
            floor.writes
          } status writes straight to the API servers ${(
            floor.ms / 1000
          ).toFixed(2)} s), `
        : ''
    }steady ${(steady.durationMs / 1000).toFixed(2)} s (${
      steady.checked
    }); ${checkedOk} healthy; RSS peak ${peak.toFixed(
      0,
    )} MB (after the rounds: RSS ${mb(memory.rss).toFixed(0)} MB, V8 heap ${mb(
      memory.heapTotal,
    ).toFixed(0)} MB of which ${mb(memory.heapUsed).toFixed(
      0,
    )} MB used, buffers and other external ${mb(memory.external).toFixed(
      0,
    )} MB)`,
  );
  results.push({
    step,
    readyMs: ready.ms,
    catalogMs: inCatalog.ms,
    heap,
    perThousand,
    marginal,
    fleet,
    fullList,
    firstChecks,
    writes,
    steady,
    floor,
    peak,
    checkedOk,
  });

  // 5. The fleet page against this backend.
  if (process.env.MH_BENCH_FLEET_PAGE === '1' && pageSteps.has(step)) {
    const { measurePage } = await import('./fleet-page.mjs');
    await measurePage(backend, step);
  }
}

// The table.
/** "5000 deployments (1000 with a pod)" when the rest were created scaled to zero. */
const deployments = step =>
  `${step} deployments${
    withPods(step) < step ? ` (${withPods(step)} with a pod)` : ''
  }`;
for (const r of results) {
  record({
    figure: `fleet status (the fleet page's call: a page of 20, total, filters), ${deployments(
      r.step,
    )} over ${clusters.length} clusters`,
    target: 'p99 <= 50 ms',
    measured: `p50 ${fmt(percentile(r.fleet, 50))}, p99 ${fmt(
      percentile(r.fleet, 99),
    )}`,
    peer: `every row in one answer: p50 ${fmt(
      percentile(r.fullList, 50),
    )}, p99 ${fmt(percentile(r.fullList, 99))}`,
    pass: percentile(r.fleet, 99) <= 50,
  });
}
const first = results[0];
for (const r of results) {
  record({
    figure: `catalog: every deployment's Component listed, ${deployments(
      r.step,
    )}`,
    measured: `${(r.catalogMs / 1000).toFixed(0)} s after all were Ready`,
    peer: `all Ready ${(r.readyMs / 1000).toFixed(0)} s after the last create`,
  });
}
record({
  figure: `cache heap per 1000 deployments (${results
    .map(r => r.step)
    .join(' / ')}${
    withPods(MAX) < MAX ? `; ${withPods(MAX)} with a pod` : ''
  })`,
  target: '<= 50 MB, linear',
  measured: `${results
    .map(r => `${r.perThousand.toFixed(1)} MB`)
    .join(' / ')} (per 1000 added since the step before: ${results
    .map(r => `${r.marginal.toFixed(1)} MB`)
    .join(' / ')})`,
  ratio: `${(results.at(-1).perThousand / first.perThousand).toFixed(
    2,
  )}x the first step's`,
  pass:
    results.every(r => r.perThousand <= 50) &&
    results.at(-1).perThousand <= first.perThousand * 1.3,
});
for (const r of results) {
  const target = r.step <= 1000 ? 400 : r.step <= 10_000 ? 1536 : undefined;
  record({
    figure: `backend RSS with health checks, ${deployments(r.step)}`,
    target: target ? `<= ${target === 1536 ? '1.5 GB' : '400 MB'}` : undefined,
    measured: `${r.peak.toFixed(0)} MB peak`,
    // The CPU profiler keeps its samples in the process: say which RSS this is.
    peer: process.env.MH_BENCH_PROFILES
      ? 'backend under --cpu-prof (its samples are in this RSS)'
      : 'backend without a profiler, as users run it',
    pass: target ? r.peak <= target : undefined,
  });
}
for (const r of results) {
  const tenThousand = r.steady.checked >= 10_000;
  const steadyText = `${(r.steady.durationMs / 1000).toFixed(2)} s steady`;
  const figure = `health round, ${r.steady.checked} endpoints through the API server proxy`;
  if (!r.writes) {
    // No new endpoints at this step: nothing to write, the steady round only.
    record({
      figure,
      target: tenThousand ? '<= 10 s' : undefined,
      measured: `${steadyText} (no new endpoints, so no status writes)`,
      pass: tenThousand
        ? r.steady.durationMs <= 10_000 && r.checkedOk === withPods(r.step)
        : undefined,
    });
    continue;
  }
  const ratio = r.writes.durationMs / r.steady.durationMs;
  record({
    figure,
    target: tenThousand
      ? '<= 10 s; with status writes <= 2x'
      : 'with status writes <= 2x',
    measured: `${steadyText}, ${(r.writes.durationMs / 1000).toFixed(
      2,
    )} s with ${r.firstChecks} status writes (concurrency ${
      r.steady.concurrency
    })`,
    peer: `floor: the same ${
      r.floor.writes
    } status writes sent straight to the API servers ${(
      r.floor.ms / 1000
    ).toFixed(2)} s: steady + these writes ~ ${(
      (r.steady.durationMs + r.floor.ms) /
      r.steady.durationMs
    ).toFixed(2)}x`,
    ratio: `${ratio.toFixed(2)}x`,
    pass:
      (!tenThousand || r.steady.durationMs <= 10_000) &&
      ratio <= 2 &&
      r.checkedOk === withPods(r.step),
  });
}
await backend.stop();
for (const c of clients) c.close();
fs.writeFileSync(
  `${process.env.MH_BENCH_STATE ?? '.'}/scale-results.json`,
  JSON.stringify(results),
);
