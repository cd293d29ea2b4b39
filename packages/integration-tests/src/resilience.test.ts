import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  ClusterManager,
  readClusters,
} from '@internal/backstage-plugin-model-hosting-backend';
import {
  path,
  startModelHosting,
  testAppConfig,
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

describe('two reconcilers for one cluster', () => {
  const managers: ClusterManager[] = [];
  afterAll(async () => {
    for (const m of managers) await m.stop();
  });

  it('elects one active reconciler through the Lease, and the other takes over when it stops', async () => {
    const config = new ConfigReader(testAppConfig());
    for (const identity of ['replica-a', 'replica-b']) {
      const m = new ClusterManager(
        readClusters(config),
        {
          requestTimeoutMs: 5000,
          reconcile: true,
          leaseNamespace: 'model-hosting',
          leaseDurationSeconds: 3,
          identity,
        },
        mockServices.logger.mock(),
      );
      m.start();
      managers.push(m);
    }
    const active = () =>
      managers.filter(m => m.get('local').reconciler.isActive);
    const leader = await eventually(async () => {
      expect(active()).toHaveLength(1);
      return active()[0];
    }, 20_000);
    expect(await leaseHolder()).toBe(leader.identity);
    // Still exactly one a few renewals later.
    await new Promise(r => setTimeout(r, 2500));
    expect(active()).toEqual([leader]);

    await leader.stop();
    const follower = managers.find(m => m !== leader)!;
    await eventually(
      async () => expect(follower.get('local').reconciler.isActive).toBe(true),
      10_000,
    );
    expect(await leaseHolder()).toBe(follower.identity);
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
