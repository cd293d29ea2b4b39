import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  ModelHosting,
  path,
  startModelHosting,
  waitForDeployment,
} from './backend';
import {
  adminKubeConfig,
  eventually,
  kubectl,
  useGpuNode,
  useNamespace,
} from './kube';

const deploy = (
  mh: ModelHosting,
  namespace: string,
  name: string,
  spec: object,
) =>
  mh
    .api()
    .post('/api/model-hosting/deployments')
    .send({ cluster: 'local', namespace, name, spec });

const podsOf = async (namespace: string, name: string) =>
  (
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({
        namespace,
        labelSelector: `app.kubernetes.io/instance=${name}`,
      })
  ).items.filter(p => !p.metadata?.deletionTimestamp);

describe('deploy, scale, switch, restart and delete against the real cluster', () => {
  const ns = useNamespace('actions');
  const node = useGpuNode('gpu-switch-test', 'nvidia.com/gpu', 2);
  let mh: ModelHosting;
  beforeAll(async () => {
    mh = await startModelHosting();
  });
  afterAll(async () => mh?.stop());

  it.each([
    [
      'ollama',
      {
        engine: 'ollama',
        model: { name: 'llama3.1:8b' },
        resources: { gpu: { count: 1, product: 'Tesla-T4-SHARED' } },
        gpuSharing: 'timeSliced',
        replicas: 2,
      },
      /^gpu-t4-shared-\d$/,
      { 'nvidia.com/gpu': '1' },
    ],
    [
      'vllm',
      {
        engine: 'vllm',
        model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
        resources: { gpu: { count: 2, product: 'NVIDIA-A100-SXM4-80GB' } },
        replicas: 1,
      },
      /^gpu-a100-\d$/,
      { 'nvidia.com/gpu': '2' },
    ],
    [
      'openai',
      {
        engine: 'openai',
        model: { name: 'bartowski/Qwen2.5-7B-Instruct-GGUF' },
        resources: { gpu: { count: 1, resource: 'nvidia.com/mig-1g.10gb' } },
        replicas: 1,
      },
      /^gpu-a100-mig-0$/,
      { 'nvidia.com/mig-1g.10gb': '1' },
    ],
    [
      'http',
      {
        engine: 'http',
        model: { name: 'iris' },
        resources: { cpu: '500m', memory: '512Mi' },
        replicas: 2,
      },
      /^cpu-0$/,
      { cpu: '500m', memory: '512Mi' },
    ],
  ])(
    'deploys a %s server whose pods run on the right nodes with the right requests',
    async (engine, spec, nodePattern, requests) => {
      const name = `${engine}-server`;
      const res = await deploy(mh, ns(), name, {
        owner: 'group:default/ml-platform',
        ...spec,
      });
      expect(res.status).toBe(201);
      const detail = await waitForDeployment(
        mh,
        ns(),
        name,
        d => d.summary.phase === 'Ready',
      );
      expect(detail.summary.readyReplicas).toBe((spec as any).replicas);
      expect(detail.summary.activeModel).toBe(spec.model.name);
      const pods = await podsOf(ns(), name);
      expect(pods).toHaveLength((spec as any).replicas);
      for (const pod of pods) {
        expect(pod.status?.phase).toBe('Running');
        expect(pod.spec!.nodeName).toMatch(nodePattern);
        expect(pod.spec!.containers[0].resources!.requests).toEqual(requests);
      }
      // The detail view reports the pods with their nodes, and the Service exists.
      expect(
        detail.pods
          .map((p: any) => p.node)
          .every((n: string) => nodePattern.test(n)),
      ).toBe(true);
      await adminKubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedService({ namespace: ns(), name });
    },
  );

  it('repeats an identical deploy as a no-op and refuses a different one for the same name', async () => {
    const spec = {
      owner: 'group:default/ml-platform',
      engine: 'http',
      model: { name: 'iris' },
      resources: { cpu: '500m', memory: '512Mi' },
      replicas: 2,
    };
    expect((await deploy(mh, ns(), 'http-server', spec)).status).toBe(200);
    const changed = await deploy(mh, ns(), 'http-server', {
      ...spec,
      replicas: 3,
    });
    expect(changed.status).toBe(409);
    expect(changed.body.error.message).toMatch(
      /already exists .* with a different spec/,
    );
  });

  it('scales 1 → 3 → 0 through the API and the cluster follows', async () => {
    await deploy(mh, ns(), 'scaler', {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'm' },
      resources: { gpu: { count: 1, product: 'NVIDIA-A100-SXM4-80GB' } },
      replicas: 1,
    });
    await waitForDeployment(
      mh,
      ns(),
      'scaler',
      d => d.summary.phase === 'Ready',
    );
    for (const replicas of [3, 0]) {
      const res = await mh
        .api()
        .post(path(ns(), 'scaler', 'scale'))
        .send({ replicas });
      expect(res.status).toBe(200);
      const d = await waitForDeployment(
        mh,
        ns(),
        'scaler',
        x =>
          x.summary.readyReplicas === replicas &&
          x.resource.status.replicas === replicas,
      );
      expect(d.summary.phase).toBe(replicas === 0 ? 'ScaledToZero' : 'Ready');
      await eventually(async () =>
        expect(await podsOf(ns(), 'scaler')).toHaveLength(replicas),
      );
    }
    const deployment = await adminKubeConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace: ns(), name: 'scaler' });
    expect(deployment.spec!.replicas).toBe(0);
  });

  it('switches with recreate when the GPUs are full and with rolling when one is free', async () => {
    const spec = {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'model-a' },
      resources: { gpu: { count: 1, product: node.product } },
      replicas: 2,
      switching: { strategy: 'rolling' },
    };
    expect((await deploy(mh, ns(), 'switcher', spec)).status).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'switcher',
      d => d.summary.phase === 'Ready',
    );

    // Both GPUs of the test node are taken: rolling cannot start a new pod first.
    let res = await mh
      .api()
      .post(path(ns(), 'switcher', 'switch'))
      .send({ model: { name: 'model-b' } });
    expect(res.status).toBe(202);
    let d = await waitForDeployment(
      mh,
      ns(),
      'switcher',
      x =>
        x.resource.status.lastSwitch?.to === 'model-b' &&
        x.summary.phase === 'Ready',
    );
    expect(d.summary.activeModel).toBe('model-b');
    expect(d.resource.status.lastSwitch).toMatchObject({
      from: 'model-a',
      to: 'model-b',
      strategy: 'recreate',
    });
    expect(d.resource.status.lastSwitch.seconds).toBeGreaterThanOrEqual(0);
    expect(
      (await podsOf(ns(), 'switcher')).every(
        p => p.metadata!.annotations!['modelhosting.io/model'] === 'model-b',
      ),
    ).toBe(true);

    // One replica frees a GPU: now rolling starts the new model first.
    await mh.api().post(path(ns(), 'switcher', 'scale')).send({ replicas: 1 });
    await waitForDeployment(
      mh,
      ns(),
      'switcher',
      x => x.summary.phase === 'Ready' && x.resource.status.replicas === 1,
    );
    res = await mh
      .api()
      .post(path(ns(), 'switcher', 'switch'))
      .send({ model: { name: 'model-c' } });
    expect(res.status).toBe(202);
    d = await waitForDeployment(
      mh,
      ns(),
      'switcher',
      x =>
        x.resource.status.lastSwitch?.to === 'model-c' &&
        x.summary.phase === 'Ready',
    );
    expect(d.resource.status.lastSwitch).toMatchObject({
      from: 'model-b',
      to: 'model-c',
      strategy: 'rolling',
    });
    expect(d.summary.activeModel).toBe('model-c');
    // Events on the resource tell the story.
    const events = kubectl(
      'get',
      'events',
      '-n',
      ns(),
      '--field-selector',
      'involvedObject.name=switcher',
      '-o',
      'jsonpath={.items[*].reason}',
    );
    expect(events).toEqual(expect.stringContaining('SwitchStarted'));
    expect(events).toEqual(expect.stringContaining('SwitchCompleted'));
  });

  it('stays Pending with a Scheduled condition naming the GPU shortage when no GPU is free', async () => {
    // The switch test's deployment holds one of the node's two GPUs; this one wants two.
    const res = await deploy(mh, ns(), 'starved', {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'm' },
      resources: { gpu: { count: 2, product: node.product } },
      replicas: 1,
    });
    expect(res.status).toBe(201);
    const d = await waitForDeployment(
      mh,
      ns(),
      'starved',
      x => x.summary.phase === 'Pending',
    );
    const scheduled = d.resource.status.conditions.find(
      (c: any) => c.type === 'Scheduled',
    );
    expect(scheduled).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    expect(scheduled.message).toMatch(/Insufficient nvidia.com\/gpu/);
    // The GPU view lists the waiting pod with the scheduler's reason.
    const capacity = (await mh.api().get('/api/model-hosting/capacity')).body;
    const pending = capacity.clusters[0].pending.find(
      (p: any) => p.deployment?.name === 'starved',
    );
    expect(pending.reason).toMatch(/Insufficient nvidia.com\/gpu/);
    const testNode = capacity.clusters[0].nodes.find(
      (n: any) => n.name === 'gpu-switch-test',
    );
    expect(testNode.resources).toEqual([
      { resource: 'nvidia.com/gpu', allocatable: 2, requested: 1 },
    ]);
    expect(testNode.holders).toEqual([
      expect.objectContaining({
        deployment: { namespace: ns(), name: 'switcher' },
        count: 1,
      }),
    ]);
  });

  it('restarts the pods on request (new pods, same spec)', async () => {
    const before = (await podsOf(ns(), 'http-server'))
      .map(p => p.metadata!.name)
      .sort();
    const res = await mh.api().post(path(ns(), 'http-server', 'restart'));
    expect(res.status).toBe(202);
    await eventually(async () => {
      const pods = await podsOf(ns(), 'http-server');
      expect(pods).toHaveLength(2);
      expect(pods.some(p => before.includes(p.metadata!.name))).toBe(false);
      expect(pods.every(p => p.status?.phase === 'Running')).toBe(true);
    });
  });

  it('deletes a deployment and its children are garbage-collected', async () => {
    const res = await mh.api().delete(path(ns(), 'scaler'));
    expect(res.status).toBe(200);
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await eventually(async () => {
      await expect(
        apps.readNamespacedDeployment({ namespace: ns(), name: 'scaler' }),
      ).rejects.toMatchObject({ code: 404 });
      await expect(
        core.readNamespacedService({ namespace: ns(), name: 'scaler' }),
      ).rejects.toMatchObject({ code: 404 });
      await expect(
        core.readNamespacedConfigMap({
          namespace: ns(),
          name: 'scaler-engine',
        }),
      ).rejects.toMatchObject({ code: 404 });
    });
    // The plugin's view follows by its watch, a moment after the API server's.
    await eventually(
      async () =>
        expect((await mh.api().get(path(ns(), 'scaler'))).status).toBe(404),
      10_000,
    );
  });

  it('ends two concurrent scales in one of the two states, with no server error', async () => {
    await deploy(mh, ns(), 'contested', {
      owner: 'group:default/ml-platform',
      engine: 'http',
      model: { name: 'iris' },
      replicas: 1,
    });
    await waitForDeployment(
      mh,
      ns(),
      'contested',
      d => d.summary.phase === 'Ready',
    );
    const [a, b] = await Promise.all([
      mh.api().post(path(ns(), 'contested', 'scale')).send({ replicas: 4 }),
      mh.api().post(path(ns(), 'contested', 'scale')).send({ replicas: 5 }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // Status describes the latest spec once observedGeneration catches up with generation.
    const d = await waitForDeployment(
      mh,
      ns(),
      'contested',
      x =>
        x.resource.status?.observedGeneration ===
          x.resource.metadata.generation && x.summary.phase === 'Ready',
    );
    expect([4, 5]).toContain(d.summary.replicas);
    expect(d.summary.readyReplicas).toBe(d.summary.replicas);
    await eventually(async () =>
      expect(await podsOf(ns(), 'contested')).toHaveLength(d.summary.replicas),
    );
  });

  it('keeps an audit record of each action, readable through the API', async () => {
    const res = await mh
      .api()
      .get(`/api/model-hosting/audit?namespace=${ns()}&name=switcher`);
    expect(res.status).toBe(200);
    const actions = res.body.items.map((i: any) => `${i.action}:${i.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'deploy:succeeded',
        'switch:succeeded',
        'scale:succeeded',
      ]),
    );
    expect(res.body.items[0]).toMatchObject({
      actor: 'user:default/mock',
      cluster: 'local',
      namespace: ns(),
      name: 'switcher',
    });
  });
});
