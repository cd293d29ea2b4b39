// Shared by the benchmark scripts: start a backend against a cluster, talk to it, summarize timings.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

export const repo = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
);
export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Where with-cluster.sh keeps the bench cluster's files, and the static token the backends accept. */
export const state = process.env.MH_BENCH_STATE;
export const token = 'bench-token-0123456789';

/** Admin clients for the bench cluster. */
export function benchKube() {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path.join(state, 'mh-bench.kubeconfig'));
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

export async function ensureNamespace(core, name) {
  await core.createNamespace({ body: { metadata: { name } } }).catch(e => {
    if (e.code !== 409) throw e;
  });
}

/** Runs `fn` over items with at most `limit` at a time. */
export async function parallel(items, limit, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

export const fmt = ms => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

export function summary(label, values) {
  return `${label}: p50 ${fmt(percentile(values, 50))}, p99 ${fmt(
    percentile(values, 99),
  )} (n=${values.length})`;
}

/** Starts the Backstage backend (dev mode) with the given config files; resolves when it answers. */
export async function startBackend({ port, configs, token, logFile }) {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      path.join(repo, '.yarn/releases/yarn-4.13.0.cjs'),
      'workspace',
      'backend',
      'start',
      ...configs.flatMap(c => ['--config', c]),
    ],
    {
      cwd: repo,
      stdio: ['ignore', log, log],
      detached: true,
    },
  );
  const base = `http://localhost:${port}`;
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`${base}/.backstage/health/v1/readiness`);
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null)
      throw new Error(`backend exited; see ${logFile}`);
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
    return JSON.parse(text);
  };
  return {
    base,
    call,
    /** Stops the backend and the node processes it spawned (they share its process group). */
    stop: () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
    },
  };
}

/** Times an async function in milliseconds. */
export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
