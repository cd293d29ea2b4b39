// A local model server that speaks the engines' real protocols, for tests and benchmarks (no
// containers run under kwok). Shapes follow the public API documentation:
//   Ollama:  GET /api/tags, POST /api/pull, POST /api/generate, GET /api/version
//   OpenAI:  GET /v1/models, POST /v1/chat/completions (server-sent events with stream: true)
//   vLLM:    GET /health, GET /metrics (Prometheus text, vllm: metric names)
//   HTTP:    GET /v2/health/ready, POST /v2/models/:name/infer (Open Inference Protocol), GET /healthz
// It can be told to fail: mode 'ok' | 'error' (HTTP 500) | 'hang' (never answers) | 'malformed' (broken JSON).
const http = require('http');

function createFakeEngine({ models = [], servedModel = 'model', mode = 'ok', port = 0 } = {}) {
  const state = {
    models: new Set(models),
    servedModel,
    mode,
    pulls: [],
    streamDelayMs: 200,
    /** When the server process started (seconds), as Prometheus' process collector reports it. */
    startedAt: Date.now() / 1000,
    requests: 0,
    counters: { success: 0, promptTokens: 0, generationTokens: 0, latencySum: 0, latencyCount: 0, running: 0 },
  };
  const json = (res, status, body) => {
    if (state.mode === 'malformed') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end('{"models": [ {"name": ');
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = req => new Promise(resolve => {
    let data = '';
    req.on('data', c => (data += c));
    req.on('end', () => { try { resolve(data ? JSON.parse(data) : {}); } catch { resolve(undefined); } });
  });
  // Server-sent events as vLLM sends them: one chunk per word, state.streamDelayMs apart, then [DONE].
  // With stream_options.include_usage a last chunk carries the usage and no choices, as OpenAI's API does.
  const streamChat = async (res, id, content, includeUsage) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const event = data => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1732000000, model: state.servedModel, ...data })}\n\n`;
    const words = content.split(' ');
    for (const word of words) {
      res.write(event({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] }));
      await new Promise(r => setTimeout(r, state.streamDelayMs));
    }
    if (includeUsage) res.write(event({ choices: [], usage: { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 12 + words.length } }));
    res.end('data: [DONE]\n\n');
  };
  const server = http.createServer(async (req, res) => {
    state.requests++;
    if (state.mode === 'hang') return; // the socket stays open, nothing is written
    if (state.mode === 'error') return json(res, 500, { error: 'internal server error' });
    const url = new URL(req.url, 'http://x');
    const now = new Date().toISOString();
    if (req.method === 'GET' && url.pathname === '/api/tags') {
      return json(res, 200, { models: [...state.models].map(name => ({ name, model: name, modified_at: now, size: 4661224676, digest: 'sha256:0', details: { format: 'gguf', family: 'llama', parameter_size: '8.0B', quantization_level: 'Q4_0' } })) });
    }
    if (req.method === 'GET' && url.pathname === '/api/version') return json(res, 200, { version: '0.6.8' });
    if (req.method === 'POST' && url.pathname === '/api/pull') {
      const body = await readBody(req);
      const name = body?.model ?? body?.name;
      if (!name) return json(res, 400, { error: 'model is required' });
      state.models.add(name);
      state.pulls.push(name);
      return json(res, 200, { status: 'success' });
    }
    if (req.method === 'POST' && url.pathname === '/api/generate') {
      const body = await readBody(req);
      if (!state.models.has(body?.model)) return json(res, 404, { error: `model '${body?.model}' not found` });
      state.counters.success++;
      return json(res, 200, { model: body.model, created_at: now, response: 'OK.', done: true, done_reason: 'stop', total_duration: 5043500667, prompt_eval_count: 8, eval_count: 2 });
    }
    if (req.method === 'GET' && (url.pathname === '/health' || url.pathname === '/healthz')) { res.writeHead(200); return res.end(); }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return json(res, 200, { object: 'list', data: [{ id: state.servedModel, object: 'model', created: 1732000000, owned_by: 'vllm' }] });
    }
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      const body = await readBody(req);
      if (body?.model !== state.servedModel) return json(res, 404, { error: { message: `The model \`${body?.model}\` does not exist.`, type: 'NotFoundError', code: 404 } });
      state.counters.success++;
      state.counters.promptTokens += 12;
      state.counters.generationTokens += 3;
      state.counters.latencySum += 0.25;
      state.counters.latencyCount++;
      // Each answer has its own id; "Echo: x" is answered "x", so a client can tell its answer from another's.
      const id = `chatcmpl-${state.counters.success}`;
      const said = body.messages?.[body.messages.length - 1]?.content;
      const content = typeof said === 'string' && said.startsWith('Echo: ') ? said.slice(6) : 'OK.';
      if (body.stream === true) return streamChat(res, id, content, body.stream_options?.include_usage === true);
      return json(res, 200, { id, object: 'chat.completion', created: 1732000000, model: state.servedModel, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const c = state.counters;
      const label = `model_name="${state.servedModel}"`;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      return res.end([
        '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
        '# TYPE vllm:num_requests_running gauge',
        `vllm:num_requests_running{${label}} ${c.running}`,
        '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
        '# TYPE vllm:num_requests_waiting gauge',
        `vllm:num_requests_waiting{${label}} 0`,
        '# TYPE process_start_time_seconds gauge',
        `process_start_time_seconds ${state.startedAt}`,
        '# TYPE vllm:request_success_total counter',
        `vllm:request_success_total{finished_reason="stop",${label}} ${c.success}`,
        '# TYPE vllm:prompt_tokens_total counter',
        `vllm:prompt_tokens_total{${label}} ${c.promptTokens}`,
        '# TYPE vllm:generation_tokens_total counter',
        `vllm:generation_tokens_total{${label}} ${c.generationTokens}`,
        '# TYPE vllm:e2e_request_latency_seconds histogram',
        `vllm:e2e_request_latency_seconds_sum{${label}} ${c.latencySum}`,
        `vllm:e2e_request_latency_seconds_count{${label}} ${c.latencyCount}`,
        '',
      ].join('\n'));
    }
    if (req.method === 'GET' && url.pathname === '/v2/health/ready') return json(res, 200, {});
    if (req.method === 'POST' && /^\/v2\/models\/[^/]+\/infer$/.test(url.pathname)) {
      state.counters.success++;
      return json(res, 200, { model_name: url.pathname.split('/')[3], outputs: [{ name: 'predict', shape: [1], datatype: 'INT64', data: [0] }] });
    }
    json(res, 404, { error: 'not found' });
  });
  return new Promise(resolve => {
    server.listen(port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        state,
        close: () => new Promise(r => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

module.exports = { createFakeEngine };
