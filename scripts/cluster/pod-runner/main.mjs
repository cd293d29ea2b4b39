#!/usr/bin/env node
// The pod runner: plays the container-runtime half of a kubelet for the model-server pods of the
// local simulated cluster. kwok schedules nothing of its own here: it gives each pod an IP from the
// cluster's pod CIDR and marks it Running but not Ready (k8s/local/kwok-stages.yaml); this runner
//   - starts, for each model-server pod (label app.kubernetes.io/managed-by=backstage-model-hosting),
//     a server listening on the pod's IP and container port inside the cluster's network namespace:
//     a stand-in for the pod's engine (one stand-in host process serves every such pod), or a real
//     `ollama serve` when the pod's model is a locally available real model;
//   - resolves the container's environment as a kubelet would (ConfigMap and Secret references,
//     downward API, $(VAR) in arguments) when the pod starts;
//   - runs the pod's startup, readiness and liveness probes against the server over the pod network
//     and writes the pod's Ready/ContainersReady conditions and container status (restarts on
//     liveness failure, like a kubelet);
//   - runs the pod's init containers first (the model loader, packages/model-loader, as a local
//     process in the network namespace) and starts the server only when they succeed, recording
//     status.initContainerStatuses (Init:Error, the loader's termination message) as a kubelet does;
//   - gives each pod's volumes real directories (emptyDir per pod, claims per volume) and translates
//     the containers' paths under their mounts (MODEL_CACHE_DIR, MODEL_PATH, OLLAMA_MODELS, ...);
//   - provisions PersistentVolumes for claims of the StorageClass local-models (provisioner.mjs);
//   - stops the server when the pod goes;
//   - serves a control API on 127.0.0.1 for tests (see packages/engine-stand-ins/README.md).
//
// usage: main.mjs --name <cluster> --state <dir> --netns <netns> --cidr <pod CIDR> --kubeconfig <admin kubeconfig>
//                [--host-address <the host end of the veth pair>]
// Writes <state>/<name>.pod-runner.json (control URL, netns, CIDR, real Ollama) once it serves.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from './kube.mjs';
import {
  ConfigError,
  expand,
  probes,
  resolveEnv,
  servingContainer,
} from './pod-spec.mjs';
import { createRealOllama } from './real-ollama.mjs';
import { createVolumes, VolumeNotReady } from './volumes.mjs';
import { createProvisioner } from './provisioner.mjs';
import { runInitContainer } from './init.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const hostJs = path.join(repo, 'packages/engine-stand-ins/src/host.js');

const opts = {};
for (let i = 2; i < process.argv.length; i += 2)
  opts[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['name', 'state', 'netns', 'cidr', 'kubeconfig']) {
  if (!opts[k]) {
    console.error(`pod-runner: --${k} is required`);
    process.exit(2);
  }
}
const infoPath = path.join(opts.state, `${opts.name}.pod-runner.json`);
const podsDir = path.join(opts.state, `${opts.name}.pods`);
fs.mkdirSync(podsDir, { recursive: true });

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const MANAGER = 'backstage-model-hosting';
const INSTANCE = 'app.kubernetes.io/instance';
const ENGINE = 'modelhosting.io/engine';
/** Probes run at their pod's period, but at least this often (seconds): a local cluster need not wait 10 s. */
const PERIOD_CAP = Number(process.env.MH_PROBE_PERIOD_SECONDS || 1);
/** And time out after at most this long, so a hanging server is seen within seconds. */
const TIMEOUT_CAP = Number(process.env.MH_PROBE_TIMEOUT_SECONDS || 1);
/** Liveness keeps the pod's own period unless this caps it (0: no cap), so a test's short fault does not restart containers. */
const LIVENESS_PERIOD_CAP = Number(process.env.MH_LIVENESS_PERIOD_SECONDS || 0);

const log = msg => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// CIDR check: only pods whose IP is in this cluster's pod CIDR are reachable in the namespace.
const ipToInt = ip => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const [cidrBase, cidrBits] = opts.cidr.split('/');
const cidrMask =
  Number(cidrBits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(cidrBits));
const inCidr = ip =>
  /^\d+\.\d+\.\d+\.\d+$/.test(ip || '') &&
  (ipToInt(ip) & cidrMask) >>> 0 === (ipToInt(cidrBase) & cidrMask) >>> 0;

// ---------------------------------------------------------------------------------------------
// The stand-in host inside the network namespace, driven over stdin/stdout.
class StandInHost {
  constructor(onRestart) {
    this.seq = 0;
    this.pending = new Map();
    this.onRestart = onRestart;
    this.stopping = false;
  }

  start() {
    return new Promise((resolve, reject) => {
      const child = spawn(
        'ip',
        ['netns', 'exec', opts.netns, process.execPath, hostJs],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      this.child = child;
      let ready = false;
      child.on('error', err =>
        reject(new Error(`stand-in host: ${err.message}`)),
      );
      readline.createInterface({ input: child.stdout }).on('line', line => {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          return log(`stand-in host: ${line}`);
        }
        if (msg.event === 'ready') {
          ready = true;
          log(`stand-in host ${msg.pid} running in netns ${opts.netns}`);
          return resolve();
        }
        const p = this.pending.get(msg.seq);
        if (!p) return;
        this.pending.delete(msg.seq);
        msg.ok ? p.resolve(msg.result) : p.reject(new Error(msg.error));
      });
      readline
        .createInterface({ input: child.stderr })
        .on('line', line => log(`stand-in host: ${line}`));
      child.on('exit', (code, signal) => {
        for (const p of this.pending.values())
          p.reject(new Error('stand-in host exited'));
        this.pending.clear();
        if (!ready)
          return reject(
            new Error(`stand-in host exited at start (${code ?? signal})`),
          );
        if (this.stopping) return;
        log(`stand-in host exited (${code ?? signal}); starting it again`);
        setTimeout(
          () => this.start().then(this.onRestart, e => log(e.message)),
          1000,
        );
      });
    });
  }

  call(op, fields = {}) {
    return new Promise((resolve, reject) => {
      if (!this.child || this.child.exitCode !== null)
        return reject(new Error('stand-in host is not running'));
      const seq = ++this.seq;
      this.pending.set(seq, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ seq, op, ...fields })}\n`);
    });
  }

  stop() {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------------------------------------
const kube = await connect(opts.kubeconfig);
const volumesRoot = path.join(podsDir, 'volumes');
const getObject = async p => {
  const r = await kube.request('GET', p);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${p}: HTTP ${r.status}`);
  return r.body;
};
const vols = createVolumes({
  root: volumesRoot,
  getClaim: (ns, name) =>
    getObject(
      `/api/v1/namespaces/${ns}/persistentvolumeclaims/${encodeURIComponent(
        name,
      )}`,
    ),
  getVolume: name =>
    getObject(`/api/v1/persistentvolumes/${encodeURIComponent(name)}`),
});
await createProvisioner({ kube, repo, pvRoot: vols.pvRoot, log })
  .start()
  .catch(e => log(`the storage provisioner did not start: ${e.message}`));
const real = createRealOllama({
  repo,
  podsDir,
  log,
  onChange: () => writeInfo?.(),
});
// Looking for real Ollama may take a while (ollama.sh env creates its tiny models if missing): go on
// serving stand-ins meanwhile.
real.refresh(true).catch(() => {});
await real.settle(5000);

let lastForcedLookup = 0;

/** uid → entry: one running (or starting) container of a model-server pod. */
const pods = new Map();
/** "namespace/deployment" → controls for every pod of that deployment; "namespace/deployment/pod" → for one pod. */
const controls = new Map();

const host = new StandInHost(async () => {
  // The host restarted: every stand-in container restarted with it.
  for (const e of pods.values())
    if (e.kind === 'stand-in' && e.state === 'running')
      restartContainer(e, 'stand-in host restarted', true);
});
await host.start();

const controlFor = e => ({
  ...(controls.get(`${e.namespace}/${e.instance}`) || {}),
  ...(controls.get(`${e.namespace}/${e.instance}/${e.name}`) || {}),
});

function eligible(pod) {
  const labels = pod.metadata.labels || {};
  return (
    labels[MANAGED_BY] === MANAGER &&
    !pod.metadata.deletionTimestamp &&
    pod.spec?.nodeName &&
    !pod.spec.hostNetwork &&
    // Pending while its init containers run (a kubelet gives the pod its IP before them).
    (pod.status?.phase === 'Running' ||
      (pod.status?.phase === 'Pending' && pod.spec.initContainers?.length)) &&
    inCidr(pod.status.podIP)
  );
}

function onPodEvent(type, pod) {
  const uid = pod.metadata.uid;
  let e = pods.get(uid);
  if (type === 'DELETED' || pod.metadata.deletionTimestamp) {
    if (e) stopPod(e, type === 'DELETED' ? 'deleted' : 'terminating');
    return;
  }
  if (e) {
    e.pod = pod;
    if (pod.status?.podIP === e.ip) return;
    stopPod(e, 'pod IP changed');
  }
  if (!eligible(pod)) return;
  e = {
    uid,
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    instance: pod.metadata.labels?.[INSTANCE] ?? '',
    engine: pod.metadata.labels?.[ENGINE] ?? '',
    ip: pod.status.podIP,
    node: pod.spec.nodeName,
    pod,
    state: 'starting',
    gen: 0,
    kind: undefined,
    // A pod served before this runner started (the runner was restarted) keeps its count.
    restartCount: Math.max(
      0,
      ...(pod.status?.containerStatuses ?? []).map(c => c.restartCount || 0),
    ),
    started: false,
    ready: false,
    fail: {},
    succ: {},
    next: {},
    inflight: {},
    reported: undefined,
    // Init containers: done already when the pod says so (this runner restarted).
    init: initFromStatus(pod),
    initDone: initCompleted(pod),
    volumes: {},
  };
  pods.set(uid, e);
  startPod(e).catch(err =>
    log(`${e.namespace}/${e.name}: start failed: ${err.message}`),
  );
}

/** What the pod's status says about its init containers: name → {state, restartCount, ...}. */
function initFromStatus(pod) {
  const out = {};
  for (const s of pod.status?.initContainerStatuses || [])
    if (s.state?.terminated)
      out[s.name] = {
        state: 'terminated',
        terminated: s.state.terminated,
        restartCount: s.restartCount || 0,
        lastTerminated: s.lastState?.terminated,
      };
  return out;
}

function initCompleted(pod) {
  const inits = pod.spec?.initContainers || [];
  if (!inits.length) return true;
  const statuses = pod.status?.initContainerStatuses || [];
  return inits.every(c =>
    statuses.some(
      s =>
        s.name === c.name &&
        s.state?.terminated?.exitCode === 0 &&
        !String(s.containerID || '').startsWith('kwok://pending'),
    ),
  );
}

async function getConfigObject(namespace, kind, name) {
  const r = await kube.request(
    'GET',
    `/api/v1/namespaces/${namespace}/${kind}/${encodeURIComponent(name)}`,
  );
  if (r.status === 404) return undefined;
  if (r.status !== 200)
    throw new Error(`GET ${kind}/${name}: HTTP ${r.status}`);
  return r.body;
}

// Starts are limited to a few at a time: 1000 pods arriving at once each read their ConfigMap.
let starting = 0;
const startQueue = [];
function startSlot() {
  if (starting < 16) {
    starting++;
    return Promise.resolve();
  }
  return new Promise(r => startQueue.push(r));
}
function releaseSlot() {
  const next = startQueue.shift();
  if (next) next();
  else starting--;
}

/** Retries a pod's start later (a missing ConfigMap, an unbound claim, a failed init container). */
function startAgain(e, gen, ms) {
  setTimeout(
    () =>
      e.state === 'starting' &&
      gen === e.gen &&
      pods.has(e.uid) &&
      startPod(e).catch(x => log(x.message)),
    ms,
  );
}

/**
 * Mounts the pod's volumes and runs its init containers, one after the other, as a kubelet
 * does. Resolves true when the server may start; otherwise it has been scheduled again (or the
 * pod failed, for restartPolicy Never).
 */
async function prepare(e, gen) {
  try {
    e.volumes = await vols.resolve(e.pod);
    e.volumeError = undefined;
  } catch (err) {
    if (!(err instanceof VolumeNotReady)) throw err;
    e.volumeError = err.message;
    markChanged(e);
    startAgain(e, gen, 2000);
    return false;
  }
  if (e.initDone) return true;
  for (const c of e.pod.spec.initContainers || []) {
    if (
      e.init[c.name]?.state === 'terminated' &&
      e.init[c.name].terminated.exitCode === 0
    )
      continue;
    let env;
    try {
      env = await resolveEnv(e.pod, c, (kind, name) =>
        getConfigObject(e.namespace, kind, name),
      );
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      e.configError = err.message;
      markChanged(e);
      startAgain(e, gen, 3000);
      return false;
    }
    e.configError = undefined;
    const mounts = vols.mounts(c, e.volumes);
    for (const k of Object.keys(env)) env[k] = vols.translate(env[k], mounts);
    const prev = e.init[c.name];
    e.init[c.name] = {
      state: 'running',
      startedAt: new Date().toISOString(),
      restartCount: prev
        ? prev.restartCount + (prev.state === 'terminated' ? 1 : 0)
        : 0,
      lastTerminated: prev?.terminated ?? prev?.lastTerminated,
      log: path.join(podsDir, `${e.namespace}.${e.name}.${c.name}.log`),
    };
    markChanged(e);
    const result = await runInitContainer({
      repo,
      netns: opts.netns,
      pod: e.pod,
      container: c,
      env,
      mounts,
      workDir: path.join(podsDir, 'init', e.uid),
      logPath: e.init[c.name].log,
      onChild: child => (e.initChild = child),
    });
    e.initChild = undefined;
    if (gen !== e.gen || !pods.has(e.uid)) return false;
    e.init[c.name] = {
      ...e.init[c.name],
      state: 'terminated',
      terminated: result,
    };
    log(
      `${e.namespace}/${e.name}: init container ${c.name} exited ${
        result.exitCode
      }${result.exitCode ? `: ${result.message.split('\n')[0]}` : ''}`,
    );
    if (result.exitCode !== 0) {
      markChanged(e);
      if (e.pod.spec.restartPolicy === 'Never') {
        e.failed = true;
        return false;
      }
      // The kubelet backs off before running a failed init container again (10 s, doubling); here
      // 2 s, doubling, at most 30 s.
      const restarts = e.init[c.name].restartCount;
      startAgain(e, gen, Math.min(30_000, 2000 * 2 ** Math.min(4, restarts)));
      return false;
    }
  }
  e.initDone = true;
  markChanged(e);
  return true;
}

async function startPod(e) {
  const gen = e.gen;
  if (!(await prepare(e, gen))) return;
  if (e.state !== 'starting' || gen !== e.gen) return;
  await startSlot();
  try {
    if (e.state !== 'starting' || gen !== e.gen) return;
    const container = servingContainer(e.pod);
    if (!container) throw new Error('pod has no container');
    e.container = container.name;
    e.port = container.ports?.find(p => p.containerPort)?.containerPort;
    e.probes = probes(container);
    let env;
    try {
      env = await resolveEnv(e.pod, container, (kind, name) =>
        getConfigObject(e.namespace, kind, name),
      );
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // CreateContainerConfigError: the kubelet tries again until the ConfigMap appears.
      e.configError = err.message;
      markChanged(e);
      setTimeout(
        () =>
          e.state === 'starting' &&
          gen === e.gen &&
          startPod(e).catch(x => log(x.message)),
        3000,
      );
      return;
    }
    e.configError = undefined;
    // Paths under the container's volume mounts become the volumes' directories.
    e.mounts = vols.mounts(container, e.volumes);
    for (const k of Object.keys(env)) env[k] = vols.translate(env[k], e.mounts);
    e.env = env;
    e.args = (container.args || []).map(a =>
      vols.translate(expand(a, env), e.mounts),
    );
    e.model = env.MODEL_NAME;
    if (!e.port) throw new Error('container has no port');
    if (e.engine === 'ollama') {
      // Real Ollama may have been built since the last look (tests build it when they need it).
      const force =
        !real.serves(e.model) && Date.now() - lastForcedLookup > 5000;
      if (force) lastForcedLookup = Date.now();
      real.refresh(force).catch(() => {});
      await real.settle(5000);
    }
    if (e.state !== 'starting' || gen !== e.gen) return;
    await launch(e);
    e.state = 'running';
    e.containerStartedAt = new Date().toISOString();
    const t = Date.now();
    for (const kind of ['startup', 'readiness', 'liveness'])
      e.next[kind] = t + (e.probes[kind]?.initialDelaySeconds || 0) * 1000;
    if (!e.probes.startup) e.started = true;
    markChanged(e);
    log(
      `${e.namespace}/${e.name}: ${e.kind} ${e.engine} ${e.model ?? ''} on ${
        e.ip
      }:${e.port}`,
    );
  } finally {
    releaseSlot();
  }
}

/** Starts the container's process: real Ollama or the pod's stand-in in the host. */
async function launch(e) {
  let child;
  // OLLAMA_MODELS in one of the pod's volumes (a claim): real Ollama keeps its models there.
  const modelsDir =
    e.env.OLLAMA_MODELS && e.env.OLLAMA_MODELS.startsWith(`${volumesRoot}/`)
      ? e.env.OLLAMA_MODELS
      : undefined;
  if (e.engine === 'ollama' && real.serves(e.model, modelsDir)) {
    try {
      child = real.start({
        modelsDir,
        netns: opts.netns,
        uid: e.uid,
        namespace: e.namespace,
        name: e.name,
        ip: e.ip,
        port: e.port,
        env: e.env,
      });
    } catch (err) {
      log(
        `${e.namespace}/${e.name}: real Ollama did not start (${err.message}); serving a stand-in`,
      );
    }
  }
  if (child) {
    e.kind = 'ollama';
    e.child = child;
    e.logPath = child.logPath;
    const gen = e.gen;
    child.on('exit', (code, signal) => {
      if (e.child !== child || e.state !== 'running' || gen !== e.gen) return;
      log(
        `${e.namespace}/${e.name}: ollama exited (${
          code ?? signal
        }); restarting the container`,
      );
      restartContainer(
        e,
        `ollama exited (${code ?? signal})`,
        true,
        code ?? 137,
      );
    });
    return;
  }
  e.kind = 'stand-in';
  await host.call('add', {
    id: e.uid,
    ip: e.ip,
    port: e.port,
    engine: e.engine,
    env: e.env,
    args: e.args,
    image: e.pod.spec.containers.find(c => c.name === e.container)?.image,
    control: controlFor(e),
  });
}

function stopPod(e, why) {
  pods.delete(e.uid);
  const wasRunning = e.state === 'running';
  e.state = 'stopped';
  e.gen++;
  if (e.initChild) {
    const child = e.initChild;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  }
  fs.rmSync(path.join(podsDir, 'init', e.uid), {
    recursive: true,
    force: true,
  });
  // emptyDir volumes go with the pod (not when it only changed IP).
  if (why === 'deleted' || why === 'terminating') vols.removePod(e.uid);
  if (e.kind === 'ollama') real.stop(e.child);
  else if (e.kind === 'stand-in')
    host.call('remove', { id: e.uid }).catch(() => {});
  if (wasRunning) log(`${e.namespace}/${e.name}: stopped (${why})`);
}

function restartContainer(e, reason, alreadyGone = false, exitCode = 137) {
  e.gen++;
  e.restartCount++;
  e.lastTermination = {
    exitCode,
    reason: 'Error',
    message: reason,
    startedAt: e.containerStartedAt,
    finishedAt: new Date().toISOString(),
  };
  e.started = !e.probes.startup;
  e.ready = false;
  e.fail = {};
  e.succ = {};
  e.state = 'starting';
  markChanged(e);
  // The old process is gone at once; the new one starts after the back-off.
  if (!alreadyGone) {
    if (e.kind === 'ollama') real.stop(e.child);
    else host.call('remove', { id: e.uid }).catch(() => {});
  }
  const gen = e.gen;
  const relaunch = async () => {
    if (gen !== e.gen || !pods.has(e.uid)) return;
    await launch(e);
    if (gen !== e.gen) return;
    e.state = 'running';
    e.containerStartedAt = new Date().toISOString();
    const t = Date.now();
    for (const kind of ['startup', 'readiness', 'liveness']) e.next[kind] = t;
    markChanged(e);
  };
  // The kubelet backs off before starting a container again (10 s, doubling); here 1 s, doubling, at most 30 s.
  const delay = Math.min(30_000, 1000 * 2 ** Math.min(5, e.restartCount - 1));
  setTimeout(
    () =>
      relaunch().catch(err =>
        log(`${e.namespace}/${e.name}: restart failed: ${err.message}`),
      ),
    delay,
  );
  log(
    `${e.namespace}/${e.name}: container restart ${e.restartCount} (${reason})`,
  );
}

// ---------------------------------------------------------------------------------------------
// Probes, from the host over the veth into the namespace: what a kubelet's prober does.
const probeAgent = new http.Agent({
  keepAlive: true,
  maxSockets: 1,
  maxFreeSockets: 1,
});
let probesRun = 0;

function httpProbe(ip, port, pathname, timeoutMs) {
  return new Promise(resolve => {
    probesRun++;
    const req = http.request(
      {
        host: ip,
        port,
        path: pathname,
        method: 'GET',
        agent: probeAgent,
        headers: { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' },
      },
      res => {
        res.resume();
        res.on('end', () =>
          resolve({
            ok: res.statusCode >= 200 && res.statusCode < 400,
            detail: `HTTP ${res.statusCode}`,
          }),
        );
        res.on('error', err => resolve({ ok: false, detail: err.message }));
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`timeout after ${timeoutMs} ms`)),
    );
    req.on('error', err => resolve({ ok: false, detail: err.message }));
    req.end();
  });
}

const periodMs = (kind, p) =>
  1000 *
  (kind === 'liveness'
    ? LIVENESS_PERIOD_CAP > 0
      ? Math.min(p.periodSeconds, LIVENESS_PERIOD_CAP)
      : p.periodSeconds
    : Math.min(p.periodSeconds, PERIOD_CAP));

async function runProbe(e, kind) {
  const p = e.probes[kind];
  const gen = e.gen;
  e.inflight[kind] = true;
  const result = await httpProbe(
    e.ip,
    p.port ?? e.port,
    p.path,
    1000 * Math.min(p.timeoutSeconds, TIMEOUT_CAP),
  );
  e.inflight[kind] = false;
  if (gen !== e.gen || e.state !== 'running') return;
  e.next[kind] = Date.now() + periodMs(kind, p);
  e.lastProbe = {
    kind,
    ok: result.ok,
    detail: result.detail,
    at: new Date().toISOString(),
  };
  if (result.ok) {
    e.fail[kind] = 0;
    e.succ[kind] = (e.succ[kind] || 0) + 1;
    if (kind === 'startup' && !e.started) {
      e.started = true;
      markChanged(e);
    }
    if (
      kind === 'readiness' &&
      !e.ready &&
      e.succ[kind] >= p.successThreshold
    ) {
      e.ready = true;
      markChanged(e);
    }
    return;
  }
  e.succ[kind] = 0;
  e.fail[kind] = (e.fail[kind] || 0) + 1;
  if (e.fail[kind] < p.failureThreshold) return;
  if (kind === 'readiness') {
    if (e.ready) {
      e.ready = false;
      markChanged(e);
      log(`${e.namespace}/${e.name}: not ready (${p.path}: ${result.detail})`);
    }
  } else {
    restartContainer(e, `${kind} probe failed: ${p.path}: ${result.detail}`);
  }
}

setInterval(() => {
  const t = Date.now();
  for (const e of pods.values()) {
    if (e.state !== 'running') continue;
    if (!e.started) {
      if (!e.inflight.startup && t >= e.next.startup) runProbe(e, 'startup');
      continue;
    }
    if (e.probes.readiness) {
      if (!e.inflight.readiness && t >= e.next.readiness)
        runProbe(e, 'readiness');
    } else if (!e.ready) {
      e.ready = true;
      markChanged(e);
    }
    if (e.probes.liveness && !e.inflight.liveness && t >= e.next.liveness)
      runProbe(e, 'liveness');
  }
}, 100).unref();

// ---------------------------------------------------------------------------------------------
// Pod status: Ready/ContainersReady and the container's status, as a kubelet reports them.
const dirty = new Set();
let patching = 0;

function markChanged(e) {
  dirty.add(e);
  pump();
}

function pump() {
  for (const e of dirty) {
    if (patching >= 8) return;
    // One status write per pod at a time, so that an older one cannot land after a newer one.
    if (e.patching) continue;
    dirty.delete(e);
    e.patching = true;
    patching++;
    patchStatus(e)
      .catch(err => {
        log(`${e.namespace}/${e.name}: status patch failed: ${err.message}`);
        if (pods.has(e.uid)) setTimeout(() => markChanged(e), 1000);
      })
      .finally(() => {
        e.patching = false;
        patching--;
        pump();
      });
  }
}

const snapshot = e => ({
  init: JSON.stringify(e.init),
  initDone: e.initDone,
  failed: e.failed,
  volumeError: e.volumeError,
  ready: e.ready,
  started: e.started,
  restartCount: e.restartCount,
  configError: e.configError,
  startedAt: e.containerStartedAt,
  state: e.state,
});

async function patchStatus(e) {
  if (!pods.has(e.uid)) return;
  const snap = snapshot(e);
  if (e.reported && JSON.stringify(e.reported) === JSON.stringify(snap)) return;
  const t = new Date().toISOString();
  const readyChanged = !e.reported || e.reported.ready !== e.ready;
  const condition = type => ({
    type,
    status: e.ready ? 'True' : 'False',
    ...(readyChanged ? { lastTransitionTime: t } : {}),
    reason: e.ready ? null : 'ContainersNotReady',
    message: e.ready
      ? null
      : `containers with unready status: [${
          e.container ?? servingContainer(e.pod)?.name
        }]`,
  });
  const inits = e.pod.spec.initContainers || [];
  const initStatus = c => {
    const i = e.init[c.name];
    const id = n => `kwok://${e.uid}-${c.name}-${n}`;
    let state = { waiting: { reason: 'PodInitializing' } };
    if (i?.state === 'running') state = { running: { startedAt: i.startedAt } };
    else if (i?.state === 'terminated')
      state = {
        terminated: {
          exitCode: i.terminated.exitCode,
          reason: i.terminated.reason,
          ...(i.terminated.message ? { message: i.terminated.message } : {}),
          startedAt: i.terminated.startedAt,
          finishedAt: i.terminated.finishedAt,
          containerID: id(i.restartCount),
        },
      };
    return {
      name: c.name,
      image: c.image,
      imageID: '',
      ...(i ? { containerID: id(i.restartCount) } : {}),
      ready: i?.state === 'terminated' && i.terminated.exitCode === 0,
      started: i?.state === 'running',
      restartCount: i?.restartCount ?? 0,
      state,
      lastState: i?.lastTerminated ? { terminated: i.lastTerminated } : {},
    };
  };
  const pending = inits.filter(
    c =>
      !(
        e.init[c.name]?.state === 'terminated' &&
        e.init[c.name].terminated.exitCode === 0
      ),
  );
  const initializing = inits.length > 0 && !e.initDone;
  const containerStatuses = (e.pod.spec.containers || []).map(c => ({
    name: c.name,
    image: c.image,
    imageID: '',
    containerID: `kwok://${e.uid}-${c.name}-${e.restartCount}`,
    ready: e.ready,
    started: e.configError ? false : e.started,
    restartCount: e.restartCount,
    state: initializing
      ? { waiting: { reason: 'PodInitializing' } }
      : e.configError || e.volumeError
      ? {
          waiting: {
            reason: e.configError
              ? 'CreateContainerConfigError'
              : 'ContainerCreating',
            message: e.configError ?? e.volumeError,
          },
        }
      : e.state === 'running'
      ? { running: { startedAt: e.containerStartedAt } }
      : {
          waiting: {
            reason: e.restartCount ? 'CrashLoopBackOff' : 'ContainerCreating',
          },
        },
    lastState: e.lastTermination ? { terminated: e.lastTermination } : {},
  }));
  const body = {
    status: {
      conditions: [condition('ContainersReady'), condition('Ready')],
      containerStatuses,
    },
  };
  if (inits.length) {
    // As a kubelet reports it: Pending (kubectl shows Init:0/1, Init:Error) until every init
    // container completed, Failed when one failed and the pod does not restart.
    body.status.initContainerStatuses = inits.map(initStatus);
    body.status.phase = e.failed
      ? 'Failed'
      : initializing
      ? 'Pending'
      : 'Running';
    body.status.conditions.push({
      type: 'Initialized',
      status: initializing ? 'False' : 'True',
      ...(!e.reported || e.reported.initDone !== e.initDone
        ? { lastTransitionTime: t }
        : {}),
      reason: initializing ? 'ContainersNotInitialized' : null,
      message: initializing
        ? `containers with incomplete status: [${pending
            .map(c => c.name)
            .join(' ')}]`
        : null,
    });
  }
  const r = await kube.request(
    'PATCH',
    `/api/v1/namespaces/${e.namespace}/pods/${e.name}/status`,
    body,
    'application/strategic-merge-patch+json',
  );
  if (r.status === 404) return;
  if (r.status >= 300)
    throw new Error(`HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  e.reported = snap;
}

// ---------------------------------------------------------------------------------------------
// Control API for tests, on loopback only.
const CONTROL_KEYS = [
  'mode',
  'delayMs',
  'streamDelayMs',
  'pullFails',
  'running',
  'waiting',
];

function describe(e) {
  return {
    pod: e.name,
    namespace: e.namespace,
    deployment: e.instance,
    uid: e.uid,
    node: e.node,
    ip: e.ip,
    port: e.port,
    engine: e.engine,
    kind: e.kind ?? null,
    model: e.model ?? null,
    state: e.state,
    started: e.started,
    ready: e.ready,
    restartCount: e.restartCount,
    configError: e.configError ?? null,
    lastProbe: e.lastProbe ?? null,
    init: Object.entries(e.init).map(([name, i]) => ({
      name,
      state: i.state,
      exitCode: i.terminated?.exitCode ?? null,
      message: i.terminated?.message ?? null,
      restartCount: i.restartCount,
      log: i.log ?? null,
    })),
    volumes: e.volumes,
    modelPath: e.env?.MODEL_PATH ?? null,
    ollamaModels: e.env?.OLLAMA_MODELS ?? null,
    ...(e.kind === 'ollama' ? { log: e.logPath } : {}),
  };
}

const select = (ns, deployment, pod) =>
  [...pods.values()].filter(
    e =>
      e.namespace === ns &&
      e.instance === deployment &&
      (!pod || e.name === pod),
  );

function readBody(req) {
  return new Promise(resolve => {
    let data = '';
    req.on('data', c => (data += c));
    req.on('end', () => resolve(data));
  });
}

const send = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function control(req, res) {
  const url = new URL(req.url, 'http://control');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (req.method === 'GET' && url.pathname === '/health')
    return send(res, 200, { ok: true, pods: pods.size });
  if (req.method === 'GET' && url.pathname === '/stats') {
    const stats = await host
      .call('stats')
      .catch(err => ({ error: err.message }));
    const m = process.memoryUsage();
    return send(res, 200, {
      pods: pods.size,
      ready: [...pods.values()].filter(e => e.ready).length,
      probesRun,
      runner: { pid: process.pid, rss: m.rss, heapUsed: m.heapUsed },
      standInHost: stats,
      realOllama: real.info(),
    });
  }
  if (
    url.pathname === '/real-ollama' &&
    (req.method === 'GET' || req.method === 'POST')
  ) {
    // POST looks again now (after scripts/engines/ollama.sh built the engine or its models).
    if (req.method === 'POST') await real.refresh(true);
    return send(res, 200, real.info());
  }
  if (req.method === 'GET' && url.pathname === '/pods') {
    const q = url.searchParams;
    const list = [...pods.values()].filter(
      e =>
        (!q.get('namespace') || e.namespace === q.get('namespace')) &&
        (!q.get('deployment') || e.instance === q.get('deployment')),
    );
    return send(res, 200, { pods: list.map(describe) });
  }
  // /deployments/{namespace}/{deployment}[/pods/{pod}][/control|/clear|/restart]
  if (parts[0] !== 'deployments' || parts.length < 3)
    return send(res, 404, { error: 'not found' });
  const [, ns, deployment] = parts;
  let rest = parts.slice(3);
  let pod;
  if (rest[0] === 'pods' && rest[1]) {
    pod = rest[1];
    rest = rest.slice(2);
  }
  const action = rest[0] ?? '';
  const entries = select(ns, deployment, pod);
  const key = pod ? `${ns}/${deployment}/${pod}` : `${ns}/${deployment}`;
  if (req.method === 'GET' && action === '') {
    const standIns = entries.filter(e => e.kind === 'stand-in');
    const inspected = standIns.length
      ? await host
          .call('inspect', { ids: standIns.map(e => e.uid) })
          .catch(() => ({}))
      : {};
    return send(res, 200, {
      namespace: ns,
      deployment,
      control: controls.get(`${ns}/${deployment}`) ?? {},
      pods: entries.map(e => ({
        ...describe(e),
        control: controlFor(e),
        server: inspected[e.uid] ?? null,
      })),
    });
  }
  if (
    (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH') &&
    action === 'control'
  ) {
    let change;
    try {
      change = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return send(res, 400, { error: 'body must be JSON' });
    }
    if (!change || typeof change !== 'object' || Array.isArray(change))
      return send(res, 400, { error: 'body must be a JSON object' });
    const unknown = Object.keys(change).filter(k => !CONTROL_KEYS.includes(k));
    if (unknown.length)
      return send(res, 400, {
        error: `unknown controls: ${unknown.join(
          ', ',
        )} (known: ${CONTROL_KEYS.join(', ')})`,
      });
    const merged = { ...(controls.get(key) || {}) };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    const standIns = entries.filter(e => e.kind === 'stand-in');
    if (standIns.length) {
      try {
        await host.call('control', {
          ids: standIns.map(e => e.uid),
          control: change,
        });
      } catch (err) {
        return send(res, 400, { error: err.message });
      }
    }
    if (Object.keys(merged).length) controls.set(key, merged);
    else controls.delete(key);
    return send(res, 200, {
      control: merged,
      applied: standIns.map(e => e.name),
      // Real engines are not told to fail: only stand-ins take controls.
      skipped: entries.filter(e => e.kind !== 'stand-in').map(e => e.name),
    });
  }
  if (req.method === 'DELETE' && action === 'control') {
    // Back to the defaults; a pod's own controls give way to its deployment's.
    const keys = pod
      ? Object.keys(controls.get(key) || {})
      : [
          ...new Set(
            [...controls.keys()]
              .filter(k => k === key || k.startsWith(`${key}/`))
              .flatMap(k => Object.keys(controls.get(k))),
          ),
        ];
    if (pod) controls.delete(key);
    else
      for (const k of [...controls.keys()])
        if (k === key || k.startsWith(`${key}/`)) controls.delete(k);
    const standIns = entries.filter(e => e.kind === 'stand-in');
    for (const e of standIns) {
      const now = controlFor(e);
      const reset = Object.fromEntries(keys.map(k => [k, now[k] ?? null]));
      if (Object.keys(reset).length)
        await host
          .call('control', { ids: [e.uid], control: reset })
          .catch(() => {});
    }
    return send(res, 200, {
      control: controls.get(`${ns}/${deployment}`) ?? {},
    });
  }
  if (req.method === 'POST' && action === 'clear') {
    const standIns = entries.filter(e => e.kind === 'stand-in');
    if (standIns.length)
      await host.call('clear', { ids: standIns.map(e => e.uid) });
    return send(res, 200, { cleared: standIns.map(e => e.name) });
  }
  if (req.method === 'POST' && action === 'restart') {
    // A container crash: the server process starts over (counters, models, start time).
    for (const e of entries)
      if (e.state === 'running')
        restartContainer(e, 'restarted through the control API', false, 1);
    return send(res, 200, { restarted: entries.map(e => e.name) });
  }
  return send(res, 404, { error: 'not found' });
}

const controlServer = http.createServer((req, res) =>
  control(req, res).catch(err => {
    log(`control: ${err.stack || err}`);
    if (!res.headersSent) send(res, 500, { error: String(err.message || err) });
  }),
);
await new Promise(r =>
  controlServer.listen(
    Number(process.env.MH_POD_RUNNER_PORT || 0),
    '127.0.0.1',
    r,
  ),
);

var writeInfo = function writeInfo() {
  const info = {
    cluster: opts.name,
    pid: process.pid,
    control: `http://127.0.0.1:${controlServer.address().port}`,
    netns: opts.netns,
    podCIDR: opts.cidr,
    // The host as pods see it (the host end of the veth pair): a local registry listening there
    // (or on 0.0.0.0) is reachable from inside the pod network; nothing beyond the host is.
    hostAddress: opts['host-address'] ?? null,
    probePeriodSeconds: PERIOD_CAP,
    realOllama: real.info(),
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(`${infoPath}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(`${infoPath}.tmp`, infoPath);
};
writeInfo();
// Real Ollama may appear later (built by scripts/engines/ollama.sh): look again now and then.
setInterval(() => real.refresh().catch(() => {}), 60_000).unref();

function shutdown() {
  log('stopping');
  for (const e of pods.values()) {
    e.state = 'stopped';
    e.gen++;
    if (e.kind === 'ollama') real.stop(e.child);
  }
  host.stop();
  try {
    fs.rmSync(infoPath, { force: true });
  } catch {
    // already gone
  }
  setTimeout(() => process.exit(0), 300);
}
process.on('SIGTERM', shutdown);
// One pod's trouble must not stop the others' servers.
process.on('unhandledRejection', err =>
  log(`unexpected: ${err?.stack || err}`),
);
process.on('SIGINT', shutdown);

log(
  `serving pods of cluster ${opts.name} (pod CIDR ${opts.cidr}, netns ${
    opts.netns
  }, API ${kube.server}); control ${`http://127.0.0.1:${
    controlServer.address().port
  }`}`,
);
kube.listWatch(
  '/api/v1/pods',
  { labelSelector: `${MANAGED_BY}=${MANAGER}` },
  onPodEvent,
  log,
);
