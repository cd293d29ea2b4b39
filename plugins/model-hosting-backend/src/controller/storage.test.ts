import { EngineRegistry } from '../engines';
import { plan } from './plan';
import { modelDeployment } from './testFixtures';

const engines = new EngineRegistry();
const pod = (p: ReturnType<typeof plan>) => p.deployment.spec!.template.spec!;

describe('storage in the plan', () => {
  it('keeps Ollama models on a claim it creates, mounted where Ollama looks, owned by the deployment', () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'ollama';
      m.spec.model = { name: 'llama3.1:8b' };
      m.spec.storage = {
        cache: {
          type: 'pvc',
          size: '100Gi',
          storageClassName: 'fast',
          accessMode: 'ReadWriteMany',
        },
      };
    });
    const p = plan(md, engines.get('ollama'), { replicas: 3 });
    expect(p.claim).toMatchObject({
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'chat-models',
        ownerReferences: [{ kind: 'ModelDeployment', uid: 'uid-1' }],
      },
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '100Gi' } },
        storageClassName: 'fast',
      },
    });
    expect(pod(p).volumes).toEqual([
      {
        name: 'model-cache',
        persistentVolumeClaim: { claimName: 'chat-models' },
      },
    ]);
    expect(pod(p).containers[0].volumeMounts).toEqual([
      { name: 'model-cache', mountPath: '/root/.ollama/models' },
    ]);
    // Ollama pulls ollama:// and plain names itself: no loader.
    expect(pod(p).initContainers).toBeUndefined();
  });

  it('fetches an s3:// model with the loader before an HTTP predictor starts, and points the server at it', () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'http';
      m.spec.model = { name: 'iris', version: '2', source: 's3://models/iris' };
      m.spec.storage = {
        cache: { type: 'emptyDir', size: '5Gi' },
        credentials: { secretName: 'minio' },
        s3: {
          endpoint: 'http://minio.storage:9000',
          region: 'us-east-1',
          pathStyle: true,
        },
      };
    });
    const p = plan(
      md,
      engines.get('http'),
      { replicas: 1 },
      { loaderImage: 'loader:1', hfEndpoint: 'http://hf.mirror' },
    );
    const [loader] = pod(p).initContainers!;
    expect(loader).toMatchObject({
      name: 'model-loader',
      image: 'loader:1',
      volumeMounts: [{ name: 'model-cache', mountPath: '/models' }],
    });
    expect(loader.env).toEqual(
      expect.arrayContaining([
        {
          name: 'MODEL_SOURCES',
          value: JSON.stringify([
            { name: 'iris', version: '2', source: 's3://models/iris' },
          ]),
        },
        { name: 'S3_ENDPOINT', value: 'http://minio.storage:9000' },
        { name: 'S3_FORCE_PATH_STYLE', value: 'true' },
        { name: 'HF_ENDPOINT', value: 'http://hf.mirror' },
        {
          name: 'AWS_ACCESS_KEY_ID',
          valueFrom: {
            secretKeyRef: {
              name: 'minio',
              key: 'AWS_ACCESS_KEY_ID',
              optional: true,
            },
          },
        },
      ]),
    );
    expect(pod(p).volumes).toEqual([
      { name: 'model-cache', emptyDir: { sizeLimit: '5Gi' } },
    ]);
    expect(p.configMap.data!.MLSERVER_MODEL_URI).toBe(
      '/mnt/models/s3/models-iris/2',
    );
    expect(pod(p).containers[0].env).toEqual(
      expect.arrayContaining([
        { name: 'MODEL_PATH', value: '/mnt/models/s3/models-iris/2' },
      ]),
    );
    expect(p.claim).toBeUndefined();
  });

  it("takes the admins' S3 store for a deployment that names none, field by field", () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'http';
      m.spec.model = { name: 'iris', source: 's3://models/iris' };
      m.spec.storage = { s3: { region: 'eu-west-1' } };
    });
    const p = plan(
      md,
      engines.get('http'),
      { replicas: 1 },
      {
        loaderImage: 'loader:1',
        s3: {
          endpoint: 'http://minio.storage:9000',
          region: 'us-east-1',
          pathStyle: true,
        },
      },
    );
    expect(pod(p).initContainers![0].env).toEqual(
      expect.arrayContaining([
        { name: 'S3_ENDPOINT', value: 'http://minio.storage:9000' },
        { name: 'S3_REGION', value: 'eu-west-1' },
        { name: 'S3_FORCE_PATH_STYLE', value: 'true' },
      ]),
    );
  });

  it('mounts a pvc:// source read-only for the loader and the server, and serves it from there', () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'http';
      m.spec.model = { name: 'iris', source: 'pvc://team-weights/iris/3' };
    });
    const p = plan(
      md,
      engines.get('http'),
      { replicas: 1 },
      { loaderImage: 'loader:1' },
    );
    const source = {
      name: 'src-team-weights',
      mountPath: '/sources/team-weights',
      readOnly: true,
    };
    expect(pod(p).volumes).toEqual(
      expect.arrayContaining([
        {
          name: 'src-team-weights',
          persistentVolumeClaim: { claimName: 'team-weights', readOnly: true },
        },
      ]),
    );
    expect(pod(p).initContainers![0].volumeMounts).toContainEqual(source);
    expect(pod(p).containers[0].volumeMounts).toContainEqual(source);
    expect(pod(p).containers[0].env).toContainEqual({
      name: 'MODEL_PATH',
      value: '/sources/team-weights/iris/3',
    });
    expect(p.configMap.data!.MLSERVER_MODEL_URI).toBe(
      '/sources/team-weights/iris/3',
    );
  });

  it('gives vLLM on several GPUs a memory /dev/shm, its token, and the loaded files', () => {
    const md = modelDeployment(m => {
      m.spec.model = { name: 'org/model', source: 'hf://org/model@abc123' };
      m.spec.resources = { gpu: { count: 4 } };
      m.spec.models = [{ name: 'org/other', source: 'hf://org/other' }];
      m.spec.storage = {
        cache: { type: 'pvc', claimName: 'shared-models' },
        credentials: { secretName: 'hf' },
        preload: ['org/other'],
      };
    });
    const p = plan(md, engines.get('vllm'), { replicas: 1 });
    const spec = pod(p);
    expect(spec.volumes).toEqual([
      {
        name: 'model-cache',
        persistentVolumeClaim: { claimName: 'shared-models' },
      },
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '32Gi' } },
    ]);
    const server = spec.containers[0];
    expect(server.args!.slice(0, 2)).toEqual(['--model', '$(MODEL_PATH)']);
    expect(server.env).toEqual(
      expect.arrayContaining([
        { name: 'MODEL_PATH', value: '/models/hf/org-model/abc123' },
        {
          name: 'HF_TOKEN',
          valueFrom: {
            secretKeyRef: { name: 'hf', key: 'HF_TOKEN', optional: true },
          },
        },
      ]),
    );
    expect(
      JSON.parse(
        spec.initContainers![0].env!.find(e => e.name === 'MODEL_SOURCES')!
          .value!,
      ),
    ).toEqual([
      { name: 'org/model', source: 'hf://org/model@abc123' },
      { name: 'org/other', source: 'hf://org/other' },
    ]);
    // An existing claim is not the reconciler's to create.
    expect(p.claim).toBeUndefined();
  });

  it('keeps a retained claim without an owner reference, marked with the deployment instead', () => {
    const md = modelDeployment(m => {
      m.spec.storage = { cache: { type: 'pvc', size: '10Gi', retain: true } };
    });
    const { claim } = plan(md, engines.get('vllm'), { replicas: 1 });
    expect(claim!.metadata!.ownerReferences).toBeUndefined();
    expect(claim!.metadata!.annotations).toEqual({
      'modelhosting.io/controller-uid': 'uid-1',
    });
  });
});
