import { WorkQueue } from './WorkQueue';

const tick = (ms = 0) => new Promise(r => setTimeout(r, ms));

/** A one-worker queue that records the keys it handles, and takes none until `open()`. */
function heldQueue() {
  const handled: string[] = [];
  let ready = false;
  const q = new WorkQueue(async k => void handled.push(k), {
    workers: 1,
    backoffMs: () => 10,
    ready: () => ready,
  });
  q.start();
  return { q, handled, open: () => void (ready = true) };
}

describe('WorkQueue', () => {
  it('handles a queued key once however often it was added, first in first out', async () => {
    const { q, handled, open } = heldQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    open();
    await q.idle();
    expect(handled).toEqual(['a', 'b']);
  });

  it('takes keys a resync queued only when no change waits, and a change moves such a key forward', async () => {
    const { q, handled, open } = heldQueue();
    for (const k of ['r1', 'r2', 'r3']) q.add(k, 'resync');
    q.add('c1');
    q.add('r3'); // changed: no longer waits behind the resync
    q.add('c1', 'resync'); // queued for a change already: stays where it is
    expect(q.length).toBe(4);
    open();
    await q.idle();
    expect(handled).toEqual(['c1', 'r3', 'r1', 'r2']);
  });

  it('takes urgent keys before every other, and an urgent change moves a waiting key forward', async () => {
    const { q, handled, open } = heldQueue();
    q.add('r1', 'resync');
    q.add('c1');
    q.add('c2');
    q.add('u1', 'urgent');
    q.add('c2', 'urgent'); // became urgent: goes ahead of c1
    q.add('r1', 'urgent'); // a resync that became urgent too
    q.add('u1'); // a plain change of an urgent key: stays urgent
    q.add('u1', 'resync');
    expect(q.length).toBe(4);
    open();
    await q.idle();
    expect(handled).toEqual(['u1', 'c2', 'r1', 'c1']);
  });

  it('handles a key made urgent while in flight before the waiting changes', async () => {
    const handled: string[] = [];
    let release!: () => void;
    const q = new WorkQueue(
      async k => {
        handled.push(k);
        if (handled.length === 1) await new Promise<void>(r => (release = r));
      },
      { workers: 1, backoffMs: () => 10 },
    );
    q.start();
    q.add('a');
    await tick();
    q.add('b');
    q.add('a', 'urgent'); // changed urgently while its pass runs
    release();
    await q.idle();
    expect(handled).toEqual(['a', 'a', 'b']);
  });

  it('tells how long each key waited in the queue and how long its pass took', async () => {
    const observed: Array<[number, number]> = [];
    let ready = false;
    const q = new WorkQueue(async () => void (await tick(30)), {
      workers: 1,
      backoffMs: () => 10,
      ready: () => ready,
      observe: (waited, worked) => observed.push([waited, worked]),
    });
    q.start();
    q.add('a');
    q.add('b');
    await tick(50);
    q.add('a'); // queued again: its wait counts from the first add, not this one
    ready = true;
    await q.idle();
    expect(observed).toHaveLength(2);
    // 'a' waited for the queue to be ready (the 200 ms poll); 'b' also for a's pass.
    expect(observed[0][0]).toBeGreaterThanOrEqual(50);
    expect(observed[1][0]).toBeGreaterThanOrEqual(observed[0][0] + 25);
    expect(observed.every(([, worked]) => worked >= 25)).toBe(true);
  });

  it('never handles one key twice at once, and handles it again when it changed meanwhile', async () => {
    let running = 0;
    let most = 0;
    const handled: string[] = [];
    let release!: () => void;
    const q = new WorkQueue(
      async k => {
        running++;
        most = Math.max(most, running);
        handled.push(k);
        if (handled.length === 1) await new Promise<void>(r => (release = r));
        running--;
      },
      { workers: 4, backoffMs: () => 10 },
    );
    q.start();
    q.add('a');
    await tick();
    q.add('a'); // changed while in flight
    q.add('a');
    await tick(20);
    expect(handled).toEqual(['a']);
    release();
    await q.idle();
    expect(handled).toEqual(['a', 'a']);
    expect(most).toBe(1);
  });

  it('retries a failed key after its backoff, and tells of each failure', async () => {
    const failures: Array<[string, number]> = [];
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        if (++calls < 3) throw new Error('boom');
      },
      {
        workers: 1,
        backoffMs: attempt => attempt * 5,
        onFailure: (k, _e, n) => void failures.push([k, n]),
      },
    );
    q.start();
    q.add('a');
    for (let i = 0; i < 100 && calls < 3; i++) await tick(5);
    expect(calls).toBe(3);
    expect(failures).toEqual([
      ['a', 1],
      ['a', 2],
    ]);
  });

  it('waits while it is not ready, and forgets everything when stopped', async () => {
    const { q, handled, open } = heldQueue();
    q.add('a');
    await tick(50);
    expect(handled).toEqual([]);
    open();
    await q.idle();
    expect(handled).toEqual(['a']);
    q.stop();
    q.add('b');
    await tick(20);
    expect(handled).toEqual(['a']);
    expect(q.length).toBe(0);
  });
});
