// One stand-in model server: the state of one engine process (models, counters, what it received)
// and the request handler that serves that engine's API, and only that engine's.
//
// Behaviour controls (state fields, set directly in-process or through the pod runner's control API):
//   mode           'ok' | 'error' (HTTP 500) | 'hang' (accepts, never answers) | 'malformed' (broken JSON)
//   delayMs        added before answering a POST (slow inference; health and listings stay fast,
//                  as on a real server whose model is slow)
//   streamDelayMs  between the pieces of a streamed answer
//   pullFails      Ollama: /api/pull fails like a pull from an unreachable registry
//   counters.running / counters.waiting   added to vLLM's num_requests_running / _waiting gauges
'use strict';

const {
  readText,
  parseJsonObject,
  sendJson,
  sleep,
  LATENCY_BUCKETS,
} = require('./common');
const ollama = require('./ollama');
const vllm = require('./vllm');
const openai = require('./openai');
const httpPredictor = require('./http');

/** The engines of ModelDeployment.spec.engine, each with its own API. */
const ENGINES = { ollama, vllm, openai, http: httpPredictor };

/** How many received requests are kept for inspection, newest last. */
const RECEIVED_KEPT = 20;
/** How much of each received body is kept. */
const BODY_KEPT = 4096;

function newState(engine) {
  return {
    engine,
    mode: 'ok',
    delayMs: 0,
    streamDelayMs: 200,
    pullFails: false,
    /** Ollama: the models present (normalized names). */
    models: new Set(),
    /** vLLM, OpenAI-compatible, HTTP: the model the server serves. */
    servedModel: 'model',
    /** When the server process started (seconds), as Prometheus' process collector reports it. */
    startedAt: Date.now() / 1000,
    /** Requests received (every path, probes included). */
    requests: 0,
    /** Requests per "METHOD /path". */
    byPath: {},
    /** The last requests with their bodies: {method, path, body, bytes, status, at}. */
    received: [],
    /** Ollama: models pulled through POST /api/pull, as asked for. */
    pulls: [],
    inFlight: 0,
    counters: {
      success: 0,
      promptTokens: 0,
      generationTokens: 0,
      latencySum: 0,
      latencyCount: 0,
      latencyBuckets: LATENCY_BUCKETS.map(() => 0),
      running: 0,
      waiting: 0,
    },
  };
}

/**
 * Creates a stand-in for one engine process.
 *   engine   'ollama' | 'vllm' | 'openai' | 'http', or 'any' (legacy: every engine's routes in one server)
 *   env      the container's environment (MODEL_NAME etc., as the kubelet resolved it)
 *   args     the container's arguments with $(VAR) expanded
 *   image    the container image (its tag gives the version the server reports)
 */
function createStandIn({ engine, env = {}, args = [], image = '' } = {}) {
  const modules =
    engine === 'any' ? [vllm, ollama, httpPredictor] : [ENGINES[engine]];
  if (!modules[0]) throw new Error(`no stand-in for engine '${engine}'`);
  const state = newState(engine);
  const config = { env, args, image };
  for (const m of modules) m.init(state, config);

  /** Records a finished generation for vLLM's counters. */
  const observe = (promptTokens, generationTokens, seconds) => {
    const c = state.counters;
    c.success++;
    c.promptTokens += promptTokens;
    c.generationTokens += generationTokens;
    c.latencySum += seconds;
    c.latencyCount++;
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) c.latencyBuckets[i]++;
    });
  };

  async function handle(req, res) {
    const started = process.hrtime.bigint();
    const url = new URL(req.url, 'http://stand-in');
    const path = url.pathname;
    state.requests++;
    const key = `${req.method} ${path}`;
    state.byPath[key] = (state.byPath[key] || 0) + 1;
    const text = await readText(req);
    const entry = {
      method: req.method,
      path,
      query: url.search || undefined,
      body: text === undefined ? undefined : text.slice(0, BODY_KEPT),
      bytes: text === undefined ? undefined : Buffer.byteLength(text),
      at: new Date().toISOString(),
      status: undefined,
    };
    state.received.push(entry);
    if (state.received.length > RECEIVED_KEPT) state.received.shift();
    res.on('finish', () => (entry.status = res.statusCode));

    if (state.mode === 'hang') return; // the connection stays open and nothing is written
    if (state.delayMs > 0 && req.method === 'POST') await sleep(state.delayMs);
    if (state.mode === 'hang') return;
    const main = modules[0];
    if (state.mode === 'error') return main.serverError(res, path);
    if (state.mode === 'malformed') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end('{"models": [ {"name": ');
    }
    const ctx = {
      req,
      res,
      url,
      path,
      method: req.method,
      state,
      config,
      text,
      observe,
      /** Seconds since the request arrived. */
      elapsed: () => Number(process.hrtime.bigint() - started) / 1e9,
      /** The body as a JSON object; on an empty or invalid body answers 400 in the engine's style and returns undefined. */
      json: style => {
        const parsed = parseJsonObject(text);
        if (parsed.error) {
          (style || main).badRequest(res, parsed.error, path, parsed.status);
          return undefined;
        }
        return parsed.value;
      },
      sendJson: (status, body, headers) => sendJson(res, status, body, headers),
    };
    for (const m of modules) {
      if (await m.route(ctx)) return;
    }
    main.notFound(res, req.method, path);
  }

  return { state, handle, engine };
}

/** A JSON-friendly summary of a stand-in's state, for the control API and tests. */
function summarize(state) {
  return {
    engine: state.engine,
    mode: state.mode,
    delayMs: state.delayMs,
    streamDelayMs: state.streamDelayMs,
    pullFails: state.pullFails,
    models: [...state.models],
    servedModel: state.servedModel,
    startedAt: state.startedAt,
    requests: state.requests,
    byPath: { ...state.byPath },
    received: state.received.map(e => ({ ...e })),
    pulls: [...state.pulls],
    inFlight: state.inFlight,
    counters: {
      success: state.counters.success,
      promptTokens: state.counters.promptTokens,
      generationTokens: state.counters.generationTokens,
      latencySum: state.counters.latencySum,
      latencyCount: state.counters.latencyCount,
      running: state.counters.running,
      waiting: state.counters.waiting,
    },
  };
}

/** Controls a test may set; anything else is refused. */
const CONTROLS = {
  mode: v => ['ok', 'error', 'hang', 'malformed'].includes(v),
  delayMs: v => Number.isFinite(v) && v >= 0,
  streamDelayMs: v => Number.isFinite(v) && v >= 0,
  pullFails: v => typeof v === 'boolean',
  running: v => Number.isFinite(v) && v >= 0,
  waiting: v => Number.isFinite(v) && v >= 0,
};
const CONTROL_DEFAULTS = {
  mode: 'ok',
  delayMs: 0,
  streamDelayMs: 200,
  pullFails: false,
  running: 0,
  waiting: 0,
};

/** Checks a control object; returns an error message or undefined. */
function checkControl(control) {
  if (!control || typeof control !== 'object' || Array.isArray(control))
    return 'control must be an object';
  for (const [k, v] of Object.entries(control)) {
    if (!CONTROLS[k])
      return `unknown control '${k}' (known: ${Object.keys(CONTROLS).join(
        ', ',
      )})`;
    if (v !== null && !CONTROLS[k](v))
      return `invalid value for '${k}': ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** Applies controls to a stand-in's state; null puts a control back to its default. */
function applyControl(state, control) {
  for (const [k, v] of Object.entries(control || {})) {
    const value = v === null ? CONTROL_DEFAULTS[k] : v;
    if (k === 'running' || k === 'waiting') state.counters[k] = value;
    else state[k] = value;
  }
}

/** Forgets what was received (requests, bodies, pulls); counters that a real server keeps stay. */
function clearReceived(state) {
  state.requests = 0;
  state.byPath = {};
  state.received = [];
  state.pulls = [];
}

module.exports = {
  ENGINES,
  LATENCY_BUCKETS,
  createStandIn,
  summarize,
  checkControl,
  applyControl,
  clearReceived,
  CONTROL_DEFAULTS,
};
