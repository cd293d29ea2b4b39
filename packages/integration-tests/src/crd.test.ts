import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  adminKubeConfig,
  apiMessage,
  createModelDeployment,
  kubectl,
  repo,
  useNamespace,
} from './kube';

const valid = () => ({
  apiVersion: MODEL_DEPLOYMENT.apiVersion,
  kind: MODEL_DEPLOYMENT.kind,
  metadata: { name: 'chat' },
  spec: {
    owner: 'group:default/ml-platform',
    engine: 'vllm',
    model: {
      name: 'meta-llama/Llama-3.1-8B-Instruct',
      source: 'hf://meta-llama/Llama-3.1-8B-Instruct',
    },
    resources: { gpu: { count: 1, product: 'NVIDIA-A100-SXM4-80GB' } },
    replicas: 1,
  },
});

/** Applies a change to a copy of the valid resource. */
const withChange = (change: (md: any) => void) => {
  const md: any = valid();
  change(md);
  return md;
};

describe('ModelDeployment CRD on a real API server', () => {
  const ns = useNamespace('crd');
  const kc = adminKubeConfig();

  it('is established with status and scale subresources, printer columns and a short name', async () => {
    const crd = await kc
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({
        name: 'modeldeployments.modelhosting.io',
      });
    expect(
      crd.status?.conditions?.find(c => c.type === 'Established')?.status,
    ).toBe('True');
    const version = crd.spec.versions[0];
    expect(version.subresources?.status).toEqual({});
    expect(version.subresources?.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
    expect(version.additionalPrinterColumns?.map(c => c.name)).toEqual([
      'Engine',
      'Model',
      'Ready',
      'Desired',
      'Phase',
      'Age',
    ]);
    // A user types the short name and sees the printer columns.
    const table = kubectl('get', 'md', '-n', 'ml-serving');
    expect(table.split('\n')[0].split(/\s+/)).toEqual([
      'NAME',
      'ENGINE',
      'MODEL',
      'READY',
      'DESIRED',
      'PHASE',
      'AGE',
    ]);
    expect(table).toMatch(
      /vllm-instruct\s+vllm\s+meta-llama\/Llama-3.1-8B-Instruct/,
    );
  });

  it('accepts a valid resource and fills in the schema defaults', async () => {
    const created = await createModelDeployment(kc, ns(), valid());
    expect(created.spec.gpuSharing).toBe('exclusive');
    expect(created.spec.resources.gpu.resource).toBe('nvidia.com/gpu');
    expect(created.spec.replicas).toBe(1);
  });

  it.each(
    fs
      .readdirSync(path.join(repo, 'k8s/examples'))
      .filter(f => f !== '00-namespace.yaml'),
  )('accepts the example %s', async file => {
    const md = YAML.parse(
      fs.readFileSync(path.join(repo, 'k8s/examples', file), 'utf8'),
    );
    delete md.metadata.namespace;
    await expect(
      createModelDeployment(kc, ns(), md, true),
    ).resolves.toMatchObject({ kind: 'ModelDeployment' });
  });

  const invalid: Array<[string, any, RegExp]> = [
    [
      'an engine name that cannot be one',
      withChange(md => (md.spec.engine = 'Tensor Flow')),
      /spec.engine in body should match '\^\[a-z\]\[a-z0-9-\]\*\$'/,
    ],
    [
      'negative replicas',
      withChange(md => (md.spec.replicas = -1)),
      /spec.replicas in body should be greater than or equal to 0/,
    ],
    [
      'a huge replica count',
      withChange(md => (md.spec.replicas = 5000)),
      /spec.replicas in body should be less than or equal to 100/,
    ],
    [
      'no owner',
      withChange(md => delete md.spec.owner),
      /spec.owner: Required value/,
    ],
    [
      'no model name',
      withChange(md => (md.spec.model = { source: 'hf://x/y' })),
      /spec.model.name: Required value/,
    ],
    [
      'a fractional GPU count',
      withChange(md => (md.spec.resources.gpu.count = 1.5)),
      /spec.resources.gpu.count in body must be of type integer/,
    ],
    [
      'a negative GPU count',
      withChange(md => (md.spec.resources.gpu = { count: -1 })),
      /spec.resources.gpu.count in body should be greater than or equal to 0/,
    ],
    [
      'a non-NVIDIA GPU resource',
      withChange(md => (md.spec.resources.gpu.resource = 'amd.com/gpu')),
      /spec.resources.gpu.resource in body should match/,
    ],
    [
      'a model source with an unknown scheme',
      withChange(md => (md.spec.model.source = 'ftp://models/x')),
      /spec.model.source in body should match/,
    ],
    [
      'minReplicas above maxReplicas',
      withChange(
        md =>
          (md.spec.autoscaling = {
            enabled: true,
            minReplicas: 5,
            maxReplicas: 2,
          }),
      ),
      /autoscaling.minReplicas must not exceed autoscaling.maxReplicas/,
    ],
    [
      'minReplicas 0 without scale-to-zero',
      withChange(
        md =>
          (md.spec.autoscaling = {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 2,
            metrics: [{ type: 'requestsInFlight', target: 4 }],
          }),
      ),
      /autoscaling.minReplicas 0 needs scaleToZeroAfterSeconds/,
    ],
    [
      'scale-to-zero on a CPU metric',
      withChange(
        md =>
          (md.spec.autoscaling = {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 2,
            scaleToZeroAfterSeconds: 300,
            metrics: [{ type: 'cpu', target: 70 }],
          }),
      ),
      /scaleToZeroAfterSeconds needs requestsInFlight or queueDepth metrics/,
    ],
    [
      'mixed HPA and built-in metrics',
      withChange(
        md =>
          (md.spec.autoscaling = {
            enabled: true,
            maxReplicas: 2,
            metrics: [
              { type: 'cpu', target: 70 },
              { type: 'queueDepth', target: 8 },
            ],
          }),
      ),
      /autoscaling.metrics mixes cpu\/memory/,
    ],
    [
      'replicas outside the autoscaling range',
      withChange(md => {
        md.spec.replicas = 9;
        md.spec.autoscaling = { enabled: true, minReplicas: 1, maxReplicas: 3 };
      }),
      /replicas must lie within autoscaling.minReplicas..autoscaling.maxReplicas/,
    ],
    [
      'time-slicing without a GPU',
      withChange(md => {
        md.spec.gpuSharing = 'timeSliced';
        md.spec.resources = { cpu: '2' };
      }),
      /gpuSharing timeSliced needs resources.gpu.count of at least 1/,
    ],
    [
      'a GPU product with zero GPUs',
      withChange(md => (md.spec.resources.gpu.count = 0)),
      /resources.gpu.product is set but resources.gpu.count is 0/,
    ],
    [
      'a name that cannot name a Service',
      withChange(md => (md.metadata.name = '9-lives')),
      /metadata.name must start with a letter/,
    ],
    [
      'a name too long for its pods',
      withChange(md => (md.metadata.name = `m${'x'.repeat(60)}`)),
      /at most 52 characters/,
    ],
  ];

  it.each(invalid)(
    'rejects %s with the schema message',
    async (_label, body, message) => {
      let error: unknown;
      try {
        await createModelDeployment(kc, ns(), body);
      } catch (e) {
        error = e;
      }
      expect(error).toBeDefined();
      expect(apiMessage(error)).toMatch(message);
    },
  );

  it('scales through the scale subresource with kubectl scale', async () => {
    await createModelDeployment(
      kc,
      ns(),
      withChange(md => (md.metadata.name = 'scalable')),
    );
    expect(kubectl('scale', 'md/scalable', '-n', ns(), '--replicas=4')).toMatch(
      /scaled/,
    );
    const custom = kc.makeApiClient(CustomObjectsApi);
    const scale = await custom.getNamespacedCustomObjectScale({
      group: MODEL_DEPLOYMENT.group,
      version: MODEL_DEPLOYMENT.version,
      plural: MODEL_DEPLOYMENT.plural,
      namespace: ns(),
      name: 'scalable',
    });
    expect(scale.spec.replicas).toBe(4);
    expect(
      kubectl(
        'get',
        'md/scalable',
        '-n',
        ns(),
        '-o',
        'jsonpath={.spec.replicas}',
      ),
    ).toBe('4');
  });

  it('refuses kubectl scale beyond the bounds, leaving replicas unchanged', async () => {
    await createModelDeployment(
      kc,
      ns(),
      withChange(md => (md.metadata.name = 'bounded')),
    );
    expect(() =>
      kubectl('scale', 'md/bounded', '-n', ns(), '--replicas=500'),
    ).toThrow(/less than or equal to 100/);
    expect(
      kubectl(
        'get',
        'md/bounded',
        '-n',
        ns(),
        '-o',
        'jsonpath={.spec.replicas}',
      ),
    ).toBe('1');
  });
});
