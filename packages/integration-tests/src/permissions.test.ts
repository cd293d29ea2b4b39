import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  assertStatus,
  ModelHosting,
  path,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { CustomObjectsApi } from '@kubernetes/client-node';
import fs from 'fs';
import os from 'os';
import nodePath from 'path';
import { adminKubeConfig, useNamespace } from './kube';

// Each team's deployment serves its own model: one gateway id, one owner.
const spec = (owner: string, model = 'iris') => ({
  owner,
  engine: 'http',
  model: { name: model },
  replicas: 1,
});

// What a policy answers for the model-hosting permissions.
const denyAll = mockServices.permissions.mock({
  authorize: async requests =>
    requests.map(() => ({ result: AuthorizeResult.DENY })),
  authorizeConditional: async requests =>
    requests.map(() => ({ result: AuthorizeResult.DENY })),
}).factory;

const ownersOnly = mockServices.permissions.mock({
  authorize: async requests =>
    requests.map(() => ({ result: AuthorizeResult.ALLOW })),
  authorizeConditional: async requests =>
    requests.map(() => ({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['user:default/mock', 'group:default/ml-platform'] },
      },
    })),
}).factory;

describe('permissions', () => {
  const ns = useNamespace('perm');

  // Set-up with everything allowed: one deployment per owner.
  beforeAll(async () => {
    const admin = await startModelHosting();
    for (const [name, owner, model] of [
      ['ours', 'group:default/ml-platform', 'iris'],
      ['theirs', 'group:default/data-science', 'iris-theirs'],
    ]) {
      assertStatus(
        await admin
          .api()
          .post('/api/model-hosting/deployments')
          .send({
            cluster: 'local',
            namespace: ns(),
            name,
            spec: spec(owner, model),
          }),
        201,
      );
      await waitForDeployment(
        admin,
        ns(),
        name,
        d => d.summary.phase === 'Ready',
      );
    }
    await admin.stop();
  });

  describe('when the policy denies everything', () => {
    let mh: ModelHosting;
    let stopped = false;
    // A database file, so that the audit can be read afterwards by someone allowed to.
    const sqliteDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mh-perm-'));
    beforeAll(async () => {
      mh = await startModelHosting({ permissions: denyAll, sqliteDir });
    });
    afterAll(async () => {
      if (!stopped) await mh?.stop();
    });

    it.each([
      [
        'deploy',
        () =>
          mh
            .api()
            .post('/api/model-hosting/deployments')
            .send({
              cluster: 'local',
              namespace: ns(),
              name: 'new-one',
              spec: spec('group:default/ml-platform'),
            }),
        /You may not deploy models/,
      ],
      [
        'scale',
        () => mh.api().post(path(ns(), 'ours', 'scale')).send({ replicas: 2 }),
        /You may not scale .*\/ours on cluster local/,
      ],
      [
        'switch',
        () =>
          mh
            .api()
            .post(path(ns(), 'ours', 'switch'))
            .send({ model: { name: 'other' } }),
        /You may not switch the model of/,
      ],
      [
        'restart',
        () => mh.api().post(path(ns(), 'ours', 'restart')),
        /You may not restart/,
      ],
      [
        'delete',
        () => mh.api().delete(path(ns(), 'ours')),
        /You may not delete/,
      ],
    ])('%s is a 403 and changes nothing', async (_action, call, message) => {
      const before = (await startedAdminView(ns())).map(d =>
        JSON.stringify([
          d.metadata.name,
          d.metadata.generation,
          d.metadata.annotations,
        ]),
      );
      const res = await call();
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(message);
      const after = (await startedAdminView(ns())).map(d =>
        JSON.stringify([
          d.metadata.name,
          d.metadata.generation,
          d.metadata.annotations,
        ]),
      );
      expect(after).toEqual(before);
    });

    it('hides every deployment from the fleet, paged or not, and refuses the detail', async () => {
      const fleet = await mh.api().get('/api/model-hosting/deployments');
      expect(fleet.body.items).toEqual([]);
      expect((await mh.api().get(path(ns(), 'ours'))).status).toBe(403);
      // A page of the fleet counts and names none of them either (no total, no filter values).
      const page = await mh
        .api()
        .get('/api/model-hosting/deployments?limit=20&q=ours&facets=true');
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({
        items: [],
        total: 0,
        facets: { cluster: [], engine: [], model: [], phase: [], owner: [] },
      });
    });

    it('refuses to invoke a model through the gateway, and lists none', async () => {
      const res = await mh
        .api()
        .post('/api/model-hosting/v1/chat/completions')
        .send({
          model: `${ns()}/iris`,
          messages: [{ role: 'user', content: 'hi' }],
        });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        `You may not invoke the model '${ns()}/iris'`,
      );
      expect(
        (await mh.api().get('/api/model-hosting/v1/models')).body.data,
      ).toEqual([]);
    });

    it('audits the refusals (which only those who may read the deployment see)', async () => {
      const audit = `/api/model-hosting/audit?namespace=${ns()}&name=ours`;
      expect((await mh.api().get(audit)).body.items).toEqual([]);
      await mh.stop();
      stopped = true;
      const reader = await startModelHosting({ sqliteDir });
      try {
        const res = await reader.api().get(audit);
        expect(
          res.body.items.map((i: any) => `${i.action}:${i.outcome}`),
        ).toEqual(
          expect.arrayContaining([
            'scale:denied',
            'switch:denied',
            'restart:denied',
            'delete:denied',
          ]),
        );
      } finally {
        await reader.stop();
      }
    });
  });

  describe('when only owners may change their deployments', () => {
    let mh: ModelHosting;
    beforeAll(async () => {
      mh = await startModelHosting({ permissions: ownersOnly });
    });
    afterAll(async () => mh?.stop());

    it('lets the owning group scale its deployment', async () => {
      const res = await mh
        .api()
        .post(path(ns(), 'ours', 'scale'))
        .send({ replicas: 2 });
      expect(res.status).toBe(200);
      await waitForDeployment(
        mh,
        ns(),
        'ours',
        d => d.summary.readyReplicas === 2,
      );
    });

    it("refuses another team's deployment", async () => {
      const res = await mh
        .api()
        .post(path(ns(), 'theirs', 'scale'))
        .send({ replicas: 2 });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/You may not scale .*\/theirs/);
      expect((await mh.api().delete(path(ns(), 'theirs'))).status).toBe(403);
    });
  });
});

/** The ModelDeployments as the API server has them, read with the admin credentials. */
async function startedAdminView(namespace: string): Promise<any[]> {
  const list = await adminKubeConfig()
    .makeApiClient(CustomObjectsApi)
    .listNamespacedCustomObject({
      group: 'modelhosting.io',
      version: 'v1alpha1',
      plural: 'modeldeployments',
      namespace,
    });
  return (list.items as any[]).sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );
}
