import { ModelEngine } from '@internal/backstage-plugin-model-hosting-common';
import { httpEngine } from './http';
import { ollamaEngine } from './ollama';
import { openaiEngine } from './openai';
import { EngineAdapter } from './types';
import { vllmEngine } from './vllm';

export type { EngineAdapter, EngineApiKind, ServedModel } from './types';
export { configMapName } from './types';

const engines: Record<ModelEngine, EngineAdapter> = {
  vllm: vllmEngine,
  ollama: ollamaEngine,
  openai: openaiEngine,
  http: httpEngine,
};

export function engineFor(engine: ModelEngine): EngineAdapter {
  const adapter = engines[engine];
  if (!adapter) throw new Error(`Unknown engine '${engine}'`);
  return adapter;
}
