import fs from 'fs';
import http from 'http';
import { CoreV1Api } from '@kubernetes/client-node';
import os from 'os';
import path from 'path';
import { AppsV1Api } from '@kubernetes/client-node';
import {
  ModelHosting,
  path as apiPath,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { adminKubeConfig, eventually, kubectl, useNamespace } from './kube';

const { createFakeEngine } = require('../fakeEngine');

type Fake = Awaited<ReturnType<typeof createFakeEngine>>;

describe('health checks, auto-recovery and usage', () => {
  const ns = useNamespace('health');
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-health-'));
  let ollama: Fake;
  let vllm: Fake;
  let broken: Fake;
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

  const healthConfig = () => ({
    tickSeconds: 1,
    timeoutSeconds: 1,
    statusRefreshSeconds: 1,
    maxRestartsPerHour: 2,
    recoveryBackoffSeconds: 1,
    endpoints: [
      { cluster: 'local', namespace: ns(), name: 'ollama', url: ollama.url },
      { cluster: 'local', namespace: ns(), name: 'vllm', url: vllm.url },
      { cluster: 'local', namespace: ns(), name: 'broken', url: broken.url },
    ],
  });
  // A real SQLite file, so that usage survives the backend's restart.
  const start = () =>
    startModelHosting({
      config: {
        modelHosting: {
          reconciler: { leaseDurationSeconds: 3 },
          health: healthConfig(),
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
    await new Promise<void>(r =>
      prometheusServer.listen(0, '127.0.0.1', () => r()),
    );
    prometheusUrl = `http://127.0.0.1:${
      (prometheusServer.address() as any).port
    }`;
    ollama = await createFakeEngine({ models: ['llama3.1:8b'] });
    vllm = await createFakeEngine({
      servedModel: 'meta-llama/Llama-3.1-8B-Instruct',
    });
    broken = await createFakeEngine({ servedModel: 'b', mode: 'ok' });
    mh = await start();
    expect(
      (
        await deploy('ollama', {
          engine: 'ollama',
          model: { name: 'llama3.1:8b' },
          healthCheck: {
            intervalSeconds: 5,
            expectedModels: ['llama3.1:8b', 'nomic-embed-text'],
            autoPull: true,
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await deploy('vllm', {
          engine: 'vllm',
          model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
          healthCheck: { intervalSeconds: 5 },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await deploy('broken', {
          engine: 'openai',
          model: { name: 'b' },
          healthCheck: { intervalSeconds: 5, failureThreshold: 2 },
        })
      ).status,
    ).toBe(201);
    for (const name of ['ollama', 'vllm', 'broken'])
      await waitForDeployment(mh, ns(), name, d => d.summary.phase === 'Ready');
  }, 120_000);
  afterAll(async () => {
    await mh?.stop();
    await Promise.all([ollama, vllm, broken].map(f => f?.close()));
    prometheusServer.close();
  });

  const healthy = (d: any) =>
    d.resource.status?.conditions?.find((c: any) => c.type === 'Healthy');

  it('pulls a missing Ollama model and records the pull', async () => {
    await eventually(
      async () => expect(ollama.state.pulls).toEqual(['nomic-embed-text']),
      30_000,
    );
    const d = await waitForDeployment(
      mh,
      ns(),
      'ollama',
      x => healthy(x)?.status === 'True',
    );
    expect(d.resource.status.lastHealthCheck.healthy).toBe(true);
    const history = (await mh.api().get(`${apiPath(ns(), 'ollama')}/health`))
      .body.items;
    expect(history.map((h: any) => h.message)).toContain(
      'pulled nomic-embed-text',
    );
    const usage = (
      await mh
        .api()
        .get(
          `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=ollama&range=1h`,
        )
    ).body;
    expect(usage.series.reduce((n: number, p: any) => n + p.pulls, 0)).toBe(1);
  });

  it('turns Healthy False within one interval when the server stops answering', async () => {
    await waitForDeployment(
      mh,
      ns(),
      'vllm',
      x => healthy(x)?.status === 'True',
    );
    const stopped = Date.now();
    vllm.state.mode = 'hang';
    const d = await waitForDeployment(
      mh,
      ns(),
      'vllm',
      x => healthy(x)?.status === 'False',
      30_000,
    );
    // interval 5 s + timeout 1 s + scheduler tick 1 s
    expect(Date.now() - stopped).toBeLessThan(8_000);
    expect(healthy(d).message).toMatch(/timed out after 1000 ms/);
    vllm.state.mode = 'ok';
    await waitForDeployment(
      mh,
      ns(),
      'vllm',
      x => healthy(x)?.status === 'True',
      30_000,
    );
  });

  it('records malformed answers as failures with the reason, and keeps checking the others', async () => {
    broken.state.mode = 'malformed';
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
    const before = ollama.state.requests;
    await eventually(
      async () => expect(ollama.state.requests).toBeGreaterThan(before),
      15_000,
    );
  });

  it('restarts the pods after failureThreshold failures (a new ReplicaSet) and stops at the hourly cap', async () => {
    // "broken" keeps failing (malformed) with failureThreshold 2 and at most 2 restarts an hour.
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
      const history = (
        await mh.api().get(`${apiPath(ns(), 'broken')}/health?limit=200`)
      ).body.items;
      expect(history.filter((h: any) => h.recovered)).toHaveLength(2);
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
    const history = (
      await mh.api().get(`${apiPath(ns(), 'broken')}/health?limit=200`)
    ).body.items;
    expect(history.filter((h: any) => h.recovered)).toHaveLength(2);
    expect(
      events()
        .split(' ')
        .filter(r => r === 'AutoRecovery'),
    ).toHaveLength(2);
  }, 120_000);

  it('meters vLLM traffic from its metrics, and the usage survives a backend restart', async () => {
    // Traffic straight to the server, as clients would send it; the health checks read /metrics.
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await fetch(`${vllm.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: 'meta-llama/Llama-3.1-8B-Instruct',
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
      }
    };
    await send(5);
    const total = async (m: ModelHosting) => {
      const body = (
        await m
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=vllm&range=1h`,
          )
      ).body;
      return {
        requests: body.series.reduce((n: number, p: any) => n + p.requests, 0),
        tokens: body.series.reduce(
          (n: number, p: any) => n + p.promptTokens,
          0,
        ),
        body,
      };
    };
    await eventually(
      async () => expect((await total(mh)).requests).toBe(5),
      30_000,
    );
    const before = await total(mh);
    expect(before.tokens).toBe(60);
    expect(before.body.series.some((p: any) => p.latencyMs === 250)).toBe(true);
    expect(before.body.lastUsed).toBeDefined();

    await mh.stop();
    mh = await start();
    const after = await total(mh);
    expect(after.requests).toBe(5);
    expect(after.tokens).toBe(60);
    // The restarted backend goes on from the last reading kept in the database: new requests count once.
    await send(2);
    await eventually(
      async () => expect((await total(mh)).requests).toBe(7),
      30_000,
    );
    // The fleet-wide series includes it too, by range.
    const day = (await mh.api().get('/api/model-hosting/usage?range=24h')).body;
    expect(day.stepSeconds).toBe(3600);
    expect(
      day.series.reduce((n: number, p: any) => n + p.requests, 0),
    ).toBeGreaterThanOrEqual(5);
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
    const usage = async () =>
      (
        await mh
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=vllm&range=1h`,
          )
      ).body;
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
    // Health checks go on.
    const before = vllm.state.requests;
    await eventually(
      async () => expect(vllm.state.requests).toBeGreaterThan(before),
      15_000,
    );
  });
});
