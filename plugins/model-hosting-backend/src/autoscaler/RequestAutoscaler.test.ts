import { mockServices } from '@backstage/backend-test-utils';
import { modelDeployment } from '../controller/testFixtures';
import { EngineRegistry } from '../engines';
import { RequestAutoscaler } from './RequestAutoscaler';

describe('RequestAutoscaler', () => {
  it('honours every metric of the list: the one needing the most replicas wins', async () => {
    const md = modelDeployment(m => {
      m.spec.engine = 'openai';
      m.spec.replicas = 1;
      m.spec.autoscaling = {
        enabled: true,
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'requestsInFlight', target: 100 },
          { type: 'queueDepth', target: 2 },
        ],
        scaleUpStabilizationSeconds: 0,
      };
    });
    const entry = {
      cluster: {} as any,
      ref: { cluster: 'c', namespace: 'ml', name: 'chat' },
      md,
    };
    const scaled: number[] = [];
    const autoscaler = new RequestAutoscaler(
      {
        synced: () => [entry],
        readyPods: () => [],
        scale: async (_e, replicas) => void scaled.push(replicas),
      },
      new EngineRegistry(),
      { perServer: () => [] },
      // 8 requests held while 1 runs: in flight needs 1 replica, the queue needs 4.
      {
        inFlightOf: () => 1,
        waitingOf: () => 8,
        lastRequestOf: () => Date.now(),
      },
      () => true,
      mockServices.logger.mock(),
      { tickMs: 1000, windowMs: 10_000 },
    );
    await autoscaler.evaluate(entry);
    expect(scaled).toEqual([4]);
  });
});
