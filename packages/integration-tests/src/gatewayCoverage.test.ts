// The gateway serves every model a deployment has (issue 15): each model an Ollama server holds
// (real Ollama behind the pod), and HTTP predictors through `/predict` and the V2 inference
// protocol, with the same sign-in, metering and scale-from-zero as chat completions. Everything
// goes through the API server's service proxy, as in a real installation.
import {
  deployAndWait,
  ModelHosting,
  path as apiPath,
  startModelHosting,
} from './backend';
import { eventually, useNamespace } from './kube';
import {
  PodNetwork,
  requirePodNetwork,
  requestsTo,
  servedPods,
} from './podNetwork';

const MH = '/api/model-hosting';

const usageOf = async (mh: ModelHosting, namespace: string, name: string) => {
  const series = (
    await mh
      .api()
      .get(
        `${MH}/usage?cluster=local&namespace=${namespace}&name=${name}&range=1h`,
      )
  ).body.series as any[];
  return series.reduce((n: number, p: any) => n + (p.requests ?? 0), 0);
};

describe('the gateway serves every model of an Ollama server', () => {
  const ns = useNamespace('gw-ollama');
  let net: PodNetwork;
  let mh: ModelHosting;

  beforeAll(async () => {
    net = requirePodNetwork();
    const models = (await net.refreshRealOllama()).models ?? [];
    for (const m of ['tiny-llama:latest', 'tiny-llama-b:latest']) {
      if (!models.includes(m))
        throw new Error(
          `The pod runner's real Ollama lacks ${m} (it has: ${
            models.join(', ') || 'none'
          }); run 'bash scripts/engines/ollama.sh env'`,
        );
    }
    mh = await startModelHosting();
    await deployAndWait(mh, ns(), 'two', {
      owner: 'group:default/ml-platform',
      engine: 'ollama',
      model: { name: 'tiny-llama:latest' },
      replicas: 1,
      healthCheck: {
        expectedModels: ['tiny-llama:latest', 'tiny-llama-b:latest'],
      },
    });
    await net.waitReady(ns(), 'two', 1);
  }, 120_000);
  afterAll(async () => mh?.stop());

  it('lists both models and answers for the second one, from the same server', async () => {
    const ids = (await mh.api().get(`${MH}/v1/models`)).body.data.map(
      (m: any) => m.id,
    );
    expect(ids).toEqual(
      expect.arrayContaining([
        `${ns()}/tiny-llama:latest`,
        `${ns()}/tiny-llama-b:latest`,
      ]),
    );
    for (const model of ['tiny-llama-b:latest', 'tiny-llama:latest']) {
      const res = await mh
        .api()
        .post(`${MH}/v1/chat/completions`)
        .send({
          model: `${ns()}/${model}`,
          max_tokens: 3,
          messages: [{ role: 'user', content: 'Hello' }],
        });
      expect(res.status).toBe(200);
      expect(res.body.model).toBe(model);
      expect(res.body.usage.completion_tokens).toBe(3);
    }
    // One server, never switched: both answers came from the pod that was there from the start.
    expect((await servedPods(net, ns(), 'two')).map(p => p.kind)).toEqual([
      'ollama',
    ]);
    const d = (await mh.api().get(apiPath(ns(), 'two'))).body.resource;
    expect(d.status.lastSwitch).toBeUndefined();
  });

  it('meters each model apart', async () => {
    await eventually(async () => {
      const res = await mh.api().get(`${apiPath(ns(), 'two')}/models`);
      const byName = Object.fromEntries(
        res.body.items.map((m: any) => [m.name, m]),
      );
      expect(byName['tiny-llama:latest']).toMatchObject({
        requests: 1,
        generationTokens: 3,
      });
      expect(byName['tiny-llama-b:latest']).toMatchObject({
        requests: 1,
        generationTokens: 3,
      });
    }, 30_000);
  });
});

describe('the gateway serves HTTP predictors: /predict and the V2 inference protocol', () => {
  const ns = useNamespace('gw-predict');
  let net: PodNetwork;
  let mh: ModelHosting;

  beforeAll(async () => {
    net = requirePodNetwork();
    mh = await startModelHosting();
    await deployAndWait(
      mh,
      ns(),
      'iris',
      {
        owner: 'group:default/ml-platform',
        engine: 'http',
        model: { name: 'iris-classifier', version: '2' },
        resources: { cpu: '500m', memory: '512Mi' },
        // At zero: the first prediction wakes it.
        replicas: 0,
      },
      d =>
        d.resource.status?.conditions?.some(
          (c: any) => c.type === 'Reconciled' && c.status === 'True',
        ),
    );
  });
  afterAll(async () => mh?.stop());

  it('wakes the predictor from zero for a /predict and answers it (iris rule: setosa)', async () => {
    const res = await mh
      .api()
      .post(`${MH}/namespaces/${ns()}/models/iris-classifier/predict`)
      .send({ features: [[5.1, 3.5, 1.4, 0.2]], return_probabilities: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      predictions: [0],
      labels: ['setosa'],
      model_name: 'iris-classifier',
      model_version: '2',
    });
    const d = (await mh.api().get(apiPath(ns(), 'iris'))).body.resource;
    expect(d.spec.replicas).toBe(1);
    expect(await requestsTo(net, ns(), 'iris', 'POST /predict')).toBe(1);
  });

  it('answers a V2 infer for the model, with the tensor it sent classified', async () => {
    const res = await mh
      .api()
      .post(`${MH}/namespaces/${ns()}/v2/models/iris-classifier/infer`)
      .send({
        id: 'req-1',
        inputs: [
          {
            name: 'input-0',
            shape: [2, 4],
            datatype: 'FP32',
            data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3],
          },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      model_name: 'iris-classifier',
      id: 'req-1',
      outputs: [{ name: 'predict', shape: [2, 1], data: [0, 2] }],
    });
    expect(
      await requestsTo(
        net,
        ns(),
        'iris',
        'POST /v2/models/iris-classifier/infer',
      ),
    ).toBe(1);
  });

  it('refuses a model the namespace does not serve with a 404, reaching no server', async () => {
    const before = await requestsTo(net, ns(), 'iris', 'POST /predict');
    const res = await mh
      .api()
      .post(`${MH}/namespaces/${ns()}/models/churn/predict`)
      .send({ features: [[1, 2, 3, 4]] });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('iris-classifier');
    expect(await requestsTo(net, ns(), 'iris', 'POST /predict')).toBe(before);
  });

  it('meters both predictions as requests of the deployment', async () => {
    await eventually(
      async () => expect(await usageOf(mh, ns(), 'iris')).toBe(2),
      30_000,
    );
  });
});
