import fs from 'fs';
import path from 'path';
import { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import {
  assertStatus,
  ModelHosting,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { adminKubeConfig, eventually, kubectl, useNamespace } from './kube';
import { PodNetwork, requirePodNetwork, servedPods } from './podNetwork';

// Model storage for real: the model loader (packages/model-loader) runs as each pod's init
// container in the pod runner, inside the pod network, against a real S3 server (versitygw,
// scripts/engines/versitygw.sh) and a server speaking the Hugging Face Hub's protocol, both
// listening on the host end of the pod network's veth pair (what pods reach). Claims are
// provisioned by the local cluster's StorageClass (local-models); the server starts only after
// the loader succeeded, with MODEL_PATH in the volume's real directory.
const {
  startS3,
  buildS3,
  startFakeHub,
  bytes,
} = require('@modelhosting/model-loader/testing');

const BUCKET = 'models';
const IRIS = {
  '1': {
    'iris-classifier/1/model.joblib': bytes('iris-1', 3000),
    'iris-classifier/1/metadata.json': '{"version":1}',
  },
  '2': {
    'iris-classifier/2/model.joblib': bytes('iris-2', 5000),
    'iris-classifier/2/metadata.json': '{"version":2}',
  },
};

interface Loaded {
  model: string;
  revision: string | null;
  cache: string;
  bytes: number;
  seconds: number;
}

describe('model storage: the loader in the pods, claims of the local cluster', () => {
  const ns = useNamespace('storage', {
    annotations: {
      'modelhosting.io/allowed-secrets': 'model-creds, bad-creds, hf-creds',
    },
  });
  let net: PodNetwork;
  let mh: ModelHosting;
  let s3: any;
  let hub: any;
  let core: CoreV1Api;
  const timings: Record<string, number> = {};

  const gets = () => s3.requests({ method: 'GET', query: 'GetObject' }).length;

  const pods = async (name: string): Promise<V1Pod[]> =>
    (
      await core.listNamespacedPod({
        namespace: ns(),
        labelSelector: `app.kubernetes.io/instance=${name}`,
      })
    ).items.filter(p => !p.metadata?.deletionTimestamp);

  const loader = (pod: V1Pod) =>
    pod.status?.initContainerStatuses?.find(s => s.name === 'model-loader');

  /** The loader's report of the deployment's newest pod that finished loading. */
  const report = async (name: string, after?: string) =>
    eventually(async () => {
      const done = (await pods(name))
        .map(p => ({ p, t: loader(p)?.state?.terminated }))
        .filter(
          x => x.t?.exitCode === 0 && (!after || x.p.metadata!.uid !== after),
        );
      if (!done.length) throw new Error(`no pod of ${name} finished loading`);
      return {
        pod: done[0].p,
        report: JSON.parse(done[0].t!.message!) as {
          models: Loaded[];
          seconds: number;
        },
      };
    }, 90_000);

  const deploy = (name: string, spec: object) =>
    mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name,
        spec: {
          owner: 'group:default/ml-platform',
          replicas: 1,
          ...spec,
        },
      });

  const s3Storage = (secretName: string) => ({
    cache: { type: 'pvc', size: '1Gi', accessMode: 'ReadWriteMany' },
    credentials: { secretName },
    s3: {
      endpoint: s3.endpoints.find((e: string) =>
        e.includes(net.info.hostAddress),
      ),
      region: 'us-east-1',
      pathStyle: true,
    },
  });

  beforeAll(async () => {
    net = requirePodNetwork();
    core = adminKubeConfig().makeApiClient(CoreV1Api);
    buildS3();
    const host = net.info.hostAddress as string;
    s3 = await startS3({ listen: `127.0.0.1,${host}` });
    await s3.putObjects(BUCKET, { ...IRIS['1'], ...IRIS['2'] });
    hub = await startFakeHub({ host });
    const secret = (name: string, data: Record<string, string>) =>
      core.createNamespacedSecret({
        namespace: ns(),
        body: { metadata: { name }, stringData: data },
      });
    await secret('model-creds', {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
    await secret('bad-creds', {
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key',
    });
    await secret('hf-creds', { HF_TOKEN: hub.token });
    mh = await startModelHosting({
      config: { modelHosting: { storage: { hfEndpoint: hub.url } } },
    });
  }, 600_000);
  afterAll(async () => {
    await mh?.stop();
    s3?.stop();
    await hub?.close();
    // eslint-disable-next-line no-console
    console.log(`model loader timings (s): ${JSON.stringify(timings)}`);
  });

  it('serves the ML platform iris model from S3 by name and version, on a claim the local provisioner binds', async () => {
    const before = gets();
    assertStatus(
      await deploy('iris', {
        engine: 'http',
        model: {
          name: 'iris-classifier',
          version: '2',
          source: 's3://models/iris-classifier',
        },
        storage: s3Storage('model-creds'),
      }),
      201,
    );
    await net.waitReady(ns(), 'iris', 1, { timeoutMs: 90_000 });
    const claim = await core.readNamespacedPersistentVolumeClaim({
      namespace: ns(),
      name: 'iris-models',
    });
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.spec?.storageClassName).toBe('local-models');
    const { pod, report: r } = await report('iris');
    expect(r.models).toEqual([
      expect.objectContaining({
        model: 'iris-classifier',
        revision: '2',
        cache: 'miss',
        bytes: 5013,
      }),
    ]);
    timings.s3Cold = r.seconds;
    expect(gets() - before).toBe(2);
    expect(pod.status?.phase).toBe('Running');
    // The server got MODEL_PATH in the claim's directory, holding the files.
    const [served] = await servedPods(net, ns(), 'iris');
    const modelPath = (served as any).modelPath as string;
    expect(modelPath).toMatch(
      /\/volumes\/pv\/pvc-[^/]+\/s3\/models-iris-classifier\/2$/,
    );
    expect(fs.readFileSync(path.join(modelPath, 'model.joblib'))).toEqual(
      IRIS['2']['iris-classifier/2/model.joblib'],
    );
    // The reconciler records what the loader said.
    await waitForDeployment(
      mh,
      ns(),
      'iris',
      d => d.resource.status?.modelCache?.hit === false,
    );
  });

  it('a new pod finds the model on the claim: no second download', async () => {
    const before = gets();
    const [old] = await pods('iris');
    await core.deleteNamespacedPod({
      namespace: ns(),
      name: old.metadata!.name!,
    });
    const { report: r } = await report('iris', old.metadata!.uid);
    expect(r.models[0]).toMatchObject({
      revision: '2',
      cache: 'hit',
      bytes: 5013,
    });
    timings.s3Hit = r.seconds;
    expect(gets() - before).toBe(0);
    await net.waitReady(ns(), 'iris', 1, { timeoutMs: 60_000 });
    await waitForDeployment(
      mh,
      ns(),
      'iris',
      d => d.resource.status?.modelCache?.hit === true,
    );
  });

  it('the second version is fetched beside the first', async () => {
    const before = gets();
    const [old] = await pods('iris');
    kubectl(
      'patch',
      'md',
      'iris',
      '-n',
      ns(),
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { model: { version: '1' } } }),
    );
    const r = await eventually(async () => {
      const y = await report('iris', old.metadata!.uid);
      if (y.report.models[0].revision !== '1') throw new Error('not yet');
      return y.report;
    }, 90_000);
    expect(r.models[0]).toMatchObject({
      revision: '1',
      cache: 'miss',
      bytes: 3013,
    });
    expect(gets() - before).toBe(2);
    await eventually(async () => {
      const served = await servedPods(net, ns(), 'iris');
      const p = served.find((x: any) => x.modelPath?.endsWith('/1'));
      if (!p?.ready) throw new Error('not ready on version 1 yet');
      expect(
        fs.readFileSync(path.join((p as any).modelPath, 'model.joblib')),
      ).toEqual(IRIS['1']['iris-classifier/1/model.joblib']);
    }, 90_000);
  });

  it('a wrong credential: a clear error in the pod, and the server is not started', async () => {
    assertStatus(
      await deploy('iris-bad', {
        engine: 'http',
        model: {
          name: 'iris-classifier',
          version: '2',
          source: 's3://models/iris-classifier',
        },
        storage: { ...s3Storage('bad-creds'), cache: { type: 'emptyDir' } },
      }),
      201,
    );
    const message = await eventually(async () => {
      const [p] = await pods('iris-bad');
      const t = loader(p)?.state?.terminated;
      if (!t || t.exitCode === 0) throw new Error('loader not failed yet');
      expect(p.status?.phase).toBe('Pending');
      expect(t.reason).toBe('Error');
      return t.message;
    }, 60_000);
    expect(message).toBe(
      's3://models/iris-classifier/2: wrong secret key (403 SignatureDoesNotMatch) — check the Secret named in spec.storage.credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    );
    const [served] = await servedPods(net, ns(), 'iris-bad');
    expect(served).toMatchObject({ kind: null, ready: false });
    const [p] = await pods('iris-bad');
    expect(p.status?.containerStatuses?.[0].state?.waiting?.reason).toBe(
      'PodInitializing',
    );
    // The portal shows why.
    const d = await waitForDeployment(mh, ns(), 'iris-bad', x =>
      x.pods?.some((q: any) => /^model-loader: /.test(q.reason ?? '')),
    );
    expect(d.pods[0].reason).toBe(`model-loader: ${message}`);
  });

  it('hf:// from a server speaking the Hub protocol: a revision, then a gated repository without and with a token', async () => {
    assertStatus(
      await deploy('tiny-v2', {
        engine: 'vllm',
        model: { name: 'tiny', source: 'hf://tiny-org/tiny-model@v2' },
        storage: { cache: { type: 'emptyDir', size: '1Gi' } },
      }),
      201,
    );
    await net.waitReady(ns(), 'tiny-v2', 1, { timeoutMs: 90_000 });
    const { report: r } = await report('tiny-v2');
    expect(r.models[0]).toMatchObject({ revision: 'v2', cache: 'miss' });
    timings.hfCold = r.seconds;
    const [served] = await servedPods(net, ns(), 'tiny-v2');
    const modelPath = (served as any).modelPath as string;
    expect(modelPath).toMatch(/\/hf\/tiny-org-tiny-model\/v2$/);
    expect(fs.readFileSync(path.join(modelPath, 'model.safetensors'))).toEqual(
      hub.repos['tiny-org/tiny-model'].revisions.v2.files['model.safetensors']
        .data,
    );

    assertStatus(
      await deploy('gated', {
        engine: 'vllm',
        model: { name: 'gated', source: 'hf://gated-org/gated-model' },
        storage: { cache: { type: 'emptyDir' } },
      }),
      201,
    );
    const refused = await eventually(async () => {
      const [p] = await pods('gated');
      const t = loader(p)?.state?.terminated;
      if (!t || t.exitCode === 0) throw new Error('loader not failed yet');
      return t.message;
    }, 60_000);
    expect(refused).toBe(
      'hf://gated-org/gated-model: the Hub refused access (401 GatedRepo): a gated or private repository needs a token; put HF_TOKEN in the Secret named in spec.storage.credentials',
    );
    // The token arrives from the Secret: the next start of the loader gets through.
    kubectl(
      'patch',
      'md',
      'gated',
      '-n',
      ns(),
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { storage: { credentials: { secretName: 'hf-creds' } } },
      }),
    );
    await net.waitReady(ns(), 'gated', 1, { timeoutMs: 90_000 });
    const { report: g } = await report('gated');
    expect(g.models[0]).toMatchObject({ cache: 'miss' });
  });

  it('pvc:// serves a model already on a claim of the namespace, mounted read-only, nothing copied', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns(),
      body: {
        metadata: { name: 'team-weights' },
        spec: {
          accessModes: ['ReadOnlyMany'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    });
    // The team put its model there earlier: files in the bound volume's directory.
    const dir = await eventually(async () => {
      const claim = await core.readNamespacedPersistentVolumeClaim({
        namespace: ns(),
        name: 'team-weights',
      });
      if (claim.status?.phase !== 'Bound') throw new Error('not bound yet');
      const pv = await core.readPersistentVolume({
        name: claim.spec!.volumeName!,
      });
      return pv.spec!.hostPath!.path;
    }, 60_000);
    const model = IRIS['2']['iris-classifier/2/model.joblib'];
    fs.mkdirSync(path.join(dir, 'iris/3'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'iris/3/model.joblib'), model);
    const before = gets();
    assertStatus(
      await deploy('on-claim', {
        engine: 'http',
        model: {
          name: 'iris',
          version: '3',
          source: 'pvc://team-weights/iris/3',
        },
      }),
      201,
    );
    await net.waitReady(ns(), 'on-claim', 1, { timeoutMs: 90_000 });
    const { report: r } = await report('on-claim');
    expect(r.models).toEqual([
      expect.objectContaining({ model: 'iris', cache: 'volume' }),
    ]);
    expect(gets() - before).toBe(0);
    // The server reads the claim itself.
    const [served] = await servedPods(net, ns(), 'on-claim');
    const modelPath = (served as any).modelPath as string;
    expect(fs.realpathSync(modelPath)).toBe(
      fs.realpathSync(path.join(dir, 'iris/3')),
    );
    expect(fs.readFileSync(path.join(modelPath, 'model.joblib'))).toEqual(
      model,
    );
    const [p] = await pods('on-claim');
    expect(p.spec!.containers[0].volumeMounts).toContainEqual({
      name: 'src-team-weights',
      mountPath: '/sources/team-weights',
      readOnly: true,
    });
    await waitForDeployment(
      mh,
      ns(),
      'on-claim',
      d => d.resource.status?.modelCache?.hit === true,
    );
  });

  it('refuses a pvc:// path that leaves its claim, before anything is written', async () => {
    const res = await deploy('escape', {
      engine: 'http',
      model: { name: 'iris', source: 'pvc://team-weights/../other' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      "spec.model.source 'pvc://team-weights/../other' must be pvc://<claim>/<path inside it>",
    );
    expect((await pods('escape')).length).toBe(0);
  });

  it('Ollama on a shared claim (the Model Manager way): what it holds survives a new pod', async () => {
    const models = (await net.refreshRealOllama()).models ?? [];
    expect(models).toContain('tiny-llama:latest');
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns(),
      body: {
        metadata: { name: 'ollama-pvc' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '100Gi' } },
        },
      },
    });
    assertStatus(
      await deploy('ollama', {
        engine: 'ollama',
        model: { name: 'tiny-llama:latest' },
        storage: { cache: { type: 'pvc', claimName: 'ollama-pvc' } },
      }),
      201,
    );
    await net.waitReady(ns(), 'ollama', 1, { timeoutMs: 90_000 });
    const [first] = await servedPods(net, ns(), 'ollama');
    expect(first.kind).toBe('ollama');
    expect((first as any).ollamaModels).toMatch(/\/volumes\/pv\/pvc-[^/]+$/);
    // Something only this claim holds: a copy made through Ollama's own API.
    const copy = await fetch(`http://${first.ip}:${first.port}/api/copy`, {
      method: 'POST',
      body: JSON.stringify({
        source: 'tiny-llama:latest',
        destination: 'kept-on-the-claim:latest',
      }),
    });
    expect(copy.status).toBe(200);
    await core.deleteNamespacedPod({ namespace: ns(), name: first.pod });
    const second = await eventually(async () => {
      const [p] = (await servedPods(net, ns(), 'ollama')).filter(
        x => x.pod !== first.pod && x.ready,
      );
      if (!p) throw new Error('no new ready pod yet');
      return p;
    }, 90_000);
    const tags = await (
      await fetch(`http://${second.ip}:${second.port}/api/tags`)
    ).json();
    expect(tags.models.map((m: any) => m.name)).toContain(
      'kept-on-the-claim:latest',
    );
  });
});
