// The production path, started once for the production walk: the image's /app laid out as
// packages/backend/Dockerfile builds it (scripts/production-image.sh), PostgreSQL
// (scripts/postgres.sh), and two backends run as the image runs them (NODE_ENV=production,
// app-config.yaml + app-config.production.yaml), each reaching the test cluster the way production
// does through modelHosting.clusters:
// - `kubeconfig`: a kubeconfig file with the backend's ServiceAccount token (k8s/rbac);
// - `in-cluster`: `inCluster: true` as in app-config.production.yaml, the backend started in a
//   mount namespace of its own (unshare -m) in which /var/run/secrets/kubernetes.io/serviceaccount
//   holds the token, CA and namespace a pod gets, with KUBERNETES_SERVICE_HOST/PORT set as the
//   kubelet sets them. Nothing in the product is told it is a test.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const repo = path.resolve(__dirname, '../../..');

/** The two ways production reaches a cluster, each with its backend's port. */
export const VARIANTS = {
  kubeconfig: { port: 7310, cluster: 'local' },
  'in-cluster': { port: 7320, cluster: 'in-cluster' },
} as const;
export type Variant = keyof typeof VARIANTS;

const children: ChildProcess[] = [];

function sh(args: string[], env: NodeJS.ProcessEnv = {}) {
  return execFileSync('bash', args, {
    cwd: repo,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

async function waitForReady(url: string, child: ChildProcess, log: string) {
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(
    `the production backend did not become ready at ${url}; its log: ${log}\n${fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .slice(-30)
      .join('\n')}`,
  );
}

export default async function globalSetup() {
  const { up } = require('../../integration-tests/testCluster');
  const cluster = up();
  if (cluster.started) process.env.MH_PROD_E2E_STOPS_CLUSTER = '1';
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-prod-e2e-'));
  process.env.MH_PROD_E2E_STATE = state;

  // PostgreSQL, unless scripts/test.sh started one for the whole run.
  let pgUrl = process.env.MH_TEST_PG_URL;
  if (!pgUrl) {
    // Directly under the temporary folder: the server runs as the postgres user, who must reach it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-pg-'));
    const exported = sh([path.join(repo, 'scripts/postgres.sh'), 'start', dir]);
    pgUrl = exported.trim().replace(/^export MH_TEST_PG_URL=/, '');
    process.env.MH_PROD_E2E_PG_DIR = dir;
  }
  process.env.MH_PROD_E2E_PG_URL = pgUrl;
  const pg = new URL(pgUrl);

  // The image's /app. MH_PRODUCTION_IMAGE_NO_BUILD=1 reuses packages/backend/dist (while iterating).
  const app = path.join(state, 'app');
  sh([
    path.join(repo, 'scripts/production-image.sh'),
    app,
    ...(process.env.MH_PRODUCTION_IMAGE_NO_BUILD ? ['--no-build'] : []),
  ]);

  // What an admin has for the backend's ServiceAccount: its token and the API server's CA, from
  // the cluster entry scripts/cluster/cluster.sh generated (one `key: value` per line).
  const generated = fs.readFileSync(cluster.appConfig, 'utf8');
  const field = (key: string) => {
    const value = generated.match(new RegExp(`^\\s*${key}: (\\S+)$`, 'm'))?.[1];
    if (!value) throw new Error(`no ${key} in ${cluster.appConfig}`);
    return value;
  };
  const entry = {
    url: field('url'),
    caData: field('caData'),
    serviceAccountToken: field('serviceAccountToken'),
  };
  const server = new URL(entry.url);
  // JSON is YAML: the kubeconfig and the config overlays are written as JSON.
  const kubeconfig = path.join(state, 'backend.kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'gpu',
          cluster: {
            server: entry.url,
            'certificate-authority-data': entry.caData,
          },
        },
      ],
      users: [
        {
          name: 'model-hosting-backend',
          user: { token: entry.serviceAccountToken },
        },
      ],
      contexts: [
        {
          name: 'gpu',
          context: { cluster: 'gpu', user: 'model-hosting-backend' },
        },
      ],
      'current-context': 'gpu',
    }),
    { mode: 0o600 },
  );
  const serviceAccount = path.join(state, 'serviceaccount');
  fs.mkdirSync(serviceAccount);
  fs.writeFileSync(
    path.join(serviceAccount, 'token'),
    entry.serviceAccountToken,
  );
  fs.writeFileSync(
    path.join(serviceAccount, 'ca.crt'),
    Buffer.from(entry.caData, 'base64'),
  );
  fs.writeFileSync(path.join(serviceAccount, 'namespace'), 'model-hosting');

  for (const [variant, { port, cluster: name }] of Object.entries(VARIANTS)) {
    // Only what differs from the production config: where to listen, and for `kubeconfig` the
    // cluster entry; each variant its own databases on the one server.
    const overlay = path.join(state, `app-config.${variant}.yaml`);
    fs.writeFileSync(
      overlay,
      JSON.stringify({
        backend: {
          listen: `127.0.0.1:${port}`,
          database: { prefix: `mh_prod_${variant.replace('-', '_')}_` },
        },
        ...(variant === 'kubeconfig'
          ? { modelHosting: { clusters: [{ name, kubeconfig }] } }
          : {}),
      }),
    );
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      BACKSTAGE_BASE_URL: `http://localhost:${port}`,
      POSTGRES_HOST: pg.hostname,
      POSTGRES_PORT: pg.port,
      POSTGRES_USER: decodeURIComponent(pg.username),
      POSTGRES_PASSWORD: decodeURIComponent(pg.password),
    };
    const backend = [
      'node',
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
      '--config',
      overlay,
    ];
    const log = path.join(state, `backend.${variant}.log`);
    const out = fs.openSync(log, 'a');
    const child =
      variant === 'in-cluster'
        ? spawn(
            'unshare',
            [
              '--mount',
              '--propagation',
              'private',
              'bash',
              '-c',
              // A tmpfs over /run in this mount namespace only: the pod's secrets directory
              // without touching the host's.
              'set -e; mount -t tmpfs tmpfs /run; d=/var/run/secrets/kubernetes.io/serviceaccount; ' +
                'mkdir -p $d; cp "$0"/token "$0"/ca.crt "$0"/namespace $d/; exec "$@"',
              serviceAccount,
              ...backend,
            ],
            {
              cwd: app,
              env: {
                ...env,
                KUBERNETES_SERVICE_HOST: server.hostname,
                KUBERNETES_SERVICE_PORT: server.port,
              },
              stdio: ['ignore', out, out],
              detached: true,
            },
          )
        : spawn(backend[0], backend.slice(1), {
            cwd: app,
            env,
            stdio: ['ignore', out, out],
            detached: true,
          });
    children.push(child);
    fs.appendFileSync(path.join(state, 'pids'), `${child.pid}\n`);
  }
  await Promise.all(
    Object.entries(VARIANTS).map(([variant, { port }], i) =>
      waitForReady(
        `http://localhost:${port}/.backstage/health/v1/readiness`,
        children[i],
        path.join(state, `backend.${variant}.log`),
      ),
    ),
  );
}
