// Real Ollama behind an Ollama pod, when the binary and the pod's model are available locally.
// Where they come from: MH_OLLAMA_BIN and MH_OLLAMA_MODELS_DIR, else `bash scripts/engines/ollama.sh env`
// (KEY=VALUE lines with OLLAMA_BIN and OLLAMA_MODELS_DIR). The models are what the models
// directory holds (its manifests). MH_REAL_OLLAMA=0 turns real Ollama off.
// Each pod gets its own copy of the models directory (hard links: instant, no extra space), so a
// pull or delete in one pod does not change another. The pod's network namespace has no default
// route, so a pull of a bare model name fails fast instead of reaching a public registry.
import { spawn, spawnSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const normalize = name => {
  let n = String(name || '')
    .trim()
    .replace(/^registry\.ollama\.ai\//, '')
    .replace(/^library\//, '');
  if (!n.split('/').pop().includes(':')) n = `${n}:latest`;
  return n;
};

function modelsIn(dir) {
  const out = new Set();
  const root = path.join(dir, 'manifests');
  const walk = (d, parts) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(d, e.name), [...parts, e.name]);
      else if (parts.length === 3) {
        const [host, ns, model] = parts;
        out.add(
          normalize(
            host === 'registry.ollama.ai' && ns === 'library'
              ? `${model}:${e.name}`
              : `${host}/${ns}/${model}:${e.name}`,
          ),
        );
      }
    }
  };
  walk(root, []);
  return out;
}

function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

export function createRealOllama({ repo, podsDir, log, onChange = () => {} }) {
  const script = path.join(repo, 'scripts/engines/ollama.sh');
  let info = {
    bin: undefined,
    modelsDir: undefined,
    models: new Set(),
    checkedAt: 0,
    source: 'none',
  };
  let refreshing;

  /** The binary's path per scripts/engines/versions.sh, without building anything. */
  const builtBinary = () =>
    new Promise(resolve =>
      execFile(
        'bash',
        [
          '-c',
          '. "$1"; printf %s "$MH_OLLAMA_BIN"',
          'bash',
          path.join(repo, 'scripts/engines/versions.sh'),
        ],
        (err, stdout) => resolve(err ? undefined : stdout.trim()),
      ),
    );

  async function lookup() {
    if (process.env.MH_REAL_OLLAMA === '0')
      return { source: 'off (MH_REAL_OLLAMA=0)' };
    if (process.env.MH_OLLAMA_BIN && process.env.MH_OLLAMA_MODELS_DIR) {
      return {
        bin: process.env.MH_OLLAMA_BIN,
        modelsDir: process.env.MH_OLLAMA_MODELS_DIR,
        source: 'MH_OLLAMA_BIN',
      };
    }
    if (!fs.existsSync(script))
      return { source: 'none (no scripts/engines/ollama.sh)' };
    // `ollama.sh env` builds what is missing: only ask it once the binary exists (the build takes
    // minutes and is for scripts/engines/ollama.sh build or the tests to start, not for the runner).
    const bin = await builtBinary();
    if (!bin || !fs.existsSync(bin))
      return { source: 'not built (bash scripts/engines/ollama.sh build)' };
    const out = await new Promise(resolve =>
      execFile(
        'bash',
        [script, 'env'],
        { timeout: 600_000, cwd: repo },
        (err, stdout, stderr) =>
          resolve(
            err
              ? {
                  error: `${err.message.split('\n')[0]} ${
                    String(stderr).trim().split('\n').pop() || ''
                  }`,
                }
              : { stdout },
          ),
      ),
    );
    if (out.error) return { source: `ollama.sh env failed: ${out.error}` };
    const env = parseEnv(out.stdout);
    // OLLAMA_SERVE_ENV: what the engine helper runs `ollama serve` with (no cloud, no pruning, ...).
    const serveEnv = {};
    for (const kv of (env.OLLAMA_SERVE_ENV || '').split(/\\? /)) {
      const i = kv.indexOf('=');
      if (i > 0)
        serveEnv[kv.slice(0, i)] = kv.slice(i + 1).replace(/\\(.)/g, '$1');
    }
    return {
      bin: env.OLLAMA_BIN,
      modelsDir: env.OLLAMA_MODELS_DIR || env.OLLAMA_MODELS,
      serveEnv,
      source: 'scripts/engines/ollama.sh env',
    };
  }

  /** Looks again (at most every 30 s unless forced): the binary may have been built since. */
  function refresh(force = false) {
    if (!force && Date.now() - info.checkedAt < 30_000)
      return Promise.resolve(info);
    refreshing ??= lookup()
      .then(found => {
        const usable =
          found.bin &&
          fs.existsSync(found.bin) &&
          found.modelsDir &&
          fs.existsSync(found.modelsDir);
        const next = {
          serveEnv: found.serveEnv || {},
          bin: usable ? found.bin : undefined,
          modelsDir: usable ? found.modelsDir : undefined,
          models: usable ? modelsIn(found.modelsDir) : new Set(),
          checkedAt: Date.now(),
          source: found.source,
        };
        const before = JSON.stringify([info.bin, [...info.models]]);
        info = next;
        if (JSON.stringify([info.bin, [...info.models]]) !== before) {
          onChange();
          log(
            info.bin
              ? `real Ollama: ${info.bin} with ${
                  [...info.models].join(', ') || 'no models'
                } (${info.source})`
              : `real Ollama: not available (${info.source})`,
          );
        }
        return info;
      })
      .finally(() => (refreshing = undefined));
    return refreshing;
  }

  /** Waits for a lookup in progress, at most ms (a pod does not wait minutes for it). */
  const settle = ms =>
    Promise.race([
      refreshing ?? Promise.resolve(),
      new Promise(r => setTimeout(r, ms)),
    ]);

  /**
   * Whether a pod asking for this model gets the real server: a tiny local model, or one already
   * in the pod's own models directory (a claim it pulled into before).
   */
  const serves = (model, modelsDir) =>
    Boolean(
      info.bin &&
        model &&
        (info.models.has(normalize(model)) ||
          (modelsDir && modelsIn(modelsDir).has(normalize(model)))),
    );

  /**
   * Starts `ollama serve` for a pod inside the network namespace, bound to the pod's IP and port.
   * Returns the child process; its output goes to <podsDir>/<namespace>.<pod>.log.
   * `modelsDir`: the pod's OLLAMA_MODELS in one of its volumes (a claim): Ollama keeps its models
   * there, so what it pulls survives the pod; the tiny models it lacks are linked in (as the pod
   * would have pulled its model at start). Otherwise the pod gets its own copy of the tiny models.
   */
  function start({ netns, uid, namespace, name, ip, port, env, modelsDir }) {
    const dir = path.join(podsDir, uid);
    let models = path.join(dir, 'models');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    if (modelsDir) {
      models = modelsDir;
      fs.mkdirSync(models, { recursive: true });
      if (info.modelsDir) linkMissing(info.modelsDir, models);
    } else if (!spawnSyncCopy(info.modelsDir, models))
      throw new Error(
        `could not copy ${info.modelsDir} for pod ${namespace}/${name}`,
      );
    const logPath = path.join(podsDir, `${namespace}.${name}.log`);
    const fd = fs.openSync(logPath, 'a');
    // The pod's own Ollama settings (OLLAMA_KEEP_ALIVE, OLLAMA_NUM_PARALLEL, ...) apply; where it
    // listens and keeps models is the pod's address and its copy (0.0.0.0 would take every pod IP).
    const ollamaVars = vars =>
      Object.fromEntries(
        Object.entries(vars).filter(([k]) => k.startsWith('OLLAMA_')),
      );
    const childEnv = {
      PATH: process.env.PATH,
      // What the engine helper serves with (no cloud, no pruning, small context), then the pod's own.
      ...ollamaVars(info.serveEnv),
      ...ollamaVars(env),
      HOME: dir,
      OLLAMA_HOST: `${ip}:${port}`,
      OLLAMA_MODELS: models,
      OLLAMA_NOPRUNE: '1',
    };
    const child = spawn('ip', ['netns', 'exec', netns, info.bin, 'serve'], {
      env: childEnv,
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    child.on('error', err =>
      log(`ollama for ${namespace}/${name}: ${err.message}`),
    );
    child.logPath = logPath;
    child.dir = dir;
    return child;
  }

  function stop(child) {
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return cleanup(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      cleanup(child);
    });
  }

  const cleanup = child =>
    child?.dir && fs.rmSync(child.dir, { recursive: true, force: true });

  return {
    refresh,
    settle,
    serves,
    start,
    stop,
    info: () => ({
      bin: info.bin,
      modelsDir: info.modelsDir,
      models: [...info.models],
      serveEnv: info.serveEnv,
      source: info.source,
    }),
  };
}

/** Links (or copies) every file of `from` that `to` lacks; files `to` has stay as they are. */
function linkMissing(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, entry.name);
    const b = path.join(to, entry.name);
    if (entry.isDirectory()) {
      fs.mkdirSync(b, { recursive: true });
      linkMissing(a, b);
    } else if (
      entry.isFile() &&
      !fs.existsSync(b) &&
      entry.name !== '.complete'
    ) {
      try {
        fs.linkSync(a, b);
      } catch {
        fs.copyFileSync(a, b);
      }
    }
  }
}

/** cp -al (hard links), falling back to a real copy across file systems. */
function spawnSyncCopy(from, to) {
  for (const flags of ['-al', '-a']) {
    try {
      fs.rmSync(to, { recursive: true, force: true });
      const r = spawnSync('cp', [flags, from, to], { stdio: 'ignore' });
      if (r.status === 0) return true;
    } catch {
      // try the next way
    }
  }
  return false;
}
