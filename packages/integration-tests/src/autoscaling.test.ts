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

const { createFakeEngine } = require('../fakeEngine');

type Fake = Awaited<ReturnType<typeof createFakeEngine>>;
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

describe('the built-in autoscaler and the gateway', () => {
  const ns = useNamespace('gw');
  const node = useGpuNode('gpu-gateway-test', 'nvidia.com/gpu', 4);
  let vllm: Fake;
  let idle: Fake;
  let cold: Fake;
  let busy: Fake;
  let mh: ModelHosting;

  beforeAll(async () => {
    vllm = await createFakeEngine({ servedModel: 'scaled-model' });
    idle = await createFakeEngine({ servedModel: 'idle-model' });
    cold = await createFakeEngine({ servedModel: 'cold-model' });
    busy = await createFakeEngine({ servedModel: 'busy-model' });
    const endpoints = [
      ['scaled', vllm],
      ['idle', idle],
      ['cold', cold],
      ['busy', busy],
    ].map(([name, f]: any) => ({
      cluster: 'local',
      namespace: ns(),
      name,
      url: f.url,
    }));
    mh = await startModelHosting({
      config: {
        modelHosting: {
          reconciler: { leaseDurationSeconds: 3 },
          health: { tickSeconds: 1, endpoints },
          autoscaler: { tickSeconds: 1, windowSeconds: 2 },
          gateway: { maxWaitSeconds: 60, maxPendingRequests: 2 },
        },
      },
    });
  });
  afterAll(async () => {
    await mh?.stop();
    await Promise.all([vllm, idle, cold, busy].map(f => f?.close()));
  });

  const deploy = (
    name: string,
    model: string,
    autoscaling: object,
    replicas = 1,
    engine = 'vllm',
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
          resources: { gpu: { count: 1, product: node.product } },
          replicas,
          autoscaling,
          healthCheck: { intervalSeconds: 5 },
        },
      });
  const replicas = (name: string) =>
    Number(
      kubectl('get', 'md', name, '-n', ns(), '-o', 'jsonpath={.spec.replicas}'),
    );

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
    vllm.state.counters.running = 25; // 25 in flight against 10 per replica: 3
    await eventually(async () => expect(replicas('scaled')).toBe(3), 30_000);
    await waitForDeployment(
      mh,
      ns(),
      'scaled',
      d => d.summary.readyReplicas === 3,
    );
    vllm.state.counters.running = 0;
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
    cold.state.startedAt = Date.now() / 1000; // the server that answers is a new process, as a new pod would be
    const res = await chat(mh, 'cold-model');
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
    // Metered once (from vLLM's counters, which count from zero on a new server), within a health interval.
    await eventually(async () => {
      const usage = (
        await mh
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=cold&range=1h`,
          )
      ).body;
      expect(
        usage.series.reduce((n: number, p: any) => n + p.requests, 0),
      ).toBe(1);
      expect(
        usage.series.reduce((n: number, p: any) => n + p.promptTokens, 0),
      ).toBe(12);
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
      const held = [chat(mh, 'cold-model'), chat(mh, 'cold-model')].map(r =>
        r.then(x => x),
      );
      await eventually(async () => expect(replicas('cold')).toBe(1), 10_000);
      const third = await chat(mh, 'cold-model');
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
    // An OpenAI-compatible server: the gateway is what meters it.
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
    const before = busy.state.counters.success;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        chat(mh, 'busy-model', `Echo: request ${i}`),
      ),
    );
    expect(answers.filter(a => a.status === 200)).toHaveLength(200);
    // Every client got its own answer, and the server answered each request once.
    expect(answers.map(a => a.body.choices[0].message.content)).toEqual(
      answers.map((_, i) => `request ${i}`),
    );
    expect(new Set(answers.map(a => a.body.id)).size).toBe(200);
    expect(busy.state.counters.success - before).toBe(200);
    await eventually(async () => {
      const usage = (
        await mh
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=busy&range=1h`,
          )
      ).body;
      expect(
        usage.series.reduce((n: number, p: any) => n + p.requests, 0),
      ).toBe(200);
    }, 20_000);
  });

  it('streams an answer as the model writes it, and meters its tokens', async () => {
    busy.state.streamDelayMs = 300;
    const usage = async () =>
      (
        await mh
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=busy&range=1h`,
          )
      ).body.series;
    const tokensBefore = (await usage()).reduce(
      (n: number, p: any) => n + p.generationTokens,
      0,
    );
    const { port } = mh.backend.server.address() as AddressInfo;
    const res = await fetch(
      `http://localhost:${port}/api/model-hosting/v1/chat/completions`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: 'busy-model',
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
        .join(' '),
    ).toBe('one two three four');
    expect(chunks.at(-1).usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
    });
    // The first word came while the model was still writing: the gateway did not buffer the answer.
    expect(arrivals.at(-1)!.at - arrivals[0].at).toBeGreaterThan(600);
    // The usage chunk's four generated tokens are metered.
    await eventually(
      async () =>
        expect(
          (
            await usage()
          ).reduce((n: number, p: any) => n + p.generationTokens, 0),
        ).toBe(tokensBefore + 4),
      10_000,
    );
  });

  it('accepts a service token as well as a user token', async () => {
    const res = await chat(mh, 'busy-model').set(
      'Authorization',
      mockCredentials.service.header(),
    );
    expect(res.status).toBe(200);
    const anonymous = await chat(mh, 'busy-model').set(
      'Authorization',
      'Bearer not-a-token',
    );
    expect(anonymous.status).toBe(401);
  });

  it('lists the models it routes to, and refuses unknown ones', async () => {
    const models = (
      await mh.api().get('/api/model-hosting/v1/models')
    ).body.data.map((m: any) => m.id);
    expect(models).toEqual(
      expect.arrayContaining(['scaled-model', 'cold-model', 'busy-model']),
    );
    const res = await chat(mh, 'no-such-model');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      "No deployment serves the model 'no-such-model'",
    );
    const bad = await mh
      .api()
      .post('/api/model-hosting/v1/chat/completions')
      .send({ messages: [] });
    expect(bad.status).toBe(400);
  });
});
