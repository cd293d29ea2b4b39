import { EngineRegistry } from '../engines';

import { plan } from './plan';
import { modelDeployment } from './testFixtures';

const engines = new EngineRegistry();
const engineFor = (name: string) => engines.get(name);

describe('plan', () => {
  it('asks for whole GPUs of the right product, tolerates the GPU taint and stays off time-sliced nodes', () => {
    const { deployment } = plan(modelDeployment(), engineFor('vllm'), {
      replicas: 2,
    });
    const pod = deployment.spec!.template.spec!;
    expect(deployment.spec!.replicas).toBe(2);
    expect(pod.containers[0].resources).toEqual({
      requests: { 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(pod.nodeSelector).toEqual({
      'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB',
    });
    expect(pod.tolerations).toContainEqual({
      key: 'nvidia.com/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    expect(JSON.stringify(pod.affinity)).toContain('time-slicing');
  });

  it('places time-sliced deployments on time-slicing nodes', () => {
    const md = modelDeployment(m => {
      m.spec.gpuSharing = 'timeSliced';
      m.spec.resources = { gpu: { count: 1, resource: 'nvidia.com/gpu' } };
    });
    const pod = plan(md, engineFor('ollama'), { replicas: 1 }).deployment.spec!
      .template.spec!;
    expect(pod.nodeSelector).toEqual({
      'nvidia.com/gpu.sharing-strategy': 'time-slicing',
    });
    expect(pod.affinity).toBeUndefined();
  });

  it('asks for a MIG slice by its resource name', () => {
    const md = modelDeployment(
      m =>
        (m.spec.resources = {
          gpu: { count: 1, resource: 'nvidia.com/mig-1g.10gb' },
        }),
    );
    const container = plan(md, engineFor('vllm'), { replicas: 1 }).deployment
      .spec!.template.spec!.containers[0];
    expect(container.resources!.limits).toEqual({
      'nvidia.com/mig-1g.10gb': '1',
    });
  });

  it('runs CPU-only predictors without GPU requests, tolerations or placement', () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'http';
      m.spec.resources = { cpu: '500m', memory: '512Mi' };
    });
    const pod = plan(md, engineFor('http'), { replicas: 1 }).deployment.spec!
      .template.spec!;
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { memory: '512Mi' },
    });
    expect(pod.tolerations).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
  });

  it('owns every child through a controller owner reference and labels it for Backstage', () => {
    const children = plan(modelDeployment(), engineFor('vllm'), {
      replicas: 1,
    });
    for (const child of [
      children.deployment,
      children.service,
      children.configMap,
    ]) {
      expect(child.metadata!.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ModelDeployment',
          name: 'chat',
          uid: 'uid-1',
          controller: true,
        }),
      ]);
      expect(child.metadata!.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'backstage-model-hosting',
        'backstage.io/kubernetes-id': 'chat',
      });
    }
  });

  it('keeps the model in the ConfigMap and rolls the pods when it changes', () => {
    const a = plan(modelDeployment(), engineFor('vllm'), { replicas: 1 });
    const b = plan(
      modelDeployment(m => (m.spec.model = { name: 'model-b' })),
      engineFor('vllm'),
      { replicas: 1 },
    );
    expect(a.configMap.data!.MODEL_NAME).toBe('model-a');
    expect(b.configMap.data!.MODEL_NAME).toBe('model-b');
    const hash = (p: typeof a) =>
      p.deployment.spec!.template.metadata!.annotations![
        'modelhosting.io/config-hash'
      ];
    expect(hash(a)).not.toEqual(hash(b));
    expect(a.deployment.spec!.template.spec!.containers[0].args).toContain(
      '$(MODEL_NAME)',
    );
  });

  it('frees GPUs before new pods start under recreate, and surges one pod under rolling', () => {
    expect(
      plan(modelDeployment(), engineFor('vllm'), { replicas: 1 }).deployment
        .spec!.strategy,
    ).toEqual({ type: 'Recreate' });
    const rolling = modelDeployment(
      m => (m.spec.switching = { strategy: 'rolling' }),
    );
    expect(
      plan(rolling, engineFor('vllm'), { replicas: 1 }).deployment.spec!
        .strategy,
    ).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('adds an HPA on the ModelDeployment with fast scale-up and slow scale-down only for cpu/memory autoscaling', () => {
    const md = modelDeployment(m => {
      m.spec.replicas = 2;
      m.spec.autoscaling = {
        enabled: true,
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          { type: 'cpu', target: 70 },
          { type: 'memory', target: 80 },
        ],
        scaleUpStabilizationSeconds: 0,
        scaleDownStabilizationSeconds: 600,
      };
    });
    const hpa = plan(md, engineFor('http'), { replicas: 2 }).hpa!;
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'modelhosting.io/v1alpha1',
      kind: 'ModelDeployment',
      name: 'chat',
    });
    expect(
      hpa.spec!.metrics!.map(m => [
        m.resource!.name,
        m.resource!.target.averageUtilization,
      ]),
    ).toEqual([
      ['cpu', 70],
      ['memory', 80],
    ]);
    expect(hpa.spec!.behavior!.scaleUp!.stabilizationWindowSeconds).toBe(0);
    expect(hpa.spec!.behavior!.scaleDown).toMatchObject({
      stabilizationWindowSeconds: 600,
      policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
    });

    const requestBased = modelDeployment(m => {
      m.spec.autoscaling = {
        enabled: true,
        minReplicas: 0,
        maxReplicas: 2,
        metrics: [{ type: 'requestsInFlight', target: 8 }],
        scaleToZeroAfterSeconds: 300,
      };
    });
    expect(
      plan(requestBased, engineFor('vllm'), { replicas: 1 }).hpa,
    ).toBeUndefined();
  });

  it('gives each engine its port and health probes with a long startup budget', () => {
    const expectations: Array<[string, number, string]> = [
      ['vllm', 8000, '/health'],
      ['ollama', 11434, '/api/tags'],
      ['openai', 8080, '/v1/models'],
      ['http', 8080, '/v2/health/ready'],
    ];
    for (const [engine, port, path] of expectations) {
      const md = modelDeployment(m => (m.spec.engine = engine as any));
      const p = plan(md, engineFor(md.spec.engine), { replicas: 1 });
      const c = p.deployment.spec!.template.spec!.containers[0];
      expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(c.readinessProbe!.httpGet!.path).toBe(path);
      expect(
        c.startupProbe!.periodSeconds! * c.startupProbe!.failureThreshold!,
      ).toBeGreaterThanOrEqual(300);
      expect(p.service.spec!.ports![0].port).toBe(port);
    }
  });

  it('takes probe timings from the deployment, keeping the engine paths', () => {
    const { deployment } = plan(
      modelDeployment(m => {
        m.spec.probes = {
          readiness: {
            initialDelaySeconds: 20,
            periodSeconds: 15,
            failureThreshold: 4,
          },
          liveness: { timeoutSeconds: 3 },
        };
      }),
      engineFor('vllm'),
      { replicas: 1 },
    );
    const c = deployment.spec!.template.spec!.containers[0];
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/health', port: 8000 },
      initialDelaySeconds: 20,
      periodSeconds: 15,
      failureThreshold: 4,
      timeoutSeconds: 5,
    });
    expect(c.livenessProbe).toMatchObject({
      httpGet: { path: '/health' },
      timeoutSeconds: 3,
      periodSeconds: 30,
    });
    expect(c.startupProbe).toMatchObject({
      periodSeconds: 10,
      failureThreshold: 180,
    });
  });
});
