import { configEnv, configMapName, EngineAdapter, httpGet } from './types';

const PORT = 11434;

/** Ollama; the expected models are pulled by the health check when autoPull is on. */
export const ollamaEngine: EngineAdapter = {
  engine: 'ollama',
  apiKind: 'ollama',
  defaultImage: 'ollama/ollama:0.6.8',
  port: PORT,
  config: (md, model) => ({
    OLLAMA_HOST: `0.0.0.0:${PORT}`,
    MODEL_NAME: model.name,
    EXPECTED_MODELS: (md.spec.healthCheck?.expectedModels ?? [model.name]).join(
      ',',
    ),
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
    env: configEnv(
      Object.keys(ollamaEngine.config(md, model)),
      configMapName(md),
      md,
    ),
    startupProbe: httpGet('/api/tags', PORT, 5, 60),
    readinessProbe: httpGet('/api/tags', PORT, 10, 3),
    livenessProbe: httpGet('/', PORT, 30, 3),
  }),
};
