// vLLM's OpenAI-compatible server (`vllm serve`, vllm/entrypoints/openai/api_server.py):
//   GET  /health, /ping (also POST), /version, /v1/models, /metrics (Prometheus text, vllm: names)
//   POST /v1/chat/completions, /v1/completions (server-sent events with stream: true, a usage chunk
//        with stream_options.include_usage), /v1/embeddings
// The served model comes from the arguments (--served-model-name, else --model) as the pod's
// container gets them. Errors are vLLM's ErrorResponse; unknown paths FastAPI's {"detail": "Not Found"}.
// The counters in /metrics grow with the requests this server really answered.
'use strict';

const {
  sendJson,
  sendText,
  flagValue,
  flagValues,
  LATENCY_BUCKETS,
} = require('./common');
const compat = require('./openaiCompat');

const DEFAULT_VERSION = '0.8.5';

function init(state, { env, args, image }) {
  const served = flagValues(args, '--served-model-name');
  const model =
    flagValue(args, '--model') ??
    (args[0] && !String(args[0]).startsWith('-') ? String(args[0]) : undefined);
  state.servedModel = served?.[0] ?? model ?? env.MODEL_NAME ?? 'model';
  state.vllm = {
    aliases: served?.slice(1) ?? [],
    root: model ?? state.servedModel,
    maxModelLen: Number(flagValue(args, '--max-model-len')) || 8192,
    version:
      (/:v?(\d+\.\d+\.\d+)$/.exec(String(image || '')) || [])[1] ||
      DEFAULT_VERSION,
  };
}

const error = (message, type, code) => ({
  object: 'error',
  message,
  type,
  param: null,
  code,
});

function badRequest(res, message, _path, status = 400) {
  sendJson(res, status, error(message, 'BadRequestError', status));
}
function notFound(res, method) {
  sendJson(res, 404, { detail: 'Not Found' });
}
function serverError(res) {
  sendJson(
    res,
    500,
    error('internal server error', 'InternalServerError', 500),
  );
}

const servedNames = state => [
  state.servedModel,
  ...(state.vllm?.aliases ?? []),
];

function modelCard(state, id) {
  const created = Math.floor(state.startedAt);
  return {
    id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: state.vllm?.root ?? id,
    parent: null,
    max_model_len: state.vllm?.maxModelLen ?? 8192,
    permission: [
      {
        id: `modelperm-${created}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  };
}

function metrics(state) {
  const c = state.counters;
  const label = `model_name="${String(state.servedModel).replace(
    /["\\]/g,
    '\\$&',
  )}"`;
  const lines = [
    '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${label}} ${state.inFlight + c.running}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${label}} ${c.waiting}`,
    '# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.',
    '# TYPE vllm:gpu_cache_usage_perc gauge',
    `vllm:gpu_cache_usage_perc{${label}} ${Math.min(
      1,
      (state.inFlight + c.running) / 256,
    )}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${state.startedAt}`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    `vllm:request_success_total{finished_reason="stop",${label}} ${c.success}`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${label}} ${c.promptTokens}`,
    '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total{${label}} ${c.generationTokens}`,
    '# HELP vllm:e2e_request_latency_seconds Histogram of end to end request latency in seconds.',
    '# TYPE vllm:e2e_request_latency_seconds histogram',
  ];
  LATENCY_BUCKETS.forEach((le, i) => {
    lines.push(
      `vllm:e2e_request_latency_seconds_bucket{le="${le.toFixed(
        1,
      )}",${label}} ${c.latencyBuckets[i]}`,
    );
  });
  lines.push(
    `vllm:e2e_request_latency_seconds_bucket{le="+Inf",${label}} ${c.latencyCount}`,
  );
  lines.push(
    `vllm:e2e_request_latency_seconds_count{${label}} ${c.latencyCount}`,
  );
  lines.push(`vllm:e2e_request_latency_seconds_sum{${label}} ${c.latencySum}`);
  return `${lines.join('\n')}\n`;
}

async function route(ctx) {
  const { method, path, state, res } = ctx;
  const get = method === 'GET' || method === 'HEAD';
  if (get && path === '/health')
    return res.writeHead(200, { 'Content-Length': 0 }), res.end(), true;
  if ((get || method === 'POST') && path === '/ping')
    return res.writeHead(200, { 'Content-Length': 0 }), res.end(), true;
  if (get && path === '/version')
    return ctx.sendJson(200, { version: state.vllm.version }), true;
  if (get && path === '/v1/models') {
    ctx.sendJson(200, {
      object: 'list',
      data: servedNames(state).map(id => modelCard(state, id)),
    });
    return true;
  }
  if (get && path === '/metrics') {
    sendText(
      res,
      200,
      metrics(state),
      'text/plain; version=0.0.4; charset=utf-8',
    );
    return true;
  }
  const post = {
    '/v1/chat/completions': 'chat',
    '/v1/completions': 'completion',
    '/v1/embeddings': 'embeddings',
  }[path];
  if (!post) return false;
  if (method !== 'POST')
    return sendJson(res, 405, { detail: 'Method Not Allowed' }), true;
  const body = ctx.json(module.exports);
  if (!body) return true;
  const model = body.model ?? state.servedModel;
  if (!servedNames(state).includes(model)) {
    ctx.sendJson(
      404,
      error(`The model \`${model}\` does not exist.`, 'NotFoundError', 404),
    );
    return true;
  }
  if (post === 'chat' && !Array.isArray(body.messages)) {
    badRequest(
      res,
      "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]",
    );
    return true;
  }
  if (post === 'completion' && body.prompt === undefined) {
    badRequest(
      res,
      'Either prompt or prompt_embeds must be provided and non-empty.',
    );
    return true;
  }
  state.inFlight++;
  let served;
  try {
    if (post === 'chat')
      served = await compat.chatCompletion(ctx, body, {
        flavor: 'vllm',
        model,
      });
    else if (post === 'completion')
      served = await compat.completion(ctx, body, { flavor: 'vllm', model });
    else {
      served = compat.embeddings(ctx, body, { flavor: 'vllm', model });
      if (!served)
        badRequest(
          res,
          "[{'type': 'missing', 'loc': ('body', 'input'), 'msg': 'Field required'}]",
        );
    }
  } finally {
    state.inFlight--;
  }
  if (served) ctx.observe(served.prompt, served.completion, ctx.elapsed());
  return true;
}

module.exports = {
  name: 'vllm',
  init,
  route,
  badRequest,
  notFound,
  serverError,
  metrics,
};
