// One team against another in a namespace opened to both, services and admins, through the real
// policy with real sign-in; and the honest flows of a team on its own deployment.
import { eventually, useNamespace } from '../kube';
import {
  DS,
  expectRefused,
  MH,
  ML,
  one,
  pluginTables,
  deployed,
  Portal,
  ready,
  SERVICE_TOKENS,
  Session,
  specOf,
  startPortal,
} from './portal';

const SECRET_VALUE = 'alice-literal-value-7f3a';

describe('security: other teams, services and admins', () => {
  const shared = useNamespace('sec-x-shared'); // opened to ml-platform and data-science
  const nsMl = useNamespace('sec-x-ml', { owners: [ML] });
  let portal: Portal;
  let alice: Session;
  let bob: Session;
  let admin: Session;

  const deploy = (
    who: Session,
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ) =>
    who.post(`${MH}/deployments`, { cluster: 'local', namespace, name, spec });

  beforeAll(async () => {
    portal = await startPortal();
    [alice, bob, admin] = await Promise.all(
      ['alice', 'bob', 'admin'].map(n => portal.as(n)),
    );
    // alice's team's model server, holding a GPU, with a literal env value; and bob's.
    await deployed(alice, shared(), 'chat', {
      ...specOf(ML),
      resources: { gpu: { count: 1 } },
      env: [{ name: 'API_KEY', value: SECRET_VALUE }],
    });
    await deployed(bob, shared(), 'iris', {
      ...specOf(DS),
      resources: { gpu: { count: 1 } },
    });
    await ready(admin, shared(), 'chat');
    await ready(admin, shared(), 'iris');
  });
  afterAll(async () => portal?.stop());

  const refusedAction = (
    action: 'scale' | 'switch' | 'restart' | 'delete',
    message: string,
  ) => ({
    status: 403,
    message,
    namespaces: [shared()],
    audit: {
      actor: 'user:default/bob',
      action,
      outcome: 'denied' as const,
    },
  });

  it("attack: scale another team's deployment → 403", async () => {
    await expectRefused(
      portal,
      () => bob.post(one(shared(), 'chat', 'scale'), { replicas: 0 }),
      refusedAction(
        'scale',
        `You may not scale ${shared()}/chat on cluster local`,
      ),
    );
  });

  it("attack: switch the model of another team's deployment → 403", async () => {
    await expectRefused(
      portal,
      () =>
        bob.post(one(shared(), 'chat', 'switch'), {
          model: { name: 'attacker/backdoored-model' },
        }),
      refusedAction(
        'switch',
        `You may not switch the model of ${shared()}/chat on cluster local`,
      ),
    );
  });

  it("attack: restart another team's deployment → 403", async () => {
    await expectRefused(
      portal,
      () => bob.post(one(shared(), 'chat', 'restart')),
      refusedAction(
        'restart',
        `You may not restart ${shared()}/chat on cluster local`,
      ),
    );
  });

  it("attack: delete another team's deployment → 403", async () => {
    await expectRefused(
      portal,
      () => bob.delete(one(shared(), 'chat')),
      refusedAction(
        'delete',
        `You may not delete ${shared()}/chat on cluster local`,
      ),
    );
  });

  it("attack: take over another team's deployment by deploying its name with one's own owner → 409", async () => {
    await expectRefused(
      portal,
      () => deploy(bob, shared(), 'chat', specOf(DS)),
      {
        status: 409,
        message: `ModelDeployment ${shared()}/chat already exists on cluster local with a different spec`,
        namespaces: [shared()],
        audit: {
          actor: 'user:default/bob',
          action: 'deploy',
          outcome: 'rejected',
        },
      },
    );
  });

  it("attack: read another team's env values (detail, fleet, resources) → only '(hidden)'", async () => {
    const detail = await bob.get(one(shared(), 'chat'));
    expect(detail.status).toBe(200);
    expect(detail.body.resource.spec.env).toEqual([
      { name: 'API_KEY', value: '(hidden)' },
    ]);
    for (const p of [
      one(shared(), 'chat'),
      `${MH}/deployments`,
      `${MH}/resources`,
    ]) {
      const res = await bob.get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      expect(res.text).not.toContain(SECRET_VALUE);
    }
    // The owners and the admins see the value.
    for (const who of [alice, admin]) {
      expect(
        (await who.get(one(shared(), 'chat'))).body.resource.spec.env,
      ).toEqual([{ name: 'API_KEY', value: SECRET_VALUE }]);
    }
  });

  it("attack: read another team's audit records → none of them", async () => {
    const theirs = await bob.get(
      `${MH}/audit?cluster=local&namespace=${shared()}&name=chat`,
    );
    // Only what bob did himself (his refused take-over above), nothing of alice's team.
    expect(theirs.status).toBe(200);
    expect(
      theirs.body.items.filter((r: any) => r.actor !== 'user:default/bob'),
    ).toEqual([]);
    const all = await bob.get(`${MH}/audit?limit=1000`);
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(0); // his own
    expect(
      all.body.items.filter(
        (r: any) => r.owner !== DS || r.actor === 'user:default/alice',
      ),
    ).toEqual([]);
    expect(
      all.body.items.filter((r: any) => r.actor === 'user:default/alice'),
    ).toEqual([]);
    // alice sees her team's, admins see all.
    const mine = await alice.get(
      `${MH}/audit?cluster=local&namespace=${shared()}&name=chat`,
    );
    expect(mine.body.items.map((r: any) => r.action)).toContain('deploy');
    expect(
      (await admin.get(`${MH}/audit?namespace=${shared()}&name=chat`)).body
        .items.length,
    ).toBeGreaterThan(mine.body.items.length);
  });

  it('the audit log never stores env values: not in answers, not in the database file', async () => {
    const records = (
      await admin.get(`${MH}/audit?namespace=${shared()}&name=chat`)
    ).body.items;
    const deployRecord = records.find(
      (r: any) =>
        r.action === 'deploy' &&
        r.actor === 'user:default/alice' &&
        r.outcome === 'succeeded',
    );
    expect(deployRecord.input.spec.env).toEqual([
      { name: 'API_KEY', value: '(hidden)' },
    ]);
    const rows = pluginTables(portal).auditAfter(0);
    expect(JSON.stringify(rows)).not.toContain(SECRET_VALUE);
  });

  it("attack: read another team's pods on the GPU page (/capacity) → counts only, no names", async () => {
    const alicePods = (await admin.get(one(shared(), 'chat'))).body.pods.map(
      (p: any) => p.name,
    );
    expect(alicePods.length).toBeGreaterThan(0);
    const res = await bob.get(`${MH}/capacity`);
    expect(res.status).toBe(200);
    for (const pod of alicePods) expect(res.text).not.toContain(pod);
    const holders = res.body.clusters
      .flatMap((c: any) => c.nodes)
      .flatMap((n: any) => n.holders);
    expect(holders.filter((h: any) => h.otherTeams)).not.toEqual([]);
    for (const h of holders.filter((x: any) => x.otherTeams)) {
      expect(h).toMatchObject({ pod: '', namespace: '' });
      expect(h.deployment).toBeUndefined();
    }
    // His own pod keeps its name.
    expect(
      holders.some(
        (h: any) =>
          h.deployment?.name === 'iris' && h.deployment?.namespace === shared(),
      ),
    ).toBe(true);
    // alice sees hers by name.
    expect((await alice.get(`${MH}/capacity`)).text).toContain(alicePods[0]);
  });

  it('attack: a program with a read-only static token deploys → 403 serviceWriters', async () => {
    const ci = portal.service(SERVICE_TOKENS.restricted);
    await expectRefused(
      portal,
      () => deploy(ci, shared(), 'from-ci', specOf(DS)),
      {
        status: 403,
        message:
          /^Refused by serviceWriters: service:ci-models may not change model servers; only signed-in users, plugins acting for them and the services in modelHosting.tenancy.serviceWriters may$/,
        namespaces: [shared()],
        audit: {
          actor: 'service:ci-models',
          action: 'deploy',
          outcome: 'denied',
        },
      },
    );
  });

  it('attack: a program whose token has no access restrictions deletes and scales a deployment → 403 serviceWriters', async () => {
    const ci = portal.service(SERVICE_TOKENS.unrestricted);
    for (const [action, call] of [
      ['delete', () => ci.delete(one(shared(), 'chat'))],
      ['scale', () => ci.post(one(shared(), 'chat', 'scale'), { replicas: 3 })],
    ] as const) {
      await expectRefused(portal, call, {
        status: 403,
        message:
          /^Refused by serviceWriters: service:ci-unrestricted may not change model servers/,
        namespaces: [shared()],
        audit: {
          actor: 'service:ci-unrestricted',
          action,
          outcome: 'denied',
        },
      });
    }
  });

  it('attack: a read-only program reads the audit log → nothing (audit.read is not among its permissions)', async () => {
    const ci = portal.service(SERVICE_TOKENS.restricted);
    const res = await ci.get(`${MH}/audit`);
    expect({ status: res.status, items: res.body.items }).toEqual({
      status: 200,
      items: [],
    });
  });

  it("lets an admin change any team's deployment (model-hosting policy: admins allowed)", async () => {
    const res = await admin.post(one(shared(), 'iris', 'restart'));
    expect(res.status).toBe(202);
  });

  it('honest flows through the same policy: alice deploys for her team, scales, switches, restarts and deletes', async () => {
    const ns = nsMl();
    const created = await deployed(alice, ns, 'own', specOf(ML));
    expect(created.body.spec.owner).toBe(ML);
    await ready(alice, ns, 'own');
    const scaled = await alice.post(one(ns, 'own', 'scale'), { replicas: 2 });
    expect({ status: scaled.status, body: scaled.body }).toEqual({
      status: 200,
      body: { replicas: 2 },
    });
    const switched = await alice.post(one(ns, 'own', 'switch'), {
      model: { name: 'iris-v2' },
    });
    expect({ status: switched.status, body: switched.body }).toEqual({
      status: 202,
      body: { from: 'iris', to: 'iris-v2' },
    });
    const restarted = await alice.post(one(ns, 'own', 'restart'));
    expect(restarted.status).toBe(202);
    await eventually(async () => {
      const d = await alice.get(one(ns, 'own'));
      if (d.body.resource.spec.replicas !== 2) throw new Error('not scaled');
      if (d.body.summary?.phase !== 'Ready')
        throw new Error(JSON.stringify(d.body.summary));
    }, 90_000);
    const deleted = await alice.delete(one(ns, 'own'));
    expect({ status: deleted.status, body: deleted.body }).toEqual({
      status: 200,
      body: { deleted: true },
    });
    const audit = await alice.get(`${MH}/audit?namespace=${ns}&name=own`);
    expect(
      audit.body.items.map((r: any) => `${r.action} ${r.outcome}`).reverse(),
    ).toEqual(
      expect.arrayContaining([
        'deploy succeeded',
        'scale succeeded',
        'switch succeeded',
        'restart succeeded',
        'delete succeeded',
      ]),
    );
  });
});
