import { mockServices } from '@backstage/backend-test-utils';
import { EventsService } from '@backstage/plugin-events-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { Clusters } from '../cluster/Clusters';
import { announceChanges } from './announceChanges';

const md = (
  name: string,
  generation: number,
  labels?: Record<string, string>,
): ModelDeployment =>
  ({
    metadata: { name, namespace: 'ml', generation, labels },
    spec: {},
  } as unknown as ModelDeployment);

describe('announceChanges', () => {
  it('says whether a burst changed any definition, or statuses only', async () => {
    let listener!: (type: string, md: ModelDeployment) => void;
    const clusters = {
      all: () => [
        {
          name: 'local',
          cache: { modelDeployments: { onChange: (l: any) => (listener = l) } },
        },
      ],
    } as unknown as Clusters;
    const published: unknown[] = [];
    const events = {
      publish: async (e: { eventPayload: unknown }) =>
        void published.push(e.eventPayload),
    } as unknown as EventsService;
    const stop = announceChanges(
      clusters,
      events,
      mockServices.logger.mock(),
      10,
    );
    const burst = async (...changes: Array<[string, ModelDeployment]>) => {
      changes.forEach(([type, m]) => listener(type, m));
      await new Promise(r => setTimeout(r, 30));
    };
    try {
      await burst(['add', md('a', 1)], ['add', md('b', 1)]);
      await burst(['update', md('a', 1)], ['update', md('b', 1)]); // status only
      await burst(['update', md('a', 2)]); // the spec changed
      await burst(['update', md('b', 1, { team: 'x' })]); // a label
      await burst(['delete', md('a', 2)]);
      expect(published).toEqual([
        { clusters: ['local'], definitionsChanged: true },
        { clusters: ['local'], definitionsChanged: false },
        { clusters: ['local'], definitionsChanged: true },
        { clusters: ['local'], definitionsChanged: true },
        { clusters: ['local'], definitionsChanged: true },
      ]);
    } finally {
      stop();
    }
  });
});
