// A plain HTTP predictor, as the `http` engine runs it: MLServer's Open Inference Protocol (V2)
// (kserve's "Open Inference Protocol" REST spec) plus the plain JSON routes of a small
// scikit-learn web server like the ones teams run today:
//   GET  /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/versions/{v}], .../ready
//   POST /v2/models/{name}[/versions/{v}]/infer, /v2/repository/index
//   POST /predict  {"features": [[...]], "return_probabilities": true} or {"text": "..."}
//   GET  /health, /healthz, /metrics (predictions_total, prediction_latency_seconds)
// The model is MLSERVER_MODEL_NAME (else MODEL_NAME), its version MODEL_VERSION. Predictions are
// computed from the request (an iris rule for four features), so a test sees its input arrived.
'use strict';

const crypto = require('crypto');
const { sendJson, sendText, LATENCY_BUCKETS } = require('./common');

const MLSERVER_VERSION = '1.6.1';
const IRIS = ['setosa', 'versicolor', 'virginica'];

function init(state, { env }) {
  state.servedModel =
    env.MLSERVER_MODEL_NAME || env.MODEL_NAME || state.servedModel || 'model';
  state.http = { version: env.MODEL_VERSION || '', predictions: 0 };
}

const badRequest = (res, message, path, status = 400) =>
  sendJson(
    res,
    status,
    path.startsWith('/v2') ? { error: message } : { detail: message },
  );
const notFound = res => sendJson(res, 404, { detail: 'Not Found' });
const serverError = (res, path) =>
  sendJson(
    res,
    500,
    path.startsWith('/v2')
      ? { error: 'internal server error' }
      : { detail: 'internal server error' },
  );

/** Iris: petal length < 2.45 is setosa; petal width < 1.75 versicolor; else virginica. Other rows: a stable class. */
function classify(row) {
  if (row.length === 4 && row.every(Number.isFinite)) {
    if (row[2] < 2.45) return 0;
    return row[3] < 1.75 ? 1 : 2;
  }
  const sum = row.reduce((s, x) => s + (Number(x) || 0), 0);
  return Math.abs(Math.round(sum)) % 3;
}

function probabilities(cls) {
  const p = [0.02, 0.02, 0.02];
  p[cls] = 0.96;
  return p;
}

const POSITIVE =
  /\b(good|great|fantastic|excellent|love|loved|wonderful|amazing|best|nice|happy)\b/gi;
const NEGATIVE =
  /\b(bad|terrible|awful|hate|hated|worst|boring|poor|sad|horrible)\b/gi;

/** Rows of a V2 tensor: data is flat (row-major) or nested; shape [rows, cols]. */
function rows(input) {
  const flat = Array.isArray(input.data) ? input.data.flat(Infinity) : [];
  const shape = Array.isArray(input.shape) ? input.shape : [flat.length];
  const cols =
    shape.length > 1
      ? Math.max(1, Number(shape[shape.length - 1]) || 1)
      : flat.length || 1;
  const out = [];
  for (let i = 0; i < flat.length; i += cols)
    out.push(flat.slice(i, i + cols).map(Number));
  return out;
}

function modelMetadata(state) {
  return {
    name: state.servedModel,
    versions: state.http.version ? [state.http.version] : [],
    platform: '',
    inputs: [{ name: 'predict', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'predict', datatype: 'INT64', shape: [-1, 1] }],
    parameters: { content_type: 'np' },
  };
}

function metricsText(state) {
  const c = state.counters;
  const lines = [
    '# HELP predictions_total Total predictions',
    '# TYPE predictions_total counter',
    `predictions_total ${state.http.predictions}`,
    '# HELP prediction_latency_seconds Prediction latency',
    '# TYPE prediction_latency_seconds histogram',
  ];
  LATENCY_BUCKETS.forEach((le, i) =>
    lines.push(
      `prediction_latency_seconds_bucket{le="${le}"} ${c.latencyBuckets[i]}`,
    ),
  );
  lines.push(`prediction_latency_seconds_bucket{le="+Inf"} ${c.latencyCount}`);
  lines.push(`prediction_latency_seconds_count ${c.latencyCount}`);
  lines.push(`prediction_latency_seconds_sum ${c.latencySum}`);
  lines.push(
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${state.startedAt}`,
  );
  return `${lines.join('\n')}\n`;
}

async function route(ctx) {
  const { method, path, state, res } = ctx;
  const get = method === 'GET' || method === 'HEAD';
  const ok = () => (
    res.writeHead(200, { 'Content-Length': 0 }), res.end(), true
  );
  if (get && path === '/v2')
    return (
      ctx.sendJson(200, {
        name: 'mlserver',
        version: MLSERVER_VERSION,
        extensions: [],
      }),
      true
    );
  if (get && (path === '/v2/health/live' || path === '/v2/health/ready'))
    return ok();
  if (get && path === '/health')
    return (
      ctx.sendJson(200, {
        status: 'healthy',
        model_loaded: true,
        model_name: state.servedModel,
      }),
      true
    );
  if (get && path === '/healthz')
    return ctx.sendJson(200, { status: 'ok' }), true;
  if (get && path === '/metrics' && state.engine !== 'any') {
    sendText(
      res,
      200,
      metricsText(state),
      'text/plain; version=0.0.4; charset=utf-8',
    );
    return true;
  }
  const m =
    /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/.exec(
      path,
    );
  if (m) {
    const name = decodeURIComponent(m[1]);
    const version = m[2] && decodeURIComponent(m[2]);
    const known =
      state.engine === 'any' ||
      (name === state.servedModel &&
        (!version || version === state.http.version));
    const action = m[3] || '';
    if (action === '/infer' ? method !== 'POST' : !get) return false;
    if (!known) {
      ctx.sendJson(404, {
        error: `Model ${name}${
          version ? ` with version ${version}` : ''
        } not found`,
      });
      return true;
    }
    if (action === '/ready') return ok();
    if (!action) return ctx.sendJson(200, modelMetadata(state)), true;
    const body = ctx.json(module.exports);
    if (!body) return true;
    if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
      badRequest(
        res,
        'inputs: Field required: a non-empty list of input tensors is needed',
        path,
      );
      return true;
    }
    const predictions = rows(body.inputs[0]).map(classify);
    finish(ctx, predictions.length);
    ctx.sendJson(200, {
      model_name: state.servedModel,
      model_version: state.http.version || undefined,
      id: typeof body.id === 'string' ? body.id : crypto.randomUUID(),
      parameters: {},
      outputs: [
        {
          name: 'predict',
          shape: [predictions.length, 1],
          datatype: 'INT64',
          parameters: { content_type: 'np' },
          data: predictions,
        },
      ],
    });
    return true;
  }
  if (method === 'POST' && path === '/v2/repository/index') {
    if (!ctx.json(module.exports)) return true;
    ctx.sendJson(200, [
      {
        name: state.servedModel,
        version: state.http.version,
        state: 'READY',
        reason: '',
      },
    ]);
    return true;
  }
  if (method === 'POST' && path === '/predict') {
    const body = ctx.json(module.exports);
    if (!body) return true;
    if (typeof body.text === 'string') {
      const pos = (body.text.match(POSITIVE) || []).length;
      const neg = (body.text.match(NEGATIVE) || []).length;
      const positive = pos >= neg;
      finish(ctx, 1);
      ctx.sendJson(200, {
        text: body.text,
        prediction: positive ? 'positive' : 'negative',
        confidence: Math.min(0.99, 0.6 + 0.1 * Math.abs(pos - neg)),
        model_name: state.servedModel,
        model_version: state.http.version,
      });
      return true;
    }
    const features = body.features ?? body.instances;
    if (!Array.isArray(features) || features.length === 0) {
      badRequest(
        res,
        'features: a list of feature rows (or text) is required',
        path,
      );
      return true;
    }
    const list = (Array.isArray(features[0]) ? features : [features]).map(r =>
      Array.isArray(r) ? r.map(Number) : [],
    );
    const predictions = list.map(classify);
    finish(ctx, predictions.length);
    ctx.sendJson(200, {
      predictions,
      ...(list.every(r => r.length === 4)
        ? { labels: predictions.map(p => IRIS[p]) }
        : {}),
      ...(body.return_probabilities
        ? { probabilities: predictions.map(probabilities) }
        : {}),
      model_name: state.servedModel,
      model_version: state.http.version,
    });
    return true;
  }
  return false;
}

function finish(ctx, n) {
  ctx.state.http.predictions += n;
  ctx.observe(0, 0, ctx.elapsed());
}

module.exports = {
  name: 'http',
  init,
  route,
  badRequest,
  notFound,
  serverError,
};
