// The cache volume: markers, a lock per model (replicas sharing a ReadWriteMany claim fetch a
// model once), staging directories and the atomic rename that publishes a complete model.
//
//   <root>/<scheme>/<slug>/<revision>/          a complete model, with .model-hosting.json
//   <root>/.staging/<key>.<random>/             a model being fetched (never read by engines)
//   <root>/.locks/<key>/                        held while a loader fetches that model
//
// A crash leaves a staging directory and maybe a stale lock, never a model directory without its
// files: the directory appears by rename only once every file and the marker are written.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const fsp = require('fs/promises');
const os = require('os');
const path = require('path');
const { pipeline } = require('stream/promises');
const { Transform } = require('stream');
const { MARKER, LoaderError, safeJoin } = require('./layout');

const LOCK_REFRESH_MS = 10_000;
const LOCK_STALE_MS = 60_000;

const keyOf = rel => rel.replace(/\//g, '__');

async function readMarker(dir) {
  try {
    const text = await fsp.readFile(path.join(dir, MARKER), 'utf8');
    const marker = JSON.parse(text);
    return marker && typeof marker === 'object' ? marker : null;
  } catch {
    return null;
  }
}

/**
 * Whether dir holds the model whole: its marker names the same source and revision, and every
 * file it lists is there with its size (a file deleted or cut short by hand means fetch again).
 */
async function complete(dir, source, revision) {
  const marker = await readMarker(dir);
  if (
    !marker ||
    marker.source !== source ||
    (marker.revision ?? null) !== (revision ?? null) ||
    !Array.isArray(marker.files)
  )
    return null;
  for (const f of marker.files) {
    try {
      const st = await fsp.lstat(safeJoin(dir, f.path, source));
      if (!st.isFile() || st.size !== f.size) return null;
    } catch {
      return null;
    }
  }
  return marker;
}

/** Locks this process holds. */
const held = new Set();

const alive = pid => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Whether a lock was left by a loader of this host (this pod) that is gone. */
async function orphaned(dir) {
  try {
    const [host, pid] = (await fsp.readFile(path.join(dir, 'owner'), 'utf8'))
      .trim()
      .split(' ');
    if (host !== os.hostname()) return false;
    // A restarted init container runs as the same pid (often 1): a lock of our own pid that this
    // process does not hold is old.
    return Number(pid) === process.pid ? !held.has(dir) : !alive(Number(pid));
  } catch {
    return false;
  }
}

/**
 * Takes the model's lock: mkdir is atomic, on every file system a claim may use. Waits while
 * another loader holds it (refreshing it every 10 s); a lock not refreshed for a minute, or left
 * by a loader of this host that is gone, is stale and is taken over. Returns release().
 */
async function lock(
  root,
  rel,
  { onWait, signal, staleMs = LOCK_STALE_MS } = {},
) {
  const dir = path.join(root, '.locks', keyOf(rel));
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  let waited = false;
  for (;;) {
    signal?.throwIfAborted();
    try {
      await fsp.mkdir(dir);
      held.add(dir);
      await fsp.writeFile(
        path.join(dir, 'owner'),
        `${os.hostname()} ${process.pid}\n`,
      );
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    try {
      const st = await fsp.stat(dir);
      if (Date.now() - st.mtimeMs > staleMs || (await orphaned(dir))) {
        // Taken over: rename first, so two waiters cannot both remove a fresh lock.
        const aside = `${dir}.stale.${crypto.randomBytes(4).toString('hex')}`;
        await fsp.rename(dir, aside).catch(() => {});
        await fsp.rm(aside, { recursive: true, force: true }).catch(() => {});
        continue;
      }
    } catch {
      continue; // released meanwhile
    }
    if (!waited) {
      waited = true;
      onWait?.();
    }
    await new Promise(r => setTimeout(r, 500));
  }
  const timer = setInterval(() => {
    const t = new Date();
    fsp.utimes(dir, t, t).catch(() => {});
  }, LOCK_REFRESH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    held.delete(dir);
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
  };
}

/** A fresh staging directory for rel; what earlier (crashed) loaders left for it is removed. */
async function staging(root, rel) {
  const base = path.join(root, '.staging');
  await fsp.mkdir(base, { recursive: true });
  const key = keyOf(rel);
  for (const name of await fsp.readdir(base)) {
    if (name.startsWith(`${key}.`))
      await fsp.rm(path.join(base, name), { recursive: true, force: true });
  }
  const dir = path.join(
    base,
    `${key}.${crypto.randomBytes(6).toString('hex')}`,
  );
  await fsp.mkdir(dir);
  return dir;
}

/** Bytes free on the file system holding dir, or undefined when it cannot tell. */
async function freeBytes(dir) {
  try {
    const s = await fsp.statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Writes one file of a model from a readable stream into the staging directory: created
 * exclusively (never through a link), bounded by its expected size and the model's budget,
 * hashed (sha256 always; md5 or a git blob id when the listing gave one to check against).
 * Resolves {path, size, sha256}.
 */
async function writeFile(stagingDir, name, body, opts) {
  const { what, expectedSize, budget, check = {}, onBytes } = opts;
  const full = safeJoin(stagingDir, name, what);
  await fsp.mkdir(path.dirname(full), { recursive: true });
  const sha256 = crypto.createHash('sha256');
  const md5 = check.md5 ? crypto.createHash('md5') : undefined;
  const git = check.gitSha1 ? crypto.createHash('sha1') : undefined;
  if (git) git.update(`blob ${expectedSize}\0`);
  let size = 0;
  const meter = new Transform({
    transform(chunk, _enc, cb) {
      size += chunk.length;
      budget.used += chunk.length;
      if (expectedSize !== undefined && size > expectedSize) {
        cb(
          new LoaderError(
            `${what}: ${name} is larger than the ${expectedSize} bytes its listing says`,
          ),
        );
        return;
      }
      if (budget.used > budget.max) {
        cb(
          new LoaderError(
            `${what}: larger than MODEL_MAX_BYTES (${budget.max} bytes); raise it if this model is meant to be that big`,
          ),
        );
        return;
      }
      sha256.update(chunk);
      md5?.update(chunk);
      git?.update(chunk);
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  const out = fs.createWriteStream(full, {
    flags: fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY,
  });
  try {
    await pipeline(body, meter, out);
  } catch (e) {
    budget.used -= size;
    await fsp.rm(full, { force: true });
    throw e;
  }
  if (expectedSize !== undefined && size !== expectedSize) {
    budget.used -= size;
    await fsp.rm(full, { force: true });
    const err = new LoaderError(
      `${what}: ${name} ended after ${size} of ${expectedSize} bytes`,
      { transient: true },
    );
    throw err;
  }
  const digest = sha256.digest('hex');
  const mismatch = (kind, got, want) =>
    new LoaderError(
      `${what}: ${name} is corrupt (${kind} ${got}, the listing says ${want})`,
    );
  if (check.sha256 && digest !== check.sha256.toLowerCase())
    throw mismatch('sha256', digest, check.sha256);
  if (md5) {
    const got = md5.digest('hex');
    if (got !== check.md5.toLowerCase()) throw mismatch('md5', got, check.md5);
  }
  if (git) {
    const got = git.digest('hex');
    if (got !== check.gitSha1.toLowerCase())
      throw mismatch('git blob id', got, check.gitSha1);
  }
  return { path: name, size, sha256: digest };
}

/**
 * Publishes a staged model: writes its marker, then renames the staging directory to the
 * model's directory (replacing an incomplete or outdated one). Resolves the marker.
 */
async function publish(stagingDir, finalDir, fields) {
  const files = [...fields.files].sort((a, b) => a.path.localeCompare(b.path));
  const marker = {
    ...fields,
    files,
    bytes: files.reduce((n, f) => n + f.size, 0),
    completedAt: new Date().toISOString(),
  };
  const markerPath = path.join(stagingDir, MARKER);
  const fd = await fsp.open(markerPath, 'wx');
  await fd.writeFile(`${JSON.stringify(marker, null, 2)}\n`);
  await fd.sync();
  await fd.close();
  await fsp.mkdir(path.dirname(finalDir), { recursive: true });
  // What is in the way (an older revision's leftovers, a half-deleted copy) goes aside first.
  const aside = `${stagingDir}.old`;
  try {
    await fsp.rename(finalDir, aside);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  await fsp.rename(stagingDir, finalDir);
  await fsp.rm(aside, { recursive: true, force: true });
  return marker;
}

/** Runs fn(item) for every item, at most `limit` at a time; rejects with the first error. */
async function eachLimit(items, limit, fn) {
  let next = 0;
  let failed;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  if (failed) throw failed;
}

module.exports = {
  readMarker,
  complete,
  lock,
  staging,
  freeBytes,
  writeFile,
  publish,
  eachLimit,
};
