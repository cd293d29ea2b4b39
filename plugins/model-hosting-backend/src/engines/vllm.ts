import {
  configEnv,
  EngineAdapter,
  httpGetProbe,
  MetricFamilies,
  runProbe,
  sumSamples,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { isLoaderSource } from '@modelhosting/backstage-plugin-model-hosting-common';
import { probeOpenAiCompatible } from './openaiProbe';

const PORT = 8000;

/** vLLM's own counters (Prometheus text on /metrics), which see every request it serves. */
function counters(metrics: MetricFamilies) {
  const requests = sumSamples(metrics, 'vllm:request_success_total');
  if (requests === undefined) return undefined;
  return {
    requests,
    promptTokens: sumSamples(metrics, 'vllm:prompt_tokens_total') ?? 0,
    generationTokens: sumSamples(metrics, 'vllm:generation_tokens_total') ?? 0,
    latencySecondsSum:
      sumSamples(metrics, 'vllm:e2e_request_latency_seconds_sum') ?? 0,
    latencyCount:
      sumSamples(metrics, 'vllm:e2e_request_latency_seconds_count') ?? 0,
  };
}

function load(metrics: MetricFamilies) {
  const running = sumSamples(metrics, 'vllm:num_requests_running');
  if (running === undefined) return undefined;
  return {
    running,
    waiting: sumSamples(metrics, 'vllm:num_requests_waiting') ?? 0,
    served: sumSamples(metrics, 'vllm:request_success_total'),
  };
}

/** vLLM's OpenAI-compatible server (vllm serve). */
export const vllmEngine: EngineAdapter = {
  engine: 'vllm',
  title: 'vLLM',
  apiKind: 'openai',
  defaultImage: 'vllm/vllm-openai:v0.8.5',
  port: PORT,
  metering: 'engine',
  cacheMountPath: '/models',
  // NCCL between tensor-parallel workers needs shared memory beyond the container default.
  shmPerGpu: '8Gi',
  config: (md, model) => ({
    MODEL_NAME: model.name,
    MODEL_SOURCE: model.source ?? '',
    // What vLLM downloads itself goes to the cache volume too.
    HF_HOME: '/models/hf',
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
      // Files the model loader fetched, or a Hub name vLLM downloads into HF_HOME.
      isLoaderSource(model.source) ? '$(MODEL_PATH)' : '$(MODEL_NAME)',
      '--served-model-name',
      '$(MODEL_NAME)',
      '--port',
      String(PORT),
      '--tensor-parallel-size',
      '$(TENSOR_PARALLEL_SIZE)',
      // model.version is a Hugging Face revision (a branch, tag or commit) when vLLM downloads.
      ...(model.version && !isLoaderSource(model.source)
        ? ['--revision', model.version]
        : []),
      ...(md.spec.engineArgs ?? []),
    ],
    env: configEnv(Object.keys(vllmEngine.config(md, model)), md),
    // Up to 30 minutes to download and load weights.
    startupProbe: httpGetProbe('/health', PORT, 10, 180),
    readinessProbe: httpGetProbe('/health', PORT, 10, 3),
    livenessProbe: httpGetProbe('/health', PORT, 30, 3),
  }),
  probe: (call, md) =>
    runProbe(() => probeOpenAiCompatible(call, md, '/health')),
  metrics: { path: '/metrics', counters, load },
};
