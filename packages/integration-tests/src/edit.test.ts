// Edit (issue 15): every field set at deploy time can be changed; the dry run says what would
// change in the spec and in the cluster and writes nothing; applying it changes exactly that, as
// the reconciler writes it to the real API server.
import {
  deployAndWait,
  ModelHosting,
  path as apiPath,
  startModelHosting,
} from './backend';
import { eventually, kubectl, useNamespace } from './kube';

const KINDS = ['ConfigMap', 'Service', 'Deployment', 'HorizontalPodAutoscaler'];

/** What the reconciler owns for a deployment, by kind: the parts it writes (not status). */
function children(namespace: string, name: string) {
  const out: Record<string, any> = {};
  for (const kind of KINDS) {
    const found = JSON.parse(
      kubectl(
        'get',
        kind,
        '-n',
        namespace,
        '-l',
        `app.kubernetes.io/instance=${name}`,
        '-o',
        'json',
      ),
    ).items;
    for (const o of found) {
      out[`${kind}/${o.metadata.name}`] = {
        metadata: {
          labels: o.metadata.labels,
          annotations: o.metadata.annotations,
        },
        spec: o.spec,
        data: o.data,
      };
    }
  }
  return out;
}

/** The value at a dotted path whose keys may hold dots themselves (annotation names). */
function at(obj: any, path: string): unknown {
  if (path === '') return obj;
  if (!obj || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj)
    .filter(k => path === k || path.startsWith(`${k}.`))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined
    ? undefined
    : at(obj[key], path.slice(key.length + 1));
}

describe('edit: the dry run shows what applying it changes', () => {
  const ns = useNamespace('edit');
  let mh: ModelHosting;
  const edit = (spec: object, dryRun: boolean) =>
    mh
      .api()
      .patch(`${apiPath(ns(), 'iris')}?dryRun=${dryRun}`)
      .send({ spec });

  beforeAll(async () => {
    mh = await startModelHosting();
    await deployAndWait(mh, ns(), 'iris', {
      owner: 'group:default/ml-platform',
      engine: 'http',
      model: { name: 'iris', version: 'v1' },
      resources: { cpu: '500m', memory: '512Mi' },
      replicas: 1,
    });
  });
  afterAll(async () => mh?.stop());

  const container = () =>
    children(ns(), 'iris')[`Deployment/iris`].spec.template.spec.containers[0];

  it.each<[string, object, () => void]>([
    [
      'resources',
      { resources: { cpu: '750m', memory: '768Mi' } },
      () =>
        expect(container().resources.requests).toEqual({
          cpu: '750m',
          memory: '768Mi',
        }),
    ],
    [
      'engine args',
      { engineArgs: ['--workers', '2'] },
      () =>
        expect(container().args).toEqual(
          expect.arrayContaining(['--workers', '2']),
        ),
    ],
    [
      'env',
      { env: [{ name: 'LOG_LEVEL', value: 'debug' }] },
      () =>
        expect(container().env).toEqual(
          expect.arrayContaining([{ name: 'LOG_LEVEL', value: 'debug' }]),
        ),
    ],
    [
      'probes',
      { probes: { readiness: { periodSeconds: 7, failureThreshold: 4 } } },
      () =>
        expect(container().readinessProbe).toMatchObject({
          periodSeconds: 7,
          failureThreshold: 4,
        }),
    ],
    [
      'the model version',
      { model: { name: 'iris', version: 'v2' } },
      () =>
        expect(
          children(ns(), 'iris')['ConfigMap/iris-config']?.data ??
            Object.entries(children(ns(), 'iris')).find(([k]) =>
              k.startsWith('ConfigMap/'),
            )?.[1].data,
        ).toMatchObject({ MODEL_VERSION: 'v2' }),
    ],
    [
      'autoscaling (an HPA appears)',
      {
        autoscaling: {
          enabled: true,
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'cpu', target: 70 }],
        },
      },
      () =>
        expect(
          children(ns(), 'iris')['HorizontalPodAutoscaler/iris'].spec,
        ).toMatchObject({ minReplicas: 1, maxReplicas: 3 }),
    ],
    [
      'autoscaling off and two replicas (the HPA goes)',
      { autoscaling: { enabled: false, maxReplicas: 3 }, replicas: 2 },
      () => {
        expect(
          children(ns(), 'iris')['HorizontalPodAutoscaler/iris'],
        ).toBeUndefined();
        expect(children(ns(), 'iris')['Deployment/iris'].spec.replicas).toBe(2);
      },
    ],
    [
      'health-check settings (nothing in the cluster)',
      { healthCheck: { intervalSeconds: 45, path: '/health' } },
      () => undefined,
    ],
  ])('%s', async (_what, fields, check) => {
    const before = children(ns(), 'iris');
    const dry = await edit(fields, true);
    expect(dry.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(dry.body.changes.length).toBeGreaterThan(0);
    // Every field of the spec the dry run names is one the edit gave.
    for (const c of dry.body.changes)
      expect(Object.keys(fields)).toContain(c.path.split('.')[0]);
    // Nothing written: neither the spec nor the cluster.
    const spec = (await mh.api().get(apiPath(ns(), 'iris'))).body.resource.spec;
    for (const c of dry.body.changes) expect(at(spec, c.path)).toEqual(c.from);
    expect(children(ns(), 'iris')).toEqual(before);

    const applied = await edit(fields, false);
    expect(applied.status).toBe(200);
    expect(applied.body.changes).toEqual(dry.body.changes);
    expect(applied.body.cluster).toEqual(dry.body.cluster);
    const after = await eventually(async () => {
      const now = children(ns(), 'iris');
      for (const c of dry.body.cluster) {
        const key = `${c.kind}/${c.name}`;
        if (c.change === 'create' && !now[key])
          throw new Error(`${key} not created`);
        if (c.change === 'delete' && now[key])
          throw new Error(`${key} not deleted`);
        if (
          c.change === 'update' &&
          JSON.stringify(now[key]) === JSON.stringify(before[key])
        )
          throw new Error(`${key} not updated`);
      }
      return now;
    }, 30_000);
    check();
    // What the dry run named changed, and nothing it did not name.
    const named = new Set(
      dry.body.cluster.map((c: any) => `${c.kind}/${c.name}`),
    );
    const unnamed = [
      ...new Set([...Object.keys(before), ...Object.keys(after)]),
    ].filter(key => !named.has(key));
    expect(unnamed.map(key => ({ key, object: after[key] }))).toEqual(
      unnamed.map(key => ({ key, object: before[key] })),
    );
    for (const c of dry.body.cluster.filter(
      (x: any) => x.change === 'update',
    )) {
      const key = `${c.kind}/${c.name}`;
      expect(
        c.paths.some(
          (p: string) =>
            JSON.stringify(at(after[key], p)) !==
            JSON.stringify(at(before[key], p)),
        ),
      ).toBe(true);
    }
    const spec2 = (await mh.api().get(apiPath(ns(), 'iris'))).body.resource
      .spec;
    for (const c of dry.body.changes) expect(at(spec2, c.path)).toEqual(c.to);
  });

  it('removes an optional field given as null (the image back to the engine default)', async () => {
    const original: string = container().image;
    // Another tag of the engine's image: what the default guardrails allow.
    const custom = `${original.replace(/:[^:/]+$/, '')}:edit-test`;
    const set = await edit({ image: custom }, false);
    expect(set.status).toBe(200);
    await eventually(
      async () => expect(container().image).toBe(custom),
      30_000,
    );
    const removed = await edit({ image: null }, false);
    expect(removed.status).toBe(200);
    expect(removed.body.changes).toEqual([{ path: 'image', from: custom }]);
    await eventually(
      async () => expect(container().image).toBe(original),
      30_000,
    );
  });

  it('refuses to remove a required field, and writes nothing', async () => {
    const before = (await mh.api().get(apiPath(ns(), 'iris'))).body.resource
      .spec;
    const res = await edit({ model: null }, false);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/model/);
    expect(
      (await mh.api().get(apiPath(ns(), 'iris'))).body.resource.spec,
    ).toEqual(before);
  });
});
