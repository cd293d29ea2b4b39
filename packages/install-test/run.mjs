#!/usr/bin/env node
// The install test: builds and packs every plugin package as it would be published, creates a
// minimal Backstage app (frontend + backend) outside this workspace, installs the tarballs into it
// with the README's install steps (installSteps.mjs), starts it against a local cluster and checks
// GET /api/model-hosting/deployments and the Model Hosting page in Chromium.
//
//   node packages/install-test/run.mjs      (scripts/test.sh runs it as its own phase)
//
// Environment: MH_TEST_STATE_DIR (use the running test cluster mh-test there; otherwise a cluster
// mh-install is started for the run and stopped after it), CHROMIUM_PATH (default /usr/bin/chromium),
// MODEL_HOSTING_CACHE (default ~/.cache/model-hosting).
// The app is $MODEL_HOSTING_CACHE/install-test/app, written anew each run but for its dependencies
// (node_modules, ~1.4 GB), which are kept while the Node and Yarn versions and the app's manifests
// stay the same; the tarballs are packed anew each run. Logs and a screenshot: .local/install-test.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  addAppLines,
  addBackendLines,
  appPackages,
  backendPackages,
  configBlock,
} from './installSteps.mjs';
import { checkReadme } from './readme.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const yarnRelease = path.join(repo, '.yarn/releases/yarn-4.13.0.cjs');
const out = path.join(repo, '.local/install-test');
const cacheRoot = path.join(
  process.env.MODEL_HOSTING_CACHE ??
    path.join(os.homedir(), '.cache/model-hosting'),
  'install-test',
);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const deployment = { namespace: 'install-test', name: 'install-check' };
const pluginScope = '@modelhosting/backstage-plugin-';

const t0 = Date.now();
const say = msg =>
  console.error(
    `[install-test ${((Date.now() - t0) / 1000).toFixed(0)} s] ${msg}`,
  );
const cleanups = [];
let failed = false;

/** Runs a command; its output goes to a log file in .local/install-test, shown when it fails. */
function run(cmd, args, { cwd = repo, env = {}, log } = {}) {
  const file = path.join(out, `${log}.log`);
  const fd = fs.openSync(file, 'a');
  try {
    execFileSync(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
    });
  } catch (e) {
    const tail = fs.readFileSync(file, 'utf8').split('\n').slice(-40);
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd} (log: ${file}):\n${tail.join(
        '\n',
      )}`,
    );
  } finally {
    fs.closeSync(fd);
  }
}
const yarn = (args, opts) =>
  run(process.execPath, [yarnRelease, ...args], opts);

const sha256 = data => crypto.createHash('sha256').update(data).digest('hex');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${
          last ? `: ${last.message}` : ''
        }`,
      );
    }
    await sleep(1000);
  }
}

// ---- 1. the packages, as published ------------------------------------------------------------

function pluginWorkspaces() {
  return fs
    .readdirSync(path.join(repo, 'plugins'))
    .map(dir => path.join(repo, 'plugins', dir))
    .filter(dir => fs.existsSync(path.join(dir, 'package.json')))
    .map(dir => ({
      dir,
      manifest: JSON.parse(
        fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
      ),
    }))
    .filter(
      p => p.manifest.name.startsWith(pluginScope) && !p.manifest.private,
    );
}

/**
 * A copy of the workspace to pack in: yarn pack's prepack rewrites package.json for publishing and
 * postpack puts it back, which must never happen in a working tree that people commit from. The
 * copy has every workspace's package.json, the plugins' built files, the lockfile, Yarn's install
 * state and release, and node_modules linked to this repo's.
 */
function packWorkspace(stage, plugins) {
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const f of [
    'package.json',
    'yarn.lock',
    '.yarnrc.yml',
    'tsconfig.json',
    'backstage.json',
  ]) {
    fs.copyFileSync(path.join(repo, f), path.join(stage, f));
  }
  fs.cpSync(
    path.join(repo, '.yarn/releases'),
    path.join(stage, '.yarn/releases'),
    {
      recursive: true,
    },
  );
  fs.copyFileSync(
    path.join(repo, '.yarn/install-state.gz'),
    path.join(stage, '.yarn/install-state.gz'),
  );
  fs.symlinkSync(
    path.join(repo, 'node_modules'),
    path.join(stage, 'node_modules'),
  );
  const { workspaces } = JSON.parse(
    fs.readFileSync(path.join(repo, 'package.json'), 'utf8'),
  );
  for (const glob of workspaces) {
    const parent = glob.replace(/\/\*$/, '');
    for (const dir of fs.readdirSync(path.join(repo, parent))) {
      const manifest = path.join(repo, parent, dir, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      fs.mkdirSync(path.join(stage, parent, dir), { recursive: true });
      fs.copyFileSync(manifest, path.join(stage, parent, dir, 'package.json'));
      const nested = path.join(repo, parent, dir, 'node_modules');
      if (fs.existsSync(nested)) {
        fs.symlinkSync(nested, path.join(stage, parent, dir, 'node_modules'));
      }
    }
  }
  for (const { dir } of plugins) {
    const target = path.join(stage, path.relative(repo, dir));
    for (const entry of fs.readdirSync(dir)) {
      if (['node_modules', 'src', 'package.json'].includes(entry)) continue;
      fs.cpSync(path.join(dir, entry), path.join(target, entry), {
        recursive: true,
      });
    }
  }
}

function buildAndPack(tarballDir) {
  const plugins = pluginWorkspaces();
  // The packages' dist/index.d.ts are made from dist-types: tsc over the plugins (scripts/test.sh's
  // type check covers everything; this keeps a standalone run right and fast).
  say(`type declarations (tsc over plugins/*), for the packages' dist/*.d.ts`);
  yarn(['tsc', '--project', path.join(here, 'tsconfig.plugins.json')], {
    log: 'build',
  });
  const include = ['--include', `${pluginScope}*`];
  say(`building ${plugins.length} packages (backstage-cli package build)`);
  yarn(['workspaces', 'foreach', '-A', ...include, '-p', 'run', 'build'], {
    log: 'build',
  });
  say('packing them (yarn pack: prepack, workspace:^ to versions, postpack)');
  const stage = path.join(cacheRoot, 'pack-workspace');
  packWorkspace(stage, plugins);
  fs.mkdirSync(tarballDir, { recursive: true });
  yarn(
    [
      'workspaces',
      'foreach',
      '-A',
      ...include,
      '-p',
      'pack',
      '--out',
      path.join(tarballDir, '%s.tgz'),
    ],
    { cwd: stage, log: 'build' },
  );
  fs.rmSync(stage, { recursive: true, force: true });
  const tarballs = {};
  for (const { manifest } of plugins) {
    const packed = path.join(
      tarballDir,
      `${manifest.name.replace('/', '-')}.tgz`,
    );
    if (!fs.existsSync(packed)) throw new Error(`${packed} was not written`);
    const published = JSON.parse(
      execFileSync('tar', ['-xzOf', packed, 'package/package.json'], {
        encoding: 'utf8',
      }),
    );
    checkPublished(manifest, published, packed);
    // The content's hash in the name: a new build is a new package to Yarn, an unchanged one is reused.
    const hash = sha256(fs.readFileSync(packed)).slice(0, 12);
    const file = `${manifest.name.slice(1).replace('/', '-')}-${
      manifest.version
    }-${hash}.tgz`;
    fs.renameSync(packed, path.join(tarballDir, file));
    tarballs[manifest.name] = { file, version: manifest.version };
  }
  return tarballs;
}

/** What a published package.json must look like: versions instead of workspace:, entry points in dist. */
function checkPublished(source, published, file) {
  const problems = [];
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
  ]) {
    for (const [name, range] of Object.entries(published[field] ?? {})) {
      if (/^(workspace|link|portal|file):/.test(range)) {
        problems.push(`${field}.${name} is ${range}`);
      }
    }
  }
  if (published.private) problems.push('it is private');
  if (published.license !== 'Apache-2.0') {
    problems.push(`license is ${published.license}`);
  }
  if (!/^(\.\/)?dist\//.test(published.main ?? '')) {
    problems.push(`main is ${published.main}`);
  }
  if (!/^(\.\/)?dist\//.test(published.types ?? '')) {
    problems.push(`types is ${published.types}`);
  }
  const entries = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  const has = p => entries.includes(`package/${p.replace(/^\.\//, '')}`);
  for (const [sub, target] of Object.entries(published.exports ?? {})) {
    const targets =
      typeof target === 'string'
        ? [target]
        : Object.values(target).filter(t => t.startsWith('./'));
    for (const t of targets) {
      if (!has(t)) problems.push(`exports["${sub}"] → ${t} is not packed`);
    }
  }
  for (const f of [published.main, published.types]) {
    if (f && !has(f)) problems.push(`${f} is not packed`);
  }
  if (problems.length) {
    throw new Error(
      `${
        source.name
      }: the packed package.json is not publishable: ${problems.join('; ')}`,
    );
  }
}

// ---- 2. a minimal Backstage app outside the workspace ----------------------------------------

function repoRange(name) {
  for (const dir of ['packages/backend', 'packages/app', '.']) {
    const m = JSON.parse(
      fs.readFileSync(path.join(repo, dir, 'package.json'), 'utf8'),
    );
    const range = m.dependencies?.[name] ?? m.devDependencies?.[name];
    if (range) return range;
  }
  throw new Error(`no version range of ${name} in this repo's packages`);
}

/** The app's manifests before the install steps: what `@backstage/create-app` gives, cut down. */
function appManifests() {
  const deps = names => Object.fromEntries(names.map(n => [n, repoRange(n)]));
  return {
    root: {
      name: 'root',
      version: '1.0.0',
      private: true,
      engines: { node: '20 || 22 || 24' },
      scripts: {
        start: 'backstage-cli repo start',
        'build:backend': 'yarn workspace backend build',
      },
      workspaces: ['packages/*'],
      devDependencies: deps(['@backstage/cli', '@backstage/cli-defaults']),
      packageManager: 'yarn@4.13.0',
      dependenciesMeta: { keytar: { built: false } },
    },
    app: {
      name: 'app',
      version: '0.0.0',
      private: true,
      bundled: true,
      backstage: { role: 'frontend' },
      scripts: {
        start: 'backstage-cli package start',
        build: 'backstage-cli package build',
      },
      dependencies: deps([
        '@backstage/cli',
        '@backstage/frontend-defaults',
        '@backstage/plugin-catalog',
        '@backstage/ui',
        'react',
        'react-dom',
        'react-router',
        'react-router-dom',
      ]),
      browserslist: {
        production: ['>0.2%', 'not dead', 'not op_mini all'],
        development: ['last 1 chrome version'],
      },
    },
    backend: {
      name: 'backend',
      version: '0.0.0',
      private: true,
      main: 'dist/index.cjs.js',
      types: 'src/index.ts',
      backstage: { role: 'backend' },
      scripts: {
        start: 'backstage-cli package start',
        build: 'backstage-cli package build',
      },
      dependencies: {
        ...deps([
          '@backstage/backend-defaults',
          '@backstage/plugin-app-backend',
          '@backstage/plugin-auth-backend',
          '@backstage/plugin-auth-backend-module-guest-provider',
          '@backstage/plugin-catalog-backend',
          '@backstage/plugin-permission-backend',
          '@backstage/plugin-scaffolder-backend',
          'better-sqlite3',
        ]),
        // The policy a new app starts with; this repo has its own policy instead.
        '@backstage/plugin-permission-backend-module-allow-all-policy':
          '^0.2.23',
        app: 'link:../app',
      },
      devDependencies: deps(['@backstage/cli']),
    },
  };
}

const yarnrc = `nodeLinker: node-modules
npmMinimalAgeGate: 3d
npmPreapprovedPackages:
  - '@backstage/*'
`;

const writeJson = (file, data) =>
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);

// What survives from one run to the next: the app's dependencies. Everything else is written anew.
const cachedPaths = [
  'node_modules',
  'packages/app/node_modules',
  'packages/backend/node_modules',
  '.yarn/install-state.gz',
];

/** Empties the app's folder but for its dependencies, or wholly when they were made for another key. */
function resetAppDir(appDir, key) {
  const keyFile = path.join(appDir, '.install-key');
  const same =
    fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8').trim() === key;
  if (!same) {
    fs.rmSync(appDir, { recursive: true, force: true });
    fs.mkdirSync(appDir, { recursive: true });
    return false;
  }
  const keep = new Set(['.install-key', ...cachedPaths]);
  const prune = dir => {
    for (const entry of fs.readdirSync(path.join(appDir, dir))) {
      const rel = path.join(dir, entry);
      if (keep.has(rel)) continue;
      if ([...keep].some(k => k.startsWith(`${rel}/`))) prune(rel);
      else fs.rmSync(path.join(appDir, rel), { recursive: true, force: true });
    }
  };
  prune('');
  return fs.existsSync(path.join(appDir, 'node_modules'));
}

/**
 * Writes the app, applies the install steps and installs it. The tarballs stand in for the
 * registry: root `resolutions` point the packages' names at them.
 *
 * The app lives at one path outside this repository (Yarn rebuilds native packages such as
 * better-sqlite3 when their location changes), and only its node_modules are kept between runs.
 */
function createApp(appDir, tarballDir, tarballs) {
  const manifests = appManifests();
  // The cache key: what decides the content of node_modules apart from our own packages.
  const key = sha256(
    JSON.stringify([
      process.version,
      path.basename(yarnRelease),
      manifests,
      yarnrc,
    ]),
  ).slice(0, 16);
  if (resetAppDir(appDir, key)) {
    say(`reusing the app's node_modules (${appDir}, key ${key})`);
  } else {
    say(`a new app in ${appDir}: a full install (key ${key})`);
  }
  fs.writeFileSync(path.join(appDir, '.install-key'), `${key}\n`);
  fs.cpSync(path.join(here, 'app-template'), appDir, { recursive: true });
  fs.writeFileSync(path.join(appDir, '.yarnrc.yml'), yarnrc);

  // Install step: add the packages (the ranges `yarn add` writes).
  const range = name => `^${tarballs[name].version}`;
  for (const name of backendPackages) {
    manifests.backend.dependencies[name] = range(name);
  }
  for (const name of appPackages)
    manifests.app.dependencies[name] = range(name);
  // Only here: the registry is the folder of tarballs.
  fs.mkdirSync(path.join(appDir, 'tarballs'));
  manifests.root.resolutions = {};
  for (const [name, { file }] of Object.entries(tarballs)) {
    fs.copyFileSync(
      path.join(tarballDir, file),
      path.join(appDir, 'tarballs', file),
    );
    manifests.root.resolutions[name] = `file:./tarballs/${file}`;
  }
  writeJson(path.join(appDir, 'package.json'), manifests.root);
  writeJson(path.join(appDir, 'packages/app/package.json'), manifests.app);
  writeJson(
    path.join(appDir, 'packages/backend/package.json'),
    manifests.backend,
  );

  // Install steps: the config block, the backend's lines, the app's lines.
  const appConfig = path.join(appDir, 'app-config.yaml');
  fs.appendFileSync(appConfig, `\n${configBlock}`);
  const index = path.join(appDir, 'packages/backend/src/index.ts');
  fs.writeFileSync(index, addBackendLines(fs.readFileSync(index, 'utf8')));
  const appTsx = path.join(appDir, 'packages/app/src/App.tsx');
  fs.writeFileSync(appTsx, addAppLines(fs.readFileSync(appTsx, 'utf8')));

  // Public packages at the versions this repo uses: start from this repo's lockfile.
  fs.copyFileSync(path.join(repo, 'yarn.lock'), path.join(appDir, 'yarn.lock'));

  say('yarn install in the app');
  const installEnv = {
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', // CI=true would make it immutable
    YARN_ENABLE_GLOBAL_CACHE: 'true',
    YARN_ENABLE_TELEMETRY: '0',
    SCARF_ANALYTICS: 'false',
  };
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  if (
    !process.env.npm_config_nodedir &&
    fs.existsSync(path.join(nodePrefix, 'include/node/node.h'))
  ) {
    installEnv.npm_config_nodedir = nodePrefix; // better-sqlite3 compiles; no header download
  }
  const installStart = Date.now();
  yarn(['install'], { cwd: appDir, env: installEnv, log: 'install' });
  dropOldTarballsFromCache(appDir, installStart);
}

/**
 * Yarn keeps every packed build it installed in its global cache: drop the ones this install did
 * not write (an unchanged package is fetched again from its tarball next time).
 */
function dropOldTarballsFromCache(appDir, since) {
  const cacheFolder = execFileSync(
    process.execPath,
    [yarnRelease, 'config', 'get', 'cacheFolder'],
    { cwd: appDir, encoding: 'utf8' },
  ).trim();
  for (const zip of fs.readdirSync(cacheFolder)) {
    if (!/^@modelhosting-backstage-plugin-.*-file-[0-9a-f]+-/.test(zip))
      continue;
    const file = path.join(cacheFolder, zip);
    if (fs.statSync(file).mtimeMs < since) fs.rmSync(file);
  }
}

/** One run at a time: the app's folder is shared. */
function lock() {
  const dir = path.join(cacheRoot, 'lock');
  fs.mkdirSync(cacheRoot, { recursive: true });
  try {
    fs.mkdirSync(dir);
  } catch {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    } catch {
      /* no pid yet: stale */
    }
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid > 0 && pid !== process.pid;
    } catch {
      /* stale */
    }
    if (alive) {
      throw new Error(`another install test runs (pid ${pid}; ${dir})`);
    }
  }
  fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
}

// ---- 3. a cluster with one ModelDeployment -------------------------------------------------------

function k8sBin() {
  return execFileSync(
    'bash',
    ['-c', `. ${repo}/scripts/cluster/versions.sh && echo $K8S_BIN`],
    { encoding: 'utf8' },
  ).trim();
}

function cluster() {
  const shared = process.env.MH_TEST_STATE_DIR;
  let name;
  let state;
  if (
    shared &&
    fs.existsSync(path.join(shared, 'mh-test.kubeconfig')) &&
    fs.existsSync(path.join(shared, 'mh-test.app-config.yaml'))
  ) {
    name = 'mh-test';
    state = shared;
    say(`using the running test cluster ${name} (${state})`);
  } else {
    name = 'mh-install';
    state = path.join(repo, '.local/install-test-cluster');
    const env = { MH_CLUSTER: name, MH_STATE_DIR: state, MH_KUBE_PORT: '0' };
    say(`starting a cluster ${name} for this test (${state})`);
    const sh = path.join(repo, 'scripts/cluster/cluster.sh');
    cleanups.push(() => run('bash', [sh, 'down'], { env, log: 'cluster' }));
    run('bash', [sh, 'up', '--no-examples'], { env, log: 'cluster' });
  }
  const kubeconfig = path.join(state, `${name}.kubeconfig`);
  const kubectl = (args, input) =>
    execFileSync(
      path.join(k8sBin(), 'kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] },
    );
  // The cluster entry cluster.sh wrote for Backstage (the backend's ServiceAccount token).
  const { parse } = require('yaml');
  const entry = parse(
    fs.readFileSync(path.join(state, `${name}.app-config.yaml`), 'utf8'),
  ).kubernetes.clusterLocatorMethods[0].clusters[0];
  return { kubectl, entry };
}

const owner = 'group:default/install-test';

/** The namespace opened to model hosting (k8s/rbac/templates/open-namespace.yaml), and one ModelDeployment. */
function manifests() {
  const openNamespace = fs
    .readFileSync(
      path.join(repo, 'k8s/rbac/templates/open-namespace.yaml'),
      'utf8',
    )
    .replaceAll('__NAMESPACE__', deployment.namespace)
    .replaceAll('__OWNERS__', owner);
  return `${openNamespace}
---
${modelDeployment}`;
}

const modelDeployment = `apiVersion: modelhosting.io/v1alpha1
kind: ModelDeployment
metadata:
  name: ${deployment.name}
  namespace: ${deployment.namespace}
spec:
  owner: ${owner}
  engine: http
  model:
    name: install-check
    version: '1.0.0'
  image: example.invalid/install-check:1.0.0
  resources:
    cpu: 100m
    memory: 128Mi
  replicas: 1
`;

// ---- 4. start it and look ----------------------------------------------------------------------

function startBackend(appDir, env) {
  const logFile = path.join(out, 'backend.log');
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [yarnRelease, 'workspace', 'backend', 'start'],
    {
      cwd: appDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
      detached: true,
    },
  );
  fs.closeSync(fd);
  cleanups.push(async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(-child.pid, 0);
      } catch {
        return;
      }
      await sleep(100);
    }
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  return { child, logFile };
}

async function guestToken(base) {
  const res = await fetch(`${base}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  if (!res.ok) throw new Error(`guest sign-in: HTTP ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

async function checkApi(base) {
  const token = await guestToken(base);
  let body;
  await until(
    `GET /api/model-hosting/deployments to list ${deployment.namespace}/${deployment.name}, reconciled, on a reachable gpu-cluster`,
    async () => {
      const res = await fetch(`${base}/api/model-hosting/deployments`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      body = await res.json();
      fs.writeFileSync(
        path.join(out, 'deployments.json'),
        JSON.stringify(body, null, 2),
      );
      const reachable = body.clusters?.some(
        c => c.name === 'gpu-cluster' && c.reachable,
      );
      const item = body.items?.find(
        i => i.namespace === deployment.namespace && i.name === deployment.name,
      );
      // The reconciler (one Lease holder per cluster) has applied it and written its status.
      return reachable && item?.phase;
    },
    120_000,
  );
}

async function checkPage(base) {
  // playwright-core's launcher, through @playwright/test (the repo's version); never its browser download.
  const { chromium } = require('@playwright/test');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({
    viewport: { width: 1440, height: 900 },
  });
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  try {
    // The app's default sign-in page shows on any path; after the guest provider's Enter the
    // app renders the path asked for.
    await page.goto(`${base}/model-hosting`);
    await page
      .getByRole('button', { name: 'Enter' })
      .click({ timeout: 60_000 });
    await page
      .getByRole('heading', { name: 'Model Hosting' })
      .first()
      .waitFor({ timeout: 60_000 });
    await page
      .getByRole('cell', { name: deployment.name, exact: true })
      .first()
      .waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: path.join(out, 'model-hosting-page.png'),
      fullPage: true,
    });
  } catch (e) {
    await page
      .screenshot({ path: path.join(out, 'failure.png'), fullPage: true })
      .catch(() => {});
    throw new Error(
      `${e.message}\npage errors: ${
        errors.join('\n') || 'none'
      }\nscreenshot: ${path.join(out, 'failure.png')}`,
    );
  } finally {
    await browser.close();
  }
}

// ---- main ----------------------------------------------------------------------------------------

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(cacheRoot, { recursive: true });
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is missing at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  }
  checkReadme(msg => say(msg));

  lock();
  const tarballDir = path.join(cacheRoot, 'tarballs');
  fs.rmSync(tarballDir, { recursive: true, force: true });
  const tarballs = buildAndPack(tarballDir);
  const appDir = path.join(cacheRoot, 'app');
  createApp(appDir, tarballDir, tarballs);

  const port = await freePort();
  const base = `http://localhost:${port}`;
  say('building the app (backstage-cli package build; the backend serves it)');
  yarn(['workspace', 'app', 'build'], {
    cwd: appDir,
    env: { PORT: String(port) },
    log: 'app-build',
  });

  const { kubectl, entry } = cluster();
  kubectl(['apply', '-f', '-'], manifests());
  if (process.env.MH_TEST_STATE_DIR) {
    cleanups.push(() =>
      kubectl(['delete', 'namespace', deployment.namespace, '--wait=false']),
    );
  }

  say(`starting the backend on ${base}`);
  const env = {
    PORT: String(port),
    MODEL_HOSTING_CLUSTER_URL: entry.url,
    MODEL_HOSTING_CLUSTER_TOKEN: entry.serviceAccountToken,
    MODEL_HOSTING_CLUSTER_CA_DATA: entry.caData,
  };
  const backend = startBackend(appDir, env);
  await until(
    'the backend to be ready',
    async () => {
      if (backend.child.exitCode !== null) {
        throw Object.assign(new Error('the backend exited'), { fatal: true });
      }
      return (await fetch(`${base}/.backstage/health/v1/readiness`)).ok;
    },
    180_000,
  ).catch(e => {
    const tail = fs
      .readFileSync(backend.logFile, 'utf8')
      .split('\n')
      .slice(-40);
    throw new Error(`${e.message}\n${tail.join('\n')}`);
  });

  say('GET /api/model-hosting/deployments');
  await checkApi(base);
  say('the Model Hosting page in Chromium');
  await checkPage(base);
  say(`passed: the packed plugins install, start and show ${deployment.name}`);
}

async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (e) {
      console.error(`[install-test] cleanup: ${e.message}`);
    }
  }
}

process.on('SIGINT', () => {
  failed = true;
  cleanup().finally(() => process.exit(130));
});
process.on('SIGTERM', () => {
  failed = true;
  cleanup().finally(() => process.exit(143));
});

main()
  .catch(e => {
    failed = true;
    console.error(`[install-test] FAILED: ${e.stack ?? e}`);
  })
  .finally(async () => {
    await cleanup();
    process.exit(failed ? 1 : 0);
  });
