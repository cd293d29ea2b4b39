import { LoggerService } from '@backstage/backend-plugin-api';
import { DeploymentRef } from '@modelhosting/backstage-plugin-model-hosting-common';
import { UsageDelta, UsageStore } from './UsageStore';

/**
 * Adds up usage in memory and writes it every few seconds: the gateway meters every request, and a
 * database write per request would cost more than the request itself.
 */
export class UsageBuffer {
  private pending = new Map<
    string,
    {
      ref: DeploymentRef;
      model: string;
      delta: Required<Omit<UsageDelta, 'gpuUtilization'>>;
    }
  >();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: UsageStore,
    private readonly logger: LoggerService,
    private readonly flushMs = 2000,
  ) {}

  add(ref: DeploymentRef, model: string, delta: UsageDelta) {
    const key = `${ref.cluster}/${ref.namespace}/${ref.name}/${model}`;
    const entry = this.pending.get(key) ?? {
      ref,
      model,
      delta: {
        requests: 0,
        errors: 0,
        pulls: 0,
        promptTokens: 0,
        generationTokens: 0,
        latencyMsSum: 0,
        latencyCount: 0,
      },
    };
    for (const k of Object.keys(entry.delta) as Array<keyof typeof entry.delta>)
      entry.delta[k] += delta[k] ?? 0;
    this.pending.set(key, entry);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref?.();
    }
  }

  /** Writes what was added; a batch the database refused is added back and tried next time. */
  async flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    for (const { ref, model, delta } of batch) {
      try {
        await this.store.add(ref, model, delta);
      } catch (e) {
        this.logger.warn(
          `could not write usage of ${ref.namespace}/${ref.name}, will retry: ${e}`,
        );
        this.add(ref, model, delta);
      }
    }
  }
}
