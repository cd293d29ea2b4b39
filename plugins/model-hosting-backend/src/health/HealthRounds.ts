import { LoggerService } from '@backstage/backend-plugin-api';
import { refKey } from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { Histogram } from '../metrics';
import { HealthChecker } from './HealthChecker';

/** At most `limit` tasks at a time, across rounds: a straggler from one round keeps its slot. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit)
      await new Promise<void>(r => this.waiting.push(r));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** The last round, for /stats and the benchmark. */
export interface RoundReport {
  checked: number;
  /** Checks still running when the round ended; they finish in the background. */
  stillRunning: number;
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
  /** Checks started and not finished, by deployment: never two at once for one deployment. */
  private readonly inFlight = new Set<string>();
  private readonly limiter: Limiter;
  private readonly roundListeners: Array<() => Promise<void>> = [];
  private last?: RoundReport;

  constructor(
    private readonly deployments: { synced(): DeploymentEntry[] },
    private readonly checker: HealthChecker,
    private readonly logger: LoggerService,
    private readonly options: {
      concurrency: number;
      /** How long a round waits for its checks; slower ones go on in the background. */
      roundBudgetMs: number;
    },
    private readonly durations?: Histogram,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.limiter = new Limiter(options.concurrency);
  }

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

  /**
   * One round: every due deployment that is not being checked already, `concurrency` at a time.
   * The round ends when its checks have finished or after roundBudgetMs; a slower check (an
   * auto-pull, say) goes on in the background and keeps its deployment out of later rounds.
   */
  async runDue(): Promise<number> {
    const started = Date.now();
    const due = this.due().filter(e => !this.inFlight.has(refKey(e.ref)));
    const checks = due.map(entry => {
      const key = refKey(entry.ref);
      this.inFlight.add(key);
      this.lastChecked.set(key, this.now().getTime());
      return this.limiter
        .run(() => this.checker.check(entry))
        .catch(e =>
          this.logger.error(`health check of ${key} failed to complete: ${e}`),
        )
        .finally(() => this.inFlight.delete(key));
    });
    let budget: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(checks),
      new Promise(r => {
        budget = setTimeout(r, this.options.roundBudgetMs);
      }),
    ]);
    clearTimeout(budget);
    for (const listener of this.roundListeners) {
      await listener().catch(e =>
        this.logger.warn(`after a health round: ${e}`),
      );
    }
    const durationMs = Date.now() - started;
    this.durations?.record(durationMs / 1000);
    this.last = {
      checked: due.length,
      stillRunning: due.filter(e => this.inFlight.has(refKey(e.ref))).length,
      durationMs,
      concurrency: this.options.concurrency,
      finishedAt: new Date().toISOString(),
    };
    return due.length;
  }
}
