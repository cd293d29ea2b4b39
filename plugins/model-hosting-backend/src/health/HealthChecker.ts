import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DeploymentRef,
  refKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  ModelServerCall,
  ProbeResult,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { EngineRegistry } from '../engines';
import { Counter } from '../metrics';
import { AutoRecovery } from './AutoRecovery';
import { HealthStore } from './HealthStore';

/** What health checks need of the deployments seam. */
export interface CheckedDeployments {
  find(ref: DeploymentRef): DeploymentEntry | undefined;
  setCondition(
    ref: DeploymentRef,
    condition: {
      type: string;
      status: 'True' | 'False';
      reason: string;
      message: string;
    },
    fields: {
      lastHealthCheck: { time: string; healthy: boolean; message: string };
    },
    now?: Date,
  ): Promise<void>;
}

/** Reaches one deployment's server (its Service). */
export type ServerCaller = (entry: DeploymentEntry) => ModelServerCall;

/** Told of every finished check: metering and usage follow checks without health knowing them. */
export type CheckListener = (
  entry: DeploymentEntry,
  result: ProbeResult,
) => Promise<void>;

/**
 * One health check of one deployment: the engine's probe, the history row, the Healthy condition
 * and lastHealthCheck (written when health changes, else every statusRefreshMs), and auto-recovery
 * after failureThreshold failures in a row.
 */
export class HealthChecker {
  private readonly lastStatusWrite = new Map<string, number>();
  private readonly listeners: CheckListener[] = [];

  constructor(
    private readonly deployments: CheckedDeployments,
    private readonly engines: EngineRegistry,
    private readonly callerOf: ServerCaller,
    private readonly store: HealthStore,
    private readonly recovery: AutoRecovery,
    private readonly logger: LoggerService,
    private readonly options: { statusRefreshMs: number },
    private readonly checks: Counter = { add: () => {} },
    private readonly now: () => Date = () => new Date(),
  ) {}

  onChecked(listener: CheckListener) {
    this.listeners.push(listener);
  }

  async check(entry: DeploymentEntry): Promise<ProbeResult> {
    const { ref, md } = entry;
    const started = Date.now();
    const result = await this.engines
      .get(md.spec.engine)
      .probe(this.callerOf(entry), md);
    const latencyMs = Date.now() - started;
    this.checks.add(1, {
      cluster: ref.cluster,
      healthy: String(result.healthy),
    });
    for (const listener of this.listeners) {
      await listener(entry, result).catch(e =>
        this.logger.warn(`after the health check of ${refKey(ref)}: ${e}`),
      );
    }
    let recovered = false;
    if (!result.healthy && result.recoverable !== false) {
      const threshold = md.spec.healthCheck?.failureThreshold ?? 3;
      const failures =
        (await this.store.consecutiveFailures(ref, threshold)) + 1;
      if (failures >= threshold) {
        recovered = await this.recovery.recover(
          entry,
          failures,
          result.message,
        );
      }
    }
    await this.store.record(ref, { ...result, latencyMs, recovered });
    await this.writeStatus(ref, result);
    return result;
  }

  /** The Healthy condition and lastHealthCheck; written when health changes, else now and then. */
  private async writeStatus(ref: DeploymentRef, result: ProbeResult) {
    const md = this.deployments.find(ref)?.md;
    if (!md) return;
    const key = refKey(ref);
    const now = this.now();
    const previous = md.status?.conditions?.find(c => c.type === 'Healthy');
    const status = result.healthy ? 'True' : 'False';
    const changed =
      previous?.status !== status || previous?.message !== result.message;
    if (
      !changed &&
      now.getTime() - (this.lastStatusWrite.get(key) ?? 0) <
        this.options.statusRefreshMs
    ) {
      return;
    }
    await this.deployments.setCondition(
      ref,
      {
        type: 'Healthy',
        status,
        reason: result.healthy ? 'ChecksPassed' : 'CheckFailed',
        message: result.message,
      },
      {
        lastHealthCheck: {
          time: now.toISOString(),
          healthy: result.healthy,
          message: result.message,
        },
      },
      now,
    );
    this.lastStatusWrite.set(key, now.getTime());
  }

  async history(ref: DeploymentRef, limit: number) {
    return this.store.history(ref, limit);
  }
}
