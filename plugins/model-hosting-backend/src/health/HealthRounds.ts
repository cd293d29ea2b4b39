import { LoggerService } from '@backstage/backend-plugin-api';
import { refKey } from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { Histogram } from '../metrics';
import { HealthChecker } from './HealthChecker';

/** Runs `fn` over items with at most `limit` at a time. */
async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The last round, for /stats and the benchmark. */
export interface RoundReport {
  checked: number;
  durationMs: number;
  concurrency: number;
  finishedAt: string;
}

/**
 * Rounds of health checks on Backstage's scheduler: every deployment with a ready replica whose
 * healthCheck.intervalSeconds has passed, `concurrency` at a time. A single failed check never
 * fails the round.
 */
export class HealthRounds {
  private readonly lastChecked = new Map<string, number>();
  private readonly roundListeners: Array<() => Promise<void>> = [];
  private last?: RoundReport;

  constructor(
    private readonly deployments: { synced(): DeploymentEntry[] },
    private readonly checker: HealthChecker,
    private readonly logger: LoggerService,
    private readonly options: { concurrency: number },
    private readonly durations?: Histogram,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get lastRound(): RoundReport | undefined {
    return this.last;
  }

  /** Told at the end of every round (GPU utilization is sampled then). */
  onRoundFinished(listener: () => Promise<void>) {
    this.roundListeners.push(listener);
  }

  /** Deployments whose interval has passed and that have pods to ask. */
  due(): DeploymentEntry[] {
    const now = this.now().getTime();
    return this.deployments.synced().filter(({ ref, md }) => {
      if ((md.spec.replicas ?? 1) === 0 || !md.status?.readyReplicas)
        return false;
      const last =
        this.lastChecked.get(refKey(ref)) ??
        Date.parse(md.status?.lastHealthCheck?.time ?? '');
      const interval = (md.spec.healthCheck?.intervalSeconds ?? 30) * 1000;
      return !(now - (Number.isNaN(last) ? 0 : last) < interval);
    });
  }

  /** One round: every due deployment, `concurrency` at a time. */
  async runDue(): Promise<number> {
    const started = Date.now();
    const due = this.due();
    await mapLimit(due, this.options.concurrency, async entry => {
      this.lastChecked.set(refKey(entry.ref), this.now().getTime());
      await this.checker
        .check(entry)
        .catch(e =>
          this.logger.error(
            `health check of ${refKey(entry.ref)} failed to complete: ${e}`,
          ),
        );
    });
    for (const listener of this.roundListeners) {
      await listener().catch(e =>
        this.logger.warn(`after a health round: ${e}`),
      );
    }
    const durationMs = Date.now() - started;
    this.durations?.record(durationMs / 1000);
    this.last = {
      checked: due.length,
      durationMs,
      concurrency: this.options.concurrency,
      finishedAt: new Date().toISOString(),
    };
    return due.length;
  }
}
