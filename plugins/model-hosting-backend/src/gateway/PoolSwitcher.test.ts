import { mockServices } from '@backstage/backend-test-utils';
import { modelDeployment } from '../controller/testFixtures';
import { PoolSwitcher } from './PoolSwitcher';

const T0 = Date.parse('2026-11-25T12:00:00Z');

function setup(
  options: {
    inFlight?: number;
    residencySeconds?: number;
    replicas?: number;
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
        entry.md = {
          ...entry.md,
          spec: { ...entry.md.spec, model: { name: model.name } },
        };
        return entry.md;
      },
      setSwitchQueue: async (_r, q) => void queues.push(q),
    },
    () => options.inFlight ?? 0,
    mockServices.logger.mock(),
    () => now,
  );
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

  it('lets a busy model stay its minimum residency, then switches', async () => {
    const { entry, switcher, requested, advance } = setup({ inFlight: 2 });
    switcher.enter(entry.ref, 'b');
    advance(30_000);
    expect(await switcher.step(entry, 'b')).toBe(false);
    advance(31_000);
    expect(await switcher.step(entry, 'b')).toBe(true);
    expect(requested.map(r => r.model)).toEqual(['b']);
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
