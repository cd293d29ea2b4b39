// hf://org/name[@revision]: the Hugging Face Hub's download protocol, as huggingface_hub's
// snapshot_download speaks it:
//   GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true
//       → {sha, siblings: [{rfilename, size, blobId, lfs: {sha256, size}}]}
//   GET {endpoint}/{repo}/resolve/{commit sha}/{file}
//       → the file, or a redirect: relative (a renamed repository, followed with the token) or to
//         the Hub's storage hosts (followed without the token, only to HF_REDIRECT_HOSTS).
// Files are fetched at the commit the listing named, so a branch moving meanwhile cannot mix two
// commits. LFS files are checked against their sha256, the others against their git blob id.
'use strict';

const { get, readBody, discard } = require('../http');
const { LoaderError } = require('../layout');

const PUBLIC_HUB = 'https://huggingface.co';

function settings(env) {
  const endpoint = (env.HF_ENDPOINT || PUBLIC_HUB).replace(/\/+$/, '');
  let origin;
  try {
    origin = new URL(endpoint).origin;
  } catch {
    throw new LoaderError(
      `HF_ENDPOINT ${JSON.stringify(endpoint)} is not a URL`,
    );
  }
  // The public Hub serves large files from its storage hosts; a mirror (HF_ENDPOINT) from itself.
  const hosts = (
    env.HF_REDIRECT_HOSTS ?? (env.HF_ENDPOINT ? '' : '.hf.co,.huggingface.co')
  )
    .split(',')
    .map(h => h.trim().toLowerCase())
    .filter(Boolean);
  return {
    endpoint,
    origin,
    hosts,
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || '',
  };
}

const hostAllowed = (hosts, hostname) =>
  hosts.some(h => (h.startsWith('.') ? hostname.endsWith(h) : hostname === h));

/** The Hub's refusal as one line that says what to do. */
function refusal(what, status, res, hasToken, target) {
  const code = res.headers['x-error-code'] || '';
  const put = 'put HF_TOKEN in the Secret named in spec.storage.credentials';
  if (code === 'RepoNotFound')
    return new LoaderError(
      `${what}: repository not found (${status} RepoNotFound)${
        hasToken ? '' : `; if it is private or gated, ${put}`
      }`,
    );
  if (code === 'GatedRepo' || status === 401 || status === 403) {
    if (!hasToken)
      return new LoaderError(
        `${what}: the Hub refused access (${status}${
          code ? ` ${code}` : ''
        }): a gated or private repository needs a token; ${put}`,
      );
    return new LoaderError(
      status === 401
        ? `${what}: the Hub rejected HF_TOKEN (401): check the token in the Secret named in spec.storage.credentials`
        : `${what}: access denied (${status}${
            code ? ` ${code}` : ''
          }): the account of HF_TOKEN has not been granted this repository (a gated model: accept its terms on the Hub with that account)`,
    );
  }
  if (status === 404) {
    if (code === 'RevisionNotFound')
      return new LoaderError(`${what}: no such revision on the Hub (404)`);
    if (code === 'EntryNotFound')
      return new LoaderError(
        `${what}: ${target} is not in the repository (404)`,
      );
    return new LoaderError(
      `${what}: repository not found (404)${
        hasToken ? '' : `; if it is private, ${put}`
      }`,
    );
  }
  return new LoaderError(`${what}: the Hub answered ${status} for ${target}`, {
    transient: status === 429 || status >= 500,
  });
}

/**
 * GETs url, following redirects: to the endpoint's own origin with the token, to an allowed
 * storage host without it, nowhere else. Resolves the final 200 response.
 */
async function getFollowing(
  s,
  url,
  { what, target, timeoutMs, signal, accept },
) {
  let current = new URL(url);
  for (let hop = 0; hop <= 5; hop++) {
    const same = current.origin === s.origin;
    const headers = { Accept: accept ?? '*/*' };
    if (same && s.token) headers.Authorization = `Bearer ${s.token}`;
    const res = await get(current.href, { headers, timeoutMs, signal });
    const status = res.statusCode;
    if (status >= 300 && status < 400 && res.headers.location) {
      discard(res);
      const next = new URL(res.headers.location, current);
      if (next.origin !== s.origin) {
        const secure =
          next.protocol === 'https:' ||
          (next.protocol === 'http:' &&
            new URL(s.endpoint).protocol === 'http:');
        if (!secure || !hostAllowed(s.hosts, next.hostname))
          throw new LoaderError(
            `${what}: the Hub redirected ${target} to ${next.protocol}//${next.host}, which is not ${s.origin}; refusing (allow the host with HF_REDIRECT_HOSTS=${next.hostname} if it is the Hub's storage)`,
          );
      }
      current = next;
      continue;
    }
    if (status === 200) return res;
    discard(res);
    throw refusal(what, status, res, Boolean(s.token), target);
  }
  throw new LoaderError(`${what}: more than 5 redirects for ${target}`);
}

const encodePath = p => p.split('/').map(encodeURIComponent).join('/');

/**
 * The model's files at its revision: {commit, files: [{path, size, check}], open(file)}.
 */
async function plan(ctx, parsed) {
  const s = settings(ctx.env);
  const what = ctx.what;
  const infoUrl = `${s.endpoint}/api/models/${
    parsed.repo
  }/revision/${encodeURIComponent(parsed.revision)}?blobs=true`;
  const res = await getFollowing(s, infoUrl, {
    what,
    target: 'the model info',
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    accept: 'application/json',
  });
  let info;
  try {
    info = JSON.parse((await readBody(res, 32 * 1024 * 1024)).toString('utf8'));
  } catch (e) {
    throw new LoaderError(
      `${what}: the Hub's model info is not JSON (${e.message})`,
    );
  }
  if (!info || !Array.isArray(info.siblings))
    throw new LoaderError(`${what}: the Hub's model info lists no files`);
  const commit =
    typeof info.sha === 'string' && /^[0-9a-f]{40}$/.test(info.sha)
      ? info.sha
      : parsed.revision;
  const files = info.siblings.map(sib => {
    if (!sib || typeof sib.rfilename !== 'string')
      throw new LoaderError(
        `${what}: the Hub's model info has a file without a name`,
      );
    const lfs = sib.lfs && typeof sib.lfs === 'object' ? sib.lfs : undefined;
    const size = [lfs?.size, sib.size].find(n => Number.isSafeInteger(n));
    const check = {};
    if (lfs && /^[0-9a-f]{64}$/i.test(lfs.sha256 || ''))
      check.sha256 = lfs.sha256;
    else if (
      !lfs &&
      size !== undefined &&
      /^[0-9a-f]{40}$/i.test(sib.blobId || '')
    )
      check.gitSha1 = sib.blobId;
    return { path: sib.rfilename, size, check };
  });
  return {
    marker: { commit },
    files,
    open: async (file, signal) => {
      const url = `${s.endpoint}/${parsed.repo}/resolve/${encodeURIComponent(
        commit,
      )}/${encodePath(file.path)}`;
      const body = await getFollowing(s, url, {
        what,
        target: file.path,
        timeoutMs: ctx.timeoutMs,
        signal,
      });
      if (file.size === undefined) {
        const n = Number(
          body.headers['x-linked-size'] ?? body.headers['content-length'],
        );
        if (Number.isSafeInteger(n)) file.size = n;
      }
      return body;
    },
  };
}

module.exports = { plan, settings };
