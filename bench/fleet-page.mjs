// Benchmark for the fleet page (issue 6). Run: bash bench/fleet-page.sh
// The production build of the app, served by the real backend; the fleet API answers with 1000
// deployments; headless Chromium measures how long until the page is usable, and the bundle sizes.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { percentile, repo, startBackend, state, token } from './common.mjs';

const N = 1000;

const items = Array.from({ length: N }, (_, i) => ({
  cluster: `cluster-${i % 3}`,
  namespace: `team-${i % 20}`,
  name: `model-${i}`,
  entityRef: `component:default/cluster-${i % 3}.team-${i % 20}.model-${i}`,
  owner: `group:default/team-${i % 20}`,
  engine: ['vllm', 'ollama', 'openai', 'http'][i % 4],
  model: `org/model-${i % 50}`,
  activeModel: `org/model-${i % 50}`,
  phase: i % 17 === 0 ? 'Pending' : 'Ready',
  replicas: 1 + (i % 3),
  readyReplicas: 1 + (i % 3),
  gpu: {
    count: i % 4 === 3 ? 0 : 1,
    resource: 'nvidia.com/gpu',
    product: 'NVIDIA-A100-SXM4-80GB',
  },
  health: 'healthy',
}));
const fleet = JSON.stringify({
  clusters: [0, 1, 2].map(i => ({ name: `cluster-${i}`, reachable: true })),
  items,
});

// Bundle sizes of the production build.
const dist = path.join(repo, 'packages/app/dist/static');
const files = fs.readdirSync(dist).filter(f => f.endsWith('.js'));
const size = f => fs.statSync(path.join(dist, f)).size;
const gz = f => zlib.gzipSync(fs.readFileSync(path.join(dist, f))).length;
const ours = files.filter(f =>
  fs.readFileSync(path.join(dist, f), 'utf8').includes('model-hosting'),
);
const kb = n => `${(n / 1024).toFixed(0)} KiB`;
const sum = (list, fn) => list.reduce((n, f) => n + fn(f), 0);

const config = path.join(state, 'app-config.fleet-bench.yaml');
fs.mkdirSync(state, { recursive: true });
fs.writeFileSync(
  config,
  JSON.stringify({
    app: { baseUrl: 'http://localhost:7200' },
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
    kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters: [] }] },
  }),
);
const backend = await startBackend({
  port: 7200,
  token,
  logFile: path.join(state, 'backend-fleet.log'),
  configs: [path.join(repo, 'app-config.yaml'), config],
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
try {
  const runs = [];
  for (let i = 0; i < 6; i++) {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    await page.route('**/api/model-hosting/deployments', route =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: fleet,
      }),
    );
    await page.route('**/api/model-hosting/capacity', route =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ clusters: [] }),
      }),
    );
    await page.goto(backend.base);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByRole('link', { name: 'Model Hosting' }).waitFor();
    // Cold navigation to the fleet page: its code chunk, the API call and the table.
    const t0 = Date.now();
    await page.goto(`${backend.base}/model-hosting`);
    await page.getByText(`Model servers (${N})`).waitFor();
    const rendered = Date.now() - t0;
    // Interactive: a keystroke in the search box filters the 1000 rows.
    await page.getByPlaceholder('Filter').fill('model-999');
    await page.getByRole('link', { name: 'model-999', exact: true }).waitFor();
    const interactive = Date.now() - t0;
    runs.push({ rendered, interactive });
    if (i === 0)
      await page.screenshot({
        path: path.join(repo, '.local/screenshots/fleet-1000.png'),
      });
    await context.close();
  }
  const measured = runs.slice(1); // the first run warms the backend's static file cache
  const tti = measured.map(r => r.interactive);
  console.log('\nSummary');
  console.log(
    `      fleet page with ${N} deployments: table rendered p50 ${percentile(
      measured.map(r => r.rendered),
      50,
    )} ms; runs ${JSON.stringify(measured)}`,
  );
  console.log(
    `${
      percentile(tti, 50) <= 2000 ? 'PASS' : 'MISS'
    }  time to interactive (navigation -> table shown -> a search keystroke filters it) p50 ${percentile(
      tti,
      50,
    )} ms, worst ${Math.max(...tti)} ms (target <= 2000 ms)`,
  );
  console.log(
    `      bundles: whole app ${kb(sum(files, size))} (${kb(
      sum(files, gz),
    )} gzipped) in ${files.length} files; chunks with model-hosting code ${kb(
      sum(ours, size),
    )} (${kb(sum(ours, gz))} gzipped) in ${ours.length} files`,
  );
} finally {
  await browser.close();
  backend.stop();
}
