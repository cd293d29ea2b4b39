import { LoggerService } from '@backstage/backend-plugin-api';
import { refKey } from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { HealthStore } from './HealthStore';

/** What recovery needs of the deployments seam. */
export interface RecoverableDeployments {
  restart(
    entry: DeploymentEntry,
    event: { type: 'Warning'; reason: string; message: string },
  ): Promise<string>;
  event(
    entry: DeploymentEntry,
    type: 'Warning',
    reason: string,
    message: string,
  ): Promise<void>;
}

export interface RecoveryOptions {
  maxRestartsPerHour: number;
  /** Wait this long after a recovery before the next, doubling each time. */
  backoffMs: number;
}

/**
 * Restarts the pods of a deployment that failed its checks too often in a row, with a backoff
 * that doubles and a cap per hour (then one RecoveryCapped Event per hour).
 */
export class AutoRecovery {
  private readonly cappedWarned = new Map<string, number>();

  constructor(
    private readonly deployments: RecoverableDeployments,
    private readonly store: HealthStore,
    private readonly logger: LoggerService,
    private readonly options: RecoveryOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Restarts the pods unless the hourly cap or the backoff says wait. Returns whether it did. */
  async recover(
    entry: DeploymentEntry,
    failures: number,
    reason: string,
  ): Promise<boolean> {
    const { ref } = entry;
    const now = this.now();
    const recent = await this.store.recoveriesSince(
      ref,
      new Date(now.getTime() - 3600_000),
    );
    const key = refKey(ref);
    if (recent.length >= this.options.maxRestartsPerHour) {
      if ((this.cappedWarned.get(key) ?? 0) < now.getTime() - 3600_000) {
        this.cappedWarned.set(key, now.getTime());
        await this.deployments.event(
          entry,
          'Warning',
          'RecoveryCapped',
          `Unhealthy (${reason}), but already restarted ${recent.length} times in the last hour; not restarting again`,
        );
      }
      return false;
    }
    const backoff =
      this.options.backoffMs * 2 ** Math.max(0, recent.length - 1);
    if (recent[0] && now.getTime() - recent[0].getTime() < backoff)
      return false;
    await this.deployments.restart(entry, {
      type: 'Warning',
      reason: 'AutoRecovery',
      message: `Restarting the pods after ${failures} failed health checks: ${reason}`,
    });
    this.logger.warn(
      `restarted ${key} after ${failures} failed health checks: ${reason}`,
    );
    return true;
  }
}
