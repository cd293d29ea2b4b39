import fs from 'fs';
import { AddressInfo } from 'net';
import {
  assertStatus,
  ModelHosting,
  path as apiPath,
  startModelHosting,
  waitForDeployment,
} from './backend';
import { eventually, useNamespace } from './kube';
import { PodNetwork, requirePodNetwork, servedPods } from './podNetwork';

// A real inference engine: `ollama serve` (built from its Go module by scripts/engines/ollama.sh,
// the jest global setup makes sure it is) runs behind the pods of Ollama deployments whose model
// is one of the tiny models made at test time. Random weights: an answer is exactly max_tokens
// tokens long and ends with finish_reason "length". Everything goes through the API server's
// service proxy, as in a real installation.
const MODEL = 'tiny-llama:latest';

const healthy = (d: any) =>
  d.resource.status?.conditions?.find((c: any) => c.type === 'Healthy');

describe('real Ollama behind the pods of an Ollama deployment', () => {
  const ns = useNamespace('ollama');
  let net: PodNetwork;
  let mh: ModelHosting;
  const answers: Array<{ prompt: number; completion: number }> = [];

  const deploy = (name: string, model: string, healthCheck: object) =>
    mh
      .api()
      .post('/api/model-hosting/deployments')
      .send({
        cluster: 'local',
        namespace: ns(),
        name,
        spec: {
          owner: 'group:default/ml-platform',
          engine: 'ollama',
          model: { name: model },
          replicas: 1,
          healthCheck: { intervalSeconds: 5, ...healthCheck },
        },
      });

  beforeAll(async () => {
    net = requirePodNetwork();
    const models = (await net.refreshRealOllama()).models ?? [];
    if (!models.includes(MODEL)) {
      throw new Error(
        `The pod runner has no real Ollama with ${MODEL} (it has: ${
          models.join(', ') || 'none'
        }). The jest global setup builds it with 'bash scripts/engines/ollama.sh env'; run that and look at its output.`,
      );
    }
    mh = await startModelHosting({ health: { timeoutSeconds: 10 } });
    assertStatus(
      await deploy('tiny', MODEL, {
        expectedModels: [MODEL],
        inferenceTest: { enabled: true, prompt: 'Say OK.', timeoutSeconds: 30 },
      }),
      201,
    );
    // Expects a model the server does not hold, and may not pull it.
    assertStatus(
      await deploy('incomplete', 'tiny-llama-b:latest', {
        expectedModels: ['tiny-llama-b:latest', 'absent-model:latest'],
        autoPull: false,
        failureThreshold: 10,
      }),
      201,
    );
    for (const name of ['tiny', 'incomplete']) {
      await waitForDeployment(mh, ns(), name, d => d.summary.phase === 'Ready');
      await net.waitReady(ns(), name, 1);
    }
  }, 120_000);
  afterAll(async () => mh?.stop());

  it('serves the pods with real ollama serve on their pod IPs', async () => {
    for (const name of ['tiny', 'incomplete']) {
      const pods = await servedPods(net, ns(), name);
      expect(pods.map(p => [p.kind, p.ready, p.port])).toEqual([
        ['ollama', true, 11434],
      ]);
    }
  });

  it("is healthy when /api/tags lists the expected models, after the inference test's answer", async () => {
    const d = await waitForDeployment(
      mh,
      ns(),
      'tiny',
      x => healthy(x)?.status === 'True',
      60_000,
    );
    expect(healthy(d).message).toMatch(/^\d+ model\(s\) present$/);
    // The real server's own log: the check's listing and its inference test reached it and succeeded.
    const [pod] = await servedPods(net, ns(), 'tiny');
    await eventually(async () => {
      const log = fs.readFileSync(pod.log!, 'utf8');
      expect(log).toMatch(/\|\s+200\s+\|[^\n]*\|\s+GET\s+"\/api\/tags"/);
      expect(log).toMatch(/\|\s+200\s+\|[^\n]*\|\s+POST\s+"\/api\/generate"/);
    }, 30_000);
    const history = (await mh.api().get(`${apiPath(ns(), 'tiny')}/health`)).body
      .items;
    expect(history[0]).toMatchObject({ healthy: true });
  });

  it('is unhealthy, naming the model, when an expected model is missing and autoPull is off', async () => {
    const d = await waitForDeployment(
      mh,
      ns(),
      'incomplete',
      x => healthy(x)?.status === 'False',
      60_000,
    );
    expect(healthy(d).message).toBe(
      'missing models: absent-model:latest (autoPull is off)',
    );
  });

  it('answers a chat completion through the gateway with exactly max_tokens tokens', async () => {
    const res = await mh
      .api()
      .post('/api/model-hosting/v1/chat/completions')
      .send({
        model: `${ns()}/${MODEL}`,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'Hello' }],
      });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('chat.completion');
    expect(res.body.choices[0].finish_reason).toBe('length');
    expect(typeof res.body.choices[0].message.content).toBe('string');
    expect(res.body.choices[0].message.content.length).toBeGreaterThan(0);
    const u = res.body.usage;
    expect(u.completion_tokens).toBe(5);
    expect(u.prompt_tokens).toBeGreaterThan(0);
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    answers.push({ prompt: u.prompt_tokens, completion: u.completion_tokens });
  });

  it('streams an answer with a usage chunk when the client asks for it', async () => {
    const { port } = mh.backend.server.address() as AddressInfo;
    const res = await fetch(
      `http://localhost:${port}/api/model-hosting/v1/chat/completions`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: `${ns()}/${MODEL}`,
          max_tokens: 4,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Hello again' }],
        }),
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .map(e => e.trim())
      .filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events
      .slice(0, -1)
      .map(e => JSON.parse(e.slice('data: '.length)));
    expect(chunks.every(c => c.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks
      .flatMap(c => c.choices.map((choice: any) => choice.delta?.content ?? ''))
      .join('');
    expect(text.length).toBeGreaterThan(0);
    expect(
      chunks.some(c =>
        c.choices.some((choice: any) => choice.finish_reason === 'length'),
      ),
    ).toBe(true);
    const usage = chunks.filter(c => c.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0].choices).toEqual([]);
    expect(usage[0].usage.completion_tokens).toBe(4);
    expect(usage[0].usage.total_tokens).toBe(usage[0].usage.prompt_tokens + 4);
    answers.push({
      prompt: usage[0].usage.prompt_tokens,
      completion: usage[0].usage.completion_tokens,
    });
  });

  it('meters those requests with the tokens the engine reported (the health checks are not usage)', async () => {
    expect(answers).toHaveLength(2);
    const expected = {
      requests: 2,
      errors: 0,
      promptTokens: answers.reduce((n, a) => n + a.prompt, 0),
      generationTokens: 9,
    };
    await eventually(async () => {
      const series = (
        await mh
          .api()
          .get(
            `/api/model-hosting/usage?cluster=local&namespace=${ns()}&name=tiny&range=1h`,
          )
      ).body.series as any[];
      const total = (k: string) =>
        series.reduce((n: number, p: any) => n + (p[k] ?? 0), 0);
      expect({
        requests: total('requests'),
        errors: total('errors'),
        promptTokens: total('promptTokens'),
        generationTokens: total('generationTokens'),
      }).toEqual(expected);
    }, 20_000);
  });
});
