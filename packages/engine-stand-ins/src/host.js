#!/usr/bin/env node
// The stand-in host: one process inside the cluster's pod network namespace that serves every
// model-server pod that has no real engine, each on its own pod IP and container port. The pod
// runner starts it with `ip netns exec <netns> node host.js` and drives it over stdin/stdout, one
// JSON object per line:
//
//   {"seq": 1, "op": "add", "id": "<pod uid>", "ip": "10.64.0.7", "port": 8000, "engine": "vllm",
//    "env": {...}, "args": [...], "image": "...", "control": {...}}      listen for a pod
//   {"seq": 2, "op": "remove", "id": "..."}                               stop listening
//   {"seq": 3, "op": "restart", "id": "..."}                              a container restart: fresh state
//   {"seq": 4, "op": "control", "ids": [...], "control": {"mode": "hang"}} change behaviour
//   {"seq": 5, "op": "inspect", "ids": [...]}                              what they received, counters
//   {"seq": 6, "op": "clear", "ids": [...]}                                forget what was received
//   {"seq": 7, "op": "stats"}                                              pods served, memory
// Each command is answered with {"seq": n, "ok": true, "result": ...} or {"seq": n, "ok": false, "error": "..."}.
'use strict';

const http = require('http');
const readline = require('readline');
const {
  createStandIn,
  summarize,
  applyControl,
  clearReceived,
  checkControl,
} = require('./standIn');

/** id → {server, standIn, spec} */
const pods = new Map();
/** "ip:port" → id */
const byAddress = new Map();

function listen(id, spec) {
  const standIn = createStandIn({
    engine: spec.engine,
    env: spec.env || {},
    args: spec.args || [],
    image: spec.image,
  });
  applyControl(standIn.state, spec.control || {});
  const server = http.createServer((req, res) => {
    standIn.handle(req, res).catch(e => {
      if (!res.headersSent)
        res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(e?.message || e));
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: spec.ip, port: spec.port, backlog: 128 }, () => {
      server.removeListener('error', reject);
      server.on('error', e =>
        process.stderr.write(
          `stand-in ${spec.ip}:${spec.port}: ${e.message}\n`,
        ),
      );
      resolve({ server, standIn });
    });
  });
}

function close(id) {
  const pod = pods.get(id);
  if (!pod) return;
  pods.delete(id);
  byAddress.delete(`${pod.spec.ip}:${pod.spec.port}`);
  pod.server.close();
  pod.server.closeAllConnections?.();
}

async function add(msg) {
  const { id } = msg;
  if (!id || !msg.ip || !msg.port || !msg.engine)
    throw new Error('add needs id, ip, port and engine');
  const spec = {
    ip: msg.ip,
    port: msg.port,
    engine: msg.engine,
    env: msg.env,
    args: msg.args,
    image: msg.image,
    control: msg.control,
  };
  const existing = pods.get(id);
  if (existing) {
    if (existing.spec.ip === spec.ip && existing.spec.port === spec.port)
      return { already: true };
    close(id);
  }
  // An address still held by a pod that is gone (its removal crossed this add): free it.
  const holder = byAddress.get(`${spec.ip}:${spec.port}`);
  if (holder && holder !== id) close(holder);
  const { server, standIn } = await listen(id, spec);
  pods.set(id, { server, standIn, spec });
  byAddress.set(`${spec.ip}:${spec.port}`, id);
  return { listening: `${spec.ip}:${spec.port}` };
}

async function restart(id) {
  const pod = pods.get(id);
  if (!pod) throw new Error(`no pod ${id}`);
  const control = { ...pod.spec.control };
  // Keep the behaviour a test asked for; everything else starts over, as a new process would.
  for (const k of ['mode', 'delayMs', 'streamDelayMs', 'pullFails'])
    control[k] = pod.standIn.state[k];
  close(id);
  return add({ id, ...pod.spec, control });
}

const ids = msg =>
  Array.isArray(msg.ids) ? msg.ids : msg.id ? [msg.id] : [...pods.keys()];

async function handle(msg) {
  switch (msg.op) {
    case 'add':
      return add(msg);
    case 'remove':
      for (const id of ids(msg)) close(id);
      return {};
    case 'restart':
      return restart(msg.id);
    case 'control': {
      const error = checkControl(msg.control);
      if (error) throw new Error(error);
      for (const id of ids(msg)) {
        const pod = pods.get(id);
        if (!pod) continue;
        applyControl(pod.standIn.state, msg.control);
        pod.spec.control = { ...pod.spec.control, ...msg.control };
      }
      return {};
    }
    case 'inspect': {
      const out = {};
      for (const id of ids(msg)) {
        const pod = pods.get(id);
        if (pod)
          out[id] = {
            ip: pod.spec.ip,
            port: pod.spec.port,
            ...summarize(pod.standIn.state),
          };
      }
      return out;
    }
    case 'clear':
      for (const id of ids(msg)) {
        const pod = pods.get(id);
        if (pod) clearReceived(pod.standIn.state);
      }
      return {};
    case 'stats': {
      const m = process.memoryUsage();
      return {
        pods: pods.size,
        rss: m.rss,
        heapUsed: m.heapUsed,
        pid: process.pid,
      };
    }
    case 'ping':
      return { pong: true };
    default:
      throw new Error(`unknown op '${msg.op}'`);
  }
}

const out = obj => process.stdout.write(`${JSON.stringify(obj)}\n`);

readline.createInterface({ input: process.stdin }).on('line', line => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return out({ ok: false, error: 'not JSON' });
  }
  handle(msg).then(
    result => out({ seq: msg.seq, ok: true, result }),
    e =>
      out({
        seq: msg.seq,
        ok: false,
        error: e?.code ? `${e.code}: ${e.message}` : String(e?.message || e),
      }),
  );
});
// The runner went away: so does every pod it served.
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
out({ event: 'ready', pid: process.pid });
