import { EngineCounters } from '@modelhosting/backstage-plugin-model-hosting-node';

export const NO_COUNTS: EngineCounters = {
  requests: 0,
  promptTokens: 0,
  generationTokens: 0,
  latencySecondsSum: 0,
  latencyCount: 0,
};

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
