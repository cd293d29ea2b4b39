import { mockCredentials } from '@backstage/backend-test-utils';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { AddressInfo } from 'net';
import {
  ModelHosting,
  path,
  startModelHosting,
  waitForDeployment,
} from './backend';
import {
  adminKubeConfig,
  eventually,
  kubectl,
  useGpuNode,
  useNamespace,
} from './kube';
import {
  bodiesReceived,
  PodNetwork,
  requestsTo,
  requirePodNetwork,
  servedPods,
} from './podNetwork';

const chat = (mh: ModelHosting, model: string, content = 'Say OK.') =>
  mh
    .api()
    .post('/api/model-hosting/v1/chat/completions')
    .send({ model, messages: [{ role: 'user', content }] });

describe('the real HPA on a ModelDeployment (metrics-server, kwok pod usage)', () => {
  const ns = useNamespace('hpa');
  let mh: ModelHosting;
  beforeAll(async () => {
    mh = await startModelHosting();
  });
  afterAll(async () => mh?.stop());

  // What the HPA controller reports, for a failure message that says why it did not scale.
  const hpaState = () =>
    [
      kubectl(
        'get',
        'hpa',
        'predictor',
        '-n',
        ns(),
        '-o',
        'jsonpath={.status.currentMetrics} {range .status.conditions[*]}{.type}={.status} {.reason}: {.message}; {end}',
      ),
      kubectl(
        'get',
        'events',
        '-n',
        ns(),
        '--field-selector',
        'involvedObject.kind=HorizontalPodAutoscaler',
        '-o',
        'jsonpath={range .items[*]}{.reason}: {.message}; {end}',
      ),
    ].join(' | ');
  const setCpuUsage = (usage: string) =>
    kubectl(
      'annotate',
      'pods',
      '-n',
      ns(),
      '-l',
      'app.kubernetes.io/instance=predictor',
      '--overwrite',
      `kwok.x-k8s.io/usage-cpu=${usage}`,
    );

  it('scales the ModelDeployment up when CPU usage rises and back down when it falls', async () => {
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name: 'predictor',
        spec: {
          owner: 'group:default/data-science',
          engine: 'http',
          model: { name: 'iris' },
          resources: { cpu: '1', memory: '256Mi' },
          replicas: 1,
          autoscaling: {
            enabled: true,
            minReplicas: 1,
            maxReplicas: 3,
            metrics: [{ type: 'cpu', target: 50 }],
            scaleUpStabilizationSeconds: 0,
            scaleDownStabilizationSeconds: 0,
          },
        },
      });
    expect(res.status).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'predictor',
      d => d.summary.phase === 'Ready' && !!d.hpa,
    );
    // 900m of a 1-CPU request is 90%: the HPA wants more replicas.
    await eventually(
      async () => {
        setCpuUsage('900m');
        const replicas = kubectl(
          'get',
          'md',
          'predictor',
          '-n',
          ns(),
          '-o',
          'jsonpath={.spec.replicas}',
        );
        if (Number(replicas) <= 1)
          throw new Error(
            `still ${replicas} replica(s); the HPA says: ${hpaState()}`,
          );
      },
      240_000,
      5000,
    );
    // The detail view shows the HPA's own view once it has seen the new pods.
    const up = await waitForDeployment(
      mh,
      ns(),
      'predictor',
      d => d.summary.readyReplicas > 1 && d.hpa?.currentReplicas > 1,
      90_000,
    );
    expect(up.hpa.metrics[0]).toMatchObject({ name: 'cpu', target: 50 });
    await eventually(
      async () => {
        setCpuUsage('50m');
        const replicas = kubectl(
          'get',
          'md',
          'predictor',
          '-n',
          ns(),
          '-o',
          'jsonpath={.spec.replicas}',
        );
        if (replicas !== '1')
          throw new Error(
            `still ${replicas} replicas; the HPA says: ${hpaState()}`,
          );
      },
      240_000,
      5000,
    );
  }, 600_000);
});

// Every model server is a process behind its pod's IP (the pod runner's stand-in for its engine),
// reached through the API server's service proxy (gateway, health checks) and pod proxy (each
// pod's vLLM gauges and counters): no endpoint overrides.
describe('the built-in autoscaler and the gateway, through the API server proxy', () => {
  const ns = useNamespace('gw');
  const node = useGpuNode('gpu-gateway-test', 'nvidia.com/gpu', 4);
  let net: PodNetwork;
  let mh: ModelHosting;
  /** The gateway's id of a model in the test namespace. */
  const id = (model: string) => `${ns()}/${model}`;

  beforeAll(async () => {
    net = requirePodNetwork();
    mh = await startModelHosting({
      // Health checks run: vLLM deployments are metered from their own counters then.
      health: {},
      config: {
        modelHosting: {
          autoscaler: { tickSeconds: 1, windowSeconds: 2 },
          gateway: {
            maxWaitSeconds: 60,
            maxPendingRequests: 2,
            requestTimeoutSeconds: 10,
          },
        },
      },
    });
  });
  afterAll(async () => {
    await mh?.stop();
  });

  const deploy = (
    name: string,
    model: string,
    autoscaling: object,
    replicas = 1,
    engine = 'vllm',
    gpu = true,
  ) =>
    mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name,
        spec: {
          owner: 'group:default/ml-platform',
          engine,
          model: { name: model },
          ...(gpu
            ? { resources: { gpu: { count: 1, product: node.product } } }
            : {}),
          replicas,
          autoscaling,
          healthCheck: { intervalSeconds: 5 },
        },
      });
  const replicas = (name: string) =>
    Number(
      kubectl('get', 'md', name, '-n', ns(), '-o', 'jsonpath={.spec.replicas}'),
    );
  const usage = async (name: string) =>
    (
      await mh
        .api()
        .get(
          `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=${name}&range=1h`,
        )
    ).body;
  const total = (series: any[], key: string) =>
    series.reduce((n: number, p: any) => n + p[key], 0);

  it('scales on the requests in flight that the engine reports, up and back down', async () => {
    expect(
      (
        await deploy('scaled', 'scaled-model', {
          enabled: true,
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'requestsInFlight', target: 10 }],
          scaleUpStabilizationSeconds: 0,
          scaleDownStabilizationSeconds: 0,
        })
      ).status,
    ).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'scaled',
      d => d.summary.phase === 'Ready',
    );
    // vLLM's num_requests_running gauge of each pod, read through the pod proxy: 25 against 10 per replica is 3.
    await net.control(ns(), 'scaled', { running: 25 });
    await eventually(async () => expect(replicas('scaled')).toBe(3), 30_000);
    await waitForDeployment(
      mh,
      ns(),
      'scaled',
      d => d.summary.readyReplicas === 3,
    );
    // Every pod's gauges were read on their own.
    await eventually(async () => {
      const pods = await servedPods(net, ns(), 'scaled');
      expect(pods).toHaveLength(3);
      for (const p of pods)
        expect(p.server!.byPath['GET /metrics']).toBeGreaterThan(0);
    }, 15_000);
    await net.control(ns(), 'scaled', { running: 0 });
    await eventually(async () => expect(replicas('scaled')).toBe(1), 30_000);
    expect(
      kubectl(
        'get',
        'events',
        '-n',
        ns(),
        '--field-selector',
        'involvedObject.name=scaled',
        '-o',
        'jsonpath={.items[*].reason}',
      ),
    ).toContain('Autoscaled');
  });

  it('scales an idle deployment to zero, freeing its GPU', async () => {
    expect(
      (
        await deploy('idle', 'idle-model', {
          enabled: true,
          minReplicas: 0,
          maxReplicas: 2,
          metrics: [{ type: 'requestsInFlight', target: 10 }],
          scaleToZeroAfterSeconds: 30,
        })
      ).status,
    ).toBe(201);
    await waitForDeployment(mh, ns(), 'idle', d => d.summary.phase === 'Ready');
    const d = await waitForDeployment(
      mh,
      ns(),
      'idle',
      x => x.summary.phase === 'ScaledToZero',
      60_000,
    );
    expect(d.summary.replicas).toBe(0);
    expect(d.pods).toEqual([]);
  }, 90_000);

  it('wakes a deployment at zero on a request and answers once it is ready', async () => {
    expect(
      (
        await deploy(
          'cold',
          'cold-model',
          {
            enabled: true,
            minReplicas: 0,
            maxReplicas: 2,
            metrics: [{ type: 'requestsInFlight', target: 10 }],
            scaleToZeroAfterSeconds: 3600,
          },
          0,
        )
      ).status,
    ).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'cold',
      d => d.summary.phase === 'ScaledToZero',
    );
    const res = await chat(mh, id('cold-model'));
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('OK.');
    expect(replicas('cold')).toBe(1);
    expect(
      kubectl(
        'get',
        'events',
        '-n',
        ns(),
        '--field-selector',
        'involvedObject.name=cold',
        '-o',
        'jsonpath={.items[*].reason}',
      ),
    ).toContain('ScaledFromZero');
    // The new pod's server got the request, under the model's own name.
    const bodies = await bodiesReceived(
      net,
      ns(),
      'cold',
      'POST',
      '/v1/chat/completions',
    );
    expect(bodies.map(b => JSON.parse(b).model)).toEqual(['cold-model']);
    // Metered once (from vLLM's counters, which count from zero on a new server), within a health
    // interval: 'Say OK.' is 3 tokens to the stand-in, plus 4 for the message's framing.
    await eventually(async () => {
      const u = await usage('cold');
      expect(total(u.series, 'requests')).toBe(1);
      expect(total(u.series, 'promptTokens')).toBe(7);
    }, 20_000);
  });

  it('holds at most maxPendingRequests while a model starts; the rest get 503 with Retry-After', async () => {
    // Nothing can be scheduled while the node lacks its product label: the deployment stays starting.
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const label = (value?: string) =>
      core.patchNode(
        {
          name: 'gpu-gateway-test',
          body: [
            {
              op: value ? 'add' : 'remove',
              path: '/metadata/labels/nvidia.com~1gpu.product',
              ...(value ? { value } : {}),
            },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    await mh.api().post(path(ns(), 'cold', 'scale')).send({ replicas: 0 });
    await waitForDeployment(
      mh,
      ns(),
      'cold',
      d => d.summary.phase === 'ScaledToZero',
    );
    await label(undefined);
    try {
      const held = [chat(mh, id('cold-model')), chat(mh, id('cold-model'))].map(
        r => r.then(x => x),
      );
      await eventually(async () => expect(replicas('cold')).toBe(1), 10_000);
      const third = await chat(mh, id('cold-model'));
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('10');
      expect(third.body.error.message).toMatch(/already holds 2 requests/);
      await label(node.product);
      const answers = await Promise.all(held);
      expect(answers.map(a => a.status)).toEqual([200, 200]);
    } finally {
      await label(node.product).catch(() => undefined);
    }
  });

  it('answers 200 concurrent requests exactly once each, and meters all of them', async () => {
    // An OpenAI-compatible server (llama.cpp's): the gateway is what meters it.
    expect(
      (
        await deploy(
          'busy',
          'busy-model',
          { enabled: false, maxReplicas: 1 },
          1,
          'openai',
        )
      ).status,
    ).toBe(201);
    await waitForDeployment(mh, ns(), 'busy', d => d.summary.phase === 'Ready');
    const chats = () =>
      requestsTo(net, ns(), 'busy', 'POST /v1/chat/completions');
    const before = await chats();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        chat(mh, id('busy-model'), `Echo: request ${i}`),
      ),
    );
    expect(answers.filter(a => a.status === 200)).toHaveLength(200);
    // Every client got its own answer, and the server answered each request once.
    expect(answers.map(a => a.body.choices[0].message.content)).toEqual(
      answers.map((_, i) => `request ${i}`),
    );
    expect(new Set(answers.map(a => a.body.id)).size).toBe(200);
    expect((await chats()) - before).toBe(200);
    await eventually(
      async () =>
        expect(total((await usage('busy')).series, 'requests')).toBe(200),
      20_000,
    );
  });

  it('passes the request body through the proxy whole: the model answers what it was sent', async () => {
    // The stand-in answers "Echo: x" with x, and an empty body with a 400.
    const res = await chat(mh, id('busy-model'), 'Echo: the body arrived');
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('the body arrived');
    const bodies = await bodiesReceived(
      net,
      ns(),
      'busy',
      'POST',
      '/v1/chat/completions',
    );
    // What the server received: the client's request, with the model's own name for the gateway's id.
    expect(JSON.parse(bodies.at(-1)!)).toEqual({
      model: 'busy-model',
      messages: [{ role: 'user', content: 'Echo: the body arrived' }],
    });
  });

  it('streams an answer as the model writes it, and meters its tokens', async () => {
    await net.control(ns(), 'busy', { streamDelayMs: 300 });
    // Every earlier answer is metered (usage is written every 2 s) before counting from here.
    await eventually(
      async () =>
        expect(total((await usage('busy')).series, 'requests')).toBe(201),
      10_000,
    );
    const tokensBefore = total(
      (await usage('busy')).series,
      'generationTokens',
    );
    const { port } = mh.backend.server.address() as AddressInfo;
    const res = await fetch(
      `http://localhost:${port}/api/model-hosting/v1/chat/completions`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: id('busy-model'),
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Echo: one two three four' }],
        }),
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const arrivals: Array<{ at: number; text: string }> = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as any)
      arrivals.push({ at: Date.now(), text: decoder.decode(chunk) });
    await net.resetControl(ns(), 'busy');
    const events = arrivals
      .map(a => a.text)
      .join('')
      .split('\n\n')
      .filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events
      .slice(0, -1)
      .map(e => JSON.parse(e.slice('data: '.length)));
    expect(
      chunks
        .flatMap(c => c.choices.map((choice: any) => choice.delta.content))
        .filter(Boolean)
        .join(''),
    ).toBe('one two three four');
    // The stand-in's count: 'Echo: one two three four' is 6 tokens, plus 4 for the message's framing.
    expect(chunks.at(-1).usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 4,
      total_tokens: 14,
    });
    // The first word came while the model was still writing: neither the gateway nor the proxy
    // buffered the answer (its pieces were 300 ms apart).
    expect(arrivals.at(-1)!.at - arrivals[0].at).toBeGreaterThan(600);
    // The usage chunk's four generated tokens are metered.
    await eventually(
      async () =>
        expect(total((await usage('busy')).series, 'generationTokens')).toBe(
          tokensBefore + 4,
        ),
      10_000,
    );
  });

  it('accepts a service token as well as a user token', async () => {
    const res = await chat(mh, id('busy-model')).set(
      'Authorization',
      mockCredentials.service.header(),
    );
    expect(res.status).toBe(200);
    const anonymous = await chat(mh, id('busy-model')).set(
      'Authorization',
      'Bearer not-a-token',
    );
    expect(anonymous.status).toBe(401);
  });

  it('lists the models it routes to by namespaced id, and refuses unknown ones', async () => {
    const models = (
      await mh.api().get('/api/model-hosting/v1/models')
    ).body.data.map((m: any) => m.id);
    expect(models).toEqual(
      expect.arrayContaining([
        id('scaled-model'),
        id('cold-model'),
        id('busy-model'),
      ]),
    );
    for (const unknown of ['no-such-model', 'busy-model']) {
      const res = await chat(mh, unknown);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toMatch(
        new RegExp(`^No deployment serves the model '${unknown}'`),
      );
    }
    const bad = await mh
      .api()
      .post('/api/model-hosting/v1/chat/completions')
      .send({ messages: [] });
    expect(bad.status).toBe(400);
  });

  it("cuts off a model server that hangs at the gateway's request timeout", async () => {
    expect(
      (
        await deploy(
          'stuck',
          'stuck-model',
          { enabled: false, maxReplicas: 1 },
          1,
          'openai',
          false,
        )
      ).status,
    ).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'stuck',
      d => d.summary.phase === 'Ready',
    );
    await net.waitReady(ns(), 'stuck', 1);
    // The server accepts connections and never answers.
    await net.control(ns(), 'stuck', { mode: 'hang' });
    try {
      const res = await chat(mh, id('stuck-model'), 'Echo: anyone there?');
      expect(res.status).toBe(503);
      expect(res.body.error.message).toBe(
        `Model server ${ns()}/stuck on local did not answer within 10 s`,
      );
      // It had the whole request.
      const bodies = await bodiesReceived(
        net,
        ns(),
        'stuck',
        'POST',
        '/v1/chat/completions',
      );
      expect(JSON.parse(bodies.at(-1)!).messages[0].content).toBe(
        'Echo: anyone there?',
      );
    } finally {
      await net.resetControl(ns(), 'stuck');
    }
    // An error, metered as one.
    await eventually(async () => {
      const u = await usage('stuck');
      expect(total(u.series, 'requests')).toBe(1);
      expect(total(u.series, 'errors')).toBe(1);
    }, 10_000);
  });
});

// With `access: clusterDns` the backend reaches each pod at its pod IP and a deployment at its
// Service's DNS name, as a backend running inside the cluster does. Here the backend runs on the
// host, which the pod network routes pod IPs to, and which has no cluster DNS.
describe('access: clusterDns', () => {
  const ns = useNamespace('dns');
  let net: PodNetwork;
  let mh: ModelHosting;
  beforeAll(async () => {
    net = requirePodNetwork();
    mh = await startModelHosting({
      health: { enabled: false, access: 'clusterDns' },
      config: {
        modelHosting: {
          autoscaler: { tickSeconds: 1, windowSeconds: 2 },
          gateway: { requestTimeoutSeconds: 10 },
        },
      },
    });
  });
  afterAll(async () => mh?.stop());

  it("scales on each pod's gauges read at its pod IP", async () => {
    const res = await mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name: 'direct',
        spec: {
          owner: 'group:default/ml-platform',
          engine: 'vllm',
          model: { name: 'direct-model' },
          replicas: 1,
          autoscaling: {
            enabled: true,
            minReplicas: 1,
            maxReplicas: 2,
            metrics: [{ type: 'requestsInFlight', target: 10 }],
            scaleUpStabilizationSeconds: 0,
            scaleDownStabilizationSeconds: 0,
          },
        },
      });
    expect(res.status).toBe(201);
    await waitForDeployment(
      mh,
      ns(),
      'direct',
      d => d.summary.phase === 'Ready',
    );
    await net.waitReady(ns(), 'direct', 1);
    const replicas = () =>
      Number(
        kubectl(
          'get',
          'md',
          'direct',
          '-n',
          ns(),
          '-o',
          'jsonpath={.spec.replicas}',
        ),
      );
    // 15 running against 10 per replica: 2.
    await net.control(ns(), 'direct', { running: 15 });
    await eventually(async () => expect(replicas()).toBe(2), 30_000);
    await net.waitReady(ns(), 'direct', 2);
    await eventually(async () => {
      const pods = await servedPods(net, ns(), 'direct');
      expect(pods).toHaveLength(2);
      for (const p of pods)
        expect(p.server!.byPath['GET /metrics']).toBeGreaterThan(0);
    }, 15_000);
    await net.control(ns(), 'direct', { running: 0 });
    await eventually(async () => expect(replicas()).toBe(1), 30_000);
  });

  it("calls a deployment at its Service's DNS name, which only resolves inside the cluster", async () => {
    const res = await chat(mh, `${ns()}/direct-model`);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      new RegExp(
        `^Model server ${ns()}/direct on local did not answer: .*direct\\.${ns()}\\.svc\\.cluster\\.local`,
      ),
    );
  });
});
