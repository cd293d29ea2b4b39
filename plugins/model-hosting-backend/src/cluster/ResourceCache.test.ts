import { mockServices } from '@backstage/backend-test-utils';
import { ListPage, ListWatch, ResourceCache } from './ResourceCache';
import { slimNode } from './slim';

type Obj = {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  x?: number;
};

const obj = (name: string, rv: string, x = 0): Obj => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  x,
});

/** An API server in memory: lists what it holds, lets the test push watch events and end watches. */
class FakeServer implements ListWatch {
  items: Obj[] = [];
  resourceVersion = '1';
  lists = 0;
  watches: Array<{
    from: string;
    emit: (t: string, o: any) => void;
    done: (e?: unknown) => void;
  }> = [];
  failNextList?: Error;

  async list(): Promise<ListPage> {
    this.lists++;
    if (this.failNextList) {
      const e = this.failNextList;
      this.failNextList = undefined;
      throw e;
    }
    return {
      items: [...this.items],
      metadata: { resourceVersion: this.resourceVersion },
    };
  }

  async watch(
    from: string,
    emit: (t: string, o: any) => void,
    done: (e?: unknown) => void,
  ) {
    this.watches.push({ from, emit, done });
    return { abort: () => {} };
  }

  get current() {
    return this.watches[this.watches.length - 1];
  }
}

const eventually = async (check: () => void, ms = 3000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, 10));
    }
  }
};

describe('ResourceCache', () => {
  let server: FakeServer;
  let cache: ResourceCache<Obj>;
  const changes: string[] = [];

  beforeEach(() => {
    server = new FakeServer();
    changes.length = 0;
    cache = new ResourceCache<Obj>(
      server,
      {
        apiVersion: 'v1',
        kind: 'Thing',
        path: '/things',
        slim: o => (o.x === -1 ? undefined : o),
      },
      mockServices.logger.mock(),
    );
    cache.onChange((type, o) => changes.push(`${type} ${o.metadata.name}`));
  });
  afterEach(() => cache.stop());

  it('lists, then watches from the list resourceVersion and applies events', async () => {
    server.items = [obj('a', '5')];
    server.resourceVersion = '5';
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    expect(cache.synced).toBe(true);
    expect(server.current.from).toBe('5');
    server.current.emit('ADDED', obj('b', '6'));
    server.current.emit('MODIFIED', obj('a', '7', 1));
    server.current.emit('DELETED', obj('b', '8'));
    expect(cache.list().map(o => [o.metadata.name, o.x])).toEqual([['a', 1]]);
    expect(changes).toEqual(['add a', 'add b', 'update a', 'delete b']);
  });

  it('tells no one of an update that changes nothing it keeps (a node heartbeat, a relist)', async () => {
    const nodes = new FakeServer();
    const told: string[] = [];
    const heartbeat = (at: string) => ({
      metadata: { name: 'gpu-node-1' },
      status: {
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: at }],
      },
    });
    nodes.items = [heartbeat('t0') as any];
    const nodeCache = new ResourceCache<any>(
      nodes,
      { apiVersion: 'v1', kind: 'Node', path: '/api/v1/nodes', slim: slimNode },
      mockServices.logger.mock(),
    );
    nodeCache.onChange(type => told.push(type));
    nodeCache.start();
    try {
      await eventually(() => expect(nodes.watches).toHaveLength(1));
      nodes.current.emit('MODIFIED', heartbeat('t1'));
      nodes.current.emit('MODIFIED', heartbeat('t2'));
      expect(told).toEqual(['add']);
      nodes.current.emit('MODIFIED', {
        ...heartbeat('t3'),
        spec: { unschedulable: true },
      });
      expect(told).toEqual(['add', 'update']);
    } finally {
      nodeCache.stop();
    }
  });

  it('resumes from the last event it saw when the watch ends, and relists after 410 Gone', async () => {
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.current.emit('ADDED', obj('a', '10'));
    server.current.done();
    await eventually(() => expect(server.watches).toHaveLength(2));
    expect(server.current.from).toBe('10');
    expect(server.lists).toBe(1);

    server.items = [obj('c', '20')];
    server.resourceVersion = '20';
    server.current.emit('ERROR', { code: 410 });
    server.current.done();
    await eventually(() => expect(server.watches).toHaveLength(3));
    expect(server.lists).toBe(2);
    // The relist drops what is gone and adds what is new.
    expect(cache.list().map(o => o.metadata.name)).toEqual(['c']);
    expect(changes).toEqual(['add a', 'delete a', 'add c']);
  });

  it('keeps its own write over an older watch event, and never resumes past events it has not seen', async () => {
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.current.emit('ADDED', obj('a', '10'));
    cache.upsert(obj('a', '12', 2)); // our write, answered by the API server
    server.current.emit('MODIFIED', obj('a', '11', 1)); // an older event arriving late
    expect(cache.get('ns', 'a')?.x).toBe(2);
    server.current.done();
    await eventually(() => expect(server.watches).toHaveLength(2));
    expect(server.current.from).toBe('11');
  });

  it('reports the error, keeps what it had and retries with backoff when the list fails', async () => {
    server.failNextList = new Error('connect ECONNREFUSED');
    cache.start();
    await eventually(() =>
      expect(cache.lastError).toBe('connect ECONNREFUSED'),
    );
    expect(cache.synced).toBe(false);
    await eventually(() => expect(cache.synced).toBe(true), 2000);
    expect(cache.lastError).toBeUndefined();
  });

  it('drops objects its slim function refuses, and indexes the rest', async () => {
    cache.addIndex('x', o => String(o.x));
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.current.emit('ADDED', obj('a', '2', 1));
    server.current.emit('ADDED', obj('b', '3', 1));
    expect(
      cache
        .byIndex('x', '1')
        .map(o => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
    server.current.emit('MODIFIED', obj('a', '4', -1));
    expect(cache.get('ns', 'a')).toBeUndefined();
    expect(cache.byIndex('x', '1').map(o => o.metadata.name)).toEqual(['b']);
  });

  it('backs off when watches end as soon as they start, instead of looping', async () => {
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.current.done();
    await new Promise(r => setTimeout(r, 300));
    // 500 ms before the first retry: still one watch after 300 ms, not a tight loop.
    expect(server.watches).toHaveLength(1);
    await eventually(() => expect(server.watches).toHaveLength(2), 2000);
  });

  it('clears the error as soon as a watch works again, before any relist', async () => {
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.current.done(new Error('connection reset'));
    await eventually(() => expect(cache.lastError).toBe('connection reset'));
    await eventually(() => expect(server.watches).toHaveLength(2), 2000);
    expect(cache.lastError).toBeUndefined();
    expect(server.lists).toBe(1);
  });

  it('heals what a watch missed with a relist', async () => {
    cache.start();
    await eventually(() => expect(server.watches).toHaveLength(1));
    server.items = [obj('missed', '30')];
    server.resourceVersion = '30';
    cache.relistNow();
    server.current.done(); // the aborted watch ends
    await eventually(() => expect(cache.get('ns', 'missed')).toBeDefined());
    expect(server.lists).toBe(2);
  });
});
