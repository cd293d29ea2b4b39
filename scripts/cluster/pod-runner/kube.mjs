// A small Kubernetes client for the pod runner: JSON requests and a list+watch that relists on
// 410 Gone and reconnects with backoff. Authentication comes from the admin kubeconfig through
// @kubernetes/client-node's KubeConfig; objects stay plain JSON (no model classes: 1000 pods stay cheap).
import https from 'node:https';
import http from 'node:http';
import * as k8s from '@kubernetes/client-node';

export async function connect(kubeconfigPath) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const server = new URL(kc.getCurrentCluster().server);
  const opts = {};
  await kc.applyToHTTPSOptions(opts);
  const secure = server.protocol === 'https:';
  const tls = secure
    ? {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized,
      }
    : {};
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 16, ...tls })
    : new http.Agent({ keepAlive: true, maxSockets: 16 });
  const base = {
    hostname: server.hostname,
    port: server.port || (secure ? 443 : 80),
    agent,
    headers: opts.headers || {},
    ...tls,
  };
  const lib = secure ? https : http;

  /** One request; resolves {status, body} with body parsed as JSON when it is JSON. */
  function request(
    method,
    path,
    body,
    contentType = 'application/json',
    { timeoutMs = 30_000, agentOverride } = {},
  ) {
    return new Promise((resolve, reject) => {
      const data =
        body === undefined
          ? undefined
          : typeof body === 'string'
          ? body
          : JSON.stringify(body);
      const req = lib.request(
        {
          ...base,
          ...(agentOverride ? { agent: agentOverride } : {}),
          method,
          path,
          headers: {
            ...base.headers,
            Accept: 'application/json',
            ...(data !== undefined
              ? {
                  'Content-Type': contentType,
                  'Content-Length': Buffer.byteLength(data),
                }
              : {}),
          },
        },
        res => {
          const chunks = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () =>
        req.destroy(
          new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`),
        ),
      );
      req.on('error', reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /**
   * Lists then watches a collection, calling onEvent(type, object) for every change (ADDED for what
   * the list found, DELETED for what vanished between lists). Never resolves; errors are retried.
   */
  async function listWatch(path, query, onEvent, log) {
    const known = new Map();
    let backoff = 500;
    for (;;) {
      let rv;
      try {
        const list = await request(
          'GET',
          `${path}?${new URLSearchParams({ ...query, limit: '0' })}`,
        );
        if (list.status !== 200)
          throw new Error(
            `list ${path}: HTTP ${list.status} ${JSON.stringify(
              list.body,
            ).slice(0, 200)}`,
          );
        rv = list.body.metadata.resourceVersion;
        const seen = new Set();
        for (const item of list.body.items) {
          seen.add(item.metadata.uid);
          known.set(item.metadata.uid, item);
          onEvent('ADDED', item);
        }
        for (const [uid, item] of known) {
          if (!seen.has(uid)) {
            known.delete(uid);
            onEvent('DELETED', item);
          }
        }
        backoff = 500;
        rv = await watchFrom(path, query, rv, known, onEvent);
      } catch (e) {
        log(`watch ${path}: ${e.message}; again in ${backoff} ms`);
        await new Promise(r => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  /** Watches from a resourceVersion until the server ends the watch or says 410 Gone; then the caller relists. */
  function watchFrom(path, query, rv, known, onEvent) {
    return new Promise((resolve, reject) => {
      const qs = new URLSearchParams({
        ...query,
        watch: '1',
        resourceVersion: rv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: '1800',
      });
      const req = lib.request(
        {
          ...base,
          agent: false,
          method: 'GET',
          path: `${path}?${qs}`,
          headers: { ...base.headers, Accept: 'application/json' },
        },
        res => {
          if (res.statusCode !== 200) {
            res.resume();
            return reject(new Error(`watch HTTP ${res.statusCode}`));
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', chunk => {
            buf += chunk;
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              let ev;
              try {
                ev = JSON.parse(line);
              } catch {
                continue;
              }
              if (ev.type === 'ERROR') {
                req.destroy();
                return ev.object?.code === 410
                  ? resolve(undefined)
                  : reject(new Error(ev.object?.message || 'watch error'));
              }
              if (ev.type === 'BOOKMARK') continue;
              const obj = ev.object;
              if (ev.type === 'DELETED') known.delete(obj.metadata.uid);
              else known.set(obj.metadata.uid, obj);
              onEvent(ev.type, obj);
            }
          });
          res.on('end', () => resolve(undefined));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  return { request, listWatch, server: server.href };
}
