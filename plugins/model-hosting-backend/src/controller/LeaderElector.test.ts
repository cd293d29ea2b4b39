import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { V1Lease } from '@kubernetes/client-node';
import { LeaderElector, LeaseStore } from './LeaderElector';

/** A Lease in memory with the API server's optimistic concurrency. */
class FakeLeases implements LeaseStore {
  lease?: V1Lease;
  private version = 0;
  /** An API server that stops answering (until `answer()`). */
  hang = false;
  private held: Array<() => void> = [];
  reads = 0;
  writes = 0;

  private async answering() {
    if (this.hang) await new Promise<void>(r => this.held.push(r));
  }

  answer() {
    this.hang = false;
    this.held.splice(0).forEach(r => r());
  }

  async readLease() {
    await this.answering();
    this.reads++;
    return this.lease && JSON.parse(JSON.stringify(this.lease));
  }

  async createLease(lease: V1Lease) {
    await this.answering();
    this.writes++;
    if (this.lease) throw new ConflictError('already exists');
    this.lease = {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: String(++this.version) },
    };
    return this.lease;
  }

  async replaceLease(lease: V1Lease) {
    await this.answering();
    this.writes++;
    if (
      lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion
    ) {
      throw new ConflictError('the object has been modified');
    }
    this.lease = {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: String(++this.version) },
    };
    return this.lease;
  }
}

const options = (identity: string) => ({
  namespace: 'model-hosting',
  leaseName: 'model-hosting-reconciler',
  identity,
  leaseDurationSeconds: 1,
  renewIntervalMs: 100,
});

const eventually = async (check: () => void, ms = 4000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, 20));
    }
  }
};

describe('LeaderElector', () => {
  const logger = mockServices.logger.mock();

  it('elects exactly one of two replicas, and hands over at once on a clean stop', async () => {
    const store = new FakeLeases();
    const leading = new Map<string, boolean>();
    const a = new LeaderElector(
      store,
      options('a'),
      l => leading.set('a', l),
      logger,
    );
    const b = new LeaderElector(
      store,
      options('b'),
      l => leading.set('b', l),
      logger,
    );
    a.start();
    b.start();
    await eventually(() =>
      expect([...leading.values()].filter(Boolean)).toHaveLength(1),
    );
    const leader = leading.get('a') ? a : b;
    const follower = leader === a ? b : a;
    await new Promise(r => setTimeout(r, 300));
    expect(leader.isLeader && !follower.isLeader).toBe(true);
    await leader.stop();
    expect(store.lease?.spec?.holderIdentity).toBeUndefined();
    await eventually(() => expect(follower.isLeader).toBe(true), 1000);
    await follower.stop();
  });

  it('renews as the leader with one write and no read; a write by someone else sends it back to reading', async () => {
    const store = new FakeLeases();
    const a = new LeaderElector(store, options('a'), () => {}, logger);
    a.start();
    await eventually(() => expect(a.isLeader).toBe(true));
    const { reads, writes } = store;
    await eventually(() => expect(store.writes).toBeGreaterThan(writes + 3));
    expect(store.reads).toBe(reads);

    // Someone else wrote the Lease (kubectl, say; still ours): the next renewal's write conflicts,
    // the leader reads the Lease and renews from what it read.
    const before = store.reads;
    await store.replaceLease({
      ...store.lease!,
      metadata: { ...store.lease!.metadata, labels: { touched: 'yes' } },
    });
    await eventually(() => expect(store.reads).toBeGreaterThan(before));
    await eventually(() =>
      expect(store.lease?.metadata?.labels).toEqual({ touched: 'yes' }),
    );
    expect(a.isLeader).toBe(true);
    const renewed = store.writes;
    await eventually(() => expect(store.writes).toBeGreaterThan(renewed + 2));
    expect(a.isLeader).toBe(true);
    await a.stop();
  });

  it('takes over a Lease whose holder stopped renewing, once it expires', async () => {
    const store = new FakeLeases();
    const now = new Date();
    await store.createLease({
      metadata: {
        name: 'model-hosting-reconciler',
        namespace: 'model-hosting',
      },
      spec: {
        holderIdentity: 'crashed',
        leaseDurationSeconds: 1,
        renewTime: now as any,
        acquireTime: now as any,
      },
    });
    const b = new LeaderElector(store, options('b'), () => {}, logger);
    b.start();
    await new Promise(r => setTimeout(r, 300));
    expect(b.isLeader).toBe(false);
    await eventually(() => expect(b.isLeader).toBe(true), 3000);
    expect(store.lease?.spec?.holderIdentity).toBe('b');
    expect(store.lease?.spec?.leaseTransitions).toBe(1);
    await b.stop();
  });

  it('stops acting before its Lease can expire when it cannot renew, so leaders never overlap', async () => {
    const store = new FakeLeases();
    const changes: Array<[boolean, number]> = [];
    const a = new LeaderElector(
      store,
      options('a'),
      l => changes.push([l, Date.now()]),
      logger,
    );
    a.start();
    await eventually(() => expect(a.isLeader).toBe(true));
    store.hang = true;
    const renewedAt = new Date(store.lease!.spec!.renewTime as any).getTime();
    await eventually(() => expect(a.isLeader).toBe(false), 2000);
    const steppedDownAt = changes[changes.length - 1][1];
    // The Lease (1 s) would expire at renewedAt + 1000: the leader stepped down before that.
    expect(steppedDownAt).toBeLessThan(renewedAt + 1000);
    store.answer();
    await a.stop();
  });
});
