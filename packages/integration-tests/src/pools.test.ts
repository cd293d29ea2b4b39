// Model pools and switch on request (issue 15), as vllm-chill does for one GPU and many models: a
// gateway request for a model of a deployment's pool that it does not run is held while the
// reconciler switches (recreate frees the GPU first), then answered by the new model. Models are
// the pod runner's vLLM stand-ins behind real pod IPs, reached through the API server's service
// proxy; each answers with the model its container's arguments name.
import {
  assertStatus,
  deployAndWait,
  ModelHosting,
  path as apiPath,
  startModelHosting,
  waitForDeployment,
} from './backend';
import {
  eventsFor,
  eventually,
  kubectl,
  useGpuNode,
  useNamespace,
} from './kube';
import { PodNetwork, requirePodNetwork, servedPods } from './podNetwork';

const A = 'org/model-a';
const B = 'org/model-b';

const chat = (mh: ModelHosting, model: string, content = 'Say OK.') =>
  mh
    .api()
    .post('/api/model-hosting/v1/chat/completions')
    .send({ model, max_tokens: 4, messages: [{ role: 'user', content }] });

/** The container arguments of the deployment's pods, as the engine gets them. */
const podArgs = (namespace: string, name: string): string[] =>
  JSON.parse(
    kubectl(
      'get',
      'deployment',
      name,
      '-n',
      namespace,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].args}',
    ) || '[]',
  );

/** How many switches the reconciler completed for a deployment (its SwitchCompleted Events). */
const switchesOf = (namespace: string, name: string): number =>
  eventsFor(namespace, name, 'SwitchCompleted').reduce(
    (n, e) => n + (e.count ?? 1),
    0,
  );

describe('a model pool on one GPU: switch on request', () => {
  const ns = useNamespace('pools');
  // One GPU: the new model's pod can only start once the old one has freed it (recreate).
  const node = useGpuNode('gpu-pool-test', 'nvidia.com/gpu', 1);
  let net: PodNetwork;
  let mh: ModelHosting;
  const id = (model: string) => `${ns()}/${model}`;

  beforeAll(async () => {
    net = requirePodNetwork();
    mh = await startModelHosting();
    await deployAndWait(mh, ns(), 'chill', {
      owner: 'group:default/ml-platform',
      engine: 'vllm',
      model: { name: A },
      models: [
        { name: A, engineArgs: ['--max-model-len', '2048'] },
        {
          name: B,
          version: 'v1',
          engineArgs: ['--max-model-len', '4096'],
        },
      ],
      resources: { gpu: { count: 1, product: node.product } },
      replicas: 1,
      switching: { strategy: 'recreate', minResidencySeconds: 3 },
    });
    await net.waitReady(ns(), 'chill', 1);
  }, 120_000);
  afterAll(async () => mh?.stop());

  it('lists every model of the pool in GET /v1/models', async () => {
    const res = await mh.api().get('/api/model-hosting/v1/models');
    expect(res.status).toBe(200);
    const ids = res.body.data.map((m: any) => m.id);
    expect(ids).toEqual(expect.arrayContaining([id(A), id(B)]));
  });

  it('holds a request for model B while the deployment switches from A, then B answers it; the switch and its duration are in status', async () => {
    expect((await chat(mh, id(A))).body.model).toBe(A);
    // Answered by B although A ran when it arrived: it was held through the switch.
    const res = await chat(mh, id(B));
    expect(res.status).toBe(200);
    expect(res.body.model).toBe(B);
    const d = await waitForDeployment(
      mh,
      ns(),
      'chill',
      x => x.resource.status?.lastSwitch?.to === B,
    );
    expect(d.resource.spec.model).toEqual({ name: B, version: 'v1' });
    expect(d.resource.status.lastSwitch).toMatchObject({
      from: A,
      to: B,
      strategy: 'recreate',
      trigger: 'request',
    });
    expect(d.resource.status.lastSwitch.seconds).toBeGreaterThan(0);
    expect(d.resource.status.switch).toBeUndefined();
    // B runs with its own engine arguments, on the only GPU.
    const args = podArgs(ns(), 'chill');
    expect(args.join(' ')).toContain('--max-model-len 4096');
    expect(args.join(' ')).not.toContain('2048');
    const pods = await servedPods(net, ns(), 'chill');
    expect(pods.filter(p => p.ready)).toHaveLength(1);
  }, 180_000);

  it('answers 20 interleaved requests for A and B, each by the model it asked for, with at most one switch per model', async () => {
    const before = switchesOf(ns(), 'chill');
    const asked = Array.from({ length: 20 }, (_, i) => (i % 2 ? B : A));
    const answers = await Promise.all(
      asked.map((m, i) => chat(mh, id(m), `request ${i}`)),
    );
    // Each answered by the model it asked for (a failure shows its status and message).
    expect(
      answers.map(r =>
        r.status === 200
          ? r.body.model
          : `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`,
      ),
    ).toEqual(asked);
    // B ran: at worst A's turn and then B's again; thrashing would be up to 19.
    const switches = switchesOf(ns(), 'chill') - before;
    expect(switches).toBeGreaterThanOrEqual(1);
    expect(switches).toBeLessThanOrEqual(2);
    await waitForDeployment(
      mh,
      ns(),
      'chill',
      x => !x.resource.status?.switchQueue?.length,
    );
  }, 240_000);

  it('answers a request for a model outside the pool with a 404 naming the pool, and switches nothing', async () => {
    const before = switchesOf(ns(), 'chill');
    const res = await chat(mh, id('org/model-c'));
    expect(res.status).toBe(404);
    const [head, models] = res.body.error.message.split(': ');
    expect(head).toBe(
      `No deployment in ${ns()} serves 'org/model-c'; its models (pools included)`,
    );
    expect(models.split(', ').sort()).toEqual([A, B]);
    expect(switchesOf(ns(), 'chill')).toBe(before);
  });

  it('starts a deployment at zero with the model a request asks for', async () => {
    const active = (await mh.api().get(apiPath(ns(), 'chill'))).body.resource
      .spec.model.name;
    const other = active === A ? B : A;
    assertStatus(
      await mh
        .api()
        .post(apiPath(ns(), 'chill', 'scale'))
        .send({ replicas: 0 }),
      200,
    );
    await eventually(async () => {
      if ((await servedPods(net, ns(), 'chill')).length)
        throw new Error('pods left');
    }, 60_000);
    const res = await chat(mh, id(other));
    expect(res.status).toBe(200);
    expect(res.body.model).toBe(other);
    const d = (await mh.api().get(apiPath(ns(), 'chill'))).body.resource;
    expect(d.spec.model.name).toBe(other);
    expect(d.spec.replicas).toBe(1);
  }, 180_000);

  it('shows each model of the pool with its own usage', async () => {
    await eventually(async () => {
      const res = await mh.api().get(`${apiPath(ns(), 'chill')}/models`);
      expect(res.status).toBe(200);
      const byName = Object.fromEntries(
        res.body.items.map((m: any) => [m.name, m]),
      );
      expect(Object.keys(byName).sort()).toEqual([A, B]);
      // A: 1 + 10 (+1 when the wake-up asked for A); B: 1 + 10 (+1 likewise).
      expect(byName[A].requests + byName[B].requests).toBe(23);
      expect(byName[A].requests).toBeGreaterThanOrEqual(11);
      expect(byName[B].requests).toBeGreaterThanOrEqual(11);
      expect(byName[A].inPool && byName[B].inPool).toBe(true);
      expect([byName[A].active, byName[B].active].filter(Boolean)).toHaveLength(
        1,
      );
      expect(byName[B].version).toBe('v1');
    }, 30_000);
  });
});
