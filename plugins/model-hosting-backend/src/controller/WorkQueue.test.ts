import { WorkQueue } from './WorkQueue';

const tick = (ms = 0) => new Promise(r => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('handles a queued key once however often it was added, first in first out', async () => {
    const handled: string[] = [];
    let ready = false;
    const q = new WorkQueue(async k => void handled.push(k), {
      workers: 1,
      backoffMs: () => 10,
      ready: () => ready,
    });
    q.start();
    q.add('a');
    q.add('b');
    q.add('a');
    ready = true;
    await q.idle();
    expect(handled).toEqual(['a', 'b']);
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
    let ready = false;
    const handled: string[] = [];
    const q = new WorkQueue(async k => void handled.push(k), {
      workers: 1,
      backoffMs: () => 10,
      ready: () => ready,
    });
    q.start();
    q.add('a');
    await tick(50);
    expect(handled).toEqual([]);
    ready = true;
    await q.idle();
    expect(handled).toEqual(['a']);
    q.stop();
    q.add('b');
    await tick(20);
    expect(handled).toEqual(['a']);
    expect(q.length).toBe(0);
  });
});
