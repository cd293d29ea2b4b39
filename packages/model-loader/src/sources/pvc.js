// pvc://claim/path: the model is already on a volume. The pod mounts the claim at
// <MODEL_SOURCES_DIR, default /sources>/<claim> (the init container and the server alike); the
// loader checks that the path is there and stays inside the claim, lists its files and records
// them in the marker of the model's cache directory. Nothing is copied: the engine reads the
// files where they are (MODEL_PATH = /sources/<claim>/<path>).
'use strict';

const fsp = require('fs/promises');
const path = require('path');
const { LoaderError } = require('../layout');

const MAX_FILES = 100_000;

async function inspect(ctx, parsed) {
  const { what } = ctx;
  const root = ctx.env.MODEL_SOURCES_DIR || '/sources';
  const claimDir = path.join(root, parsed.claim);
  let claimReal;
  try {
    claimReal = await fsp.realpath(claimDir);
  } catch {
    throw new LoaderError(
      `${what}: the claim ${parsed.claim} is not mounted at ${path.posix.join(
        '/sources',
        parsed.claim,
      )} in this pod`,
    );
  }
  const target = parsed.path ? path.join(claimDir, parsed.path) : claimDir;
  let real;
  try {
    real = await fsp.realpath(target);
  } catch {
    throw new LoaderError(
      `${what}: ${parsed.path || '/'} does not exist on the claim ${
        parsed.claim
      }`,
    );
  }
  if (real !== claimReal && !real.startsWith(claimReal + path.sep))
    throw new LoaderError(
      `${what}: ${parsed.path} leads outside the claim ${parsed.claim} (a link)`,
    );
  const files = [];
  const walk = async (dir, rel) => {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), r);
      else if (entry.isFile()) {
        const st = await fsp.stat(path.join(dir, entry.name));
        files.push({ path: r, size: st.size, sha256: null });
        if (files.length > MAX_FILES)
          throw new LoaderError(`${what}: more than ${MAX_FILES} files`);
      }
    }
  };
  const st = await fsp.stat(real);
  if (st.isDirectory()) await walk(real, '');
  else files.push({ path: path.basename(real), size: st.size, sha256: null });
  if (!files.length)
    throw new LoaderError(`${what}: ${parsed.path || '/'} holds no files`);
  return {
    location: path.posix.join('/sources', parsed.claim, parsed.path || ''),
    files,
  };
}

module.exports = { inspect };
