import {
  configEnv,
  EngineAdapter,
  getJson,
  httpGetProbe,
  ModelServerCall,
  postJson,
  ProbeFailure,
  ProbeResult,
  runProbe,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

const PORT = 11434;

/** Ollama lists "llama3.1:8b" for a pull of "llama3.1:8b" and "nomic-embed-text:latest" for "nomic-embed-text". */
export const sameOllamaModel = (a: string, b: string) =>
  a === b || `${a}:latest` === b || a === `${b}:latest`;

/** The models the server should hold: the expected ones, or the deployment's model. */
const expectedModels = (md: ModelDeployment, model = md.spec.model.name) =>
  md.spec.healthCheck?.expectedModels?.length
    ? md.spec.healthCheck.expectedModels
    : [model];

/** `GET /api/tags` against the expected models; with autoPull the missing ones are pulled. */
async function probeOllama(
  call: ModelServerCall,
  md: ModelDeployment,
): Promise<ProbeResult> {
  const hc = md.spec.healthCheck ?? {};
  const tags = await getJson(call, '/api/tags');
  if (!Array.isArray(tags?.models))
    throw new ProbeFailure('GET /api/tags has no models list');
  const present: string[] = tags.models.map(
    (m: { name?: unknown; model?: unknown }) => String(m?.name ?? m?.model),
  );
  const missing = expectedModels(md).filter(
    e => !present.some(p => sameOllamaModel(e, p)),
  );
  const pulled: string[] = [];
  if (missing.length && !hc.autoPull) {
    return {
      healthy: false,
      message: `missing models: ${missing.join(', ')} (autoPull is off)`,
      pulled,
    };
  }
  for (const model of missing) {
    const result = await postJson(
      call,
      '/api/pull',
      { model, stream: false },
      30 * 60_000,
    );
    if (result?.status !== 'success') {
      throw new ProbeFailure(
        `pulling ${model} did not succeed: ${JSON.stringify(result).slice(
          0,
          200,
        )}`,
      );
    }
    pulled.push(model);
  }
  if (hc.inferenceTest?.enabled) {
    const answer = await postJson(
      call,
      '/api/generate',
      {
        model: md.spec.model.name,
        prompt: hc.inferenceTest.prompt ?? 'Say OK.',
        stream: false,
      },
      (hc.inferenceTest.timeoutSeconds ?? 30) * 1000,
    );
    if (typeof answer?.response !== 'string') {
      throw new ProbeFailure('POST /api/generate returned no response text');
    }
  }
  return {
    healthy: true,
    message: pulled.length
      ? `pulled ${pulled.join(', ')}`
      : `${present.length} model(s) present`,
    pulled,
  };
}

/** Ollama; the expected models are pulled by the health check when autoPull is on. */
export const ollamaEngine: EngineAdapter = {
  engine: 'ollama',
  title: 'Ollama',
  apiKind: 'ollama',
  defaultImage: 'ollama/ollama:0.6.8',
  port: PORT,
  metering: 'gateway',
  // Ollama takes its settings from the environment; its command is fixed.
  acceptsArgs: false,
  // One server holds every pulled model and loads the one a request names.
  multiModel: true,
  // Ollama's own models directory: on a claim, pulled models survive restarts.
  cacheMountPath: '/root/.ollama/models',
  config: (md, model) => ({
    OLLAMA_HOST: `0.0.0.0:${PORT}`,
    OLLAMA_MODELS: '/root/.ollama/models',
    MODEL_NAME: model.name,
    EXPECTED_MODELS: expectedModels(md, model.name).join(','),
  }),
  container: (md, model) => ({
    image: md.spec.image ?? ollamaEngine.defaultImage,
    port: PORT,
    // Serve, then pull the model this deployment is for, so a new pod is useful without waiting for a health check.
    command: ['/bin/sh', '-c'],
    // Ollama takes its settings from the environment (spec.env), not from arguments.
    args: [
      'ollama serve & until ollama list >/dev/null 2>&1; do sleep 1; done; ollama pull "$MODEL_NAME"; wait',
    ],
    env: configEnv(Object.keys(ollamaEngine.config(md, model)), md),
    startupProbe: httpGetProbe('/api/tags', PORT, 5, 60),
    readinessProbe: httpGetProbe('/api/tags', PORT, 10, 3),
    livenessProbe: httpGetProbe('/', PORT, 30, 3),
  }),
  probe: (call, md) => runProbe(() => probeOllama(call, md)),
};
