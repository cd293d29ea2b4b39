// The model loader: reads MODEL_SOURCES, puts each model into the cache (MODEL_CACHE_DIR) unless
// its marker says it is there, prints one JSON line per model on stdout and writes a summary to
// the termination log, which the reconciler reads from the pod's init container status.
'use strict';

const fs = require('fs');
const fsp = require('fs/promises');
const path = require('path');
const {
  LoaderError,
  checkRelativePath,
  modelCacheDir,
  parseSource,
} = require('./layout');
const store = require('./store');
const { TRANSIENT_CODES } = require('./http');
const hf = require('./sources/hf');
const s3 = require('./sources/s3');
const pvc = require('./sources/pvc');

const GiB = 1024 ** 3;
/** Kubernetes keeps at most 4096 bytes of a termination message. */
const TERMINATION_MESSAGE_MAX = 4096;

function options(env) {
  const num = (name, dflt) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new LoaderError(
        `${name}=${JSON.stringify(v)} is not a positive number`,
      );
    return n;
  };
  return {
    cacheDir: env.MODEL_CACHE_DIR || '/models',
    maxBytes: num('MODEL_MAX_BYTES', 200 * GiB),
    timeoutMs: num('MODEL_LOADER_TIMEOUT_SECONDS', 60) * 1000,
    parallel: Math.floor(num('MODEL_LOADER_PARALLEL', 4)),
    retries: Math.floor(num('MODEL_LOADER_RETRIES', 3)),
  };
}

/** MODEL_SOURCES: [{name, version, source}], the running model first. */
function parseModels(text) {
  let list;
  try {
    list = JSON.parse(text ?? '');
  } catch {
    throw new LoaderError(
      'MODEL_SOURCES is not JSON (a list of {name, version, source})',
    );
  }
  if (!Array.isArray(list))
    throw new LoaderError(
      'MODEL_SOURCES must be a JSON list of {name, version, source}',
    );
  if (list.length > 64)
    throw new LoaderError('MODEL_SOURCES lists more than 64 models');
  return list.map((m, i) => {
    if (!m || typeof m !== 'object' || typeof m.source !== 'string')
      throw new LoaderError(`MODEL_SOURCES[${i}] has no source`);
    const version =
      m.version === undefined || m.version === null || m.version === ''
        ? undefined
        : String(m.version);
    return { name: String(m.name ?? m.source), version, source: m.source };
  });
}

/** How a model is named in messages: its source, with the version as it applies. */
function describe(m, parsed) {
  if (parsed?.scheme === 's3' && m.version)
    return `${m.source.replace(/\/+$/, '')}/${m.version}`;
  if (parsed?.scheme === 'hf' && m.version && !m.source.includes('@'))
    return `${m.source}@${m.version}`;
  return m.source;
}

const transient = e =>
  e?.transient === true ||
  TRANSIENT_CODES.has(e?.code) ||
  TRANSIENT_CODES.has(e?.cause?.code);

const human = n => {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(n)} B`;
};

/** Fetches one model into the cache (or finds it there); resolves its report line. */
async function loadOne(m, opts, io) {
  const t0 = Date.now();
  const parsed = parseSource(m.source, m.version);
  const what = describe(m, parsed);
  const line = fields => ({
    model: m.name,
    source: m.source,
    revision: parsed.revision ?? null,
    ...fields,
    seconds: Math.round((Date.now() - t0) / 10) / 100,
  });
  if (parsed.scheme === 'ollama')
    return line({ cache: 'engine', bytes: 0, note: 'engine pulls' });

  const rel = modelCacheDir(m.source, m.version);
  const dir = path.join(opts.cacheDir, rel);
  const ctx = {
    env: io.env,
    what,
    timeoutMs: opts.timeoutMs,
    signal: io.signal,
  };

  if (parsed.scheme === 'pvc') {
    const found = await pvc.inspect(ctx, parsed);
    // The marker records where the files are; it is rewritten on every start (cheap, no copy).
    const staging = await store.staging(opts.cacheDir, rel);
    const marker = await store.publish(staging, dir, {
      source: m.source,
      revision: parsed.revision ?? null,
      location: found.location,
      files: found.files,
    });
    return line({ cache: 'volume', bytes: marker.bytes, path: found.location });
  }

  const hit = await store.complete(dir, m.source, parsed.revision ?? null);
  if (hit) return line({ cache: 'hit', bytes: hit.bytes, path: rel });

  const release = await store.lock(opts.cacheDir, rel, {
    signal: io.signal,
    onWait: () => io.log(`${what}: another loader is fetching it; waiting`),
  });
  let planned;
  let staging;
  let published = false;
  try {
    // Another loader (a replica on the same claim) may have finished it while we waited.
    const done = await store.complete(dir, m.source, parsed.revision ?? null);
    if (done) return line({ cache: 'hit', bytes: done.bytes, path: rel });

    const source = parsed.scheme === 'hf' ? hf : s3;
    for (let attempt = 1; ; attempt++) {
      try {
        planned = await source.plan(ctx, parsed);
        break;
      } catch (e) {
        if (!transient(e) || attempt >= opts.retries || io.signal?.aborted) {
          if (e instanceof LoaderError) throw e;
          throw new LoaderError(`${what}: ${e.message}`);
        }
        io.log(
          `${what}: ${e.message}; trying again (${attempt}/${
            opts.retries - 1
          })`,
        );
        await new Promise(r => setTimeout(r, 500 * 2 ** attempt));
      }
    }
    const { files } = planned;
    // Every name is checked before anything is fetched: a hostile listing writes nothing.
    const names = new Set();
    for (const f of files) {
      const why = checkRelativePath(f.path);
      if (why)
        throw new LoaderError(
          `${what}: refusing file name ${JSON.stringify(
            String(f.path).slice(0, 200),
          )} (${why})`,
        );
      if (names.has(f.path))
        throw new LoaderError(`${what}: the listing names ${f.path} twice`);
      names.add(f.path);
    }
    const known = files.reduce((n, f) => n + (f.size ?? 0), 0);
    if (known > opts.maxBytes)
      throw new LoaderError(
        `${what}: ${human(known)} is larger than MODEL_MAX_BYTES (${human(
          opts.maxBytes,
        )}); raise it if this model is meant to be that big`,
      );
    staging = await store.staging(opts.cacheDir, rel);
    const free = await store.freeBytes(staging);
    if (free !== undefined && known > free)
      throw new LoaderError(
        `${what}: needs ${human(known)} but the model cache has ${human(
          free,
        )} free; make spec.storage.cache larger`,
      );
    io.log(`${what}: fetching ${files.length} files, ${human(known)}`);
    const budget = { used: 0, max: opts.maxBytes };
    const progress = { got: 0 };
    const ticker = setInterval(() => {
      const s = (Date.now() - t0) / 1000;
      io.log(
        `${what}: ${human(progress.got)} of ${human(known)} (${human(
          progress.got / s,
        )}/s)`,
      );
    }, 10_000);
    ticker.unref();
    const written = [];
    try {
      await store.eachLimit(files, opts.parallel, async file => {
        for (let attempt = 1; ; attempt++) {
          io.signal?.throwIfAborted();
          let fileBytes = 0;
          try {
            const body = await planned.open(file, io.signal);
            written.push(
              await store.writeFile(staging, file.path, body, {
                what,
                expectedSize: file.size,
                budget,
                check: file.check,
                onBytes: n => {
                  progress.got += n;
                  fileBytes += n;
                },
              }),
            );
            return;
          } catch (e) {
            progress.got -= fileBytes;
            if (
              !transient(e) ||
              attempt >= opts.retries ||
              io.signal?.aborted
            ) {
              if (e instanceof LoaderError) throw e;
              throw new LoaderError(`${what}: ${file.path}: ${e.message}`);
            }
            io.log(
              `${what}: ${file.path}: ${e.message}; trying again (${attempt}/${
                opts.retries - 1
              })`,
            );
            await new Promise(r => setTimeout(r, 500 * 2 ** attempt));
          }
        }
      });
    } finally {
      clearInterval(ticker);
    }
    const marker = await store.publish(staging, dir, {
      source: m.source,
      revision: parsed.revision ?? null,
      ...planned.marker,
      files: written,
    });
    published = true;
    return line({ cache: 'miss', bytes: marker.bytes, path: rel });
  } finally {
    planned?.close?.();
    // A failed fetch leaves nothing behind (the next loader would remove it anyway).
    if (staging && !published)
      await fsp.rm(staging, { recursive: true, force: true }).catch(() => {});
    await release();
  }
}

/** The summary as the termination message: whole when it fits in 4096 bytes, else shortened. */
function terminationMessage(models, seconds) {
  let text = JSON.stringify({ models, seconds });
  if (Buffer.byteLength(text) <= TERMINATION_MESSAGE_MAX) return text;
  const short = models.map(({ model, cache, bytes, seconds: s, error }) => ({
    model,
    cache,
    bytes,
    seconds: s,
    ...(error ? { error: String(error).slice(0, 200) } : {}),
  }));
  for (let n = short.length; n >= 0; n--) {
    text = JSON.stringify({
      models: short.slice(0, n),
      seconds,
      ...(n < short.length ? { more: short.length - n } : {}),
    });
    if (Buffer.byteLength(text) <= TERMINATION_MESSAGE_MAX) return text;
  }
  return JSON.stringify({ seconds, more: models.length });
}

/**
 * Runs the loader as the init container does. Resolves the exit code. The first model is the
 * one the pod serves: when it cannot be loaded the loader fails (the server does not start);
 * a preloaded model that cannot be loaded is reported (cache "error") and does not stop the pod.
 */
async function run(env, io = {}) {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const log = msg => stderr.write(`model-loader: ${msg}\n`);
  const terminationLog = env.TERMINATION_LOG || '/dev/termination-log';
  const writeTermination = text => {
    try {
      fs.writeFileSync(terminationLog, text);
    } catch (e) {
      log(`cannot write the termination log ${terminationLog}: ${e.message}`);
    }
  };
  const t0 = Date.now();
  const models = [];
  try {
    const opts = options(env);
    const list = parseModels(env.MODEL_SOURCES);
    await fsp.mkdir(opts.cacheDir, { recursive: true });
    for (const [i, m] of list.entries()) {
      try {
        const result = await loadOne(m, opts, { env, log, signal: io.signal });
        models.push(result);
        stdout.write(`${JSON.stringify(result)}\n`);
      } catch (e) {
        if (i === 0 || io.signal?.aborted) throw e;
        const message =
          e instanceof LoaderError ? e.message : `${m.source}: ${e.message}`;
        log(`preloading failed: ${message}`);
        const result = {
          model: m.name,
          source: m.source,
          revision: m.version ?? null,
          cache: 'error',
          bytes: 0,
          seconds: 0,
          error: message,
        };
        models.push(result);
        stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
    writeTermination(
      terminationMessage(models, Math.round((Date.now() - t0) / 10) / 100),
    );
    return 0;
  } catch (e) {
    let message = `unexpected error: ${e?.stack || e}`;
    if (e instanceof LoaderError) message = e.message;
    else if (io.signal?.aborted) message = 'interrupted';
    message = message.split('\n')[0].slice(0, TERMINATION_MESSAGE_MAX - 1);
    stderr.write(`${message}\n`);
    writeTermination(message);
    return 1;
  }
}

module.exports = { run, parseModels, terminationMessage, describe };
