// A real S3 server for tests: scripts/engines/versitygw.sh in a state directory of its own, with
// its root credentials and a count of the requests it served (from its request log).
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// The repository's own script (this helper runs from the checkout, never from a build).
// eslint-disable-next-line no-restricted-syntax
const repo = path.resolve(__dirname, '../../../..');
const script = path.join(repo, 'scripts/engines/versitygw.sh');

function parse(out) {
  const env = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** Builds versitygw unless cached (minutes the first time); resolves the binary's path. */
function buildS3() {
  return execFileSync('bash', [script, 'build'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/**
 * Starts versitygw; `listen` is a comma list of addresses (127.0.0.1 by default; add a pod
 * network's host address for pods). Resolves {endpoint, endpoints, accessKeyId,
 * secretAccessKey, dataDir, requests(filter), client(opts), putObjects(bucket, objects), stop()}.
 */
async function startS3({ listen = '127.0.0.1', dir } = {}) {
  const stateDir =
    dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'model-loader-s3-'));
  const env = { ...process.env, MH_S3_DIR: stateDir, MH_S3_LISTEN: listen };
  const out = parse(
    execFileSync('bash', [script, 'start'], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const s3 = {
    endpoint: out.S3_ENDPOINT,
    endpoints: out.S3_ENDPOINTS.split(' '),
    accessKeyId: out.S3_ACCESS_KEY,
    secretAccessKey: out.S3_SECRET_KEY,
    dataDir: out.S3_DATA_DIR,
    stateDir,
    /**
     * The requests served so far, from the gateway's log: [{status, method, path, query}],
     * those matching filter ({method, path (prefix), query (substring)}).
     */
    requests(filter = {}) {
      let text = '';
      try {
        text = fs.readFileSync(out.S3_LOG, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .map(line => line.split('|').map(p => p.trim()))
        .filter(p => p.length >= 7 && p[1] === 'vgw')
        .map(p => ({
          status: Number(p[2]),
          method: p[5],
          path: p[6],
          query: p[8] ?? '',
        }))
        .filter(
          r =>
            (!filter.method || r.method === filter.method) &&
            (!filter.path || r.path.startsWith(filter.path)) &&
            (!filter.query || r.query.includes(filter.query)),
        );
    },
    /** An SDK client with the root credentials (or others). */
    client(opts = {}) {
      const { S3Client } = require('@aws-sdk/client-s3');
      return new S3Client({
        region: 'us-east-1',
        endpoint: out.S3_ENDPOINT,
        forcePathStyle: true,
        credentials: {
          accessKeyId: opts.accessKeyId ?? out.S3_ACCESS_KEY,
          secretAccessKey: opts.secretAccessKey ?? out.S3_SECRET_KEY,
        },
      });
    },
    /** Creates the bucket (if needed) and puts {key: Buffer|string} into it. */
    async putObjects(bucket, objects) {
      const {
        CreateBucketCommand,
        PutObjectCommand,
      } = require('@aws-sdk/client-s3');
      const c = s3.client();
      try {
        await c.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (e) {
        if (
          e.name !== 'BucketAlreadyOwnedByYou' &&
          e.name !== 'BucketAlreadyExists'
        )
          throw e;
      }
      for (const [key, body] of Object.entries(objects))
        await c.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
        );
      c.destroy();
    },
    /** Stops it; a state directory it made itself goes too. */
    stop() {
      execFileSync('bash', [script, 'stop'], {
        env,
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      if (!dir) fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return s3;
}

module.exports = { startS3, buildS3 };
