// Shared by the benchmark scripts: the bench clusters (mh-bench-1..3, started by bench/run.sh), a
// fast Kubernetes client, namespaces opened for tenancy, the backend, timings and the result table.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';

export const repo = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
);
export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Where bench/run.sh keeps the bench clusters' files, and the static token the backends accept. */
export const state =
  process.env.MH_BENCH_STATE ?? path.join(repo, '.local/bench');
export const token = 'bench-token-0123456789';
/** Small N for the smoke run in scripts/test.sh: every step runs, nothing is judged. */
export const smoke = process.env.MH_BENCH_SMOKE === '1';

/** The clusters bench/run.sh started, by name (mh-bench-1 …). */
export function benchClusters() {
  const names = (process.env.MH_BENCH_CLUSTERS ?? 'mh-bench-1')
    .split(',')
    .filter(Boolean);
  return names.map(name => ({
    name,
    kubeconfig: path.join(state, `${name}.kubeconfig`),
    appConfig: path.join(state, `${name}.app-config.yaml`),
    runnerInfo: path.join(state, `${name}.pod-runner.json`),
  }));
}

/** One `kubernetes.clusterLocatorMethods` config for the backend naming every bench cluster. */
export function clustersConfig(clusters = benchClusters()) {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: clusters.map(c => ({
            ...YAML.parse(fs.readFileSync(c.appConfig, 'utf8')).kubernetes
              .clusterLocatorMethods[0].clusters[0],
            name: c.name,
          })),
        },
      ],
    },
  };
}

/**
 * A small JSON client for one cluster's API server (keep-alive, no model classes), for creating
 * thousands of objects quickly: @kubernetes/client-node's typed clients cost more CPU than the
 * API server here.
 */
export async function kube(kubeconfig, { maxSockets = 32 } = {}) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const server = new URL(kc.getCurrentCluster().server);
  const opts = {};
  await kc.applyToHTTPSOptions(opts);
  const secure = server.protocol === 'https:';
  const tls = secure ? { ca: opts.ca, cert: opts.cert, key: opts.key } : {};
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets, ...tls })
    : new http.Agent({ keepAlive: true, maxSockets });
  const lib = secure ? https : http;
  const request = (method, p, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const data =
        body === undefined
          ? undefined
          : typeof body === 'string'
          ? body
          : JSON.stringify(body);
      const req = lib.request(
        {
          hostname: server.hostname,
          port: server.port,
          agent,
          ...tls,
          method,
          path: p,
          headers: {
            ...opts.headers,
            Accept: 'application/json',
            ...(data !== undefined
              ? {
                  'Content-Type': contentType,
                  'Content-Length': Buffer.byteLength(data),
                }
              : {}),
          },
        },
        res => {
          const chunks = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed = text;
            try {
              parsed = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(120_000, () =>
        req.destroy(new Error(`timeout: ${method} ${p}`)),
      );
      req.on('error', reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  /** As request, but throws on an HTTP error (409 on create is fine: it exists). */
  const must = async (method, p, body, contentType) => {
    const r = await request(method, p, body, contentType);
    if (r.status >= 400 && !(method === 'POST' && r.status === 409))
      throw new Error(
        `${method} ${p}: HTTP ${r.status} ${JSON.stringify(r.body).slice(
          0,
          300,
        )}`,
      );
    return r.body;
  };
  /**
   * Lists a collection, then watches it from the list's resourceVersion; onEvent(type, obj) gets
   * ADDED for what the list found. Returns a function that ends the watch.
   */
  const watch = async (p, onEvent) => {
    const list = await must('GET', `${p}${p.includes('?') ? '&' : '?'}limit=0`);
    for (const item of list.items) onEvent('ADDED', item);
    let req;
    let stopped = false;
    const from = rv => {
      const q = new URLSearchParams({
        watch: '1',
        resourceVersion: rv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: '3600',
      });
      req = lib.request(
        {
          hostname: server.hostname,
          port: server.port,
          agent: false,
          ...tls,
          method: 'GET',
          path: `${p}${p.includes('?') ? '&' : '?'}${q}`,
          headers: { ...opts.headers, Accept: 'application/json' },
        },
        res => {
          let buf = '';
          let last = rv;
          res.setEncoding('utf8');
          res.on('data', chunk => {
            buf += chunk;
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              const ev = JSON.parse(line);
              if (ev.type === 'ERROR') continue;
              last = ev.object?.metadata?.resourceVersion ?? last;
              if (ev.type !== 'BOOKMARK') onEvent(ev.type, ev.object);
            }
          });
          res.on('end', () => !stopped && from(last));
        },
      );
      req.on('error', () => !stopped && setTimeout(() => from(rv), 500));
      req.end();
    };
    from(list.metadata.resourceVersion);
    return () => {
      stopped = true;
      req?.destroy();
    };
  };
  return {
    request,
    must,
    watch,
    kc,
    server: server.href,
    close: () => agent.destroy(),
  };
}

/**
 * Opens a namespace as an admin does (k8s/rbac/templates/open-namespace.yaml): the owners
 * annotation and the RoleBindings that let the backend's ServiceAccount write there.
 */
export async function openNamespace(
  client,
  name,
  owners = ['group:default/ml-platform'],
) {
  const template = fs
    .readFileSync(
      path.join(repo, 'k8s/rbac/templates/open-namespace.yaml'),
      'utf8',
    )
    .replace(/__NAMESPACE__/g, name)
    .replace(/__OWNERS__/g, owners.join(', '));
  for (const doc of YAML.parseAllDocuments(template)) {
    const obj = doc.toJSON();
    if (!obj) continue;
    const collection =
      obj.kind === 'Namespace'
        ? '/api/v1/namespaces'
        : `/apis/rbac.authorization.k8s.io/v1/namespaces/${name}/rolebindings`;
    await client.must('POST', collection, obj);
  }
}

/**
 * Deletes namespaces and waits until they are gone, so that the next benchmark on the same
 * clusters (the smoke run shares them) starts from an empty fleet.
 */
export async function deleteNamespaces(client, names, timeoutMs = 300_000) {
  for (const name of names)
    await client.request('DELETE', `/api/v1/namespaces/${name}`);
  const deadline = Date.now() + timeoutMs;
  for (const name of names)
    while (
      (await client.request('GET', `/api/v1/namespaces/${name}`)).status !== 404
    ) {
      if (Date.now() > deadline)
        throw new Error(`namespace ${name} still there after ${timeoutMs} ms`);
      await sleep(500);
    }
}

/** Simulated CPU nodes (kwok) with room for `pods` pods. */
export async function ensureNodes(client, pods, prefix = 'bench') {
  const n = Math.ceil(pods / 200) + 1;
  const r = { cpu: '1000', memory: '4Ti', pods: '250' };
  for (let i = 0; i < n; i++)
    await client.must('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `${prefix}-${i}`,
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: 'kwok', 'kubernetes.io/hostname': `${prefix}-${i}` },
      },
      status: { capacity: r, allocatable: r },
    });
  return n;
}

export const MD = '/apis/modelhosting.io/v1alpha1';

/** A small ModelDeployment of the bench: half HTTP predictors, half vLLM (CPU only). */
export function benchModelDeployment(namespace, name, i, extra = {}) {
  const engine = i % 2 ? 'vllm' : 'http';
  return {
    apiVersion: 'modelhosting.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name, namespace },
    spec: {
      owner: 'group:default/ml-platform',
      engine,
      model: { name: engine === 'vllm' ? `org/model-${i % 50}` : `model-${i}` },
      resources: { cpu: '10m', memory: '16Mi' },
      replicas: 1,
      ...extra,
    },
  };
}

/** Runs `fn` over items with at most `limit` at a time. */
export async function parallel(items, limit, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) {
        const item = items[i++];
        await fn(item);
      }
    }),
  );
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.max(
      0,
      Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1),
    )
  ];
}

export const fmt = ms =>
  typeof ms === 'number' && Number.isFinite(ms)
    ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
    : 'n/a';
export const mb = bytes => bytes / 2 ** 20;

export function summary(label, values) {
  return `${label}: p50 ${fmt(percentile(values, 50))}, p99 ${fmt(
    percentile(values, 99),
  )} (n=${values.length})`;
}

/** The load average, as the table notes it. */
export const load = () =>
  os
    .loadavg()
    .map(l => l.toFixed(2))
    .join(' ');

export const say = msg =>
  console.log(
    `[${new Date().toISOString().slice(11, 19)} load ${load()}] ${msg}`,
  );

/**
 * One row of the table bench/all.sh prints: appended to $MH_BENCH_RESULTS (JSON lines) and
 * printed. `pass` undefined: a figure without a target (shown, never a MISS).
 */
export function record({ figure, target, measured, peer, ratio, pass, note }) {
  const row = {
    bench: process.env.MH_BENCH_NAME ?? path.basename(process.argv[1]),
    figure,
    target: target ?? '',
    measured,
    peer: peer ?? '',
    ratio: ratio ?? '',
    pass: smoke ? undefined : pass,
    note: note ?? '',
    load: load(),
  };
  const file = process.env.MH_BENCH_RESULTS;
  if (file) fs.appendFileSync(file, `${JSON.stringify(row)}\n`);
  const verdict =
    row.pass === undefined ? '     ' : row.pass ? 'PASS ' : 'MISS ';
  console.log(
    `${verdict}${figure}: ${measured}${target ? ` (target ${target})` : ''}${
      peer ? `; ${peer}` : ''
    }${ratio ? ` [${ratio}]` : ''}`,
  );
  return row;
}

/** The backend: `prod` runs the production image bench/run.sh laid out, `dev` the workspace. */
export const backendMode = process.env.MH_BENCH_BACKEND ?? 'dev';

/**
 * Starts the Backstage backend with the given config (an object written to a file, over
 * app-config.yaml); resolves when it answers. Its plugin data is in SQLite files in a fresh
 * folder (PostgreSQL in production: out of the process, so it is not in the backend's RSS).
 */
/** Process groups this benchmark started: ended when it exits, however it exits. */
const groups = new Set();
const endGroups = () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
};
process.on('exit', endGroups);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    endGroups();
    process.exit(130);
  });
process.on('uncaughtException', e => {
  console.error(e);
  endGroups();
  process.exit(1);
});
process.on('unhandledRejection', e => {
  console.error(e);
  endGroups();
  process.exit(1);
});

/** Starts a process in a group of its own, ended with the benchmark. */
export function spawnGroup(cmd, args, options) {
  const child = spawn(cmd, args, { ...options, detached: true });
  groups.add(child.pid);
  child.on('exit', () => groups.delete(child.pid));
  return child;
}

/**
 * A Chrome DevTools protocol session with a Node process started with --inspect (loopback only):
 * `send(method, params)` resolves with the result; `on(event, fn)` hears events.
 */
async function inspectorSession(port) {
  const [target] = await (
    await fetch(`http://127.0.0.1:${port}/json/list`)
  ).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let next = 0;
  const pending = new Map();
  const listeners = new Map();
  socket.onmessage = ({ data }) => {
    const msg = JSON.parse(data);
    if (msg.id === undefined) return listeners.get(msg.method)?.(msg.params);
    const [resolve, reject] = pending.get(msg.id);
    pending.delete(msg.id);
    return msg.error
      ? reject(new Error(`${msg.error.message} (inspector)`))
      : resolve(msg.result);
  };
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        pending.set(id, [resolve, reject]);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    on: (event, fn) => listeners.set(event, fn),
    close: () => socket.close(),
  };
}

export async function startBackend({
  port = 7200,
  config = {},
  name = 'backend',
  nodeOptions = '',
  /** Starts it with --inspect on port + 1000 (loopback): heap() and heapSnapshot() need it. */
  inspect = false,
}) {
  if (inspect) nodeOptions += ` --inspect=127.0.0.1:${port + 1000}`;
  // A folder of its own per start: SQLite refuses writes to a file replaced under an open handle.
  const dir = path.join(state, `${name}-${Date.now().toString(36)}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'sqlite'), { recursive: true });
  const configFile = path.join(dir, 'app-config.bench.yaml');
  const base = `http://localhost:${port}`;
  const merged = deepMerge(
    {
      app: { baseUrl: base },
      backend: {
        baseUrl: base,
        listen: { port },
        cors: { origin: base },
        // PostgreSQL as in production (bench/run.sh starts it), fresh databases per start; or
        // SQLite files (MH_BENCH_DB=sqlite).
        database: process.env.MH_BENCH_PG_URL
          ? {
              client: 'pg',
              connection: process.env.MH_BENCH_PG_URL,
              prefix: `bench_${path.basename(dir).replace(/\W/g, '_')}_`,
            }
          : {
              client: 'better-sqlite3',
              connection: { directory: path.join(dir, 'sqlite') },
            },
        auth: {
          externalAccess: [
            { type: 'static', options: { token, subject: 'bench' } },
          ],
        },
      },
      auth: {
        providers: {
          guest: { dangerouslyAllowOutsideDevelopment: true },
          // Production's sign-in: people as oauth2-proxy forwards them (signIn() below).
          oauth2Proxy: {
            signIn: {
              resolvers: [{ resolver: 'forwardedUserMatchingUserEntityName' }],
            },
          },
        },
      },
      // The portal's users, groups and templates, by absolute path: app-config.yaml's are relative
      // to packages/backend, which the production image's working directory is not.
      catalog: {
        locations: [
          'catalog/org.yaml',
          'templates/deploy-ollama/template.yaml',
          'templates/deploy-vllm/template.yaml',
          'templates/deploy-http-predictor/template.yaml',
        ].map(file => ({
          type: 'file',
          target: path.join(
            backendMode === 'prod' ? path.join(state, 'image') : repo,
            file,
          ),
        })),
      },
      // The bench's static token may deploy (as a CI pipeline would).
      modelHosting: { tenancy: { serviceWriters: ['bench'] } },
    },
    config,
  );
  fs.writeFileSync(configFile, JSON.stringify(merged, null, 1));
  const logFile = path.join(state, `${name}.log`);
  if (
    await fetch(`${base}/`).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`port ${port} is in use: another backend runs there`);
  const log = fs.openSync(logFile, 'w');
  // MH_BENCH_CONFIG: one more config file, read last (an experiment with a portal setting).
  const extraConfig = process.env.MH_BENCH_CONFIG
    ? ['--config', path.resolve(process.env.MH_BENCH_CONFIG)]
    : [];
  const image = path.join(state, 'image');
  const prod = backendMode === 'prod';
  if (prod && !fs.existsSync(path.join(image, 'packages/backend')))
    throw new Error(`no production image in ${image}: run bench/run.sh`);
  const child = prod
    ? spawnGroup(
        process.execPath,
        [
          ...nodeOptions.split(' ').filter(Boolean),
          'packages/backend',
          '--config',
          'app-config.yaml',
          '--config',
          configFile,
          ...extraConfig,
        ],
        {
          cwd: image,
          env: { ...process.env, NODE_ENV: 'production' },
          stdio: ['ignore', log, log],
          detached: true,
        },
      )
    : // The workspace's backend as `backstage-cli package start` runs it, without its file
      // watcher (others' edits in a shared checkout would restart it mid-measurement).
      spawnGroup(
        process.execPath,
        [
          ...nodeOptions.split(' ').filter(Boolean),
          '--enable-source-maps',
          '--require',
          path.join(
            repo,
            'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
          ),
          'src/index.ts',
          '--config',
          path.join(repo, 'app-config.yaml'),
          '--config',
          configFile,
          ...extraConfig,
        ],
        {
          cwd: path.join(repo, 'packages/backend'),
          env: {
            ...process.env,
            NODE_ENV: 'development',
            ESBK_TSCONFIG_PATH: path.join(repo, 'tsconfig.json'),
          },
          stdio: ['ignore', log, log],
          detached: true,
        },
      );
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${base}/.backstage/health/v1/readiness`);
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null || i > 600)
      throw new Error(`backend did not start; see ${logFile}`);
    await sleep(500);
  }
  const call = async (method, url, body) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const stats = () => call('GET', '/api/model-hosting/stats');
  /**
   * A person's Backstage token, signed in as oauth2-proxy presents them (a User of
   * catalog/org.yaml, once the catalog has read it: retried for up to a minute).
   */
  const signIn = async user => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}/api/auth/oauth2Proxy/refresh`, {
        headers: { 'X-Forwarded-User': user },
      });
      if (res.ok) return (await res.json()).backstageIdentity.token;
      if (i >= 60)
        throw new Error(
          `sign-in as ${user}: HTTP ${res.status} ${await res.text()}`,
        );
      await sleep(1000);
    }
  };
  return {
    base,
    call,
    stats,
    signIn,
    logFile,
    /** The backend process's own pid (the one serving, not yarn's). */
    pid: () => {
      const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], {
        encoding: 'utf8',
      });
      return Number(/pid=(\d+)/.exec(out)?.[1]);
    },
    /** The live heap in bytes: used heap right after a full garbage collection (needs `inspect`). */
    heap: async () => {
      const session = await inspectorSession(port + 1000);
      try {
        await session.send('HeapProfiler.collectGarbage');
        return (await session.send('Runtime.getHeapUsage')).usedSize;
      } finally {
        session.close();
      }
    },
    /** The backend's process.memoryUsage() as it is (no collection forced; needs `inspect`). */
    memory: async () => {
      const session = await inspectorSession(port + 1000);
      try {
        const { result } = await session.send('Runtime.evaluate', {
          expression: 'JSON.stringify(process.memoryUsage())',
        });
        return JSON.parse(result.value);
      } finally {
        session.close();
      }
    },
    /** Writes a heap snapshot (for Chrome DevTools' Memory panel) to `file` (needs `inspect`). */
    heapSnapshot: async file => {
      const session = await inspectorSession(port + 1000);
      const out = fs.openSync(file, 'w');
      try {
        session.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) =>
          fs.writeSync(out, chunk),
        );
        await session.send('HeapProfiler.takeHeapSnapshot', {
          reportProgress: false,
        });
      } finally {
        fs.closeSync(out);
        session.close();
      }
    },
    /** Waits until every cluster's cache has listed everything. */
    synced: async () => {
      for (;;) {
        const s = await stats().catch(() => undefined);
        if (s?.clusters?.length && s.clusters.every(c => c.synced)) return s;
        await sleep(300);
      }
    },
    /** Stops the backend and what it spawned (they share its process group). */
    stop: async () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      // A --cpu-prof profile is written as the process exits: give it time.
      const wait = nodeOptions.includes('--cpu-prof') ? 600 : 50;
      for (let i = 0; i < wait && child.exitCode === null; i++)
        await sleep(100);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    },
  };
}

export function deepMerge(a, b) {
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    !a ||
    !b ||
    Array.isArray(a) ||
    Array.isArray(b)
  )
    return b === undefined ? a : b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/** Times an async function in milliseconds. */
export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** RSS of a process in MiB, from /proc. */
export function rssOf(pid) {
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
}

/** CPU seconds (user + system) a process has used; with `reaped`, also its children that ended. */
export function cpuOf(pid, reaped = false) {
  try {
    const f = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ');
    const children = reaped ? Number(f[13]) + Number(f[14]) : 0;
    return (Number(f[11]) + Number(f[12]) + children) / 100;
  } catch {
    return NaN;
  }
}

/** Which part of the machine a process is, from its command line (undefined: not ours to count). */
function roleOf(cmdline) {
  const binary = /\/clusters\/[^/]+\/bin\/([\w-]+)/.exec(cmdline)?.[1];
  if (binary) return binary; // kube-apiserver, etcd, kwok-controller, ...
  if (/^postgres/.test(cmdline) || cmdline.includes('/postgresql/'))
    return 'postgres';
  if (/pod-runner|engine-stand-ins/.test(cmdline)) return 'pods';
  // The production image's `node packages/backend`, or the workspace's sources (startBackend).
  if (
    (/\bpackages\/backend\b/.test(cmdline) && !/yarn/.test(cmdline)) ||
    /nodeTransform\.cjs src\/index\.ts/.test(cmdline)
  )
    return 'backend';
  if (/\bbench\/\w+\.mjs/.test(cmdline)) return 'bench client';
  return undefined;
}

/** Every live process as [pid, command line with spaces for NULs]. */
function* processes() {
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      yield [Number(pid), cmd.replaceAll('\0', ' ')];
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * CPU seconds used so far by each part of the machine (the API server, etcd, the backend, ...),
 * summed over its live processes. Two of these, subtracted, say where a phase's CPU went.
 */
export function cpuByRole() {
  const roles = new Map();
  for (const [pid, cmd] of processes()) {
    const role = roleOf(cmd);
    // PostgreSQL forks a process per connection: the ones gone are in their parent's count.
    const seconds = role ? cpuOf(pid, role === 'postgres') : NaN;
    if (Number.isFinite(seconds))
      roles.set(role, (roles.get(role) ?? 0) + seconds);
  }
  return roles;
}

/** What each part used between two cpuByRole() readings (heaviest first, as text), and the total. */
export function cpuSpent(before, after) {
  const parts = [...after]
    .map(([role, s]) => [role, s - (before.get(role) ?? 0)])
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const total = parts.reduce((sum, [, s]) => sum + s, 0);
  return {
    total,
    text: parts.map(([role, s]) => `${role} ${s.toFixed(1)}`).join(', '),
  };
}

/** The PID of a bench cluster's kube-apiserver (kwokctl runs it from the cluster's folder). */
export function apiServerPid(clusterName) {
  for (const [pid, cmd] of processes()) {
    if (cmd.includes(`/clusters/${clusterName}/bin/kube-apiserver`)) return pid;
  }
  return undefined;
}

/** The heaviest functions (self time) of a .cpuprofile, as lines. */
export function heaviest(profileFile, top = 12) {
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
  const self = new Map();
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const dt = profile.timeDeltas;
  const total = dt.reduce((a, b) => a + b, 0);
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const cf = n.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*\/(plugins|packages)\//, '$1/')}:${
      cf.lineNumber + 1
    }`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  });
  // Shares of the busy time: idle samples (waiting for I/O) are left out.
  const idle = self.get('(idle) :0') ?? 0;
  self.delete('(idle) :0');
  const busy = total - idle;
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(
      1,
    )} s sampled`,
    ...[...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1000)
            .toFixed(0)
            .padStart(6)} ms  ${k}`,
      ),
  ];
}

/** `git describe` and the machine, for the table's heading. */
export function machine() {
  const cpu = (fs
    .readFileSync('/proc/cpuinfo', 'utf8')
    .match(/model name\s*:\s*(.*)/) ?? [])[1];
  return `${os.cpus().length} cores (${cpu ?? 'unknown CPU'}), ${Math.round(
    os.totalmem() / 2 ** 30,
  )} GB, Node ${process.version}, commit ${execFileSync(
    'git',
    ['rev-parse', '--short', 'HEAD'],
    { cwd: repo, encoding: 'utf8' },
  ).trim()}; backend ${
    backendMode === 'prod' ? 'production image' : 'from the workspace'
  } on ${process.env.MH_BENCH_DB === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`;
}
