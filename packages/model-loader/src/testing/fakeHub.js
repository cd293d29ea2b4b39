// A small server that speaks the Hugging Face Hub's download protocol for a few tiny
// repositories, for tests (the loader's own and the integration tests'). What it serves:
//
//   GET /api/models/{repo}/revision/{revision}[?blobs=true]
//        {id, sha, siblings: [{rfilename, size, blobId, lfs: {sha256, size, pointerSize}}]}
//        (sizes and lfs only with blobs=true, as the Hub does)
//   GET /{repo}/resolve/{revision}/{file}
//        small files: 200 with X-Repo-Commit and ETag (the git blob id);
//        LFS files: 302 to /cdn-lfs/{sha256} with X-Linked-Size and X-Linked-Etag (the Hub sends
//        them to its storage host; here the same host, except for the repository "cdn/offsite",
//        whose storage is at another host name: `localhost` for a server on 127.0.0.1)
//   401 {error} with X-Error-Code: GatedRepo for a gated repository without a token, 403 with a
//   token that was not granted, 404 with X-Error-Code RepoNotFound / RevisionNotFound /
//   EntryNotFound, 307 to the new name for a renamed repository.
//
// Repositories (every file made from a seed, so tests know the bytes):
//   tiny-org/tiny-model     revisions main and v2 (another commit, other weights), a nested file
//   gated-org/gated-model   gated: needs `Authorization: Bearer <token>` (default hf_test_token)
//   old-org/old-name        renamed to tiny-org/tiny-model (relative redirects)
//   cdn/offsite             its LFS files are served from another host name
//   evil/escape             lists ../escape.txt, /etc/passwd-like and NUL names
//   evil/liar               serves more bytes than it lists
//   evil/corrupt            serves bytes whose sha256 is not the listed one
//   evil/stall              sends half of its weights, then nothing (a hung download)
'use strict';

const crypto = require('crypto');
const http = require('http');

function bytes(seed, n) {
  const out = Buffer.alloc(n);
  let block = Buffer.alloc(0);
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0)
      block = crypto
        .createHash('sha256')
        .update(`${seed}:${i / 32}`)
        .digest();
    out[i] = block[i % 32];
  }
  return out;
}

const gitBlobId = buf =>
  crypto
    .createHash('sha1')
    .update(`blob ${buf.length}\0`)
    .update(buf)
    .digest('hex');
const sha256 = buf => crypto.createHash('sha256').update(buf).digest('hex');
const commitOf = text => crypto.createHash('sha1').update(text).digest('hex');

/** A revision: {sha, files: {name: {data, lfs}}}. */
function revision(name, files) {
  return {
    sha: commitOf(name),
    files: Object.fromEntries(
      Object.entries(files).map(([f, v]) => [
        f,
        Buffer.isBuffer(v) ? { data: v, lfs: false } : v,
      ]),
    ),
  };
}

function defaultRepos({ weightBytes = 256 * 1024 } = {}) {
  const tiny = (tag, seed) =>
    revision(`tiny-org/tiny-model@${tag}`, {
      'config.json': Buffer.from(
        JSON.stringify({ model_type: 'llama', hidden_size: 64, revision: tag }),
      ),
      'model.safetensors': { data: bytes(seed, weightBytes), lfs: true },
      'tokenizer/tokenizer.json': Buffer.from(
        JSON.stringify({ version: '1.0', tag }),
      ),
    });
  const main = tiny('main', 'tiny-main');
  return {
    'tiny-org/tiny-model': {
      revisions: { main, v2: tiny('v2', 'tiny-v2') },
    },
    'gated-org/gated-model': {
      gated: true,
      revisions: {
        main: revision('gated@main', {
          'config.json': Buffer.from('{"gated":true}'),
          'model.safetensors': { data: bytes('gated', 4096), lfs: true },
        }),
      },
    },
    'old-org/old-name': { renamedTo: 'tiny-org/tiny-model' },
    'cdn/offsite': {
      offsiteLfs: true,
      revisions: {
        main: revision('cdn@main', {
          'config.json': Buffer.from('{}'),
          'model.safetensors': { data: bytes('cdn', 4096), lfs: true },
        }),
      },
    },
    'evil/escape': {
      revisions: {
        main: revision('escape@main', {
          'config.json': Buffer.from('{}'),
          '../escape.txt': Buffer.from('outside'),
        }),
      },
    },
    'evil/absolute': {
      revisions: {
        main: revision('absolute@main', {
          '/tmp/model-loader-absolute.txt': Buffer.from('outside'),
        }),
      },
    },
    'evil/nul': {
      revisions: {
        main: revision('nul@main', { 'a\u0000b': Buffer.from('x') }),
      },
    },
    'evil/liar': {
      liar: true,
      revisions: {
        main: revision('liar@main', {
          'model.safetensors': { data: bytes('liar', 4096), lfs: true },
        }),
      },
    },
    'evil/stall': {
      stall: true,
      revisions: {
        main: revision('stall@main', {
          'config.json': Buffer.from('{}'),
          'model.safetensors': { data: bytes('stall', 65536), lfs: true },
        }),
      },
    },
    'evil/corrupt': {
      corrupt: true,
      revisions: {
        main: revision('corrupt@main', {
          'model.safetensors': { data: bytes('corrupt', 4096), lfs: true },
        }),
      },
    },
  };
}

/**
 * Starts the fake Hub. Resolves {url, repos, requests, count(predicate), reset(), close()}.
 * `host` is where it listens (127.0.0.1; a pod network's host address for pods).
 */
async function startFakeHub({
  host = '127.0.0.1',
  port = 0,
  token = 'hf_test_token',
  repos = defaultRepos(),
} = {}) {
  const requests = [];
  const find = (repo, rev) => {
    const r = repos[repo];
    if (!r || r.renamedTo) return { r };
    const byName = r.revisions[rev];
    const bySha = Object.values(r.revisions).find(x => x.sha === rev);
    return { r, rev: byName ?? bySha };
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://hub');
    const auth = req.headers.authorization || '';
    requests.push({ method: req.method, path: url.pathname, auth: !!auth });
    const send = (status, body, headers = {}) => {
      const data = Buffer.isBuffer(body)
        ? body
        : Buffer.from(JSON.stringify(body));
      res.writeHead(status, {
        'Content-Type': Buffer.isBuffer(body)
          ? 'application/octet-stream'
          : 'application/json',
        'Content-Length': data.length,
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : data);
    };
    const refuse = (repo, r) => {
      if (!r.gated) return false;
      if (!auth)
        send(
          401,
          {
            error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          },
          { 'X-Error-Code': 'GatedRepo' },
        );
      else if (auth !== `Bearer ${token}`)
        send(
          403,
          {
            error: `Access to model ${repo} is restricted and you are not in the authorized list.`,
          },
          { 'X-Error-Code': 'GatedRepo' },
        );
      else return false;
      return true;
    };
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(
      url.pathname,
    );
    if (m) {
      const repo = m[1];
      const rev = decodeURIComponent(m[2]);
      const { r, rev: found } = find(repo, rev);
      if (!r)
        return send(
          401,
          { error: 'Repository Not Found' },
          { 'X-Error-Code': 'RepoNotFound' },
        );
      if (r.renamedTo)
        return send(
          307,
          { error: 'moved' },
          {
            Location: `/api/models/${r.renamedTo}/revision/${m[2]}${url.search}`,
          },
        );
      if (refuse(repo, r)) return undefined;
      if (!found)
        return send(
          404,
          { error: `Invalid rev id: ${rev}` },
          { 'X-Error-Code': 'RevisionNotFound' },
        );
      const blobs = url.searchParams.get('blobs') === 'true';
      return send(200, {
        id: repo,
        modelId: repo,
        sha: found.sha,
        private: false,
        gated: r.gated ? 'manual' : false,
        siblings: Object.entries(found.files).map(([name, f]) => ({
          rfilename: name,
          ...(blobs
            ? {
                blobId: gitBlobId(f.data),
                size: f.data.length,
                ...(f.lfs
                  ? {
                      lfs: {
                        sha256: sha256(f.data),
                        size: f.data.length,
                        pointerSize: 134,
                      },
                    }
                  : {}),
              }
            : {}),
        })),
      });
    }
    m = /^\/cdn-lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      for (const [repo, r] of Object.entries(repos))
        for (const rev of Object.values(r.revisions ?? {}))
          for (const f of Object.values(rev.files))
            if (f.lfs && sha256(f.data) === m[1]) {
              let data = f.data;
              if (r.liar) data = Buffer.concat([data, Buffer.from('extra')]);
              if (r.corrupt) data = Buffer.from(data).fill(7, 0, 16);
              void repo;
              if (r.stall) {
                // Half of the file, then nothing: a download that hangs.
                res.writeHead(200, {
                  'Content-Type': 'application/octet-stream',
                  'Content-Length': data.length,
                });
                res.write(data.subarray(0, data.length >> 1));
                return undefined;
              }
              return send(200, data, { ETag: `"${m[1]}"` });
            }
      return send(404, { error: 'not found' });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) {
      const repo = m[1];
      const rev = decodeURIComponent(m[2]);
      const file = m[3].split('/').map(decodeURIComponent).join('/');
      const { r, rev: found } = find(repo, rev);
      if (!r)
        return send(
          401,
          { error: 'Repository Not Found' },
          { 'X-Error-Code': 'RepoNotFound' },
        );
      if (r.renamedTo)
        return send(
          307,
          { error: 'moved' },
          {
            Location: `/${r.renamedTo}/resolve/${m[2]}/${m[3]}`,
          },
        );
      if (refuse(repo, r)) return undefined;
      if (!found)
        return send(
          404,
          { error: 'Revision not found' },
          { 'X-Error-Code': 'RevisionNotFound' },
        );
      const f = found.files[file];
      if (!f)
        return send(
          404,
          { error: 'Entry not found' },
          { 'X-Error-Code': 'EntryNotFound' },
        );
      const common = {
        'X-Repo-Commit': found.sha,
        'X-Linked-Size': String(f.data.length),
      };
      if (f.lfs) {
        const hash = sha256(f.data);
        const here = server.address();
        const base = r.offsiteLfs
          ? `http://${
              here.address === '127.0.0.1' ? 'localhost' : '127.0.0.1'
            }:${here.port}`
          : '';
        return send(
          302,
          { error: 'redirect' },
          {
            ...common,
            'X-Linked-Etag': `"${hash}"`,
            Location: `${base}/cdn-lfs/${hash}`,
          },
        );
      }
      return send(200, f.data, {
        ...common,
        ETag: `"${gitBlobId(f.data)}"`,
      });
    }
    return send(404, { error: 'not found' });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  return {
    url: `http://${addr.address}:${addr.port}`,
    token,
    repos,
    requests,
    /** How many requests matched (a path prefix or a predicate). */
    count: match =>
      requests.filter(r =>
        typeof match === 'function' ? match(r) : r.path.startsWith(match),
      ).length,
    reset: () => requests.splice(0),
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startFakeHub, defaultRepos, bytes, sha256, gitBlobId };
