import { InputError } from '@backstage/errors';
import {
  DeploymentRef,
  ModelDeployment,
  ModelStats,
  poolOf,
  servedModel,
  UsageResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { UsageStore } from './UsageStore';

/** Usage chart ranges and the bucket each uses. */
const RANGES: Record<string, { ms: number; stepMs: number }> = {
  '1h': { ms: 3600_000, stepMs: 60_000 },
  '24h': { ms: 86_400_000, stepMs: 3600_000 },
  '7d': { ms: 7 * 86_400_000, stepMs: 6 * 3600_000 },
};

/** Usage series ready for charts: one deployment, or the fleet. */
export class UsageReports {
  constructor(
    private readonly store: UsageStore,
    private readonly gpuUtilization: () => UsageResponse['gpuUtilization'],
  ) {}

  /** A 400 naming the ranges for one it does not know. */
  static checkRange(range: string) {
    if (!RANGES[range]) {
      throw new InputError(
        `range must be one of ${Object.keys(RANGES).join(', ')}`,
      );
    }
  }

  async report(
    range: string,
    ref: Partial<DeploymentRef>,
    now = new Date(),
  ): Promise<UsageResponse> {
    UsageReports.checkRange(range);
    const { ms, stepMs } = RANGES[range];
    const from = new Date(now.getTime() - ms);
    return {
      from: from.toISOString(),
      to: now.toISOString(),
      stepSeconds: stepMs / 1000,
      series: await this.store.series(ref, from, now, stepMs),
      lastUsed: ref.name
        ? await this.store.lastUsed(ref as DeploymentRef)
        : undefined,
      gpuUtilization: this.gpuUtilization(),
    };
  }

  /**
   * Every model of a deployment, as the Model Manager seed lists them: the pool (the running one
   * marked), any other model that was used, and each one's use over the last 24 hours.
   */
  async modelsOf(
    ref: DeploymentRef,
    md: ModelDeployment,
    now = new Date(),
  ): Promise<ModelStats[]> {
    const used = await this.store.perModel(
      ref,
      new Date(now.getTime() - 86_400_000),
    );
    const pool = poolOf(md);
    const names = [...new Set([...pool.map(m => m.name), ...used.keys()])];
    return names.map(name => {
      const spec = pool.find(m => m.name === name);
      const u = used.get(name);
      return {
        name,
        version: spec?.version,
        source: spec?.source,
        active: name === servedModel(md),
        inPool: !!spec,
        requests: u?.requests ?? 0,
        errors: u?.errors ?? 0,
        promptTokens: u?.promptTokens ?? 0,
        generationTokens: u?.generationTokens ?? 0,
        lastUsed: u?.lastUsed,
      };
    });
  }
}
