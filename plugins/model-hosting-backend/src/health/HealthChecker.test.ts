import { mockServices } from '@backstage/backend-test-utils';
import { modelDeployment } from '../controller/testFixtures';
import { EngineRegistry } from '../engines';
import { AutoRecovery } from './AutoRecovery';
import { CheckedDeployments, HealthChecker } from './HealthChecker';
import { HealthStore } from './HealthStore';

describe('HealthChecker', () => {
  it('writes a change of health at once, and an unchanged verdict only every statusRefreshMs', async () => {
    const md = modelDeployment(m => {
      m.status = { readyReplicas: 1 };
    });
    const entry = {
      cluster: {} as any,
      ref: { cluster: 'c', namespace: 'ml', name: md.metadata.name },
      md,
    };
    const writes: Array<{ status: string; time: string }> = [];
    const deployments: CheckedDeployments = {
      find: () => entry,
      setCondition: async (_ref, condition, fields) => {
        writes.push({
          status: condition.status,
          time: fields.lastHealthCheck.time,
        });
        // The cache sees the write, as the watch would bring it.
        entry.md = {
          ...entry.md,
          status: {
            ...entry.md.status,
            conditions: [{ ...condition, lastTransitionTime: '' }],
            lastHealthCheck: fields.lastHealthCheck,
          },
        };
      },
    };
    let healthy = true;
    const engines = new EngineRegistry();
    jest.spyOn(engines, 'get').mockReturnValue({
      probe: async () => ({
        healthy,
        message: healthy ? 'ready' : 'HTTP 503',
        pulled: [],
      }),
    } as any);
    const store = {
      record: async () => {},
      consecutiveFailures: async () => 0,
    } as unknown as HealthStore;
    const recovery = { recover: async () => false } as unknown as AutoRecovery;
    let now = Date.parse('2026-11-26T12:00:00Z');
    const checker = new HealthChecker(
      deployments,
      engines,
      () => ({} as any),
      store,
      recovery,
      mockServices.logger.mock(),
      { statusRefreshMs: 300_000 },
      undefined,
      () => new Date(now),
    );
    const checkAfter = async (seconds: number) => {
      now += seconds * 1000;
      await checker.check(entry);
    };

    await checkAfter(0); // the first verdict
    await checkAfter(30);
    await checkAfter(30);
    expect(writes.map(w => w.status)).toEqual(['True']);

    healthy = false;
    await checkAfter(30); // a change: written at once
    expect(writes.map(w => w.status)).toEqual(['True', 'False']);

    // Unchanged for 5 minutes: nothing until the refresh is due, then one write.
    for (let i = 0; i < 9; i++) await checkAfter(30);
    expect(writes).toHaveLength(2);
    await checkAfter(30);
    expect(writes).toHaveLength(3);
    expect(writes[2]).toEqual({
      status: 'False',
      time: new Date(now).toISOString(),
    });
  });
});
