import { AppsV1Api, CoreV1Api, V1Deployment } from '@kubernetes/client-node';
import { adminKubeConfig, eventually, useNamespace } from './kube';

const gpuDeployment = (
  name: string,
  gpus: number,
  nodeSelector?: Record<string, string>,
): V1Deployment => ({
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        nodeSelector,
        tolerations: [
          { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        ],
        containers: [
          {
            name: 'server',
            image: 'vllm/vllm-openai:latest',
            resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
          },
        ],
      },
    },
  },
});

describe('simulated GPU nodes', () => {
  const ns = useNamespace('gpu');
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);

  it('report GPUs the way the NVIDIA device plugin and GPU feature discovery do', async () => {
    const nodes = (await core.listNode()).items;
    const byName = Object.fromEntries(nodes.map(n => [n.metadata!.name!, n]));
    const a100 = byName['gpu-a100-0'];
    expect(a100.status!.allocatable!['nvidia.com/gpu']).toBe('8');
    expect(a100.metadata!.labels!['nvidia.com/gpu.product']).toBe(
      'NVIDIA-A100-SXM4-80GB',
    );
    expect(a100.spec!.taints).toEqual([
      { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
    ]);

    const t4 = byName['gpu-t4-shared-0'];
    expect(t4.metadata!.labels!['nvidia.com/gpu.sharing-strategy']).toBe(
      'time-slicing',
    );
    // Time-slicing advertises more GPU replicas than physical GPUs.
    expect(Number(t4.status!.allocatable!['nvidia.com/gpu'])).toBeGreaterThan(
      Number(t4.metadata!.labels!['nvidia.com/gpu.count']),
    );

    const mig = byName['gpu-a100-mig-0'];
    expect(mig.status!.allocatable!['nvidia.com/mig-1g.10gb']).toBe('7');
    expect(mig.status!.allocatable!['nvidia.com/gpu']).toBeUndefined();

    const cpu = byName['cpu-0'];
    expect(cpu.status!.allocatable!['nvidia.com/gpu']).toBeUndefined();
    expect(
      nodes.every(
        n =>
          n.status!.conditions!.find(c => c.type === 'Ready')?.status ===
          'True',
      ),
    ).toBe(true);
  });

  it('schedules a pod that fits: 8 A100 GPUs land on an A100 node and run', async () => {
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns(),
      body: gpuDeployment('fits', 8, {
        'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB',
      }),
    });
    const pod = await eventually(async () => {
      const [p] = (
        await core.listNamespacedPod({
          namespace: ns(),
          labelSelector: 'app=fits',
        })
      ).items;
      if (p?.status?.phase !== 'Running')
        throw new Error(`pod is ${p?.status?.phase}`);
      return p;
    });
    expect(pod.spec!.nodeName).toMatch(/^gpu-a100-\d$/);
  });

  it('keeps a pod asking for more GPUs than any node has Pending, with the scheduler saying why', async () => {
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns(),
      body: gpuDeployment('too-big', 24),
    });
    const event = await eventually(async () => {
      const events = (
        await core.listNamespacedEvent({
          namespace: ns(),
          fieldSelector: 'reason=FailedScheduling',
        })
      ).items;
      const e = events.find(ev =>
        ev.involvedObject.name?.startsWith('too-big-'),
      );
      if (!e) throw new Error('no FailedScheduling event yet');
      return e;
    });
    expect(event.message).toMatch(/Insufficient nvidia.com\/gpu/);
    const [pod] = (
      await core.listNamespacedPod({
        namespace: ns(),
        labelSelector: 'app=too-big',
      })
    ).items;
    expect(pod.status!.phase).toBe('Pending');
    expect(pod.spec!.nodeName).toBeUndefined();
  });
});
