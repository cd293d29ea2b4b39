import { CustomObjectsApi } from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  assertStatus,
  ModelHosting,
  path,
  startModelHosting,
  testAppConfig,
  waitForDeployment,
} from './backend';
import { adminKubeConfig, useNamespace } from './kube';

const listNames = async (namespace: string) =>
  (
    (
      await adminKubeConfig()
        .makeApiClient(CustomObjectsApi)
        .listNamespacedCustomObject({
          group: MODEL_DEPLOYMENT.group,
          version: MODEL_DEPLOYMENT.version,
          plural: MODEL_DEPLOYMENT.plural,
          namespace,
        })
    ).items as any[]
  ).map(i => i.metadata.name);

const spec = {
  owner: 'group:default/ml-platform',
  engine: 'vllm',
  model: { name: 'm' },
  resources: { gpu: { count: 1, product: 'NVIDIA-A100-SXM4-80GB' } },
  replicas: 1,
};

describe('bad input gets a precise 400 and changes nothing', () => {
  const ns = useNamespace('bad-input');
  let mh: ModelHosting;
  beforeAll(async () => {
    mh = await startModelHosting();
    // A deployment to aim the other actions at, autoscaled between 1 and 3.
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name: 'target',
        spec: {
          ...spec,
          autoscaling: {
            enabled: true,
            minReplicas: 1,
            maxReplicas: 3,
            metrics: [{ type: 'cpu', target: 70 }],
          },
        },
      });
    assertStatus(res, 201);
    await waitForDeployment(
      mh,
      ns(),
      'target',
      d => d.summary.phase === 'Ready',
    );
  });
  afterAll(async () => mh?.stop());

  const body = (change: (b: any) => void) => {
    const b: any = {
      cluster: 'local',
      namespace: 'NS',
      name: 'new-model',
      spec: JSON.parse(JSON.stringify(spec)),
    };
    change(b);
    return b;
  };

  const deploys: Array<[string, any, number, RegExp]> = [
    [
      'an invalid name',
      body(b => (b.name = 'My_Model')),
      400,
      /name 'My_Model' must start with a lowercase letter/,
    ],
    [
      'a name too long for its pods',
      body(b => (b.name = `m${'x'.repeat(60)}`)),
      400,
      /longer than 52 characters/,
    ],
    [
      'negative replicas',
      body(b => (b.spec.replicas = -2)),
      400,
      /spec.replicas must be >= 0/,
    ],
    [
      'a huge replica count',
      body(b => (b.spec.replicas = 10_000)),
      400,
      /spec.replicas must be <= 100/,
    ],
    [
      'replicas of the wrong type',
      body(b => (b.spec.replicas = 'three')),
      400,
      /spec.replicas must be a whole number/,
    ],
    [
      'an unknown engine',
      body(b => (b.spec.engine = 'triton')),
      400,
      /spec.engine 'triton' is not an engine this backend runs; known: vllm, ollama, openai, http/,
    ],
    [
      'more GPUs per replica than any node has',
      body(b => (b.spec.resources.gpu.count = 12)),
      400,
      /No node in cluster 'local' can hold 12 nvidia.com\/gpu per replica; the most on one matching node is 8/,
    ],
    [
      'a GPU product no node has',
      body(b => (b.spec.resources.gpu.product = 'NVIDIA-H200')),
      400,
      /No node in cluster 'local' has GPU product NVIDIA-H200/,
    ],
    [
      'an unknown cluster',
      body(b => (b.cluster = 'mars')),
      400,
      /Unknown cluster 'mars'; configured clusters: local/,
    ],
    [
      'an unknown namespace',
      body(b => (b.namespace = 'no-such-namespace')),
      400,
      /Namespace 'no-such-namespace' does not exist in cluster 'local'/,
    ],
    ['a missing spec', body(b => delete b.spec), 400, /spec is required/],
    [
      'an unknown field',
      body(b => (b.spec.replica = 2)),
      400,
      /spec has an unknown field 'replica'/,
    ],
    [
      'autoscaling min above max (a CEL rule, checked by the API server dry run)',
      body(
        b =>
          (b.spec.autoscaling = {
            enabled: true,
            minReplicas: 4,
            maxReplicas: 2,
          }),
      ),
      400,
      /autoscaling.minReplicas must not exceed autoscaling.maxReplicas/,
    ],
    [
      'scale-to-zero on a CPU HPA (CEL)',
      body(
        b =>
          (b.spec.autoscaling = {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 2,
            scaleToZeroAfterSeconds: 60,
            metrics: [{ type: 'cpu', target: 50 }],
          }),
      ),
      400,
      /scaleToZeroAfterSeconds needs requestsInFlight or queueDepth/,
    ],
  ];

  it.each(deploys)('deploy with %s', async (_label, b, status, message) => {
    const payload = {
      ...b,
      namespace: b.namespace === 'NS' ? ns() : b.namespace,
    };
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send(payload);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(message);
    expect(await listNames(ns())).toEqual(['target']);
  });

  it('a malformed JSON body', async () => {
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .set('Content-Type', 'application/json')
      .send('{"cluster": "local",');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /The request body is not valid JSON/,
    );
  });

  const actions: Array<[string, string, object, number, RegExp]> = [
    [
      'scale below the autoscaler minimum',
      'scale',
      { replicas: 0 },
      400,
      /Autoscaling manages this deployment between 1 and 3 replicas; 0 is outside that range/,
    ],
    [
      'scale above the autoscaler maximum',
      'scale',
      { replicas: 7 },
      400,
      /between 1 and 3 replicas; 7 is outside/,
    ],
    [
      'scale to a fraction',
      'scale',
      { replicas: 1.5 },
      400,
      /replicas must be a whole number/,
    ],
    [
      'scale with no replicas',
      'scale',
      {},
      400,
      /replicas must be a whole number/,
    ],
    [
      'switch to the active model',
      'switch',
      { model: { name: 'm' } },
      400,
      /target already serves m/,
    ],
    [
      'switch with no model',
      'switch',
      { strategy: 'rolling' },
      400,
      /model.name is required/,
    ],
    [
      'switch with an unknown strategy',
      'switch',
      { model: { name: 'other' }, strategy: 'blue-green' },
      400,
      /strategy must be recreate or rolling, not 'blue-green'/,
    ],
    [
      'switch to a model source with an unknown scheme',
      'switch',
      { model: { name: 'other', source: 'ftp://x' } },
      400,
      /spec.model.source must match pattern/,
    ],
  ];

  it.each(actions)('%s', async (_label, action, payload, status, message) => {
    const before = (await mh.api().get(path(ns(), 'target'))).body.resource;
    const res = await mh.api().post(path(ns(), 'target', action)).send(payload);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(message);
    const after = (await mh.api().get(path(ns(), 'target'))).body.resource;
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('an action on a deployment that does not exist is a 404', async () => {
    const res = await mh
      .api()
      .post(path(ns(), 'ghost', 'scale'))
      .send({ replicas: 1 });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /No ModelDeployment .*\/ghost on cluster local/,
    );
  });

  it('records refused input in the audit log', async () => {
    const res = await mh
      .api()
      .get(`/api/model-hosting/audit?namespace=${ns()}&name=target&limit=50`);
    const rejected = res.body.items.filter(
      (i: any) => i.outcome === 'rejected',
    );
    expect(rejected.length).toBeGreaterThanOrEqual(actions.length);
    expect(rejected.map((i: any) => i.message)).toContain(
      'target already serves m',
    );
  });
});

describe('a cluster that is down', () => {
  let mh: ModelHosting;
  beforeAll(async () => {
    // The test cluster plus one whose API server is gone (nothing listens on port 1).
    const config = testAppConfig();
    config.kubernetes.clusterLocatorMethods[0].clusters.push({
      name: 'down',
      url: 'https://127.0.0.1:1',
      authProvider: 'serviceAccount',
      serviceAccountToken: 'x',
      skipTLSVerify: true,
    });
    mh = await startModelHosting({
      config: { kubernetes: config.kubernetes },
    }).catch(e => {
      throw new Error(`backend did not start: ${e}`);
    });
  }, 60_000);
  afterAll(async () => mh?.stop());

  it('answers actions with a clear 503, and the fleet still lists the healthy cluster', async () => {
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({ cluster: 'down', namespace: 'default', name: 'x', spec });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/Cluster 'down' is unreachable/);
    const fleet = await mh.api().get('/api/model-hosting/deployments');
    expect(fleet.status).toBe(200);
    expect(fleet.body.clusters).toEqual([
      { name: 'local', reachable: true, synced: true },
      {
        name: 'down',
        reachable: false,
        synced: false,
        error: expect.stringMatching(/Cluster 'down' is unreachable/),
      },
    ]);
    expect(fleet.body.items.some((i: any) => i.cluster === 'local')).toBe(true);
  });
});
