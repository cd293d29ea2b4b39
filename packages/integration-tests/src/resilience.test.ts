import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  ModelHosting,
  path,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { adminKubeConfig, eventually, useGpuNode, useNamespace } from './kube';

const leaseHolder = async () =>
  (
    await adminKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({
        namespace: 'model-hosting',
        name: 'model-hosting-reconciler',
      })
  ).spec?.holderIdentity;

const stats = async (mh: ModelHosting) =>
  (await mh.api().get('/api/model-hosting/stats')).body as {
    identity: string;
    clusters: Array<{ name: string; activeReconciler: boolean }>;
  };

const isActive = async (mh: ModelHosting) =>
  (await stats(mh)).clusters.find(c => c.name === 'local')!.activeReconciler;

describe('two backends for one cluster', () => {
  const replicas: ModelHosting[] = [];
  afterAll(async () => {
    for (const mh of replicas) await mh.stop();
  });

  it('elect one active reconciler through the Lease, and the other takes over when it stops', async () => {
    replicas.push(await startModelHosting(), await startModelHosting());
    const leader = await eventually(async () => {
      const active = [];
      for (const mh of replicas) if (await isActive(mh)) active.push(mh);
      expect(active).toHaveLength(1);
      return active[0];
    }, 20_000);
    expect(await leaseHolder()).toBe((await stats(leader)).identity);
    // Still exactly one a few renewals later.
    await new Promise(r => setTimeout(r, 2500));
    const follower = replicas.find(mh => mh !== leader)!;
    expect(await isActive(leader)).toBe(true);
    expect(await isActive(follower)).toBe(false);

    await leader.stop();
    replicas.splice(replicas.indexOf(leader), 1);
    await eventually(
      async () => expect(await isActive(follower)).toBe(true),
      10_000,
    );
    expect(await leaseHolder()).toBe((await stats(follower)).identity);
  });
});

describe('a backend that stops in the middle of a switch', () => {
  const ns = useNamespace('resume');
  const node = useGpuNode('gpu-resume-test', 'nvidia.com/gpu', 2);
  const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
  const setProductLabel = (value: string | null) =>
    core().patchNode(
      {
        name: 'gpu-resume-test',
        body: [
          {
            op: value ? 'add' : 'remove',
            path: '/metadata/labels/nvidia.com~1gpu.product',
            ...(value ? { value } : {}),
          },
        ],
      },
      // A JSON patch: the label key holds a slash, escaped as ~1.
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );

  it('completes the switch after it starts again', async () => {
    let mh = await startModelHosting();
    const spec = {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: 'model-a' },
      resources: { gpu: { count: 1, product: node.product } },
      replicas: 1,
    };
    expect(
      (
        await mh
          .api()
          .post('/api/model-hosting/deployments')
          .send({ cluster: 'local', namespace: ns(), name: 'resumer', spec })
      ).status,
    ).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'resumer',
      d => d.summary.phase === 'Ready',
    );

    // New pods cannot be placed while the node lacks the product label: the switch stops half-way.
    await setProductLabel(null);
    expect(
      (
        await mh
          .api()
          .post(path(ns(), 'resumer', 'switch'))
          .send({ model: { name: 'model-b' } })
      ).status,
    ).toBe(202);
    const midway = await waitForDeployment(
      mh,
      ns(),
      'resumer',
      d =>
        d.resource.status?.switch?.step === 'Starting' &&
        d.pods.length === 1 &&
        !d.pods[0].node,
    );
    expect(midway.summary.phase).toBe('Switching');
    expect(midway.summary.activeModel).toBe('model-a');
    await mh.stop();

    // Nothing lives in memory: the switch in progress is in the resource's status.
    await setProductLabel(node.product);
    mh = await startModelHosting();
    try {
      const done = await waitForDeployment(
        mh,
        ns(),
        'resumer',
        d =>
          d.resource.status?.lastSwitch?.to === 'model-b' &&
          d.summary.phase === 'Ready',
      );
      expect(done.summary.activeModel).toBe('model-b');
      expect(done.resource.status.switch).toBeUndefined();
      expect(done.resource.status.lastSwitch).toMatchObject({
        from: 'model-a',
        to: 'model-b',
        strategy: 'recreate',
      });
      expect(done.pods.map((p: any) => p.model)).toEqual(['model-b']);
    } finally {
      await mh.stop();
    }
  });
});
