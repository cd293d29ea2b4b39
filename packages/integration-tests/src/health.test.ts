import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  assertStatus,
  ModelHosting,
  path as apiPath,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { adminKubeConfig, eventually, kubectl, useNamespace } from './kube';
import {
  bodiesReceived,
  PodNetwork,
  requestsTo,
  requirePodNetwork,
  servedPods,
} from './podNetwork';

const healthy = (d: any) =>
  d.resource.status?.conditions?.find((c: any) => c.type === 'Healthy');

const historyOf = async (mh: ModelHosting, ns: string, name: string) =>
  (await mh.api().get(`${apiPath(ns, name)}/health?limit=200`)).body
    .items as Array<{
    healthy: boolean;
    message: string;
    latencyMs?: number;
    recovered?: boolean;
  }>;

const usageOf = async (mh: ModelHosting, ns: string, name: string) =>
  (
    await mh
      .api()
      .get(
        `/api/model-hosting/usage?cluster=local&namespace=${ns}&name=${name}&range=1h`,
      )
  ).body;

const sum = (series: any[], key: string) =>
  series.reduce((n: number, p: any) => n + (p[key] ?? 0), 0);

// Every model server here is a process of the pod runner behind its pod's IP, reached through
// the API server's service proxy (health checks, pulls, inference tests) and pod proxy (each
// pod's vLLM metrics), as a real installation reaches it: no endpoint overrides.
describe('health checks, auto-recovery and usage, through the API server proxy', () => {
  const ns = useNamespace('health');
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-health-'));
  let net: PodNetwork;
  let mh: ModelHosting;
  // A Prometheus that answers instant queries the way the real API does, or is down.
  const prometheus = {
    up: true,
    samples: [] as Array<{ namespace: string; pod: string; value: number }>,
  };
  const prometheusServer = http.createServer((_req, res) => {
    if (!prometheus.up) {
      res.writeHead(503);
      res.end('service unavailable');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: prometheus.samples.map(s => ({
            metric: { namespace: s.namespace, pod: s.pod },
            value: [Date.now() / 1000, String(s.value)],
          })),
        },
      }),
    );
  });
  let prometheusUrl = '';

  // A real SQLite file, so that usage survives the backend's restart.
  const start = () =>
    startModelHosting({
      health: {
        timeoutSeconds: 2,
        maxRestartsPerHour: 2,
        recoveryBackoffSeconds: 1,
      },
      config: {
        modelHosting: {
          prometheus: { url: prometheusUrl, timeoutSeconds: 1 },
        },
      },
      sqliteDir,
    });

  const deploy = (name: string, spec: object) =>
    mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name,
        spec: { owner: 'group:default/ml-platform', replicas: 1, ...spec },
      });

  beforeAll(async () => {
    net = requirePodNetwork();
    await new Promise<void>(r =>
      prometheusServer.listen(0, '127.0.0.1', () => r()),
    );
    prometheusUrl = `http://127.0.0.1:${
      (prometheusServer.address() as any).port
    }`;
    mh = await start();
    const specs: Record<string, object> = {
      // Ollama's stand-in holds the pod's model; the health check pulls the other one.
      ollama: {
        engine: 'ollama',
        model: { name: 'llama3.1:8b' },
        healthCheck: {
          intervalSeconds: 5,
          expectedModels: ['llama3.1:8b', 'nomic-embed-text'],
          autoPull: true,
        },
      },
      vllm: {
        engine: 'vllm',
        model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
        healthCheck: { intervalSeconds: 5, failureThreshold: 10 },
      },
      broken: {
        engine: 'openai',
        model: { name: 'b' },
        healthCheck: { intervalSeconds: 5, failureThreshold: 2 },
      },
      // A vLLM server that will stop answering altogether.
      hung: {
        engine: 'vllm',
        model: { name: 'hung-model' },
        healthCheck: { intervalSeconds: 5, failureThreshold: 10 },
      },
      // A vLLM server whose health check asks the model for an answer, with a 1 s timeout.
      slow: {
        engine: 'vllm',
        model: { name: 'slow-model' },
        healthCheck: {
          intervalSeconds: 5,
          failureThreshold: 10,
          inferenceTest: {
            enabled: true,
            prompt: 'Say OK.',
            timeoutSeconds: 1,
          },
        },
      },
    };
    for (const [name, spec] of Object.entries(specs))
      assertStatus(await deploy(name, spec), 201);
    for (const name of Object.keys(specs)) {
      await waitForDeployment(mh, ns(), name, d => d.summary.phase === 'Ready');
      await net.waitReady(ns(), name, 1);
    }
  }, 120_000);
  afterAll(async () => {
    await mh?.stop();
    prometheusServer.close();
  });

  it('pulls a missing Ollama model through the service proxy and records the pull', async () => {
    const [pod] = await servedPods(net, ns(), 'ollama');
    expect(pod.kind).toBe('stand-in');
    await eventually(
      async () =>
        expect(
          (
            await servedPods(net, ns(), 'ollama')
          )[0].server!.pulls,
        ).toEqual(['nomic-embed-text']),
      30_000,
    );
    // The pull's body crossed the proxy whole: Ollama answers an empty one with 400.
    const pulls = await bodiesReceived(
      net,
      ns(),
      'ollama',
      'POST',
      '/api/pull',
    );
    expect(pulls.map(b => JSON.parse(b))).toEqual([
      { model: 'nomic-embed-text', stream: false },
    ]);
    expect((await servedPods(net, ns(), 'ollama'))[0].server!.models).toEqual(
      expect.arrayContaining(['llama3.1:8b', 'nomic-embed-text:latest']),
    );
    const d = await waitForDeployment(
      mh,
      ns(),
      'ollama',
      x => healthy(x)?.status === 'True',
    );
    expect(d.resource.status.lastHealthCheck.healthy).toBe(true);
    expect((await historyOf(mh, ns(), 'ollama')).map(h => h.message)).toContain(
      'pulled nomic-embed-text',
    );
    expect(sum((await usageOf(mh, ns(), 'ollama')).series, 'pulls')).toBe(1);
  });

  it('cuts off a server that hangs at its timeout: Healthy False with "timed out" within the interval', async () => {
    await waitForDeployment(
      mh,
      ns(),
      'hung',
      x => healthy(x)?.status === 'True',
    );
    // The server accepts connections and never answers. A check on demand runs at once, while
    // the pod is still ready (its probes need a few seconds of failures to say otherwise).
    await net.control(ns(), 'hung', { mode: 'hang' });
    try {
      const res = await mh.api().post(apiPath(ns(), 'hung', 'health-check'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        healthy: false,
        message: 'GET /health timed out after 2000 ms',
      });
      // Cut off at the 2 s timeout, well within the 5 s interval.
      expect(res.body.latencyMs).toBeGreaterThanOrEqual(2000);
      expect(res.body.latencyMs).toBeLessThan(5000);
      const d = await waitForDeployment(
        mh,
        ns(),
        'hung',
        x => healthy(x)?.status === 'False',
      );
      expect(healthy(d).message).toBe('GET /health timed out after 2000 ms');
    } finally {
      await net.resetControl(ns(), 'hung');
    }
    await waitForDeployment(
      mh,
      ns(),
      'hung',
      x => healthy(x)?.status === 'True',
      30_000,
    );
  });

  it("cuts off a model that hangs on inference at the inference test's timeout", async () => {
    await waitForDeployment(
      mh,
      ns(),
      'slow',
      x => healthy(x)?.status === 'True',
    );
    // The model stops answering (every POST waits an hour); its listings and probes still answer,
    // so the pod stays ready and the checks keep coming.
    await net.control(ns(), 'slow', { delayMs: 3_600_000 });
    const d = await waitForDeployment(
      mh,
      ns(),
      'slow',
      x => healthy(x)?.status === 'False',
      30_000,
    );
    expect(healthy(d).message).toMatch(
      /POST \/v1\/chat\/completions timed out after 1000 ms/,
    );
    // The failed check took about its timeout, far less than the 5 s interval: it was cut off.
    const failed = (await historyOf(mh, ns(), 'slow')).find(h => !h.healthy)!;
    expect(failed.message).toMatch(/timed out after 1000 ms/);
    expect(failed.latencyMs).toBeGreaterThanOrEqual(1000);
    expect(failed.latencyMs).toBeLessThan(5000);
    // The inference test's body reached the hanging server through the proxy.
    const asked = await bodiesReceived(
      net,
      ns(),
      'slow',
      'POST',
      '/v1/chat/completions',
    );
    expect(JSON.parse(asked.at(-1)!)).toMatchObject({
      model: 'slow-model',
      messages: [{ role: 'user', content: 'Say OK.' }],
    });
    expect((await servedPods(net, ns(), 'slow')).every(p => p.ready)).toBe(
      true,
    );
    await net.resetControl(ns(), 'slow');
    await waitForDeployment(
      mh,
      ns(),
      'slow',
      x => healthy(x)?.status === 'True',
      30_000,
    );
  });

  it('records malformed answers as failures with the reason, and keeps checking the others', async () => {
    await net.control(ns(), 'broken', { mode: 'malformed' });
    const d = await waitForDeployment(
      mh,
      ns(),
      'broken',
      x => healthy(x)?.status === 'False',
      30_000,
    );
    expect(healthy(d).message).toMatch(
      /GET \/v1\/models returned malformed JSON/,
    );
    const before = (await historyOf(mh, ns(), 'ollama')).length;
    await eventually(
      async () =>
        expect((await historyOf(mh, ns(), 'ollama')).length).toBeGreaterThan(
          before,
        ),
      15_000,
    );
  });

  it('restarts the pods after failureThreshold failures (a new ReplicaSet) and stops at the hourly cap', async () => {
    // "broken" keeps failing (malformed, its new pods too) with failureThreshold 2 and at most 2 restarts an hour.
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const replicaSets = async () =>
      (
        await apps.listNamespacedReplicaSet({
          namespace: ns(),
          labelSelector: 'app.kubernetes.io/instance=broken',
        })
      ).items
        .map(r => r.metadata!.name)
        .sort();
    const first = await replicaSets();
    await eventually(
      async () =>
        expect((await replicaSets()).length).toBeGreaterThan(first.length),
      30_000,
    );
    await eventually(async () => {
      const history = await historyOf(mh, ns(), 'broken');
      expect(history.filter(h => h.recovered)).toHaveLength(2);
    }, 60_000);
    const events = () =>
      kubectl(
        'get',
        'events',
        '-n',
        ns(),
        '--field-selector',
        'involvedObject.name=broken',
        '-o',
        'jsonpath={.items[*].reason}',
      );
    await eventually(
      async () => expect(events()).toContain('RecoveryCapped'),
      30_000,
    );
    // Well past the backoff, still no third restart.
    await new Promise(r => setTimeout(r, 8000));
    const history = await historyOf(mh, ns(), 'broken');
    expect(history.filter(h => h.recovered)).toHaveLength(2);
    expect(
      events()
        .split(' ')
        .filter(r => r === 'AutoRecovery'),
    ).toHaveLength(2);
    // The restarted pods are new servers that got the same fault.
    const pods = await servedPods(net, ns(), 'broken');
    expect(pods.length).toBeGreaterThan(0);
    expect((await requestsTo(net, ns(), 'broken', 'GET /v1/models')) > 0).toBe(
      true,
    );
  }, 120_000);

  it('meters vLLM traffic from its metrics, and the usage survives a backend restart', async () => {
    // Traffic straight to the server's pod IP, as clients in the cluster send it (the gateway
    // never sees it); the backend reads each pod's /metrics through the pod proxy.
    await net.control(ns(), 'vllm', { delayMs: 250 });
    const [pod] = await servedPods(net, ns(), 'vllm');
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(
          `http://${pod.ip}:${pod.port}/v1/chat/completions`,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
              model: 'meta-llama/Llama-3.1-8B-Instruct',
              messages: [{ role: 'user', content: 'hi' }],
            }),
          },
        );
        expect(res.status).toBe(200);
      }
    };
    await send(5);
    const total = async (m: ModelHosting) => {
      const body = await usageOf(m, ns(), 'vllm');
      return {
        requests: sum(body.series, 'requests'),
        // The stand-in counts 'hi' as 1 token plus 4 for the message's framing: 5 a request.
        tokens: sum(body.series, 'promptTokens'),
        body,
      };
    };
    await eventually(
      async () => expect((await total(mh)).requests).toBe(5),
      30_000,
    );
    const before = await total(mh);
    expect(before.tokens).toBe(25);
    // vLLM's latency histogram: each request took at least the 250 ms the model was slowed by.
    expect(
      before.body.series.some((p: any) => p.requests > 0 && p.latencyMs >= 250),
    ).toBe(true);
    expect(before.body.lastUsed).toBeDefined();
    expect(await requestsTo(net, ns(), 'vllm', 'GET /metrics')).toBeGreaterThan(
      0,
    );

    await mh.stop();
    mh = await start();
    const after = await total(mh);
    expect(after.requests).toBe(5);
    expect(after.tokens).toBe(25);
    // The restarted backend goes on from the last reading kept in the database: new requests count once.
    await send(2);
    await eventually(
      async () => expect((await total(mh)).requests).toBe(7),
      30_000,
    );
    expect((await total(mh)).tokens).toBe(35);
    await net.resetControl(ns(), 'vllm');
    // The fleet-wide series includes it too, by range.
    const day = (await mh.api().get('/api/model-hosting/usage?range=24h')).body;
    expect(day.stepSeconds).toBe(3600);
    expect(sum(day.series, 'requests')).toBeGreaterThanOrEqual(5);
    expect(
      (await mh.api().get('/api/model-hosting/usage?range=2y')).status,
    ).toBe(400);
  }, 90_000);

  it('charts GPU utilization from Prometheus, and says so when Prometheus is down', async () => {
    const pods = (
      await adminKubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({
        namespace: ns(),
        labelSelector: 'app.kubernetes.io/instance=vllm',
      })
    ).items;
    prometheus.samples = pods.map(p => ({
      namespace: ns(),
      pod: p.metadata!.name!,
      value: 64,
    }));
    const usage = () => usageOf(mh, ns(), 'vllm');
    await eventually(
      async () =>
        expect(
          (await usage()).series.some((p: any) => p.gpuUtilization === 64),
        ).toBe(true),
      30_000,
    );
    expect((await usage()).gpuUtilization).toEqual({ configured: true });
    prometheus.up = false;
    await eventually(
      async () =>
        expect((await usage()).gpuUtilization.error).toMatch(
          /Prometheus answered 503/,
        ),
      30_000,
    );
    // Health checks go on: vLLM's model list is asked by them only (its probes ask /health).
    const before = await requestsTo(net, ns(), 'vllm', 'GET /v1/models');
    await eventually(
      async () =>
        expect(
          await requestsTo(net, ns(), 'vllm', 'GET /v1/models'),
        ).toBeGreaterThan(before),
      15_000,
    );
  });
});

// The one test of the endpoint override: an explicit URL per deployment wins over the proxy.
describe('an explicit model-server URL (modelHosting.health.endpoints)', () => {
  const ns = useNamespace('endpoint');
  let net: PodNetwork;
  let mh: ModelHosting | undefined;
  afterAll(async () => mh?.stop());

  it('checks the deployment at the configured URL instead of through the proxy', async () => {
    net = requirePodNetwork();
    // Two vLLM servers; "redirected" is configured to be reached at the other one's pod IP.
    const setup = await startModelHosting();
    try {
      for (const [name, model] of [
        ['target', 'target-model'],
        ['redirected', 'redirected-model'],
      ]) {
        const res = await setup
          .api()
          .post('/api/model-hosting/deployments')
          .send({
            cluster: 'local',
            namespace: ns(),
            name,
            spec: {
              owner: 'group:default/ml-platform',
              engine: 'vllm',
              model: { name: model },
              replicas: 1,
              healthCheck: { intervalSeconds: 5, failureThreshold: 10 },
            },
          });
        expect(res.status).toBe(201);
        await net.waitReady(ns(), name, 1);
      }
    } finally {
      await setup.stop();
    }
    const [target] = await servedPods(net, ns(), 'target');
    mh = await startModelHosting({
      health: {
        endpoints: [
          {
            cluster: 'local',
            namespace: ns(),
            name: 'redirected',
            url: `http://${target.ip}:${target.port}`,
          },
        ],
      },
    });
    const d = await waitForDeployment(
      mh,
      ns(),
      'redirected',
      x => healthy(x)?.status === 'False',
      30_000,
    );
    // The server at the configured URL serves the other model.
    expect(healthy(d).message).toBe(
      'serves target-model, not redirected-model',
    );
    // The other deployment is still reached through the proxy, and is healthy.
    await waitForDeployment(
      mh,
      ns(),
      'target',
      x => healthy(x)?.status === 'True',
      30_000,
    );
    // Only the target's server was asked; the redirected deployment's own server never was.
    expect(await requestsTo(net, ns(), 'redirected', 'GET /v1/models')).toBe(0);
    expect(
      await requestsTo(net, ns(), 'target', 'GET /v1/models'),
    ).toBeGreaterThan(1);
  }, 120_000);
});
