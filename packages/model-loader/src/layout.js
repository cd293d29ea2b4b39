// Where models live inside the cache volume, what a source names, and which file names from a
// listing may be written. The rule of modelCacheDir is the one of
// @modelhosting/backstage-plugin-model-hosting-common's modelCacheDir (the reconciler points the
// engine at the same directory); test/layout.test.js checks that both agree.
'use strict';

const path = require('path');

/** The marker written into a model's directory once all of its files are there. */
const MARKER = '.model-hosting.json';

/** FNV-1a, to keep shortened names apart. */
function shortHash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function slug(text) {
  const s =
    String(text)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'model';
  return s.length <= 100 ? s : `${s.slice(0, 91)}-${shortHash(String(text))}`;
}

/**
 * A model's directory inside the cache, relative to its mount:
 * `<scheme>/<slug of the rest>/<revision or version or "default">`.
 */
function modelCacheDir(source, version) {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(source);
  const scheme = m ? m[1] : 'model';
  let rest = m ? m[2] : source;
  let revision = version;
  const at = rest.lastIndexOf('@');
  if (scheme === 'hf' && at > 0) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  return `${scheme}/${slug(rest)}/${slug(revision || 'default')}`;
}

class LoaderError extends Error {
  constructor(message, { transient = false } = {}) {
    super(message);
    this.transient = transient;
  }
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * What a source names, checked: {scheme, ...}. Throws LoaderError with a message naming the
 * source for anything it cannot fetch.
 */
function parseSource(source, version) {
  if (typeof source !== 'string' || !source)
    throw new LoaderError('a model has no source');
  // eslint-disable-next-line no-control-regex
  if (source.length > 1024 || /[\0-\x1f\x7f]/.test(source))
    throw new LoaderError(
      `${JSON.stringify(source.slice(0, 80))}: not a valid source`,
    );
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(source);
  if (!m)
    throw new LoaderError(
      `${source}: unknown source; use hf://org/name[@revision], s3://bucket/prefix, pvc://claim/path or ollama://name:tag`,
    );
  const [, scheme, rest] = m;
  const bad = why => new LoaderError(`${source}: ${why}`);
  switch (scheme) {
    case 'hf': {
      const at = rest.lastIndexOf('@');
      const repo = at > 0 ? rest.slice(0, at) : rest;
      const revision = (at > 0 ? rest.slice(at + 1) : version) || 'main';
      const parts = repo.split('/');
      if (
        parts.length < 1 ||
        parts.length > 2 ||
        !parts.every(p => SEGMENT.test(p) && !p.includes('..'))
      )
        throw bad('expected hf://org/name[@revision]');
      if (
        !/^[A-Za-z0-9._/-]{1,200}$/.test(revision) ||
        revision.split('/').some(p => p === '' || p === '.' || p === '..')
      )
        throw bad(`revision ${JSON.stringify(revision)} is not valid`);
      return { scheme, repo, revision };
    }
    case 's3': {
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      let prefix = slash < 0 ? '' : rest.slice(slash + 1);
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
        throw bad(`bucket ${JSON.stringify(bucket)} is not a valid name`);
      prefix = prefix.replace(/\/+$/, '');
      if (prefix.split('/').some(p => p === '.' || p === '..'))
        throw bad('the prefix may not hold . or .. segments');
      if (version !== undefined && version !== null && version !== '') {
        const v = String(version);
        if (!/^[A-Za-z0-9._-]{1,128}$/.test(v) || v === '.' || v === '..')
          throw bad(`version ${JSON.stringify(v)} is not a valid path segment`);
      }
      return {
        scheme,
        bucket,
        prefix,
        revision: version ? String(version) : null,
      };
    }
    case 'pvc': {
      const slash = rest.indexOf('/');
      const claim = slash < 0 ? rest : rest.slice(0, slash);
      const sub = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
      if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(claim))
        throw bad(`claim ${JSON.stringify(claim)} is not a valid name`);
      if (sub && checkRelativePath(sub) !== null)
        throw bad(`path ${JSON.stringify(sub)}: ${checkRelativePath(sub)}`);
      return {
        scheme,
        claim,
        path: sub,
        revision: version ? String(version) : null,
      };
    }
    case 'ollama':
      if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/.test(rest))
        throw bad('expected ollama://name:tag');
      return { scheme, name: rest, revision: version ? String(version) : null };
    default:
      throw bad(
        `the loader does not fetch ${scheme}:// sources (hf, s3, pvc and ollama are known)`,
      );
  }
}

/**
 * Why a relative file name from a listing may not be written (null when it may): never
 * absolute, no `.`/`..`/empty segments, no NUL or control characters, no backslash, bounded.
 */
function checkRelativePath(name) {
  if (typeof name !== 'string' || name === '') return 'an empty name';
  if (Buffer.byteLength(name) > 1024) return 'a name over 1024 bytes';
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(name)) return 'a control character or NUL';
  if (name.includes('\\')) return 'a backslash';
  if (name.startsWith('/')) return 'an absolute path';
  const parts = name.split('/');
  if (parts.some(p => p === '' || p === '.' || p === '..'))
    return 'a ., .. or empty segment';
  if (parts.some(p => Buffer.byteLength(p) > 255))
    return 'a segment over 255 bytes';
  if (parts[0] === MARKER) return `the loader's own marker name`;
  return null;
}

/** The absolute path of `name` under `dir`, or a LoaderError when it would leave it. */
function safeJoin(dir, name, what) {
  const why = checkRelativePath(name);
  if (why)
    throw new LoaderError(
      `${what}: refusing file name ${JSON.stringify(
        String(name).slice(0, 200),
      )} (${why})`,
    );
  const full = path.resolve(dir, name);
  if (!full.startsWith(path.resolve(dir) + path.sep))
    throw new LoaderError(
      `${what}: refusing file name ${JSON.stringify(name)} (outside the model)`,
    );
  return full;
}

module.exports = {
  MARKER,
  modelCacheDir,
  slug,
  shortHash,
  parseSource,
  checkRelativePath,
  safeJoin,
  LoaderError,
};
