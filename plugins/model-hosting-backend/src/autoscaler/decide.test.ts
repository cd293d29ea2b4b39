import { decideReplicas, LoadHistory } from './decide';

const autoscaling = {
  enabled: true,
  minReplicas: 1,
  maxReplicas: 5,
  metrics: [{ type: 'requestsInFlight' as const, target: 10 }],
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 60,
};
const fresh = (): LoadHistory => ({
  samples: [],
  recommendations: [],
  lastActive: 0,
});
const run = (
  h: LoadHistory,
  load: number,
  current: number,
  now: number,
  a = autoscaling,
) =>
  decideReplicas(h, {
    now,
    load,
    current,
    target: 10,
    autoscaling: a,
    windowMs: 10_000,
  });

describe('decideReplicas', () => {
  it('scales up at once to cover the average load, within max', () => {
    expect(run(fresh(), 35, 1, 1000).replicas).toBe(4);
    expect(run(fresh(), 500, 1, 1000).replicas).toBe(5);
  });

  it('averages the load over the window', () => {
    const h = fresh();
    run(h, 40, 1, 0);
    expect(run(h, 0, 4, 5_000).replicas).toBe(4); // average 20 → 2, but the down window keeps 4
    expect(run(h, 0, 4, 20_000).replicas).toBe(4); // average now 0, the down window still holds a 4
    expect(run(h, 0, 4, 70_000).replicas).toBe(1);
  });

  it('holds a scale-up until the up window agrees', () => {
    const h = fresh();
    const slowUp = { ...autoscaling, scaleUpStabilizationSeconds: 30 };
    run(h, 0, 1, 0, slowUp);
    expect(run(h, 50, 1, 1000, slowUp).replicas).toBe(1);
    expect(run(h, 50, 1, 32_000, slowUp).replicas).toBe(5);
  });

  it('goes to zero only when allowed and idle long enough, and stays there', () => {
    const toZero = {
      ...autoscaling,
      minReplicas: 0,
      scaleToZeroAfterSeconds: 60,
    };
    const h = fresh();
    expect(run(h, 0, 1, 30_000, toZero).replicas).toBe(1);
    expect(run(h, 0, 1, 61_000, toZero)).toEqual({
      replicas: 0,
      reason: 'idle for 61 s',
    });
    expect(run(h, 0, 0, 70_000, toZero).replicas).toBe(0);
    expect(run(fresh(), 0, 1, 61_000, autoscaling).replicas).toBe(1); // min 1: never zero
  });

  it('respects a scale by hand for the scale-down window', () => {
    const h = fresh();
    expect(run(h, 0, 1, 0).replicas).toBe(1);
    expect(run(h, 0, 3, 1_000).replicas).toBe(3); // someone scaled to 3
    expect(run(h, 0, 3, 30_000).replicas).toBe(3);
    expect(run(h, 0, 3, 62_000).replicas).toBe(1);
  });
});
