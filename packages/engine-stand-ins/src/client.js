// A client for the pod runner's control API (scripts/cluster/pod-runner), for tests:
//
//   const { podNetwork } = require('@modelhosting/engine-stand-ins');
//   const net = podNetwork({ kubeconfig: process.env.MH_TEST_KUBECONFIG });   // null: no pod network
//   await net.waitReady('ns', 'my-model', 1);
//   await net.control('ns', 'my-model', { mode: 'hang' });                    // every pod of it
//   await net.control('ns', 'my-model', { mode: 'error' }, { pod: 'my-model-abc-123' });
//   const d = await net.deployment('ns', 'my-model');                         // pods, what they received
//   d.pods[0].server.received.at(-1).body;  d.pods[0].server.counters.success;
//   await net.resetControl('ns', 'my-model');
//
// The runner keeps controls per deployment (and per pod), so pods that start later get them too.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

function infoPath({ infoFile, kubeconfig, stateDir, cluster } = {}) {
  if (infoFile) return infoFile;
  if (kubeconfig)
    return kubeconfig.replace(/\.kubeconfig$/, '') + '.pod-runner.json';
  if (stateDir && cluster)
    return path.join(stateDir, `${cluster}.pod-runner.json`);
  throw new Error(
    'podNetwork needs {kubeconfig}, {stateDir, cluster} or {infoFile}',
  );
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function call(base, method, pathname, body) {
  return new Promise((resolve, reject) => {
    const url = new URL(pathname, base);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        headers:
          data === undefined
            ? {}
            : {
                'Content-Type': 'application/json',
                'Content-Length': Buffer.byteLength(data),
              },
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', c => (text += c));
        res.on('end', () => {
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          if (res.statusCode >= 400) {
            reject(
              new Error(
                `pod runner: ${method} ${pathname}: HTTP ${res.statusCode} ${
                  parsed?.error ?? text
                }`,
              ),
            );
          } else resolve(parsed);
        });
      },
    );
    req.setTimeout(30_000, () =>
      req.destroy(new Error(`pod runner: ${method} ${pathname} timed out`)),
    );
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const seg = s => encodeURIComponent(s);

/**
 * The pod network of a local cluster, or null when the cluster has none (no root, or
 * MH_POD_NETWORK=off): then nothing answers behind pod IPs and tests must say why they cannot run.
 */
function podNetwork(where) {
  const file = infoPath(where);
  let info;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!info.pid || !alive(info.pid)) return null;
  const base = info.control;
  const dep = (ns, name, opts = {}) =>
    `/deployments/${seg(ns)}/${seg(name)}${
      opts.pod ? `/pods/${seg(opts.pod)}` : ''
    }`;
  const client = {
    /** From <state>/<cluster>.pod-runner.json: control URL, netns, podCIDR, realOllama {bin, modelsDir, models}. */
    info,
    health: () => call(base, 'GET', '/health'),
    /** Pods served: [{pod, namespace, deployment, ip, port, engine, kind ('stand-in' | 'ollama'), model, ready, restartCount, ...}]. */
    pods: async (filter = {}) => {
      const q = new URLSearchParams(
        Object.entries(filter).filter(([, v]) => v),
      );
      return (await call(base, 'GET', `/pods${q.toString() ? `?${q}` : ''}`))
        .pods;
    },
    /** One deployment's pods with what each stand-in received: server.{requests, byPath, received, pulls, models, counters}. */
    deployment: (ns, name) => call(base, 'GET', dep(ns, name)),
    /** Sets controls (mode 'ok'|'error'|'hang'|'malformed', delayMs, streamDelayMs, pullFails, running, waiting); null resets one. */
    control: (ns, name, control, opts) =>
      call(base, 'PUT', `${dep(ns, name, opts)}/control`, control),
    resetControl: (ns, name, opts) =>
      call(base, 'DELETE', `${dep(ns, name, opts)}/control`),
    /** Forgets what the deployment's stand-ins received (requests, bodies, pulls). */
    clear: (ns, name, opts) =>
      call(base, 'POST', `${dep(ns, name, opts)}/clear`),
    /** Restarts the containers (a crash): new process, counters from zero, restartCount + 1. */
    restart: (ns, name, opts) =>
      call(base, 'POST', `${dep(ns, name, opts)}/restart`),
    stats: () => call(base, 'GET', '/stats'),
    /** Every request the deployment's stand-ins received, oldest first, each with its pod. */
    received: async (ns, name) => {
      const d = await client.deployment(ns, name);
      return d.pods
        .flatMap(p =>
          (p.server?.received ?? []).map(r => ({ ...r, pod: p.pod })),
        )
        .sort((a, b) => a.at.localeCompare(b.at));
    },
    /** Polls the deployment until check(deployment) is truthy; returns that value. */
    waitFor: async (
      ns,
      name,
      check,
      { timeoutMs = 60_000, intervalMs = 250 } = {},
    ) => {
      const until = Date.now() + timeoutMs;
      let last;
      for (;;) {
        last = await client.deployment(ns, name);
        const v = check(last);
        if (v) return v;
        if (Date.now() > until) {
          throw new Error(
            `pod runner: ${ns}/${name} did not get there in ${timeoutMs} ms; pods: ${JSON.stringify(
              last.pods.map(p => ({
                pod: p.pod,
                ready: p.ready,
                kind: p.kind,
                lastProbe: p.lastProbe,
              })),
            )}`,
          );
        }
        await new Promise(r => setTimeout(r, intervalMs));
      }
    },
    /** Waits until at least n pods of the deployment answer their readiness probe. */
    waitReady: (ns, name, n = 1, opts) =>
      client.waitFor(
        ns,
        name,
        d => d.pods.filter(p => p.ready).length >= n && d,
        opts,
      ),
    /** Makes the runner look for real Ollama again (after scripts/engines/ollama.sh built it): {bin, models, ...}. */
    refreshRealOllama: () => call(base, 'POST', '/real-ollama'),
    /** Real Ollama models the runner can run for Ollama pods (their MODEL_NAME must be one of them). */
    realOllamaModels: () => {
      const now =
        JSON.parse(fs.readFileSync(file, 'utf8')).realOllama ?? info.realOllama;
      return now?.bin ? now.models : [];
    },
  };
  return client;
}

module.exports = { podNetwork, infoPath };
