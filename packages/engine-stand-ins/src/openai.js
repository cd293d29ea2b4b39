// An OpenAI-compatible server as the `openai` engine runs it by default: llama.cpp's server
// (tools/server/README.md of ggml-org/llama.cpp):
//   GET  /health, /v1/health ({"status": "ok"}), /v1/models (also /models), /props
//   POST /v1/chat/completions (/chat/completions), /v1/completions (/completions, /completion),
//        /v1/embeddings (/embeddings: 501 unless started with --embedding(s), as llama.cpp does)
// The model's id is the --alias argument (the pod passes $(MODEL_NAME)). llama.cpp serves its one
// model whatever a request's "model" says. Errors are {"error": {code, message, type}}.
'use strict';

const { sendJson, flagValue, hasFlag } = require('./common');
const compat = require('./openaiCompat');

function init(state, { env, args }) {
  const modelPath = flagValue(args, '--model', '-m');
  state.servedModel =
    flagValue(args, '--alias', '-a') ??
    (modelPath ? modelPath : undefined) ??
    flagValue(args, '--hf-repo', '-hf', '-hfr') ??
    env.MODEL_NAME ??
    'model';
  state.llamacpp = {
    embeddings: hasFlag(args, '--embedding', '--embeddings'),
    ctxSize: Number(flagValue(args, '--ctx-size', '-c')) || 4096,
  };
}

const error = (code, message, type) => ({ error: { code, message, type } });

function badRequest(res, message, _path, status = 400) {
  sendJson(res, status, error(status, message, 'invalid_request_error'));
}
function notFound(res) {
  sendJson(res, 404, error(404, 'File Not Found', 'not_found_error'));
}
function serverError(res) {
  sendJson(res, 500, error(500, 'internal server error', 'server_error'));
}

async function route(ctx) {
  const { method, path, state, res } = ctx;
  const get = method === 'GET' || method === 'HEAD';
  if (get && (path === '/health' || path === '/v1/health'))
    return ctx.sendJson(200, { status: 'ok' }), true;
  if (get && (path === '/v1/models' || path === '/models')) {
    const created = Math.floor(state.startedAt);
    ctx.sendJson(200, {
      object: 'list',
      data: [
        {
          id: state.servedModel,
          object: 'model',
          created,
          owned_by: 'llamacpp',
          meta: {
            vocab_type: 2,
            n_vocab: 128256,
            n_ctx_train: 131072,
            n_embd: 4096,
            n_params: 8030261248,
            size: 4920734720,
          },
        },
      ],
    });
    return true;
  }
  if (get && path === '/props') {
    ctx.sendJson(200, {
      default_generation_settings: {
        n_ctx: state.llamacpp.ctxSize,
        params: { n_predict: -1 },
      },
      total_slots: 1,
      model_path: state.servedModel,
      build_info: 'b5090-stand-in',
    });
    return true;
  }
  const kind = {
    '/v1/chat/completions': 'chat',
    '/chat/completions': 'chat',
    '/v1/completions': 'completion',
    '/completions': 'completion',
    '/completion': 'completion',
    '/v1/embeddings': 'embeddings',
    '/embeddings': 'embeddings',
  }[path];
  if (!kind || method !== 'POST') return false;
  const body = ctx.json(module.exports);
  if (!body) return true;
  const model = state.servedModel;
  if (kind === 'embeddings' && !state.llamacpp.embeddings) {
    sendJson(
      res,
      501,
      error(
        501,
        'This server does not support embeddings. Start it with `--embeddings`',
        'not_supported_error',
      ),
    );
    return true;
  }
  if (kind === 'chat' && !Array.isArray(body.messages)) {
    badRequest(res, "'messages' is required");
    return true;
  }
  if (kind === 'completion' && body.prompt === undefined) {
    badRequest(res, '"prompt" must be provided');
    return true;
  }
  state.inFlight++;
  try {
    if (kind === 'chat')
      await compat.chatCompletion(ctx, body, { flavor: 'llamacpp', model });
    else if (kind === 'completion')
      await compat.completion(ctx, body, { flavor: 'llamacpp', model });
    else if (!compat.embeddings(ctx, body, { flavor: 'llamacpp', model }))
      badRequest(res, '"input" must be provided');
  } finally {
    state.inFlight--;
  }
  return true;
}

module.exports = {
  name: 'openai',
  init,
  route,
  badRequest,
  notFound,
  serverError,
};
