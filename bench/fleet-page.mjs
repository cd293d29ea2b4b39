// The fleet page for real (issue 17, goal 5): the app's production bundle served by the backend
// that bench/scale.mjs runs, with the real ModelDeployments of the bench clusters behind its API (no
// stubbed route). Headless Chromium signs in as the guest and measures, per run in a fresh browser
// context: navigation -> the first rows of the table (noted by the page itself, from the start of
// its navigation); then on the loaded page, timed inside the page (from the event to the frame
// that shows the result): a search keystroke, a filter (Engine) and a sort (Name). The table
// pages on the server: the browser asks for a page of 20 rows (and the fleet's summary: total and
// the filters' values), and each search, filter or sort asks again.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  backendMode,
  percentile,
  record,
  repo,
  say,
  smoke,
  state,
} from './common.mjs';

const RUNS = smoke ? 2 : 6;

/** The app's production build the backend serves: the production image's, or the workspace's. */
const appDist =
  backendMode === 'prod'
    ? path.join(state, 'image/packages/app/dist')
    : path.join(repo, 'packages/app/dist');

/** Bundle sizes of the production build of the app. */
function bundles() {
  const dist = path.join(appDist, 'static');
  const files = fs.readdirSync(dist).filter(f => f.endsWith('.js'));
  const size = f => fs.statSync(path.join(dist, f)).size;
  const gz = f => zlib.gzipSync(fs.readFileSync(path.join(dist, f))).length;
  const kb = n => `${(n / 1024).toFixed(0)} KiB`;
  const sum = fn => files.reduce((n, f) => n + fn(f), 0);
  return `${kb(sum(size))} (${kb(sum(gz))} gzipped) in ${files.length} files`;
}

/**
 * Helpers installed in the page: __until(check, t0) resolves once check() holds (polled each
 * frame; NaN after 10 s) with [ms since t0, when the first fleet API call after t0 was asked, when
 * it was answered], __rows() the names in the table's rows.
 */
function installHelpers() {
  performance.setResourceTimingBufferSize(100_000);
  /**
   * The table's first fleet API call after t0: [asked, answered] in ms since t0. Not the page's
   * summary (limit=0), which polls on its own.
   */
  const call = t0 => {
    const entry = performance
      .getEntriesByType('resource')
      .find(
        e =>
          e.startTime >= t0 &&
          e.name.includes('/api/model-hosting/deployments?') &&
          new URL(e.name).searchParams.get('limit') !== '0',
      );
    return entry ? [entry.startTime - t0, entry.responseEnd - t0] : [NaN, NaN];
  };
  window.__until = (check, t0) =>
    new Promise(resolve => {
      const step = () => {
        if (check()) return resolve([performance.now() - t0, ...call(t0)]);
        if (performance.now() - t0 > 10_000) return resolve([NaN, NaN, NaN]);
        return requestAnimationFrame(step);
      };
      step();
    });
  window.__rows = () =>
    [...document.querySelectorAll('table tbody tr td a')].map(
      a => a.textContent,
    );
}

/**
 * Runs in the fleet page from its first script on: notes when a frame first holds the table's
 * rows and the title's count (`window.__firstRows`, ms since the navigation started), so the
 * figure does not include how long the bench takes to notice.
 */
function watchFirstRows(title) {
  const step = () => {
    if (
      document.querySelector('table tbody tr td a') &&
      document.body.textContent.includes(title)
    )
      window.__firstRows = performance.now();
    else requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/** Stops the page's CPU profiler and writes its profile to <state>/<name>.cpuprofile. */
async function saveProfile(cdp, name, what) {
  const { profile } = await cdp.send('Profiler.stop');
  const file = path.join(
    process.env.MH_BENCH_STATE ?? repo,
    `${name}.cpuprofile`,
  );
  fs.writeFileSync(file, JSON.stringify(profile));
  say(`fleet page: ${what} CPU profile in ${file}`);
}

/**
 * Times the fleet page against `backend` (started by scale.mjs) holding `n` deployments whose
 * names are md-0 … md-(n-1), half of them vllm. Records first rows, keystroke, filter and sort.
 */
export async function measurePage(backend, n) {
  if (!fs.existsSync(path.join(appDist, 'index.html')))
    throw new Error(
      `no production build of the app in ${appDist} (bench/all.sh builds it)`,
    );
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
  const first = [];
  /** Per navigation: when the fleet API call started and was answered (ms after navigation). */
  const api = [];
  const search = [];
  const filter = [];
  const sort = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({
        viewport: { width: 1440, height: 900 },
      });
      const page = await context.newPage();
      await page.goto(backend.base);
      await page.getByRole('button', { name: 'Enter' }).click();
      await page.getByRole('link', { name: 'Model Hosting' }).waitFor();
      // A full navigation to the fleet page: the document, its code, the fleet API call, the table.
      // MH_BENCH_PAGE_PROFILE=1: the page's CPU profile of the second navigation, for DevTools.
      const cdp =
        run === 1 && process.env.MH_BENCH_PAGE_PROFILE === '1'
          ? await context.newCDPSession(page)
          : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      await page.addInitScript(watchFirstRows, `Model servers (${n})`);
      // The table's first page (the summary's call asks for limit=0).
      const fleetCall = page.waitForEvent('requestfinished', {
        predicate: r =>
          r.url().includes('/api/model-hosting/deployments?') &&
          new URL(r.url()).searchParams.get('limit') === '20',
        timeout: 60_000,
      });
      await page.goto(`${backend.base}/model-hosting`);
      await page.waitForFunction(() => window.__firstRows !== undefined, null, {
        timeout: 60_000,
      });
      const [firstRows, navigationStart] = await page.evaluate(() => [
        window.__firstRows,
        performance.timeOrigin,
      ]);
      first.push(Math.round(firstRows));
      if (cdp) await saveProfile(cdp, `fleet-page-${n}`, "the page's");
      const timing = (await fleetCall).timing();
      const started = Math.round(timing.startTime - navigationStart);
      api.push([started, Math.round(started + timing.responseEnd)]);
      if (run === 0) {
        fs.mkdirSync(path.join(repo, '.local/screenshots'), {
          recursive: true,
        });
        await page.screenshot({
          path: path.join(repo, `.local/screenshots/fleet-bench-${n}.png`),
        });
        continue; // the first run warms the backend's caches of static files and the fleet
      }
      await page.evaluate(installHelpers);
      // MH_BENCH_PAGE_PROFILE=1: also the CPU profile of the second run's search, filter and sort.
      if (cdp) await cdp.send('Profiler.start');

      // A search keystroke: the search box gets "md-<k>" (as one input event) -> every row shown
      // matches and md-<k> is among them (the table debounces its search box, 50 ms, then asks
      // the server).
      const k = Math.floor((n * (run + 0.5)) / RUNS);
      search.push(
        await page.evaluate(q => {
          const input = document.querySelector('input[placeholder="Filter"]');
          const set = Object.getOwnPropertyDescriptor(
            HTMLInputElement.prototype,
            'value',
          ).set;
          const t0 = performance.now();
          set.call(input, q);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          return window.__until(() => {
            const shown = window.__rows();
            return (
              shown.length > 0 &&
              shown.includes(q) &&
              shown.every(s => s.includes(q))
            );
          }, t0);
        }, `md-${k}`),
      );
      await page.getByPlaceholder('Filter').fill('');
      await page.getByText(`Model servers (${n})`).waitFor();

      // A filter: Engine = vllm -> the title counts half the fleet.
      const filters = page.getByRole('group', { name: 'Filters' });
      await filters.getByRole('button', { name: /Engine/ }).click();
      await page.getByRole('option', { name: 'vllm', exact: true }).waitFor();
      filter.push(
        await page.evaluate(want => {
          const option = [...document.querySelectorAll('[role="option"]')].find(
            o => o.textContent === 'vllm',
          );
          const t0 = performance.now();
          option.click();
          return window.__until(
            () => document.body.innerText.includes(want),
            t0,
          );
        }, `Model servers (${Math.floor(n / 2)})`),
      );
      await filters.getByRole('button', { name: /Engine/ }).click();
      await page.getByRole('option', { name: 'All', exact: true }).click();
      await page.getByText(`Model servers (${n})`).waitFor();

      // A sort: a click on the Name header -> the first row changes (twice: ascending can leave
      // the first row where it was; descending cannot).
      for (let click = 0; click < 2; click++) {
        const ms = await page.evaluate(() => {
          const th = [...document.querySelectorAll('table thead th')].find(
            cell => cell.textContent.trim() === 'Name',
          );
          const header =
            th.querySelector('.MuiTableSortLabel-root') ??
            th.querySelector('[role="button"]') ??
            th;
          const before = window.__rows()[0];
          const t0 = performance.now();
          header.click();
          return window.__until(() => window.__rows()[0] !== before, t0);
        });
        if (click === 1) sort.push(ms);
      }
      if (cdp)
        await saveProfile(
          cdp,
          `fleet-page-${n}-interactions`,
          "the interactions'",
        );
      await context.close();
    }
  } finally {
    await browser.close();
  }
  say(
    `fleet page, ${n}: first rows ${JSON.stringify(
      first,
    )} ms (fleet API [started, answered] ${JSON.stringify(
      api,
    )} ms); [rows shown, fleet API asked, answered] search ${triples(
      search,
    )} ms; filter ${triples(filter)} ms; sort ${triples(
      sort,
    )} ms; bundles ${bundles()}`,
  );
  const firstRows = first.slice(1);
  const p50 = v => percentile(v, 50);
  record({
    figure: `fleet page, ${n} real deployments: navigation -> first rows (production bundle)`,
    target: 'p50 <= 1000 ms',
    measured: `p50 ${p50(firstRows)} ms, worst ${Math.max(...firstRows)} ms`,
    peer: `fleet API called at p50 ${p50(
      api.slice(1).map(a => a[0]),
    )} ms, answered at ${p50(api.slice(1).map(a => a[1]))} ms`,
    pass: p50(firstRows) <= 1000,
  });
  const interaction = [
    ['search keystroke', search],
    ['filter (Engine)', filter],
    ['sort (Name)', sort],
  ];
  for (const [what, timings] of interaction) {
    const values = timings.map(t => t[0]);
    record({
      figure: `fleet page, ${n} deployments: ${what} -> rows shown`,
      target: n >= 10_000 ? '<= 100 ms' : '',
      measured: values.some(Number.isNaN)
        ? 'did not change the rows in 10 s'
        : `p50 ${p50(values).toFixed(0)} ms, worst ${Math.max(
            ...values,
          ).toFixed(0)} ms`,
      peer: `fleet API asked at p50 ${p50(timings.map(t => t[1])).toFixed(
        0,
      )} ms, answered at ${p50(timings.map(t => t[2])).toFixed(0)} ms`,
      pass: n >= 10_000 ? Math.max(...values) <= 100 : undefined,
      note: 'server-side paging: each asks the backend for a page of 20',
    });
  }
}

/** [[rows shown, API asked, answered], ...] as rounded milliseconds. */
const triples = timings =>
  JSON.stringify(timings.map(t => t.map(v => Math.round(v))));
