// Ollama's API (docs/api.md and docs/openai.md of ollama/ollama), as `ollama serve` answers it:
//   GET  /                      "Ollama is running"
//   GET  /api/version, /api/tags, /api/ps
//   POST /api/show, /api/pull (NDJSON progress unless stream:false), /api/generate, /api/chat
//        (NDJSON unless stream:false), /api/embed, /api/embeddings (legacy)
//   GET  /v1/models, /v1/models/{model}; POST /v1/chat/completions, /v1/completions, /v1/embeddings
// Models present: MODEL_NAME (the pod's command pulls it at start) and whatever /api/pull added.
// A request for a model that is not present is a 404, as Ollama answers it. Unknown paths get
// gin's plain-text "404 page not found".
'use strict';

const {
  sendJson,
  sendText,
  countTokens,
  contentText,
  answerFor,
  pieces,
  embedding,
  sha256,
  sleep,
} = require('./common');
const compat = require('./openaiCompat');

const DEFAULT_VERSION = '0.6.8';

/** "llama3.1" → "llama3.1:latest"; "registry.ollama.ai/library/x:1b" → "x:1b"; other hosts keep their prefix. */
function normalizeModelName(name) {
  let n = String(name || '').trim();
  n = n.replace(/^registry\.ollama\.ai\//, '').replace(/^library\//, '');
  const last = n.split('/').pop();
  if (!last.includes(':')) n = `${n}:latest`;
  return n;
}

function details(name) {
  const digest = sha256(name);
  const tag = name.split(':').pop() || '';
  const params = /^(\d+(?:\.\d+)?)([bm])/i.exec(tag);
  const embed = /embed|bge|minilm/i.test(name);
  const family = embed
    ? 'nomic-bert'
    : /qwen/i.test(name)
    ? 'qwen2'
    : /gemma/i.test(name)
    ? 'gemma2'
    : 'llama';
  const parameterSize = params
    ? `${Number(params[1]).toFixed(1)}${params[2].toUpperCase()}`
    : embed
    ? '137M'
    : '8.0B';
  return {
    digest,
    size: embed
      ? 274302450
      : 1_000_000_000 + (parseInt(digest.slice(0, 8), 16) % 4_000_000_000),
    embed,
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: [family],
      parameter_size: parameterSize,
      quantization_level: embed ? 'F16' : 'Q4_K_M',
    },
  };
}

function init(state, { env, image }) {
  state.ollama = {
    version: versionFromImage(image) || DEFAULT_VERSION,
    modifiedAt: new Map(),
    /** Loaded models and when they unload (OLLAMA_KEEP_ALIVE, default 5 minutes). */
    loaded: new Map(),
    keepAliveMs: parseKeepAlive(env.OLLAMA_KEEP_ALIVE) ?? 5 * 60_000,
  };
  // The pod's command pulls MODEL_NAME right after `ollama serve` starts.
  if (env.MODEL_NAME) addModel(state, env.MODEL_NAME);
}

function versionFromImage(image) {
  const m = /:v?(\d+\.\d+\.\d+)$/.exec(String(image || ''));
  return m ? m[1] : undefined;
}

function parseKeepAlive(v) {
  if (v === undefined || v === '') return undefined;
  if (/^-?\d+$/.test(v)) return Number(v) < 0 ? Infinity : Number(v) * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
}

function addModel(state, name) {
  const n = normalizeModelName(name);
  state.models.add(n);
  state.ollama?.modifiedAt.set(n, new Date().toISOString());
  return n;
}

const hasModel = (state, name) => state.models.has(normalizeModelName(name));

function load(state, name, keepAlive) {
  const ms =
    parseKeepAlive(
      typeof keepAlive === 'number' ? String(keepAlive) : keepAlive,
    ) ?? state.ollama.keepAliveMs;
  if (ms === 0) state.ollama.loaded.delete(normalizeModelName(name));
  else state.ollama.loaded.set(normalizeModelName(name), Date.now() + ms);
}

const modelInfo = (state, name) => {
  const d = details(name);
  return {
    name,
    model: name,
    modified_at:
      state.ollama.modifiedAt.get(name) ||
      new Date(state.startedAt * 1000).toISOString(),
    size: d.size,
    digest: d.digest,
    details: d.details,
  };
};

// Error shapes: the native API answers {"error": "..."}; the OpenAI-compatible one {"error": {...}}.
const isV1 = path => path.startsWith('/v1/');
const openaiError = (message, type = 'invalid_request_error') => ({
  error: { message, type, param: null, code: null },
});

function badRequest(res, message, path, status = 400) {
  sendJson(
    res,
    status,
    isV1(path)
      ? openaiError(message === 'missing request body' ? 'EOF' : message)
      : { error: message },
  );
}
function notFound(res) {
  sendText(res, 404, '404 page not found');
}
function serverError(res, path) {
  sendJson(
    res,
    500,
    isV1(path)
      ? openaiError('internal server error', 'api_error')
      : { error: 'internal server error' },
  );
}
const modelNotFound = (ctx, model) =>
  isV1(ctx.path)
    ? ctx.sendJson(
        404,
        openaiError(
          `model "${model}" not found, try pulling it first`,
          'api_error',
        ),
      )
    : ctx.sendJson(404, { error: `model '${model}' not found` });

/** Writes newline-delimited JSON objects, state.streamDelayMs apart. */
async function ndjson(ctx, objects) {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  for (let i = 0; i < objects.length; i++) {
    if (closed) return false;
    ctx.res.write(`${JSON.stringify(objects[i])}\n`);
    if (i < objects.length - 1 && ctx.state.streamDelayMs > 0)
      await sleep(ctx.state.streamDelayMs);
  }
  ctx.res.end();
  return true;
}

function stats(promptTokens, evalTokens, seconds) {
  const total = Math.max(1, Math.round(seconds * 1e9));
  return {
    total_duration: total,
    load_duration: Math.round(total / 10),
    prompt_eval_count: promptTokens,
    prompt_eval_duration: Math.round(total / 5),
    eval_count: evalTokens,
    eval_duration: Math.round(total / 2),
  };
}

/** The request's model, checked: answers 400 when missing and 404 when not present. */
function requireModel(ctx, body) {
  const model = body.model ?? body.name;
  if (typeof model !== 'string' || !model) {
    ctx.isV1
      ? ctx.sendJson(400, openaiError('model is required'))
      : ctx.sendJson(400, { error: 'model is required' });
    return undefined;
  }
  if (!hasModel(ctx.state, model)) {
    modelNotFound(ctx, model);
    return undefined;
  }
  return model;
}

async function generate(ctx, body, chat) {
  const model = requireModel(ctx, body);
  if (!model) return;
  const { state } = ctx;
  const created = () => new Date().toISOString();
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const prompt = chat
    ? contentText(messages[messages.length - 1]?.content)
    : String(body.prompt ?? '');
  // An empty prompt (or no messages) loads or, with keep_alive 0, unloads the model.
  if ((chat && messages.length === 0) || (!chat && !prompt)) {
    load(state, model, body.keep_alive);
    const unload = body.keep_alive === 0 || body.keep_alive === '0';
    const out = {
      model,
      created_at: created(),
      done: true,
      done_reason: unload ? 'unload' : 'load',
    };
    return ctx.sendJson(
      200,
      chat
        ? { ...out, message: { role: 'assistant', content: '' } }
        : { ...out, response: '' },
    );
  }
  load(state, model, body.keep_alive);
  const promptText = chat
    ? messages.map(m => contentText(m?.content)).join('\n')
    : prompt;
  const promptTokens = Math.max(1, countTokens(promptText));
  const parts = pieces(answerFor(prompt));
  const piece = p =>
    chat ? { message: { role: 'assistant', content: p } } : { response: p };
  const final = () => ({
    model,
    created_at: created(),
    ...piece(''),
    done: true,
    done_reason: 'stop',
    ...(chat ? {} : { context: [1, 2, 3] }),
    ...stats(promptTokens, parts.length, ctx.elapsed()),
  });
  state.inFlight++;
  try {
    if (body.stream === false) {
      return ctx.sendJson(200, { ...final(), ...piece(parts.join('')) });
    }
    await ndjson(ctx, [
      ...parts.map(p => ({
        model,
        created_at: created(),
        ...piece(p),
        done: false,
      })),
      final(),
    ]);
  } finally {
    state.inFlight--;
  }
}

async function pull(ctx, body) {
  const { state } = ctx;
  const model = body.model ?? body.name;
  if (typeof model !== 'string' || !model)
    return ctx.sendJson(400, { error: 'model is required' });
  state.pulls.push(model);
  const stream = body.stream !== false;
  if (state.pullFails) {
    const error = 'pull model manifest: file does not exist';
    if (!stream) return ctx.sendJson(500, { error });
    return ndjson(ctx, [{ status: 'pulling manifest' }, { error }]);
  }
  const d = details(normalizeModelName(model));
  const digest = `sha256:${d.digest}`;
  if (!stream) {
    addModel(state, model);
    return ctx.sendJson(200, { status: 'success' });
  }
  const progress = [0, Math.floor(d.size / 2), d.size].map(completed => ({
    status: `pulling ${d.digest.slice(0, 12)}`,
    digest,
    total: d.size,
    completed,
  }));
  const ok = await ndjson(ctx, [
    { status: 'pulling manifest' },
    ...progress,
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'success' },
  ]);
  if (ok) addModel(state, model);
}

async function route(ctx) {
  const { method, path, state } = ctx;
  ctx.isV1 = isV1(path);
  const get = method === 'GET' || method === 'HEAD';
  if (get && path === '/') {
    sendText(ctx.res, 200, 'Ollama is running');
    return true;
  }
  if (get && path === '/api/version')
    return ctx.sendJson(200, { version: state.ollama.version }), true;
  if (get && path === '/api/tags') {
    ctx.sendJson(200, {
      models: [...state.models].sort().map(n => modelInfo(state, n)),
    });
    return true;
  }
  if (get && path === '/api/ps') {
    const t = Date.now();
    const models = [];
    for (const [name, until] of state.ollama.loaded) {
      if (until < t || !state.models.has(name)) continue;
      const info = modelInfo(state, name);
      delete info.modified_at;
      models.push({
        ...info,
        expires_at: new Date(
          until === Infinity ? t + 3.15e12 : until,
        ).toISOString(),
        size_vram: info.size,
      });
    }
    ctx.sendJson(200, { models });
    return true;
  }
  if (get && path === '/v1/models') {
    ctx.sendJson(200, {
      object: 'list',
      data: [...state.models].sort().map(n => ({
        id: n,
        object: 'model',
        created: Math.floor(
          new Date(modelInfo(state, n).modified_at).getTime() / 1000,
        ),
        owned_by: n.includes('/') ? n.split('/')[0] : 'library',
      })),
    });
    return true;
  }
  if (get && path.startsWith('/v1/models/')) {
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (!hasModel(state, id)) return modelNotFound(ctx, id), true;
    ctx.sendJson(200, {
      id,
      object: 'model',
      created: Math.floor(state.startedAt),
      owned_by: 'library',
    });
    return true;
  }
  if (method !== 'POST') return false;
  const routes = {
    '/api/show': true,
    '/api/pull': true,
    '/api/generate': true,
    '/api/chat': true,
    '/api/embed': true,
    '/api/embeddings': true,
    '/v1/chat/completions': true,
    '/v1/completions': true,
    '/v1/embeddings': true,
  };
  if (!routes[path]) return false;
  const body = ctx.json(module.exports);
  if (!body) return true;
  switch (path) {
    case '/api/show': {
      const model = requireModel(ctx, body);
      if (!model) return true;
      const d = details(normalizeModelName(model));
      ctx.sendJson(200, {
        license: '',
        modelfile: `# Modelfile generated by "ollama show"\nFROM ${normalizeModelName(
          model,
        )}\n`,
        parameters: 'stop "<|eot_id|>"',
        template: '{{ .Prompt }}',
        details: d.details,
        model_info: {
          'general.architecture': d.details.family,
          'general.parameter_count': 8030261248,
        },
        capabilities: d.embed ? ['embedding'] : ['completion'],
        modified_at: modelInfo(state, normalizeModelName(model)).modified_at,
      });
      return true;
    }
    case '/api/pull':
      await pull(ctx, body);
      return true;
    case '/api/generate':
      await generate(ctx, body, false);
      return true;
    case '/api/chat':
      await generate(ctx, body, true);
      return true;
    case '/api/embed':
    case '/api/embeddings': {
      const model = requireModel(ctx, body);
      if (!model) return true;
      load(state, model, body.keep_alive);
      if (path === '/api/embeddings') {
        ctx.sendJson(200, {
          embedding: embedding(String(body.prompt ?? ''), 16),
        });
        return true;
      }
      const inputs =
        typeof body.input === 'string'
          ? [body.input]
          : Array.isArray(body.input)
          ? body.input
          : [];
      ctx.sendJson(200, {
        model,
        embeddings: inputs.map(t => embedding(String(t), 16)),
        ...(({ total_duration, load_duration, prompt_eval_count }) => ({
          total_duration,
          load_duration,
          prompt_eval_count,
        }))(
          stats(
            inputs.reduce((n, t) => n + countTokens(String(t)), 0),
            0,
            ctx.elapsed(),
          ),
        ),
      });
      return true;
    }
    default: {
      // OpenAI-compatible endpoints.
      const model = requireModel(ctx, body);
      if (!model) return true;
      load(state, model, body.keep_alive);
      state.inFlight++;
      try {
        if (path === '/v1/chat/completions')
          await compat.chatCompletion(ctx, body, { flavor: 'ollama', model });
        else if (path === '/v1/completions')
          await compat.completion(ctx, body, { flavor: 'ollama', model });
        else if (!compat.embeddings(ctx, body, { flavor: 'ollama', model }))
          ctx.sendJson(400, openaiError('invalid input'));
      } finally {
        state.inFlight--;
      }
      return true;
    }
  }
}

module.exports = {
  name: 'ollama',
  init,
  route,
  badRequest,
  notFound,
  serverError,
  normalizeModelName,
  addModel,
  hasModel,
};
