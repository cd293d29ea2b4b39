import { PluginMetrics } from './metrics';

describe('PluginMetrics percentiles', () => {
  it('are taken over the latest 1000 values of a series', () => {
    const metrics = new PluginMetrics();
    const waits = metrics.histogram('wait', 'a wait', 's');
    expect(metrics.percentiles('wait', { cluster: 'a' })).toBeUndefined();
    for (let v = 1; v <= 1500; v++) waits.record(v, { cluster: 'a' });
    waits.record(7, { cluster: 'b' });

    // 501 … 1500 remain: the first 500 gave way.
    expect(metrics.percentiles('wait', { cluster: 'a' })).toEqual({
      count: 1000,
      p50: 1001,
      p99: 1491,
      max: 1500,
    });
    expect(metrics.percentiles('wait', { cluster: 'b' })).toEqual({
      count: 1,
      p50: 7,
      p99: 7,
      max: 7,
    });
    expect(metrics.latest('wait', { cluster: 'a' })).toBe(1500);
  });
});
