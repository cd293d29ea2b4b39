import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { KubeGateway } from '../cluster/KubeGateway';

/** Where the Lease lives: the cluster's API server (optimistic concurrency on resourceVersion). */
export type LeaseStore = Pick<
  KubeGateway,
  'readLease' | 'createLease' | 'replaceLease'
>;

export interface LeaderElectionOptions {
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  renewIntervalMs: number;
}

const withSpec = (lease: V1Lease, spec: V1Lease['spec']): V1Lease => ({
  ...lease,
  spec,
});

/**
 * One active reconciler per cluster across backend replicas: whoever holds the coordination.k8s.io
 * Lease reconciles; the others take over when it stops renewing. Optimistic concurrency on the
 * Lease's resourceVersion makes two replicas never both win.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  /** Steps down when no renewal succeeded within the renew deadline. */
  private deadline?: NodeJS.Timeout;
  private leader = false;
  private lastRenew = 0;
  private stopped = false;
  private round?: Promise<void>;
  /** The Lease as our last write left it: a leader renews it without reading it first. */
  private held?: V1Lease;

  constructor(
    private readonly gateway: LeaseStore,
    private readonly options: LeaderElectionOptions,
    private readonly onChange: (leader: boolean) => void,
    private readonly logger: LoggerService,
  ) {}

  get isLeader() {
    return this.leader;
  }

  start() {
    this.stopped = false;
    const tick = async () => {
      this.round = this.tryAcquireOrRenew();
      await this.round;
      // stop() may have run while this round awaited the API server: do not re-arm then.
      if (this.stopped) return;
      // A leader renews every renewIntervalMs; a follower looks twice as often, so it takes over
      // soon after a crashed leader's Lease expires.
      const next = this.leader
        ? this.options.renewIntervalMs
        : Math.max(250, this.options.renewIntervalMs / 2);
      this.timer = setTimeout(tick, next);
      this.timer.unref?.();
    };
    void tick();
  }

  /** Stops and hands the Lease over at once, so another replica need not wait for it to expire. */
  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.timer = undefined;
    // A round in flight may just have taken the Lease: let it finish, then hand the Lease over.
    await this.round;
    const wasLeader = this.leader;
    this.held = undefined;
    this.set(false);
    if (!wasLeader && !this.lastRenew) return;
    try {
      const lease = await this.gateway.readLease(
        this.options.namespace,
        this.options.leaseName,
      );
      if (lease?.spec?.holderIdentity === this.options.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = new V1MicroTime(0);
        if (lease.spec.acquireTime)
          lease.spec.acquireTime = new V1MicroTime(lease.spec.acquireTime);
        await this.gateway.replaceLease(lease);
      }
    } catch (e) {
      this.logger.warn(`could not release the reconciler Lease: ${e}`);
    }
  }

  private set(leader: boolean) {
    if (leader === this.leader) return;
    this.leader = leader;
    this.onChange(leader);
  }

  private async tryAcquireOrRenew() {
    const { namespace, leaseName, identity, leaseDurationSeconds } =
      this.options;
    // Lease times are MicroTime: the API server wants six fractional digits.
    const now = new V1MicroTime();
    if (this.leader && this.held && (await this.renewHeld(now))) return;
    try {
      const lease = await this.gateway.readLease(namespace, leaseName);
      if (!lease) {
        this.held = await this.gateway.createLease({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: leaseName, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        });
        this.renewed(now);
        return;
      }
      const spec = lease.spec ?? {};
      const renewedAt = spec.renewTime
        ? new Date(spec.renewTime as any).getTime()
        : 0;
      const expired =
        renewedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 <
        now.getTime();
      if (spec.holderIdentity === identity) {
        this.held = await this.gateway.replaceLease(
          withSpec(lease, {
            ...spec,
            acquireTime: spec.acquireTime
              ? new V1MicroTime(spec.acquireTime)
              : now,
            renewTime: now,
            leaseDurationSeconds,
          }),
        );
        this.renewed(now);
      } else if (!spec.holderIdentity || expired) {
        this.held = await this.gateway.replaceLease(
          withSpec(lease, {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
          }),
        );
        this.logger.info(
          `took over the reconciler Lease from ${
            spec.holderIdentity || 'nobody'
          }`,
        );
        this.renewed(now);
      } else {
        this.held = undefined;
        this.set(false);
      }
    } catch (e) {
      this.held = undefined;
      // A conflict means another replica wrote first; anything else: we cannot prove we lead.
      this.logger.debug(`Lease ${namespace}/${leaseName}: ${e}`);
      if (
        e instanceof ConflictError ||
        Date.now() - this.lastRenew > this.renewDeadlineMs
      ) {
        this.set(false);
      }
    }
  }

  /**
   * The leader's renewal in one request, as client-go's fast path: the Lease as we last wrote it,
   * with a new renewTime. Its resourceVersion makes the write fail if anyone wrote since; then the
   * usual read decides (false).
   */
  private async renewHeld(now: V1MicroTime): Promise<boolean> {
    const spec = this.held!.spec ?? {};
    try {
      this.held = await this.gateway.replaceLease(
        withSpec(this.held!, {
          ...spec,
          acquireTime: spec.acquireTime
            ? new V1MicroTime(spec.acquireTime)
            : now,
          renewTime: now,
        }),
      );
      this.renewed(now);
      return true;
    } catch (e) {
      this.logger.debug(
        `Lease ${this.options.namespace}/${this.options.leaseName}: renewal without a read failed (${e}); reading it`,
      );
      this.held = undefined;
      return false;
    }
  }

  /**
   * A leader that cannot renew stops acting at two thirds of the Lease: before the Lease can
   * expire and another replica take it, so two leaders never act at once.
   */
  private get renewDeadlineMs() {
    return (this.options.leaseDurationSeconds * 1000 * 2) / 3;
  }

  private renewed(now: V1MicroTime) {
    this.lastRenew = now.getTime();
    if (this.stopped) return;
    this.set(true);
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      this.logger.warn(
        'could not renew the reconciler Lease in time; stepping down',
      );
      this.set(false);
    }, this.renewDeadlineMs - (Date.now() - this.lastRenew));
    this.deadline.unref?.();
  }
}
