// The portal as production runs it, in-process, against the real test cluster: Backstage's own
// auth (oauth2-proxy sign-in resolved against catalog/org.yaml), the real permission backend with
// the portal policy of packages/backend, the catalog, the Kubernetes plugin and model hosting,
// with the real auth, httpAuth, userInfo and permissions services. Nothing here decides for the
// code under test: people sign in with the headers oauth2-proxy sets and use the Backstage token
// they get, as a browser session does.
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import Database from 'better-sqlite3';
import request from 'supertest';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { auditorServiceFactory } from '@backstage/backend-defaults/auditor';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { permissionsRegistryServiceFactory } from '@backstage/backend-defaults/permissionsRegistry';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import authPlugin from '@backstage/plugin-auth-backend';
import oauth2ProxyProvider from '@backstage/plugin-auth-backend-module-oauth2-proxy-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import modelHostingPlugin from '@modelhosting/backstage-plugin-model-hosting-backend';
import catalogModelHostingModule from '@modelhosting/backstage-plugin-catalog-backend-module-model-hosting';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObject,
} from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
// The portal's real policy module, as packages/backend/src/index.ts adds it.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import portalPolicyModule from 'backend/src/permissionPolicy';
import { testAppConfig } from '../backend';
import { adminKubeConfig, eventually, repo } from '../kube';

/** Static tokens of programs, as an admin configures them (backend.auth.externalAccess). */
export const SERVICE_TOKENS = {
  /** Read and invoke only, as app-config.production.yaml recommends. */
  restricted: 'sec-ci-models-token-0123456789',
  /** No accessRestrictions at all: a misconfigured program (model hosting still refuses its writes). */
  unrestricted: 'sec-ci-unrestricted-token-0123456789',
};

/** The shipped production sign-in and policy configuration (app-config.production.yaml). */
function productionConfig() {
  const prod = YAML.parse(
    fs.readFileSync(path.join(repo, 'app-config.production.yaml'), 'utf8'),
  );
  return {
    auth: { providers: { oauth2Proxy: prod.auth.providers.oauth2Proxy } },
    permission: prod.permission,
  };
}

export interface PortalOptions {
  /** Merged into modelHosting (tenancy, guardrails, gateway, health). */
  modelHosting?: Record<string, unknown>;
}

/** Starts the portal; resolves once alice, bob and admin can sign in and the cluster is synced. */
export async function startPortal(options: PortalOptions = {}) {
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-security-'));
  const base = testAppConfig();
  const prod = productionConfig();
  const config = {
    ...base,
    app: { baseUrl: 'http://localhost:3000' },
    backend: {
      baseUrl: 'http://localhost:7007',
      database: {
        client: 'better-sqlite3',
        connection: { directory: sqliteDir },
      },
      auth: {
        externalAccess: [
          {
            type: 'static',
            options: { token: SERVICE_TOKENS.restricted, subject: 'ci-models' },
            accessRestrictions: [
              {
                plugin: 'model-hosting',
                permission: [
                  'model-hosting.deployment.read',
                  'model-hosting.model.invoke',
                ],
              },
            ],
          },
          {
            type: 'static',
            options: {
              token: SERVICE_TOKENS.unrestricted,
              subject: 'ci-unrestricted',
            },
          },
        ],
      },
    },
    auth: { environment: 'development', ...prod.auth },
    permission: prod.permission,
    catalog: {
      rules: [
        {
          allow: [
            'Component',
            'System',
            'API',
            'Resource',
            'Location',
            'Group',
            'User',
          ],
        },
      ],
      locations: [
        { type: 'file', target: path.join(repo, 'catalog/org.yaml') },
      ],
    },
    kubernetes: {
      ...base.kubernetes,
      serviceLocatorMethod: { type: 'multiTenant' },
    },
    modelHosting: {
      reconciler: { enabled: true, leaseDurationSeconds: 3 },
      requestTimeoutSeconds: 5,
      health: { enabled: false },
      catalog: { resyncMinutes: 60 },
      ...options.modelHosting,
    },
  };
  const backend = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({ data: config }),
      // The real services: tokens are issued and verified, decisions come from the policy.
      authServiceFactory,
      httpAuthServiceFactory,
      userInfoServiceFactory,
      permissionsServiceFactory,
      permissionsRegistryServiceFactory,
      auditorServiceFactory,
      databaseServiceFactory,
      schedulerServiceFactory,
      authPlugin,
      oauth2ProxyProvider,
      catalogPlugin,
      catalogModelHostingModule,
      permissionPlugin,
      portalPolicyModule,
      kubernetesPlugin,
      modelHostingPlugin,
    ],
  });
  const api = () => request(backend.server);
  const portal = {
    backend,
    api,
    sqliteDir,
    stop: async () => {
      await backend.stop();
      fs.rmSync(sqliteDir, { recursive: true, force: true });
    },
    /** Signs in as oauth2-proxy would present the person: its headers on the refresh call. */
    signIn: (name: string, extraHeaders: Record<string, string> = {}) =>
      api()
        .get('/api/auth/oauth2Proxy/refresh')
        .set('X-Forwarded-User', name)
        .set('X-Forwarded-Email', `${name}@example.com`)
        .set(extraHeaders),
    /** A signed-in session: every call carries the person's Backstage token. */
    as: async (name: string) => {
      const res = await eventually(async () => {
        const r = await portal.signIn(name);
        if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
        return r;
      }, 60_000);
      return session(api, res.body.backstageIdentity.token);
    },
    /** A program with a static token. */
    service: (token: string) => session(api, token),
    /** Nobody: no Authorization header. */
    anonymous: () => session(api),
  };
  // The users are in the catalog once alice can sign in; the watch caches once the fleet says so.
  const admin = await portal.as('admin');
  await eventually(async () => {
    const res = await admin.get('/api/model-hosting/deployments');
    if (!res.body.clusters?.find((c: any) => c.name === 'local')?.reachable)
      throw new Error(JSON.stringify(res.body));
  }, 30_000);
  return portal;
}

export type Portal = Awaited<ReturnType<typeof startPortal>>;

export type Session = ReturnType<typeof session>;

function session(api: () => request.SuperTest<request.Test>, token?: string) {
  const auth = (t: request.Test) =>
    token ? t.set('Authorization', `Bearer ${token}`) : t;
  return {
    token,
    get: (p: string) => auth(api().get(p)),
    post: (p: string, body?: unknown) =>
      body === undefined
        ? auth(api().post(p))
        : auth(api().post(p)).send(body as object),
    delete: (p: string) => auth(api().delete(p)),
    /** A raw request: any method, body and headers. */
    raw: (method: 'get' | 'post' | 'put' | 'delete' | 'patch', p: string) =>
      auth(api()[method](p)),
  };
}

export const MH = '/api/model-hosting';
export const one = (namespace: string, name: string, action = '') =>
  `${MH}/deployments/local/${namespace}/${name}${action ? `/${action}` : ''}`;

/** Deploys through the REST API, retrying until the new namespace is in the backend's cache. */
export function deployed(
  who: Session,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
) {
  return eventually(async () => {
    const res = await who.post(`${MH}/deployments`, {
      cluster: 'local',
      namespace,
      name,
      spec,
    });
    if (res.status !== 201) throw new Error(`${res.status} ${res.text}`);
    return res;
  });
}

/** Waits until the deployment's phase is Ready, as `who` sees it. */
export function ready(
  who: Session,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
) {
  return eventually(async () => {
    const res = await who.get(one(namespace, name));
    if (res.body.summary?.phase !== 'Ready')
      throw new Error(JSON.stringify(res.body.summary ?? res.body));
    return res.body;
  }, timeoutMs);
}

/** A ModelDeployment spec, with changes. */
export function specOf(
  owner: string,
  changes: Record<string, unknown> = {},
): Record<string, any> {
  return {
    owner,
    engine: 'http',
    model: { name: 'iris' },
    replicas: 1,
    ...changes,
  };
}

export const ML = 'group:default/ml-platform';
export const DS = 'group:default/data-science';

// ---------------------------------------------------------------------------------------------
// What an attack may not change: the objects in the namespaces it touched, and the tables.

const stable = (o: KubernetesObject & { spec?: unknown; data?: unknown }) => ({
  labels: o.metadata?.labels,
  annotations: o.metadata?.annotations,
  ownerReferences: o.metadata?.ownerReferences,
  generation: o.metadata?.generation,
  spec: o.spec,
  data: o.data,
});

/** ModelDeployments, Deployments, Services, ConfigMaps and HPAs of these namespaces (status aside). */
export async function clusterState(namespaces: string[]) {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const hpa = kc.makeApiClient(AutoscalingV2Api);
  const state: Record<string, unknown> = {};
  for (const namespace of namespaces) {
    const lists: Array<[string, Promise<{ items: any[] }>]> = [
      [
        'ModelDeployment',
        custom.listNamespacedCustomObject({
          group: MODEL_DEPLOYMENT.group,
          version: MODEL_DEPLOYMENT.version,
          plural: MODEL_DEPLOYMENT.plural,
          namespace,
        }),
      ],
      ['Deployment', apps.listNamespacedDeployment({ namespace })],
      ['Service', core.listNamespacedService({ namespace })],
      ['ConfigMap', core.listNamespacedConfigMap({ namespace })],
      [
        'HorizontalPodAutoscaler',
        hpa.listNamespacedHorizontalPodAutoscaler({ namespace }),
      ],
    ];
    for (const [kind, list] of lists) {
      for (const item of (await list).items) {
        state[`${kind} ${namespace}/${item.metadata.name}`] = stable(item);
      }
    }
  }
  return state;
}

/** The plugin's tables in its SQLite file, read as any other reader would. */
export function pluginTables(portal: Portal) {
  const file = path.join(portal.sqliteDir, 'model-hosting.sqlite');
  const open = () =>
    new Database(file, { readonly: true, fileMustExist: true });
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = open();
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  return {
    lastAuditId: () =>
      query<{ id: number | null }>(
        'select max(id) as id from model_hosting_audit_log',
      )[0].id ?? 0,
    auditAfter: (id: number) =>
      query<any>(
        'select * from model_hosting_audit_log where id > ? order by id',
        id,
      ).map(r => ({ ...r, input: JSON.parse(r.input) })),
    usage: () =>
      query<any>(
        `select namespace, name, model, resolution, sum(requests) as requests, sum(errors) as errors,
          sum(prompt_tokens) as prompt_tokens, sum(generation_tokens) as generation_tokens
         from model_hosting_usage group by namespace, name, model, resolution order by 1, 2, 3, 4`,
      ),
    engineCounters: () =>
      query<any>('select * from model_hosting_engine_counters order by 1'),
    healthChecks: () =>
      query<{ n: number }>(
        'select count(*) as n from model_hosting_health_checks',
      )[0].n,
  };
}

export interface Refusal {
  /** The attack, as the README's Security table names it. */
  status: number;
  message: RegExp | string;
  /** The namespaces whose objects must stay as they were. */
  namespaces: string[];
  /** The one audit record the refusal leaves (none when the request never reached an action). */
  audit?: { actor: string; action: string; outcome: 'denied' | 'rejected' };
  /** Wait for the gateway's usage buffer (written every 2 s) before comparing usage. */
  usage?: boolean;
}

/** The message of a Backstage error answer. */
export const messageOf = (res: request.Response) =>
  res.body?.error?.message ?? res.text;

/**
 * Runs an attack and checks its refusal: the status and message, nothing changed in the cluster,
 * and in the plugin's tables nothing beyond the one refusal record.
 */
export async function expectRefused(
  portal: Portal,
  attack: () => PromiseLike<request.Response>,
  expected: Refusal,
) {
  const tables = pluginTables(portal);
  // Requests answered before the attack are metered within 2 s: let them land first.
  if (expected.usage) await new Promise(r => setTimeout(r, 2200));
  const before = await clusterState(expected.namespaces);
  const lastAudit = tables.lastAuditId();
  const usage = tables.usage();
  const counters = tables.engineCounters();
  const res = await attack();
  expect({ status: res.status, message: messageOf(res) }).toEqual({
    status: expected.status,
    message:
      typeof expected.message === 'string'
        ? expected.message
        : expect.stringMatching(expected.message),
  });
  // Give a write the action might have started, or a reconcile it triggered, time to land.
  await new Promise(r => setTimeout(r, expected.usage ? 2500 : 300));
  expect(await clusterState(expected.namespaces)).toEqual(before);
  const records = tables.auditAfter(lastAudit);
  if (expected.audit) {
    expect(
      records.map(r => ({
        actor: r.actor,
        action: r.action,
        outcome: r.outcome,
        message: r.message,
      })),
    ).toEqual([{ ...expected.audit, message: messageOf(res) }]);
  } else {
    expect(records).toEqual([]);
  }
  expect(tables.usage()).toEqual(usage);
  expect(tables.engineCounters()).toEqual(counters);
  return res;
}
