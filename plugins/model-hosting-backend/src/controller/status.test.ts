import { EngineRegistry } from '../engines';

import { computeStatus } from './status';
import { modelDeployment, pendingPod, settledDeployment } from './testFixtures';

const engines = new EngineRegistry();
const engineFor = (name: string) => engines.get(name);

const now = new Date('2026-11-24T12:00:00Z');
const apply = { action: { kind: 'apply' as const, replicas: 2 } };

describe('computeStatus', () => {
  it('is Ready with the running model once every replica is ready', () => {
    const s = computeStatus(
      modelDeployment(),
      engineFor('vllm'),
      { deployment: settledDeployment('model-a', 2), pods: [] },
      apply,
      now,
    );
    expect(s).toMatchObject({
      phase: 'Ready',
      activeModel: 'model-a',
      replicas: 2,
      readyReplicas: 2,
      observedGeneration: 1,
      selector:
        'app.kubernetes.io/instance=chat,app.kubernetes.io/managed-by=backstage-model-hosting',
      endpoint: 'http://chat.ml.svc.cluster.local:8000',
    });
    expect(s.conditions!.find(c => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'AllReplicasReady',
    });
  });

  it('is Pending with a Scheduled condition that names the GPU shortage', () => {
    const message =
      "0/6 nodes are available: 2 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node affinity/selector.";
    const deployment = settledDeployment('model-a', 2);
    deployment.status = { replicas: 2, readyReplicas: 0, updatedReplicas: 2 };
    const s = computeStatus(
      modelDeployment(),
      engineFor('vllm'),
      { deployment, pods: [pendingPod(message)] },
      apply,
      now,
    );
    expect(s.phase).toBe('Pending');
    expect(s.conditions!.find(c => c.type === 'Scheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
  });

  it("keeps the health checks' verdict while a replica is ready, and makes it Unknown when none is", () => {
    const checked = modelDeployment(m => {
      m.status = {
        conditions: [
          {
            type: 'Healthy',
            status: 'True',
            reason: 'Checked',
            message: 'ok',
            lastTransitionTime: '2026-11-24T11:00:00Z',
          },
        ],
      };
    });
    const healthy = (ready: number) => {
      const deployment = settledDeployment('model-a', 2);
      deployment.status = { replicas: 2, readyReplicas: ready };
      return computeStatus(
        checked,
        engineFor('vllm'),
        { deployment, pods: [] },
        apply,
        now,
      ).conditions!.find(c => c.type === 'Healthy');
    };
    expect(healthy(1)).toMatchObject({ status: 'True', message: 'ok' });
    expect(healthy(0)).toMatchObject({
      status: 'Unknown',
      reason: 'NoReadyReplica',
      message: 'no replica is ready: nothing to check',
      lastTransitionTime: now.toISOString(),
    });
  });

  it('is Switching while a switch runs and keeps the old model as active', () => {
    const sw = {
      from: 'model-a',
      to: 'model-b',
      strategy: 'recreate' as const,
      step: 'ScalingDown' as const,
      startedAt: now.toISOString(),
    };
    const s = computeStatus(
      modelDeployment(),
      engineFor('vllm'),
      { deployment: settledDeployment('model-a', 0), pods: [] },
      { action: { kind: 'scaleDown' }, switch: sw },
      now,
    );
    expect(s).toMatchObject({
      phase: 'Switching',
      activeModel: 'model-a',
      switch: sw,
    });
  });

  it('is ScaledToZero at zero replicas', () => {
    const md = modelDeployment(m => (m.spec.replicas = 0));
    const s = computeStatus(
      md,
      engineFor('vllm'),
      { deployment: settledDeployment('model-a', 0), pods: [] },
      { action: { kind: 'apply', replicas: 0 } },
      now,
    );
    expect(s.phase).toBe('ScaledToZero');
  });

  it("keeps a condition's transition time while its status holds", () => {
    const md = modelDeployment(
      m =>
        (m.status = {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }),
    );
    const s = computeStatus(
      md,
      engineFor('vllm'),
      { deployment: settledDeployment('model-a', 2), pods: [] },
      apply,
      now,
    );
    expect(
      s.conditions!.find(c => c.type === 'Ready')!.lastTransitionTime,
    ).toBe('2026-01-01T00:00:00Z');
  });

  it('records the finished switch', () => {
    const completed = {
      from: 'model-a',
      to: 'model-b',
      strategy: 'rolling' as const,
      seconds: 3.2,
      finishedAt: now.toISOString(),
    };
    const md = modelDeployment(m => (m.spec.model = { name: 'model-b' }));
    const s = computeStatus(
      md,
      engineFor('vllm'),
      { deployment: settledDeployment('model-b', 2), pods: [] },
      { ...apply, completed },
      now,
    );
    expect(s).toMatchObject({
      phase: 'Ready',
      activeModel: 'model-b',
      lastSwitch: completed,
    });
    expect(s.switch).toBeUndefined();
  });
});
