import { createHash, randomUUID } from 'crypto';
import fs from 'fs';
import YAML from 'yaml';
import { ServiceFactory } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import modelHostingPlugin from '@modelhosting/backstage-plugin-model-hosting-backend';
import request from 'supertest';
import { eventually } from './kube';

/** The cluster entry scripts/cluster wrote: the backend's ServiceAccount from k8s/rbac. */
export function testAppConfig(): any {
  return YAML.parse(fs.readFileSync(process.env.MH_TEST_APP_CONFIG!, 'utf8'));
}

/**
 * The database the suite runs against: SQLite, or PostgreSQL with MH_TEST_DATABASE=pg (the server at
 * MH_TEST_PG_URL, which scripts/postgres.sh starts; `yarn test:integration:pg` does both).
 */
export const testDatabase: 'sqlite' | 'pg' =
  process.env.MH_TEST_DATABASE === 'pg' ? 'pg' : 'sqlite';

/**
 * `backend.database` for a backend whose data is kept under `key`: backends given the same key share
 * it (a restart, or replicas). SQLite: files in the folder `key`; PostgreSQL: databases whose names
 * start with a prefix made from `key`, so each test file gets fresh ones on the same server.
 */
export function databaseConfig(key: string) {
  if (testDatabase === 'pg') {
    const url = process.env.MH_TEST_PG_URL;
    if (!url) {
      throw new Error(
        'MH_TEST_DATABASE=pg needs MH_TEST_PG_URL: run through scripts/postgres.sh (yarn workspace integration-tests test:integration:pg)',
      );
    }
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
    return { client: 'pg', connection: url, prefix: `mh_${hash}_` };
  }
  return { client: 'better-sqlite3', connection: { directory: key } };
}

export interface StartOptions {
  /** Replaces the permissions service (allow-all by default). */
  permissions?: ServiceFactory;
  /**
   * Extra configuration merged over the test cluster's; `modelHosting` keys merge with the
   * defaults here (reconciler settings one level deeper; health through `health`).
   */
  config?: { modelHosting?: Record<string, any>; [key: string]: any };
  reconcile?: boolean;
  /**
   * Health checks on, with fast rounds for tests (tick 1 s, status rewritten every second),
   * these settings over them. Off by default: a test that does not look at health should not
   * see auto-recovery restart its pods.
   */
  health?: Record<string, unknown>;
  /** Keep the plugin database in SQLite files in this folder (survives a restart) instead of memory. */
  sqliteDir?: string;
}

/**
 * The real model-hosting backend plugin, in-process, against the real test cluster, with an
 * in-memory SQLite database. Short leases so that another instance can take over quickly.
 */
export async function startModelHosting(options: StartOptions = {}) {
  const base = testAppConfig();
  const backend = await startTestBackend({
    features: [
      modelHostingPlugin,
      mockServices.rootConfig.factory({
        data: {
          ...base,
          // Model servers are the pod runner's processes behind the pod IPs, reached the way a
          // real installation reaches them: through the API server's service and pod proxy.
          modelHosting: {
            ...options.config?.modelHosting,
            reconciler: {
              enabled: options.reconcile ?? true,
              leaseDurationSeconds: 3,
              ...options.config?.modelHosting?.reconciler,
            },
            requestTimeoutSeconds: 5,
            health: options.health
              ? {
                  tickSeconds: 1,
                  statusRefreshSeconds: 1,
                  ...options.health,
                }
              : { enabled: false },
          },
          ...(options.sqliteDir || testDatabase === 'pg'
            ? {
                backend: {
                  // On PostgreSQL, sqliteDir keys the databases the same way.
                  database: databaseConfig(options.sqliteDir ?? randomUUID()),
                },
              }
            : {}),
          ...Object.fromEntries(
            Object.entries(options.config ?? {}).filter(
              ([k]) => k !== 'modelHosting',
            ),
          ),
        },
      }),
      ...(options.sqliteDir || testDatabase === 'pg'
        ? [databaseServiceFactory]
        : []),
      // The real scheduler: the test one does not run recurring tasks on their own.
      schedulerServiceFactory,
      ...(options.permissions ? [options.permissions] : []),
    ],
  });
  const api = () => request(backend.server);
  // Wait for the watch caches: the fleet lists the test cluster as reachable.
  await eventually(async () => {
    const res = await api().get('/api/model-hosting/deployments');
    if (!res.body.clusters?.find((c: any) => c.name === 'local')?.reachable)
      throw new Error(JSON.stringify(res.body.clusters));
  }, 30_000);
  return { backend, api, stop: () => backend.stop() };
}

export type ModelHosting = Awaited<ReturnType<typeof startModelHosting>>;

export const path = (namespace: string, name: string, action = '') =>
  `/api/model-hosting/deployments/local/${namespace}/${name}${
    action ? `/${action}` : ''
  }`;

/** Polls the deployment detail until `check` passes; returns the last detail. */
export async function waitForDeployment(
  mh: ModelHosting,
  namespace: string,
  name: string,
  check: (d: any) => boolean,
  timeoutMs = 60_000,
) {
  return eventually(async () => {
    const res = await mh.api().get(path(namespace, name));
    if (res.status !== 200 || !check(res.body)) {
      throw new Error(
        `not yet: ${res.status} ${JSON.stringify(
          res.body?.resource?.status ?? res.body,
        )}`,
      );
    }
    return res.body;
  }, timeoutMs);
}

/** Ready, as the fleet shows it: the default of deployAndWait. */
export const isReady = (d: any) => d.summary.phase === 'Ready';

/**
 * Set-up: deploys through the portal's API (throws unless 201) and waits until `until` holds
 * (Ready by default); returns the last detail.
 */
export async function deployAndWait(
  mh: ModelHosting,
  namespace: string,
  name: string,
  spec: object,
  until: (d: any) => boolean = isReady,
  timeoutMs?: number,
) {
  assertStatus(
    await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({ cluster: 'local', namespace, name, spec }),
    201,
  );
  return waitForDeployment(mh, namespace, name, until, timeoutMs);
}

/** For set-up outside tests (where `expect` may not be used): the answer had this status, or throws saying what it was. */
export function assertStatus(res: request.Response, status: number) {
  if (res.status !== status) {
    throw new Error(
      `expected HTTP ${status}, got ${res.status}: ${JSON.stringify(
        res.body,
      ).slice(0, 500)}`,
    );
  }
  return res;
}
