import { mockServices } from '@backstage/backend-test-utils';
import { modelDeployment } from '../controller/testFixtures';
import { PoolSwitcher } from './PoolSwitcher';

const T0 = Date.parse('2026-11-25T12:00:00Z');

function setup(
  options: {
    inFlight?: number;
    residencySeconds?: number;
    replicas?: number;
    /** The API server answers the switch's write after a moment. */
    slowWrite?: boolean;
  } = {},
) {
  const md = modelDeployment(m => {
    m.spec.model = { name: 'a' };
    m.spec.models = [
      { name: 'b', engineArgs: ['--max-model-len', '2048'] },
      { name: 'c' },
    ];
    m.spec.replicas = options.replicas ?? 1;
    m.spec.switching = { minResidencySeconds: options.residencySeconds ?? 60 };
    m.metadata.creationTimestamp = new Date(T0).toISOString();
  });
  const entry = {
    cluster: {} as any,
    ref: { cluster: 'c', namespace: 'ml', name: 'gpu' },
    md,
  };
  const requested: Array<{ model: string; replicas?: number }> = [];
  const queues: unknown[] = [];
  let now = T0;
  const switcher = new PoolSwitcher(
    {
      find: () => entry,
      requestModel: async (_e, model, _t, _ev, opts) => {
        requested.push({ model: model.name, replicas: opts?.replicas });
        if (options.slowWrite) await new Promise(r => setTimeout(r, 20));
        entry.md = {
          ...entry.md,
          spec: { ...entry.md.spec, model: { name: model.name } },
        };
        return entry.md;
      },
      setSwitchQueue: async (_r, q) => void queues.push(q),
    },
    mockServices.logger.mock(),
    () => now,
  );
  // Requests forwarded to the running model and not finished yet.
  for (let i = 0; i < (options.inFlight ?? 0); i++) switcher.admit(entry.ref);
  return {
    entry,
    switcher,
    requested,
    queues,
    advance: (ms: number) => (now += ms),
  };
}

describe('PoolSwitcher', () => {
  it('switches at once when nobody uses the running model', async () => {
    const { entry, switcher, requested } = setup();
    const leave = switcher.enter(entry.ref, 'b');
    expect(await switcher.step(entry, 'b')).toBe(true);
    expect(requested).toEqual([{ model: 'b', replicas: undefined }]);
    leave();
  });

  it('lets a busy model stay its minimum residency, then lets its forwarded requests finish before switching', async () => {
    const { entry, switcher, requested, advance } = setup();
    const first = switcher.admit(entry.ref);
    const second = switcher.admit(entry.ref);
    switcher.enter(entry.ref, 'b');
    advance(30_000);
    expect(await switcher.step(entry, 'b')).toBe(false);
    expect(switcher.isDraining(entry.ref)).toBe(false);
    advance(31_000);
    // Due: new requests for a wait, the two forwarded ones finish first.
    expect(await switcher.step(entry, 'b')).toBe(false);
    expect(switcher.isDraining(entry.ref)).toBe(true);
    first();
    first(); // once only
    expect(await switcher.step(entry, 'b')).toBe(false);
    second();
    expect(await switcher.step(entry, 'b')).toBe(true);
    expect(requested.map(r => r.model)).toEqual(['b']);
    expect(switcher.isDraining(entry.ref)).toBe(false);
  });

  it('switches anyway when forwarded requests take longer than the drain allows', async () => {
    const { entry, switcher, requested, advance } = setup({
      inFlight: 1,
      residencySeconds: 0,
    });
    switcher.enter(entry.ref, 'b');
    expect(await switcher.step(entry, 'b')).toBe(false);
    advance(29_000);
    expect(await switcher.step(entry, 'b')).toBe(false);
    advance(1_000);
    expect(await switcher.step(entry, 'b')).toBe(true);
    expect(requested.map(r => r.model)).toEqual(['b']);
  });

  it('takes requests for the running model again when nobody waits for another any more', async () => {
    const { entry, switcher } = setup({ inFlight: 1, residencySeconds: 0 });
    const leave = switcher.enter(entry.ref, 'b');
    expect(await switcher.step(entry, 'b')).toBe(false);
    expect(switcher.isDraining(entry.ref)).toBe(true);
    leave(); // the client went away
    expect(switcher.isDraining(entry.ref)).toBe(false);
  });

  it('never asks for another model while the last one asked for is on its way in', async () => {
    const { entry, switcher, requested } = setup({ residencySeconds: 0 });
    switcher.enter(entry.ref, 'a');
    // Switching to b: the spec names b, a still serves.
    entry.md.spec.models = [{ name: 'a' }, ...entry.md.spec.models!];
    entry.md.spec.model = { name: 'b' };
    entry.md.status = {
      activeModel: 'a',
      switch: {
        from: 'a',
        to: 'b',
        strategy: 'recreate',
        startedAt: new Date(T0).toISOString(),
      },
    };
    expect(await switcher.step(entry, 'a')).toBe(false);
    entry.md.status = { activeModel: 'a' }; // asked for, not started yet
    expect(await switcher.step(entry, 'a')).toBe(false);
    entry.md.status = { activeModel: 'b' }; // b serves: a's turn
    expect(await switcher.step(entry, 'a')).toBe(true);
    expect(requested.map(r => r.model)).toEqual(['a']);
  });

  it('asks for a switch once however many requests wait for it', async () => {
    const { entry, switcher, requested } = setup({ slowWrite: true });
    switcher.enter(entry.ref, 'b');
    switcher.enter(entry.ref, 'b');
    const steps = await Promise.all([
      switcher.step(entry, 'b'),
      switcher.step(entry, 'b'),
    ]);
    expect(steps.filter(Boolean)).toHaveLength(1);
    expect(requested).toHaveLength(1);
  });

  it('serves waiting models in the order their first request came, and shows the queue', async () => {
    const { entry, switcher, requested, queues, advance } = setup();
    switcher.enter(entry.ref, 'c');
    advance(10);
    switcher.enter(entry.ref, 'b');
    expect(await switcher.step(entry, 'b')).toBe(false); // c asked first
    expect(await switcher.step(entry, 'c')).toBe(true);
    expect(requested.map(r => r.model)).toEqual(['c']);
    expect(queues[1]).toEqual([
      { model: 'c', requestedAt: new Date(T0).toISOString(), waiting: 1 },
      { model: 'b', requestedAt: new Date(T0 + 10).toISOString(), waiting: 1 },
    ]);
  });

  it('starts a deployment at zero with the model asked for', async () => {
    const { entry, switcher, requested } = setup({ replicas: 0, inFlight: 5 });
    switcher.enter(entry.ref, 'b');
    expect(await switcher.step(entry, 'b')).toBe(true);
    expect(requested).toEqual([{ model: 'b', replicas: 1 }]);
  });
});
