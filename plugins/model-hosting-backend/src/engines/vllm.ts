import { configEnv, configMapName, EngineAdapter, httpGet } from './types';

const PORT = 8000;

/** vLLM's OpenAI-compatible server (vllm serve). */
export const vllmEngine: EngineAdapter = {
  engine: 'vllm',
  apiKind: 'openai',
  defaultImage: 'vllm/vllm-openai:v0.8.5',
  port: PORT,
  config: (md, model) => ({
    MODEL_NAME: model.name,
    MODEL_SOURCE: model.source ?? '',
    // Shard over every GPU of the replica.
    TENSOR_PARALLEL_SIZE: String(
      Math.max(1, md.spec.resources?.gpu?.count ?? 1),
    ),
  }),
  container: (md, model) => ({
    image: md.spec.image ?? vllmEngine.defaultImage,
    port: PORT,
    args: [
      '--model',
      '$(MODEL_NAME)',
      '--served-model-name',
      '$(MODEL_NAME)',
      '--port',
      String(PORT),
      '--tensor-parallel-size',
      '$(TENSOR_PARALLEL_SIZE)',
      ...(md.spec.engineArgs ?? []),
    ],
    env: configEnv(
      Object.keys(vllmEngine.config(md, model)),
      configMapName(md),
      md,
    ),
    // Up to 30 minutes to download and load weights.
    startupProbe: httpGet('/health', PORT, 10, 180),
    readinessProbe: httpGet('/health', PORT, 10, 3),
    livenessProbe: httpGet('/health', PORT, 30, 3),
  }),
};
