/** Cumulative counters one vLLM process reports on /metrics. */
export interface EngineCounters {
  requests: number;
  promptTokens: number;
  generationTokens: number;
  latencySecondsSum: number;
  latencyCount: number;
}

export const NO_COUNTS: EngineCounters = {
  requests: 0,
  promptTokens: 0,
  generationTokens: 0,
  latencySecondsSum: 0,
  latencyCount: 0,
};

/** Prometheus text format: the sum of every sample of a metric, whatever its labels. */
export function sumMetric(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** vLLM's counters and when its process started (Prometheus' process collector), or undefined when it has none. */
export function parseVllmMetrics(
  text: string,
): { counters: EngineCounters; processStartMs?: number } | undefined {
  const requests = sumMetric(text, 'vllm:request_success_total');
  if (requests === undefined) return undefined;
  const started = sumMetric(text, 'process_start_time_seconds');
  return {
    counters: {
      requests,
      promptTokens: sumMetric(text, 'vllm:prompt_tokens_total') ?? 0,
      generationTokens: sumMetric(text, 'vllm:generation_tokens_total') ?? 0,
      latencySecondsSum:
        sumMetric(text, 'vllm:e2e_request_latency_seconds_sum') ?? 0,
      latencyCount:
        sumMetric(text, 'vllm:e2e_request_latency_seconds_count') ?? 0,
    },
    processStartMs: started === undefined ? undefined : started * 1000,
  };
}

/** What happened between two readings of one process; a counter that went down means it restarted, so all of it is new. */
export function counterDelta(
  before: EngineCounters,
  after: EngineCounters,
): EngineCounters {
  const d = (k: keyof EngineCounters) =>
    after[k] >= before[k] ? after[k] - before[k] : after[k];
  return {
    requests: d('requests'),
    promptTokens: d('promptTokens'),
    generationTokens: d('generationTokens'),
    latencySecondsSum: d('latencySecondsSum'),
    latencyCount: d('latencyCount'),
  };
}
