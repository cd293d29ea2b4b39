const http = require('http');
const { createFakeEngine } = require('./fakeEngine');

/** One HTTP request; resolves {status, headers, text, json}. */
function request(base, method, path, body, { raw, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const data =
      raw !== undefined
        ? raw
        : body === undefined
        ? undefined
        : JSON.stringify(body);
    const req = http.request(new URL(path, base), {
      method,
      headers:
        data === undefined
          ? {}
          : {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(data),
            },
    });
    req.on('response', res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', c => (text += c));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const engines = [];
const start = async opts => {
  const e = await createFakeEngine(opts);
  engines.push(e);
  return e;
};
afterAll(() => Promise.all(engines.map(e => e.close())));

describe('ollama stand-in', () => {
  let e;
  beforeAll(async () => {
    e = await start({ engine: 'ollama', env: { MODEL_NAME: 'llama3.1:8b' } });
    e.state.streamDelayMs = 0;
  });

  it('says it is running and lists the pulled model', async () => {
    expect((await request(e.url, 'GET', '/')).text).toBe('Ollama is running');
    const tags = await request(e.url, 'GET', '/api/tags');
    expect(tags.json.models.map(m => m.name)).toEqual(['llama3.1:8b']);
    expect(tags.json.models[0].details.format).toBe('gguf');
    expect((await request(e.url, 'GET', '/api/version')).json.version).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
  });

  it("does not answer vLLM's or the V2 protocol's paths", async () => {
    for (const path of [
      '/health',
      '/metrics',
      '/v2/health/ready',
      '/version',
    ]) {
      const r = await request(e.url, 'GET', path);
      expect([r.status, r.text]).toEqual([404, '404 page not found']);
    }
  });

  it('pulls with NDJSON progress, or one answer with stream: false', async () => {
    const streamed = await request(e.url, 'POST', '/api/pull', {
      model: 'nomic-embed-text',
    });
    expect(streamed.headers['content-type']).toBe('application/x-ndjson');
    const lines = streamed.text
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(lines[0]).toEqual({ status: 'pulling manifest' });
    expect(lines[lines.length - 1]).toEqual({ status: 'success' });
    const plain = await request(e.url, 'POST', '/api/pull', {
      model: 'qwen2.5-coder:7b',
      stream: false,
    });
    expect(plain.json).toEqual({ status: 'success' });
    expect(e.state.pulls).toEqual(['nomic-embed-text', 'qwen2.5-coder:7b']);
    const names = (await request(e.url, 'GET', '/api/tags')).json.models.map(
      m => m.name,
    );
    expect(names).toEqual([
      'llama3.1:8b',
      'nomic-embed-text:latest',
      'qwen2.5-coder:7b',
    ]);
  });

  it('generates (NDJSON by default) and echoes what it was sent', async () => {
    const streamed = await request(e.url, 'POST', '/api/generate', {
      model: 'llama3.1:8b',
      prompt: 'Echo: hello there',
    });
    const lines = streamed.text
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    expect(lines.map(l => l.response).join('')).toBe('hello there');
    expect(lines[lines.length - 1]).toMatchObject({
      done: true,
      done_reason: 'stop',
    });
    const plain = await request(e.url, 'POST', '/api/generate', {
      model: 'llama3.1:8b',
      prompt: 'Say OK.',
      stream: false,
    });
    expect(plain.json).toMatchObject({
      model: 'llama3.1:8b',
      response: 'OK.',
      done: true,
    });
    const chat = await request(e.url, 'POST', '/api/chat', {
      model: 'llama3.1',
      messages: [{ role: 'user', content: 'Echo: x' }],
      stream: false,
    });
    expect(chat.status).toBe(404); // llama3.1 means llama3.1:latest, which is not there
    const chat2 = await request(e.url, 'POST', '/api/chat', {
      model: 'llama3.1:8b',
      messages: [{ role: 'user', content: 'Echo: x' }],
      stream: false,
    });
    expect(chat2.json.message).toEqual({ role: 'assistant', content: 'x' });
    const ps = await request(e.url, 'GET', '/api/ps');
    expect(ps.json.models.map(m => m.name)).toEqual(['llama3.1:8b']);
  });

  it('answers 404 for a model that is not there and 400 for a missing or broken body', async () => {
    const missing = await request(e.url, 'POST', '/api/generate', {
      model: 'mistral:7b',
      prompt: 'hi',
    });
    expect([missing.status, missing.json]).toEqual([
      404,
      { error: "model 'mistral:7b' not found" },
    ]);
    const empty = await request(e.url, 'POST', '/api/generate', undefined, {
      raw: '',
    });
    expect([empty.status, empty.json]).toEqual([
      400,
      { error: 'missing request body' },
    ]);
    const broken = await request(e.url, 'POST', '/api/pull', undefined, {
      raw: '{"model": ',
    });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/invalid JSON/);
    const v1 = await request(e.url, 'POST', '/v1/chat/completions', undefined, {
      raw: 'nope',
    });
    expect(v1.status).toBe(400);
    expect(v1.json.error.type).toBe('invalid_request_error');
    const v1missing = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'gone',
      messages: [],
    });
    expect(v1missing.status).toBe(404);
    expect(v1missing.json.error.message).toMatch(/not found/);
  });

  it('speaks the OpenAI-compatible API, streaming with a usage chunk when asked', async () => {
    const models = await request(e.url, 'GET', '/v1/models');
    expect(models.json.data.map(m => m.id)).toContain('llama3.1:8b');
    const r = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'llama3.1:8b',
      messages: [{ role: 'user', content: 'Echo: one two' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = r.text
      .split('\n\n')
      .filter(Boolean)
      .map(l => l.replace(/^data: /, ''));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(x => JSON.parse(x));
    expect(chunks.map(c => c.choices[0]?.delta?.content ?? '').join('')).toBe(
      'one two',
    );
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: { completion_tokens: 2 },
    });
    const emb = await request(e.url, 'POST', '/v1/embeddings', {
      model: 'llama3.1:8b',
      input: ['a', 'b'],
    });
    expect(emb.json.data).toHaveLength(2);
    const native = await request(e.url, 'POST', '/api/embed', {
      model: 'llama3.1:8b',
      input: 'a',
    });
    expect(native.json.embeddings).toEqual([emb.json.data[0].embedding]);
  });
});

describe('vLLM stand-in', () => {
  let e;
  beforeAll(async () => {
    e = await start({
      engine: 'vllm',
      env: { MODEL_NAME: 'meta-llama/Llama-3.1-8B-Instruct' },
      args: [
        '--model',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--served-model-name',
        'meta-llama/Llama-3.1-8B-Instruct',
        '--max-model-len=8192',
      ],
      image: 'vllm/vllm-openai:v0.8.5',
    });
    e.state.streamDelayMs = 0;
  });

  it('serves health, version and the model from its arguments', async () => {
    expect((await request(e.url, 'GET', '/health')).status).toBe(200);
    expect((await request(e.url, 'GET', '/ping')).status).toBe(200);
    expect((await request(e.url, 'GET', '/version')).json).toEqual({
      version: '0.8.5',
    });
    const models = await request(e.url, 'GET', '/v1/models');
    expect(models.json.data).toEqual([
      expect.objectContaining({
        id: 'meta-llama/Llama-3.1-8B-Instruct',
        owned_by: 'vllm',
        max_model_len: 8192,
      }),
    ]);
  });

  it("does not answer Ollama's paths", async () => {
    for (const path of ['/api/tags', '/api/version', '/']) {
      const r = await request(e.url, 'GET', path);
      expect([r.status, r.json]).toEqual([404, { detail: 'Not Found' }]);
    }
    expect(
      (await request(e.url, 'POST', '/api/pull', { model: 'x' })).status,
    ).toBe(404);
  });

  it('counts in /metrics what it really served', async () => {
    const chat = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [{ role: 'user', content: 'Echo: a b c' }],
    });
    expect(chat.json.choices[0].message.content).toBe('a b c');
    const limited = await request(e.url, 'POST', '/v1/completions', {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      prompt: 'Echo: a b c',
      max_tokens: 1,
    });
    expect(limited.json.choices[0]).toMatchObject({
      text: 'a ',
      finish_reason: 'length',
    });
    const metrics = (await request(e.url, 'GET', '/metrics')).text;
    const value = name =>
      Number(
        new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1],
      );
    expect(value('vllm:request_success_total')).toBe(2);
    expect(value('vllm:generation_tokens_total')).toBe(4);
    expect(value('vllm:prompt_tokens_total')).toBeGreaterThan(0);
    expect(value('vllm:e2e_request_latency_seconds_count')).toBe(2);
    expect(metrics).toMatch(
      /^vllm:e2e_request_latency_seconds_bucket\{le="\+Inf",model_name="meta-llama\/Llama-3.1-8B-Instruct"\} 2$/m,
    );
    expect(value('process_start_time_seconds')).toBeCloseTo(e.state.startedAt);
    expect(value('vllm:num_requests_running')).toBe(0);
    e.state.counters.waiting = 7;
    expect((await request(e.url, 'GET', '/metrics')).text).toMatch(
      /^vllm:num_requests_waiting\{model_name=".*"\} 7$/m,
    );
    e.state.counters.waiting = 0;
  });

  it('answers a wrong model with 404 and a broken body with 400, as vLLM does', async () => {
    const wrong = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'x',
      messages: [],
    });
    expect(wrong.status).toBe(404);
    expect(wrong.json).toMatchObject({
      object: 'error',
      type: 'NotFoundError',
      code: 404,
    });
    const empty = await request(e.url, 'POST', '/v1/completions', undefined, {
      raw: '',
    });
    expect(empty.status).toBe(400);
    expect(empty.json).toMatchObject({
      object: 'error',
      type: 'BadRequestError',
    });
  });

  it('streams chunks, then usage when asked, then [DONE]', async () => {
    const r = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [{ role: 'user', content: 'Echo: x y' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.headers['content-type']).toBe('text/event-stream');
    const events = r.text
      .split('\n\n')
      .filter(Boolean)
      .map(l => l.replace(/^data: /, ''));
    const chunks = events.slice(0, -1).map(x => JSON.parse(x));
    expect(chunks[0].choices[0].delta).toEqual({
      role: 'assistant',
      content: '',
    });
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { completion_tokens: 2 },
    });
  });
});

describe('OpenAI-compatible (llama.cpp) stand-in', () => {
  it('serves its alias, ignores the request model, and refuses embeddings unless started for them', async () => {
    const e = await start({
      engine: 'openai',
      env: { MODEL_NAME: 'org/tiny-GGUF' },
      args: [
        '--host',
        '0.0.0.0',
        '--port',
        '8080',
        '--hf-repo',
        'org/tiny-GGUF',
        '--alias',
        'org/tiny-GGUF',
      ],
    });
    expect((await request(e.url, 'GET', '/health')).json).toEqual({
      status: 'ok',
    });
    expect((await request(e.url, 'GET', '/v1/models')).json.data[0].id).toBe(
      'org/tiny-GGUF',
    );
    const chat = await request(e.url, 'POST', '/v1/chat/completions', {
      model: 'anything',
      messages: [{ role: 'user', content: 'Echo: z' }],
    });
    expect(chat.json).toMatchObject({
      model: 'org/tiny-GGUF',
      choices: [{ message: { content: 'z' } }],
    });
    expect(
      (await request(e.url, 'POST', '/v1/embeddings', { input: 'a' })).status,
    ).toBe(501);
    expect((await request(e.url, 'GET', '/metrics')).status).toBe(404);
    expect((await request(e.url, 'GET', '/api/tags')).json.error.type).toBe(
      'not_found_error',
    );
    const withEmbeddings = await start({
      engine: 'openai',
      env: { MODEL_NAME: 'm' },
      args: ['--alias', 'm', '--embeddings'],
    });
    expect(
      (
        await request(withEmbeddings.url, 'POST', '/v1/embeddings', {
          input: 'a',
        })
      ).json.data,
    ).toHaveLength(1);
  });
});

describe('HTTP predictor (MLServer V2 and /predict) stand-in', () => {
  let e;
  beforeAll(async () => {
    e = await start({
      engine: 'http',
      env: {
        MODEL_NAME: 'iris-classifier',
        MODEL_VERSION: '1.4.0',
        MLSERVER_MODEL_NAME: 'iris-classifier',
      },
    });
  });

  it('answers the V2 health, server and model metadata endpoints', async () => {
    expect((await request(e.url, 'GET', '/v2')).json.name).toBe('mlserver');
    expect((await request(e.url, 'GET', '/v2/health/live')).status).toBe(200);
    expect((await request(e.url, 'GET', '/v2/health/ready')).status).toBe(200);
    expect(
      (await request(e.url, 'GET', '/v2/models/iris-classifier')).json.versions,
    ).toEqual(['1.4.0']);
    expect(
      (await request(e.url, 'GET', '/v2/models/iris-classifier/ready')).status,
    ).toBe(200);
    expect((await request(e.url, 'GET', '/v2/models/other/ready')).status).toBe(
      404,
    );
    expect((await request(e.url, 'GET', '/healthz')).status).toBe(200);
    expect((await request(e.url, 'GET', '/v1/models')).status).toBe(404);
  });

  it('predicts from what it was sent (V2 infer and plain /predict)', async () => {
    const infer = await request(
      e.url,
      'POST',
      '/v2/models/iris-classifier/infer',
      {
        inputs: [
          {
            name: 'predict',
            shape: [2, 4],
            datatype: 'FP32',
            data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3],
          },
        ],
      },
    );
    expect(infer.json).toMatchObject({
      model_name: 'iris-classifier',
      model_version: '1.4.0',
      outputs: [{ name: 'predict', shape: [2, 1], data: [0, 2] }],
    });
    const predict = await request(e.url, 'POST', '/predict', {
      features: [[5.9, 3.0, 4.2, 1.5]],
      return_probabilities: true,
    });
    expect(predict.json).toMatchObject({
      predictions: [1],
      labels: ['versicolor'],
      probabilities: [[0.02, 0.96, 0.02]],
    });
    const text = await request(e.url, 'POST', '/predict', {
      text: 'This movie was fantastic!',
    });
    expect(text.json.prediction).toBe('positive');
    const bad = await request(
      e.url,
      'POST',
      '/v2/models/iris-classifier/infer',
      { inputs: [] },
    );
    expect(bad.status).toBe(400);
    const empty = await request(e.url, 'POST', '/predict', undefined, {
      raw: '',
    });
    expect([empty.status, empty.json]).toEqual([
      400,
      { detail: 'missing request body' },
    ]);
  });
});

describe('behaviour controls', () => {
  it('fails, answers malformed JSON, is slow and hangs when told to', async () => {
    const e = await start({
      engine: 'vllm',
      env: { MODEL_NAME: 'm' },
      args: ['--model', 'm'],
    });
    e.state.mode = 'error';
    expect((await request(e.url, 'GET', '/health')).status).toBe(500);
    e.state.mode = 'malformed';
    const malformed = await request(e.url, 'GET', '/v1/models');
    expect(malformed.status).toBe(200);
    expect(malformed.json).toBeUndefined();
    e.state.mode = 'ok';
    e.state.delayMs = 300;
    let t = Date.now();
    await request(e.url, 'GET', '/health');
    expect(Date.now() - t).toBeLessThan(290); // health stays fast
    t = Date.now();
    await request(e.url, 'POST', '/v1/completions', {
      model: 'm',
      prompt: 'x',
    });
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    e.state.delayMs = 0;
    e.state.mode = 'hang';
    await expect(
      request(
        e.url,
        'POST',
        '/v1/chat/completions',
        { model: 'm', messages: [] },
        { timeoutMs: 300 },
      ),
    ).rejects.toThrow('timeout');
    expect(e.state.received.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      body: '{"model":"m","messages":[]}',
    });
    e.state.mode = 'ok';
  });
});

describe('createFakeEngine without an engine (the old all-in-one server)', () => {
  it("still answers every engine's routes", async () => {
    const e = await start({ models: ['llama3.1:8b'], servedModel: 'served' });
    expect((await request(e.url, 'GET', '/api/tags')).json.models[0].name).toBe(
      'llama3.1:8b',
    );
    expect((await request(e.url, 'GET', '/v1/models')).json.data[0].id).toBe(
      'served',
    );
    expect((await request(e.url, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await request(e.url, 'GET', '/health')).status).toBe(200);
  });
});
