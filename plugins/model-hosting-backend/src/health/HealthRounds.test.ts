import { mockServices } from '@backstage/backend-test-utils';
import { modelDeployment } from '../controller/testFixtures';
import { HealthChecker } from './HealthChecker';
import { HealthRounds } from './HealthRounds';

const entry = (name: string) => ({
  cluster: {} as any,
  ref: { cluster: 'c', namespace: 'ml', name },
  md: modelDeployment(m => {
    m.metadata.name = name;
    m.status = { readyReplicas: 1 };
    m.spec.healthCheck = { intervalSeconds: 5 };
  }),
});

describe('HealthRounds', () => {
  it('ends a round without waiting for a slow check, and never runs two checks of one deployment at once', async () => {
    const started: string[] = [];
    let releaseSlow!: () => void;
    const checker = {
      check: async (e: ReturnType<typeof entry>) => {
        started.push(e.ref.name);
        if (e.ref.name === 'slow')
          await new Promise<void>(r => (releaseSlow = r));
        return { healthy: true, message: 'ok', pulled: [] };
      },
    } as unknown as HealthChecker;
    let now = Date.parse('2026-11-25T12:00:00Z');
    const rounds = new HealthRounds(
      { synced: () => [entry('slow'), entry('fast')] },
      checker,
      mockServices.logger.mock(),
      { concurrency: 2, roundBudgetMs: 100 },
      undefined,
      () => new Date(now),
    );
    await rounds.runDue();
    expect(rounds.lastRound).toMatchObject({ checked: 2, stillRunning: 1 });
    now += 10_000; // both are due again
    await rounds.runDue();
    // The slow one is still being checked: only the fast one ran again.
    expect(started).toEqual(['slow', 'fast', 'fast']);
    releaseSlow();
    await new Promise(r => setTimeout(r, 10));
    now += 10_000;
    await rounds.runDue();
    expect(started.filter(n => n === 'slow')).toHaveLength(2);
  });
});
