#!/usr/bin/env node
// The local cluster's model store: where the model loader (packages/model-loader, the init
// container of hf:// and s3:// deployments) fetches models on the local simulated cluster, as a
// real installation's loader fetches them from the Hugging Face Hub and an S3-compatible store.
// cluster.sh starts it with the cluster, stops it with `down`, and points the backend at it
// (modelHosting.storage in <state>/<cluster>.app-config.yaml).
//
//   (a) a Hugging Face Hub stand-in: the loader's own fake Hub (@modelhosting/model-loader/testing,
//       the Hub's download protocol), serving every repository name asked for (org/name, any
//       branch or tag) with small synthetic files: config.json, generation_config.json,
//       tokenizer_config.json and a model.safetensors of a few tensors (an LFS file, checked by its
//       sha256). No token is needed.
//   (b) a real S3 server: versitygw (scripts/engines/versitygw.sh, built once from its Go module
//       into ~/.cache/model-hosting/versitygw-<version>), with root credentials made per cluster,
//       seeded with the iris model in the `models/<name>/<version>/` layout:
//       s3://models/iris with version 1.0.0 or 1.4.0.
//
// Both listen on the pod network's host address (what the loader inside the pod network reaches)
// and on 127.0.0.1, on ports kept across restarts.
//
//   model-store.mjs build                                   build versitygw unless cached
//   model-store.mjs up --name N --state DIR [--host ADDR]   start (or keep) both, seed S3, write
//                                                           <DIR>/<N>.model-store.json (mode 600)
//   model-store.mjs down --name N --state DIR               stop both, delete their data
//   model-store.mjs status --name N --state DIR             print where they listen; exit 1 when down
//   model-store.mjs secret --name N --state DIR --namespace NS [--secret S]
//                                                           print a Secret (YAML) holding the S3
//                                                           credentials, for kubectl apply -f -
//   model-store.mjs hub --listen A,B --port P               the Hub stand-in itself (foreground)
//
// <state>/<name>.model-store.json: {hub: {url, loopbackUrl}, s3: {endpoint, loopbackEndpoint,
// region, pathStyle, bucket, accessKeyId, secretAccessKey}, models: {hf, s3}}; url and endpoint
// are the addresses pods reach (the host address; 127.0.0.1 without a pod network).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const require = createRequire(path.join(repo, 'package.json'));
const versitygw = path.join(repo, 'scripts/engines/versitygw.sh');

export const BUCKET = 'models';
export const REGION = 'us-east-1';
export const SECRET_NAME = 'model-store-credentials';

/** The S3 objects of the store: key → bytes. The iris classifier, two versions. */
export function s3Objects(bytes) {
  const out = {};
  for (const version of ['1.0.0', '1.4.0']) {
    out[`iris/${version}/model.joblib`] = bytes(`iris-${version}`, 4096);
    out[`iris/${version}/metadata.json`] = Buffer.from(
      `${JSON.stringify({
        name: 'iris',
        version,
        framework: 'scikit-learn',
        note: 'synthetic: served by the local model store (scripts/cluster/model-store.mjs)',
      })}\n`,
    );
  }
  return out;
}

// ---- the Hub stand-in -------------------------------------------------------------------------

/** A safetensors file: 8-byte header length, the JSON header, then the tensors' bytes. */
function safetensors(bytes, seed) {
  const tensors = [
    ['model.embed_tokens.weight', [260, 16]],
    ['model.layers.0.mlp.up_proj.weight', [32, 16]],
    ['lm_head.weight', [260, 16]],
  ];
  const header = { __metadata__: { format: 'pt', note: 'synthetic' } };
  let offset = 0;
  for (const [name, shape] of tensors) {
    const n = shape[0] * shape[1] * 4;
    header[name] = {
      dtype: 'F32',
      shape,
      data_offsets: [offset, offset + n],
    };
    offset += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json), bytes(seed, offset)]);
}

/**
 * Repositories for the fake Hub: any `org/name` is made on first use, with any revision (branch
 * or tag name) made on first use too; a commit sha finds the revision that has it.
 */
function everyRepository(bytes, commitOf) {
  const made = {};
  const revisionsOf = repoName => {
    const revs = {};
    return new Proxy(revs, {
      get(target, key) {
        if (typeof key !== 'string') return Reflect.get(target, key);
        if (key in target) return target[key];
        if (/^[0-9a-f]{40}$/.test(key))
          return Object.values(target).find(r => r.sha === key);
        if (!/^[\w.-]{1,128}$/.test(key)) return undefined;
        const seed = `${repoName}@${key}`;
        const text = obj => Buffer.from(`${JSON.stringify(obj, null, 2)}\n`);
        target[key] = {
          sha: commitOf(seed),
          files: {
            'config.json': {
              data: text({
                _name_or_path: repoName,
                architectures: ['LlamaForCausalLM'],
                model_type: 'llama',
                hidden_size: 16,
                num_hidden_layers: 1,
                num_attention_heads: 2,
                vocab_size: 260,
                torch_dtype: 'float32',
                revision: key,
                note: 'synthetic: served by the local model store',
              }),
              lfs: false,
            },
            'generation_config.json': {
              data: text({ max_new_tokens: 64 }),
              lfs: false,
            },
            'tokenizer_config.json': {
              data: text({ model_max_length: 8192, tokenizer_class: 'Byte' }),
              lfs: false,
            },
            'model.safetensors': { data: safetensors(bytes, seed), lfs: true },
          },
        };
        return target[key];
      },
    });
  };
  return new Proxy(made, {
    get(target, key) {
      if (typeof key !== 'string') return Reflect.get(target, key);
      if (key in target) return target[key];
      if (!/^[\w.-]{1,96}\/[\w.-]{1,96}$/.test(key)) return undefined;
      target[key] = { revisions: revisionsOf(key) };
      return target[key];
    },
  });
}

async function serveHub(listen, port) {
  const crypto = await import('node:crypto');
  const { startFakeHub, bytes } = require('@modelhosting/model-loader/testing');
  const commitOf = s => crypto.createHash('sha1').update(s).digest('hex');
  const repos = everyRepository(bytes, commitOf);
  const hubs = [];
  for (const host of listen) {
    hubs.push(await startFakeHub({ host, port, repos }));
  }
  // Its own request log, a line a request, once a second (the fake Hub keeps them in memory).
  setInterval(() => {
    for (const hub of hubs) {
      for (const r of hub.requests)
        process.stdout.write(
          `${new Date().toISOString()} ${hub.url} ${r.method} ${r.path}\n`,
        );
      hub.reset();
    }
  }, 1000).unref();
  process.stdout.write(
    `${new Date().toISOString()} Hub stand-in on ${hubs
      .map(h => h.url)
      .join(' ')}\n`,
  );
  const stop = async () => {
    await Promise.all(hubs.map(h => h.close()));
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ---- the store's processes --------------------------------------------------------------------

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    out[m[1]] = argv[++i];
  }
  return out;
}

const paths = (name, state) => {
  const dir = path.join(state, `${name}.model-store`);
  return {
    dir,
    s3Dir: path.join(dir, 's3'),
    ports: path.join(dir, 'ports.json'),
    hubPid: path.join(dir, 'hub.pid'),
    hubLog: path.join(dir, 'hub.log'),
    info: path.join(state, `${name}.model-store.json`),
  };
};

const alive = pid => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const readPid = file => {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
};
const readJson = file => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};
const sleep = ms => new Promise(r => setTimeout(r, ms));

const canBind = (host, port) =>
  new Promise(resolve => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
const answers = (host, port) =>
  new Promise(resolve => {
    const s = net.connect({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });

/** The port kept for `what`, when still free on every address; else a new free one. */
async function portFor(p, what, listen) {
  const kept = readJson(p.ports)?.[what];
  if (kept) {
    let free = true;
    for (const host of listen) free = free && (await canBind(host, kept));
    if (free) return kept;
  }
  for (;;) {
    const port = await new Promise(resolve => {
      const s = net.createServer();
      s.listen(0, listen[0], () => {
        const got = s.address().port;
        s.close(() => resolve(got));
      });
    });
    let free = true;
    for (const host of listen.slice(1))
      free = free && (await canBind(host, port));
    if (free) return port;
  }
}

function savePort(p, what, port) {
  const ports = readJson(p.ports) ?? {};
  ports[what] = port;
  fs.writeFileSync(p.ports, JSON.stringify(ports));
}

function shellVars(out) {
  const env = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

const s3Env = (p, listen, port) => ({
  ...process.env,
  MH_S3_DIR: p.s3Dir,
  ...(listen ? { MH_S3_LISTEN: listen.join(',') } : {}),
  ...(port ? { MH_S3_PORT: String(port) } : {}),
});

function s3Status(p) {
  try {
    return shellVars(
      execFileSync('bash', [versitygw, 'status'], {
        encoding: 'utf8',
        env: s3Env(p),
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
  } catch {
    return undefined;
  }
}

function s3Stop(p) {
  execFileSync('bash', [versitygw, 'stop'], {
    env: s3Env(p),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

async function startS3(p, listen) {
  const running = s3Status(p);
  const want = listen.map(h => `http://${h}:`);
  if (
    running &&
    want.every(w => running.S3_ENDPOINTS.split(' ').some(e => e.startsWith(w)))
  )
    return running;
  if (running) s3Stop(p);
  const port = await portFor(p, 's3', listen);
  const vars = shellVars(
    execFileSync('bash', [versitygw, 'start'], {
      encoding: 'utf8',
      env: s3Env(p, listen, port),
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  savePort(p, 's3', port);
  return vars;
}

async function seedS3(vars) {
  // The SDK warns about Node versions it will drop next year; not news for this script's output.
  const emit = process.emitWarning;
  process.emitWarning = (w, ...rest) =>
    /NodeVersionSupportWarning/.test(`${rest[0]?.type ?? rest[0]} ${w}`)
      ? undefined
      : emit.call(process, w, ...rest);
  const {
    S3Client,
    CreateBucketCommand,
    HeadObjectCommand,
    PutObjectCommand,
  } = require('@aws-sdk/client-s3');
  const { bytes } = require('@modelhosting/model-loader/testing');
  const loopback = vars.S3_ENDPOINTS.split(' ').find(e =>
    e.startsWith('http://127.0.0.1:'),
  );
  const client = new S3Client({
    region: REGION,
    endpoint: loopback ?? vars.S3_ENDPOINT,
    forcePathStyle: true,
    credentials: {
      accessKeyId: vars.S3_ACCESS_KEY,
      secretAccessKey: vars.S3_SECRET_KEY,
    },
  });
  try {
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    } catch (e) {
      if (
        e.name !== 'BucketAlreadyOwnedByYou' &&
        e.name !== 'BucketAlreadyExists'
      )
        throw e;
    }
    for (const [key, body] of Object.entries(s3Objects(bytes))) {
      try {
        const head = await client.send(
          new HeadObjectCommand({ Bucket: BUCKET, Key: key }),
        );
        if (head.ContentLength === body.length) continue;
      } catch {
        // not there yet
      }
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }),
      );
    }
  } finally {
    client.destroy();
  }
}

async function startHub(p, listen) {
  const self = fileURLToPath(import.meta.url);
  const pid = readPid(p.hubPid);
  const kept = readJson(p.ports)?.hub;
  if (pid) {
    // Keep it when it listens where wanted and its code did not change since it started.
    const started = fs.statSync(p.hubPid).mtimeMs;
    const changed = [
      self,
      path.join(repo, 'packages/model-loader/src/testing/fakeHub.js'),
    ].some(f => fs.statSync(f).mtimeMs > started);
    const listening = readJson(p.ports)?.hubListen;
    if (
      !changed &&
      kept &&
      listening === listen.join(',') &&
      (await answers(listen[0], kept))
    )
      return kept;
    await stopPid(pid);
  }
  const port = await portFor(p, 'hub', listen);
  const log = fs.openSync(p.hubLog, 'a');
  const child = spawn(
    process.execPath,
    [self, 'hub', '--listen', listen.join(','), '--port', String(port)],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  fs.writeFileSync(p.hubPid, String(child.pid));
  child.unref();
  for (let i = 0; i < 100; i++) {
    let up = true;
    for (const host of listen) up = up && (await answers(host, port));
    if (up) {
      savePort(p, 'hub', port);
      const ports = readJson(p.ports);
      ports.hubListen = listen.join(',');
      fs.writeFileSync(p.ports, JSON.stringify(ports));
      return port;
    }
    if (!alive(child.pid)) break;
    await sleep(100);
  }
  throw new Error(
    `the Hub stand-in did not start; its log:\n${fs
      .readFileSync(p.hubLog, 'utf8')
      .split('\n')
      .slice(-20)
      .join('\n')}`,
  );
}

async function stopPid(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function up(o) {
  const p = paths(o.name, o.state);
  fs.mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  // Pods reach the host address; the host's own tools and tests reach loopback.
  const listen = [...new Set([o.host, '127.0.0.1'].filter(Boolean))];
  const s3 = await startS3(p, listen);
  await seedS3(s3);
  const hubPort = await startHub(p, listen);
  const at = (proto, host, port) => `${proto}://${host}:${port}`;
  const s3Port = Number(s3.S3_ENDPOINT.replace(/.*:/, ''));
  const info = {
    hub: {
      url: at('http', listen[0], hubPort),
      loopbackUrl: at('http', '127.0.0.1', hubPort),
    },
    s3: {
      endpoint: at('http', listen[0], s3Port),
      loopbackEndpoint: at('http', '127.0.0.1', s3Port),
      region: REGION,
      pathStyle: true,
      bucket: BUCKET,
      accessKeyId: s3.S3_ACCESS_KEY,
      secretAccessKey: s3.S3_SECRET_KEY,
    },
    models: {
      hf: 'hf://<any org>/<any name>[@<any branch or tag>]: synthetic files',
      s3: ['s3://models/iris version 1.0.0', 's3://models/iris version 1.4.0'],
    },
  };
  fs.writeFileSync(p.info, `${JSON.stringify(info, null, 2)}\n`, {
    mode: 0o600,
  });
  fs.chmodSync(p.info, 0o600);
  process.stdout.write(`${p.info}\n`);
}

async function down(o) {
  const p = paths(o.name, o.state);
  const pid = readPid(p.hubPid);
  if (pid) await stopPid(pid);
  if (fs.existsSync(p.s3Dir)) s3Stop(p);
  fs.rmSync(p.dir, { recursive: true, force: true });
  fs.rmSync(p.info, { force: true });
}

async function status(o) {
  const p = paths(o.name, o.state);
  const info = readJson(p.info);
  const hub = readPid(p.hubPid);
  const s3 = s3Status(p);
  if (!info || !hub || !s3) {
    process.stdout.write(
      `model store: not running${
        info
          ? ` (Hub stand-in ${hub ? 'up' : 'down'}, S3 ${s3 ? 'up' : 'down'})`
          : ''
      }\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `model store: Hub stand-in ${info.hub.url}, S3 ${info.s3.endpoint} (bucket ${info.s3.bucket}); details in ${p.info}\n`,
  );
}

function secret(o) {
  const info = readJson(paths(o.name, o.state).info);
  if (!info) throw new Error(`the model store of ${o.name} is not running`);
  const yaml = v => JSON.stringify(String(v));
  process.stdout.write(
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      `  name: ${o.secret ?? SECRET_NAME}`,
      `  namespace: ${o.namespace}`,
      '  labels:',
      '    app.kubernetes.io/part-of: model-hosting',
      '  annotations:',
      `    modelhosting.io/note: ${yaml(
        'credentials of the local model store (scripts/cluster/model-store.mjs); made per cluster',
      )}`,
      'type: Opaque',
      'stringData:',
      `  AWS_ACCESS_KEY_ID: ${yaml(info.s3.accessKeyId)}`,
      `  AWS_SECRET_ACCESS_KEY: ${yaml(info.s3.secretAccessKey)}`,
      '',
    ].join('\n'),
  );
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const o = args(rest);
  const need = (...keys) => {
    for (const k of keys) if (!o[k]) throw new Error(`${cmd} needs --${k}`);
  };
  switch (cmd) {
    case 'build':
      execFileSync('bash', [versitygw, 'build'], { stdio: 'inherit' });
      return;
    case 'up':
      need('name', 'state');
      await up(o);
      return;
    case 'down':
      need('name', 'state');
      await down(o);
      return;
    case 'status':
      need('name', 'state');
      await status(o);
      return;
    case 'secret':
      need('name', 'state', 'namespace');
      secret(o);
      return;
    case 'hub':
      need('listen', 'port');
      await serveHub(o.listen.split(','), Number(o.port));
      return;
    default:
      throw new Error(
        'usage: model-store.mjs build | up|down|status --name N --state DIR [--host ADDR] | secret --name N --state DIR --namespace NS | hub --listen A,B --port P',
      );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(e => {
    process.stderr.write(`model-store.mjs: ${e.message}\n`);
    process.exit(1);
  });
}
