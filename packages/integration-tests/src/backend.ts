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

export interface StartOptions {
  /** Replaces the permissions service (allow-all by default). */
  permissions?: ServiceFactory;
  /** Extra configuration merged over the test cluster's. */
  config?: Record<string, unknown>;
  reconcile?: boolean;
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
          // Health checks (and their auto-recovery restarts) only where a test asks for them:
          // no model server answers under kwok.
          modelHosting: {
            reconciler: {
              enabled: options.reconcile ?? true,
              leaseDurationSeconds: 3,
            },
            requestTimeoutSeconds: 5,
            health: { enabled: false },
          },
          ...(options.sqliteDir
            ? {
                backend: {
                  database: {
                    client: 'better-sqlite3',
                    connection: { directory: options.sqliteDir },
                  },
                },
              }
            : {}),
          ...options.config,
        },
      }),
      ...(options.sqliteDir ? [databaseServiceFactory] : []),
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
