import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import request from 'supertest';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import modelHostingPlugin from '@modelhosting/backstage-plugin-model-hosting-backend';
import modelHostingCatalogModule from '@modelhosting/backstage-plugin-catalog-backend-module-model-hosting';
import modelHostingScaffolderModule from '@modelhosting/backstage-plugin-scaffolder-backend-module-model-hosting';
import { testAppConfig } from './backend';
import { adminKubeConfig, eventually, repo, useNamespace } from './kube';

const templateFile = (dir: string) =>
  path.join(repo, 'templates', dir, 'template.yaml');

/** The Secret the HTTP predictor template names by default, as admins make it in a namespace. */
const STORE_SECRET = 'model-store-credentials';

/**
 * The test cluster's model store (scripts/cluster/model-store.mjs, started by cluster.sh): the
 * Hub stand-in and the S3 server holding s3://models/iris, with its keys.
 */
function modelStore() {
  const file = process.env.MH_TEST_KUBECONFIG!.replace(
    /\.kubeconfig$/,
    '.model-store.json',
  );
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: the test cluster runs without its model store (it needs the pod network; MH_MODEL_STORE=off?)`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The real catalog and scaffolder with the model-hosting plugin and both of its modules. */
async function startPortal(permissions?: 'no-create') {
  const base = testAppConfig();
  const deny = (name: string) =>
    permissions === 'no-create' && name === 'model-hosting.deployment.create';
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      scaffolderEntityModel,
      scaffolderPlugin,
      modelHostingPlugin,
      modelHostingCatalogModule,
      modelHostingScaffolderModule,
      // The real events service: the plugin announces changes, the catalog module hears them.
      eventsServiceFactory,
      mockServices.permissions.mock({
        authorize: async requests =>
          requests.map(r => ({
            result: deny(r.permission.name)
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
          })),
        authorizeConditional: async requests =>
          requests.map(() => ({ result: AuthorizeResult.ALLOW })),
      }).factory,
      mockServices.rootConfig.factory({
        data: {
          ...base,
          // The cluster's own modelHosting (the model store's endpoints), with a short Lease.
          modelHosting: {
            ...base.modelHosting,
            reconciler: { leaseDurationSeconds: 3 },
          },
          catalog: {
            rules: [
              {
                allow: [
                  'Component',
                  'API',
                  'Resource',
                  'Template',
                  'Location',
                  'Group',
                  'User',
                ],
              },
            ],
            locations: [
              'deploy-ollama',
              'deploy-vllm',
              'deploy-http-predictor',
            ].map(d => ({ type: 'file', target: templateFile(d) })),
          },
        },
      }),
    ],
  });
  const api = () => request(backend.server);
  await eventually(async () => {
    for (const name of [
      'deploy-ollama-model',
      'deploy-vllm-model',
      'deploy-http-predictor',
    ]) {
      const res = await api().get(
        `/api/catalog/entities/by-name/template/default/${name}`,
      );
      if (res.status !== 200)
        throw new Error(`template ${name} not in the catalog yet`);
    }
  }, 60_000);
  return { backend, api };
}

type Portal = Awaited<ReturnType<typeof startPortal>>;

async function runTask(portal: Portal, template: string, values: object) {
  const created = await portal
    .api()
    .post('/api/scaffolder/v2/tasks')
    .send({ templateRef: `template:default/${template}`, values });
  expect(created.status).toBe(201);
  return eventually(
    async () => {
      const task = (
        await portal.api().get(`/api/scaffolder/v2/tasks/${created.body.id}`)
      ).body;
      if (task.status !== 'completed' && task.status !== 'failed')
        throw new Error(`task is ${task.status}`);
      const log = (
        await portal
          .api()
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
      ).body;
      return {
        task,
        log: log.map((e: any) => e.body?.message ?? '').join('\n'),
      };
    },
    90_000,
    500,
  );
}

const modelDeployments = async (namespace: string) =>
  (
    await adminKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({
        group: 'modelhosting.io',
        version: 'v1alpha1',
        plural: 'modeldeployments',
        namespace,
      })
  ).items as any[];

describe('scaffolder templates', () => {
  // The HTTP predictor loads its model from the cluster's S3 store with the keys of a Secret the
  // namespace allows, as the examples' namespace does (k8s/examples/00-namespace.yaml).
  const ns = useNamespace('tmpl', {
    annotations: { 'modelhosting.io/allowed-secrets': STORE_SECRET },
  });
  let portal: Portal;
  beforeAll(async () => {
    const store = modelStore();
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedSecret({
        namespace: ns(),
        body: {
          metadata: { name: STORE_SECRET },
          stringData: {
            AWS_ACCESS_KEY_ID: store.s3.accessKeyId,
            AWS_SECRET_ACCESS_KEY: store.s3.secretAccessKey,
          },
        },
      });
    portal = await startPortal();
  }, 120_000);
  afterAll(async () => portal?.backend.stop());

  const cases: Array<[string, string, object, (spec: any) => void]> = [
    [
      'deploy-ollama',
      'deploy-ollama-model',
      {
        name: 'team-ollama',
        owner: 'group:default/ml-platform',
        cluster: 'local',
        model: 'qwen2.5-coder:7b',
        expectedModels: ['qwen2.5-coder:7b', 'nomic-embed-text'],
        gpuSharing: 'timeSliced',
        gpuProduct: 'Tesla-T4-SHARED',
        gpuCount: 1,
        replicas: 2,
        cacheSize: '100Gi',
        sharedCache: true,
      },
      spec => {
        expect(spec.storage.cache).not.toHaveProperty('storageClassName');
        expect(spec).toMatchObject({
          engine: 'ollama',
          // No class named: the cluster's default class.
          storage: {
            cache: { type: 'pvc', size: '100Gi', accessMode: 'ReadWriteMany' },
          },
          gpuSharing: 'timeSliced',
          replicas: 2,
          resources: { gpu: { count: 1, product: 'Tesla-T4-SHARED' } },
          healthCheck: {
            expectedModels: ['qwen2.5-coder:7b', 'nomic-embed-text'],
            autoPull: true,
          },
        });
      },
    ],
    [
      'deploy-vllm',
      'deploy-vllm-model',
      {
        name: 'team-vllm',
        owner: 'group:default/ml-platform',
        cluster: 'local',
        model: 'Qwen/Qwen2.5-7B-Instruct',
        gpuProduct: 'NVIDIA-A100-SXM4-80GB',
        gpuCount: 1,
        maxReplicas: 2,
        idleMinutes: 15,
        delivery: 'apply',
        cacheSize: '20Gi',
        storageClass: 'local-models',
      },
      spec =>
        expect(spec).toMatchObject({
          engine: 'vllm',
          storage: {
            cache: {
              type: 'pvc',
              size: '20Gi',
              storageClassName: 'local-models',
              accessMode: 'ReadWriteOnce',
            },
          },
          model: {
            name: 'Qwen/Qwen2.5-7B-Instruct',
            source: 'hf://Qwen/Qwen2.5-7B-Instruct',
          },
          autoscaling: {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 2,
            scaleToZeroAfterSeconds: 900,
            metrics: [{ type: 'requestsInFlight', target: 16 }],
          },
        }),
    ],
    [
      'deploy-http-predictor',
      'deploy-http-predictor',
      {
        name: 'team-iris',
        owner: 'group:default/data-science',
        cluster: 'local',
        model: 'iris-classifier',
        version: '1.0.0',
        source: 's3://models/iris',
        credentialsSecret: STORE_SECRET,
        cpu: '500m',
        memory: '512Mi',
        minReplicas: 2,
        maxReplicas: 10,
      },
      spec =>
        expect(spec).toMatchObject({
          engine: 'http',
          model: { version: '1.0.0', source: 's3://models/iris' },
          storage: { credentials: { secretName: STORE_SECRET } },
          replicas: 2,
          resources: { cpu: '500m', memory: '512Mi' },
          autoscaling: {
            minReplicas: 2,
            maxReplicas: 10,
            metrics: [
              { type: 'cpu', target: 70 },
              { type: 'memory', target: 80 },
            ],
          },
        }),
    ],
  ];

  it.each(cases)(
    '%s passes the scaffolder dry run without creating anything',
    async (dir, _ref, values) => {
      const template = {
        ...YAML.parse(fs.readFileSync(templateFile(dir), 'utf8')),
      };
      template.metadata.namespace = 'default';
      const res = await portal
        .api()
        .post('/api/scaffolder/v2/dry-run')
        .send({
          template,
          values: { ...values, namespace: ns() },
          secrets: {},
          directoryContents: [],
        });
      expect(res.status).toBe(200);
      const log = res.body.log
        .map((l: any) => l.body?.message ?? '')
        .join('\n');
      expect(log).toContain(
        `Dry run: ${ns()}/${(values as any).name} on local would be deployed`,
      );
      expect(log).toContain('Finished step Deploy');
      expect(await modelDeployments(ns())).toEqual([]);
    },
  );

  it.each(cases)(
    '%s creates the ModelDeployment and the catalog gets its three entities',
    async (_dir, ref, values, checkSpec) => {
      const v = { ...values, namespace: ns() } as any;
      const { task, log } = await runTask(portal, ref, v);
      expect(`${task.status}\n${log}`).toMatch(/^completed/);
      const md = (await modelDeployments(ns())).find(
        m => m.metadata.name === v.name,
      );
      expect(md).toBeDefined();
      checkSpec(md.spec);
      expect(md.spec.owner).toBe(v.owner);
      const entity = `local.${ns()}.${v.name}`;
      await eventually(async () => {
        const component = await portal
          .api()
          .get(`/api/catalog/entities/by-name/component/default/${entity}`);
        expect(component.status).toBe(200);
        expect(component.body.spec).toMatchObject({
          type: 'model-server',
          owner: v.owner,
        });
        expect(
          (
            await portal
              .api()
              .get(`/api/catalog/entities/by-name/api/default/${entity}-api`)
          ).status,
        ).toBe(200);
        const model = component.body.spec.dependsOn[0].replace(
          'resource:default/',
          '',
        );
        expect(
          (
            await portal
              .api()
              .get(`/api/catalog/entities/by-name/resource/default/${model}`)
          ).status,
        ).toBe(200);
      }, 30_000);
    },
  );

  it('removes the entities when the deployment is deleted', async () => {
    const entity = `local.${ns()}.team-iris`;
    expect(
      (
        await portal
          .api()
          .get(`/api/catalog/entities/by-name/component/default/${entity}`)
      ).status,
    ).toBe(200);
    await adminKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({
        group: 'modelhosting.io',
        version: 'v1alpha1',
        plural: 'modeldeployments',
        namespace: ns(),
        name: 'team-iris',
      });
    await eventually(async () => {
      expect(
        (
          await portal
            .api()
            .get(`/api/catalog/entities/by-name/component/default/${entity}`)
        ).status,
      ).toBe(404);
      expect(
        (
          await portal
            .api()
            .get(`/api/catalog/entities/by-name/api/default/${entity}-api`)
        ).status,
      ).toBe(404);
    }, 30_000);
    // Other deployments keep theirs.
    expect(
      (
        await portal
          .api()
          .get(
            `/api/catalog/entities/by-name/component/default/local.${ns()}.team-vllm`,
          )
      ).status,
    ).toBe(200);
  });

  it('renders the vLLM manifest for GitOps instead of applying it', async () => {
    const template = YAML.parse(
      fs.readFileSync(templateFile('deploy-vllm'), 'utf8'),
    );
    template.metadata.namespace = 'default';
    const res = await portal
      .api()
      .post('/api/scaffolder/v2/dry-run')
      .send({
        template,
        values: {
          name: 'gitops-vllm',
          owner: 'group:default/ml-platform',
          cluster: 'local',
          namespace: ns(),
          model: 'm/x',
          gpuProduct: 'NVIDIA-A100-SXM4-80GB',
          gpuCount: 2,
          maxReplicas: 3,
          idleMinutes: 5,
          delivery: 'manifest',
          cacheSize: '50Gi',
        },
        secrets: {},
        directoryContents: [],
      });
    expect(res.status).toBe(200);
    const file = res.body.directoryContents.find(
      (f: any) => f.path === 'k8s/gitops-vllm.yaml',
    );
    const manifest = YAML.parse(
      Buffer.from(file.base64Content, 'base64').toString(),
    );
    expect(manifest).toMatchObject({
      kind: 'ModelDeployment',
      metadata: { name: 'gitops-vllm', namespace: ns() },
      spec: {
        resources: { gpu: { count: 2 } },
        autoscaling: { scaleToZeroAfterSeconds: 300 },
        storage: {
          cache: { type: 'pvc', size: '50Gi', accessMode: 'ReadWriteOnce' },
        },
      },
    });
    expect(
      (await modelDeployments(ns())).map(m => m.metadata.name),
    ).not.toContain('gitops-vllm');
  });

  it('fails a task with bad input with a clear message and applies nothing', async () => {
    const { task, log } = await runTask(portal, 'deploy-ollama-model', {
      name: 'too-greedy',
      owner: 'group:default/ml-platform',
      cluster: 'local',
      namespace: ns(),
      model: 'llama3.1:8b',
      gpuSharing: 'exclusive',
      gpuProduct: 'Tesla-T4-SHARED',
      gpuCount: 8,
      replicas: 1,
      cacheSize: '100Gi',
    });
    expect(task.status).toBe('failed');
    expect(log).toMatch(
      /No node in cluster 'local' matches the placement for nvidia.com\/gpu|can hold 8 nvidia.com\/gpu/,
    );
    expect(
      (await modelDeployments(ns())).map(m => m.metadata.name),
    ).not.toContain('too-greedy');
  });
});

describe('a user without the create permission', () => {
  const ns = useNamespace('tmpl-deny');
  let portal: Portal;
  beforeAll(async () => {
    portal = await startPortal('no-create');
  }, 120_000);
  afterAll(async () => portal?.backend.stop());

  it('sees the task fail with a permission error and nothing applied', async () => {
    const { task, log } = await runTask(portal, 'deploy-http-predictor', {
      name: 'not-allowed',
      owner: 'group:default/data-science',
      cluster: 'local',
      namespace: ns(),
      model: 'iris',
      version: '1',
      source: 's3://m/x',
      cpu: '500m',
      memory: '512Mi',
      minReplicas: 1,
      maxReplicas: 2,
    });
    expect(task.status).toBe('failed');
    expect(log).toMatch(/You may not deploy models/);
    expect(await modelDeployments(ns())).toEqual([]);
  });
});
