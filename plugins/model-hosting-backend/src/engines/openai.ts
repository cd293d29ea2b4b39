import {
  configEnv,
  EngineAdapter,
  httpGetProbe,
  runProbe,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { probeOpenAiCompatible } from './openaiProbe';

const PORT = 8080;

/** Any OpenAI-compatible server; by default llama.cpp's server loading a GGUF model from Hugging Face. */
export const openaiEngine: EngineAdapter = {
  engine: 'openai',
  title: 'OpenAI-compatible',
  apiKind: 'openai',
  defaultImage: 'ghcr.io/ggml-org/llama.cpp:server',
  port: PORT,
  metering: 'gateway',
  // llama.cpp's server downloads --hf-repo models into LLAMA_CACHE.
  cacheMountPath: '/models',
  config: (_md, model) => ({
    MODEL_NAME: model.name,
    MODEL_SOURCE: model.source ?? '',
    LLAMA_CACHE: '/models',
  }),
  container: (md, model) => ({
    image: md.spec.image ?? openaiEngine.defaultImage,
    port: PORT,
    args: md.spec.image
      ? [...(md.spec.engineArgs ?? [])]
      : [
          '--host',
          '0.0.0.0',
          '--port',
          String(PORT),
          '--hf-repo',
          '$(MODEL_NAME)',
          '--alias',
          '$(MODEL_NAME)',
          ...(md.spec.engineArgs ?? []),
        ],
    env: configEnv(Object.keys(openaiEngine.config(md, model)), md),
    startupProbe: httpGetProbe('/v1/models', PORT, 10, 120),
    readinessProbe: httpGetProbe('/v1/models', PORT, 10, 3),
    livenessProbe: httpGetProbe('/v1/models', PORT, 30, 3),
  }),
  probe: (call, md) => runProbe(() => probeOpenAiCompatible(call, md)),
};
