// A small front for distribution's registry that lets Ollama pull from it.
//
// Ollama downloads a blob in two steps (server/download.go): a GET that must answer with a
// redirect (307 + Location) to a *different host name* (it follows same-host redirects, and a
// plain 200 fails with "no Location header in response"), then ranged GETs on that location.
// Distribution's filesystem storage never redirects. So this front:
//   - answers a blob GET with a 307 to the same path on another spelling of the address the
//     client reached: [::ffff:a.b.c.d], the IPv4-mapped form of that IPv4 address. Ollama compares
//     host names as strings, so it takes this as "another host", and Go dials it over plain IPv4:
//     the same front, with no hosts file and no name service, on loopback or inside a network
//     namespace alike. BLOB_HOST=<name> redirects to that name instead (it must reach this front);
//   - serves a blob GET that arrives under that other name itself: it reads the whole blob from
//     the registry and answers the requested byte range (206 + Content-Range), or all of it;
//   - passes everything else through unchanged (manifests, HEAD, uploads: pushes work through it).
// Environment: FRONT_LISTEN (comma list of IPv4 addresses, default 127.0.0.1), FRONT_PORT,
// UPSTREAM (registry host:port), BLOB_HOST (optional).
import http from 'node:http';

const listen = (process.env.FRONT_LISTEN || '127.0.0.1')
  .split(',')
  .filter(Boolean);
const port = Number(process.env.FRONT_PORT);
const [upHost, upPort] = (process.env.UPSTREAM || '').split(':');
const blobHost = process.env.BLOB_HOST || '';
if (!port || !upHost || !upPort) {
  console.error(
    'registry-front: FRONT_PORT and UPSTREAM=host:port are required',
  );
  process.exit(2);
}

const blobPath = /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/;
const agent = new http.Agent({ keepAlive: true });
const log = (...a) => console.log(new Date().toISOString(), ...a);

function hostName(req) {
  const h = req.headers.host || '';
  return h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.split(':')[0];
}

function proxy(
  req,
  res,
  {
    path = req.url,
    method = req.method,
    headers = req.headers,
    onResponse,
  } = {},
) {
  const up = http.request(
    { host: upHost, port: upPort, path, method, headers, agent },
    upRes => {
      if (onResponse) return onResponse(upRes);
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    },
  );
  up.on('error', err => {
    log('upstream error', method, path, err.message);
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`registry unreachable: ${err.message}\n`);
  });
  req.pipe(up);
}

// Parses "bytes=a-b" / "bytes=a-" / "bytes=-n" for a blob of `size` bytes; null = whole blob.
function range(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start, end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : 'unsatisfiable';
}

function serveBlob(req, res) {
  const headers = { ...req.headers };
  delete headers.range;
  proxy(req, res, {
    method: 'GET',
    headers,
    onResponse: upRes => {
      if (upRes.statusCode !== 200) {
        res.writeHead(upRes.statusCode, upRes.headers);
        return upRes.pipe(res);
      }
      const chunks = [];
      upRes.on('data', c => chunks.push(c));
      upRes.on('error', err => res.destroy(err));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks);
        const base = {
          'content-type':
            upRes.headers['content-type'] || 'application/octet-stream',
          'docker-content-digest': upRes.headers['docker-content-digest'] || '',
          'accept-ranges': 'bytes',
        };
        const r = range(req.headers.range, body.length);
        if (r === 'unsatisfiable') {
          res.writeHead(416, {
            ...base,
            'content-range': `bytes */${body.length}`,
          });
          return res.end();
        }
        if (!r) {
          res.writeHead(200, { ...base, 'content-length': body.length });
          return res.end(body);
        }
        const part = body.subarray(r.start, r.end + 1);
        log('blob range', req.url, `${r.start}-${r.end}/${body.length}`);
        res.writeHead(206, {
          ...base,
          'content-length': part.length,
          'content-range': `bytes ${r.start}-${r.end}/${body.length}`,
        });
        res.end(part);
      });
    },
  });
}

// The name a blob GET is redirected to, for a request that reached this front at localAddress.
function blobName(req) {
  if (blobHost) return blobHost;
  const local = (req.socket.localAddress || '').replace(/^::ffff:/, '');
  return `[::ffff:${local}]`;
}
const isBlobName = h => (blobHost ? h === blobHost : h.startsWith('::ffff:'));

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && blobPath.test(path)) {
    if (!isBlobName(hostName(req))) {
      const p = (req.headers.host || '').match(/:(\d+)$/)?.[1] || port;
      const location = `http://${blobName(req)}:${p}${req.url}`;
      log('blob redirect', req.url, '->', location);
      res.writeHead(307, { location, 'content-length': 0 });
      return res.end();
    }
    return serveBlob(req, res);
  }
  proxy(req, res);
});
server.keepAliveTimeout = 5000;

let pending = listen.length;
for (const [i, addr] of listen.entries()) {
  const s =
    i === 0 ? server : http.createServer(server.listeners('request')[0]);
  s.listen(port, addr, () => {
    log(
      `registry front on ${addr}:${port} -> ${upHost}:${upPort}, blobs via ${
        blobHost || '[::ffff:<address>]'
      }`,
    );
    if (--pending === 0) console.log('ready');
  });
  s.on('error', err => {
    console.error(
      `registry-front: cannot listen on ${addr}:${port}: ${err.message}`,
    );
    process.exit(1);
  });
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
