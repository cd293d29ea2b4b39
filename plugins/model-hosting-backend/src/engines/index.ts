import { InputError } from '@backstage/errors';
import type { EngineInfo } from '@modelhosting/backstage-plugin-model-hosting-common';
import type { EngineAdapter } from '@modelhosting/backstage-plugin-model-hosting-node';
import { httpEngine } from './http';
import { ollamaEngine } from './ollama';
import { openaiEngine } from './openai';
import { vllmEngine } from './vllm';

export { ModelServerAccess } from './ModelServerAccess';
export type { PerServerAccess } from './ModelServerAccess';
export type { ModelServerHttpResponse } from './httpRequest';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** The engines this backend can run: the built-in ones and any a module added. */
export class EngineRegistry {
  private readonly engines = new Map<string, EngineAdapter>();

  constructor(
    engines: EngineAdapter[] = [
      vllmEngine,
      ollamaEngine,
      openaiEngine,
      httpEngine,
    ],
  ) {
    this.add(...engines);
  }

  add(...engines: EngineAdapter[]) {
    for (const engine of engines) {
      if (!NAME.test(engine.engine)) {
        throw new Error(
          `Engine name '${engine.engine}' must be lowercase letters, digits and '-'`,
        );
      }
      if (this.engines.has(engine.engine)) {
        throw new Error(`Engine '${engine.engine}' is registered twice`);
      }
      this.engines.set(engine.engine, engine);
    }
  }

  /** The adapter for spec.engine; a 400 naming the known engines otherwise. */
  get(engine: string): EngineAdapter {
    const adapter = this.engines.get(engine);
    if (!adapter) {
      throw new InputError(
        `spec.engine '${engine}' is not an engine this backend runs; known: ${this.names().join(
          ', ',
        )}`,
      );
    }
    return adapter;
  }

  has(engine: string): boolean {
    return this.engines.has(engine);
  }

  names(): string[] {
    return [...this.engines.keys()];
  }

  info(): EngineInfo[] {
    return [...this.engines.values()].map(e => ({
      engine: e.engine,
      title: e.title,
      apiKind: e.apiKind,
      defaultImage: e.defaultImage,
      port: e.port,
    }));
  }
}
