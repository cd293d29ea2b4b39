import {
  AuthService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { ModelHostingApi } from '@modelhosting/backstage-plugin-model-hosting-node';
import { ModelDeploymentEntityProvider } from './ModelDeploymentEntityProvider';

const tick = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('ModelDeploymentEntityProvider', () => {
  it('reads the fleet again when definitions changed, not when only statuses did', async () => {
    let onEvent!: (e: { eventPayload: unknown }) => Promise<void>;
    const events = {
      subscribe: async (s: { onEvent: typeof onEvent }) => {
        onEvent = s.onEvent;
      },
    } as unknown as EventsService;
    let reads = 0;
    const api = {
      listResources: async () => {
        reads++;
        return { items: [], clusters: [{ name: 'local', synced: true }] };
      },
    } as unknown as ModelHostingApi;
    const provider = new ModelDeploymentEntityProvider(
      api,
      { getOwnServiceCredentials: async () => ({}) } as unknown as AuthService,
      events,
      { scheduleTask: async () => {} } as unknown as SchedulerService,
      { debug() {}, warn() {} } as unknown as LoggerService,
      { resyncMinutes: 10, debounceMs: 10 },
    );
    await provider.connect({
      applyMutation: async () => {},
      refresh: async () => {},
    } as EntityProviderConnection);

    await onEvent({
      eventPayload: { clusters: ['local'], definitionsChanged: false },
    });
    await tick(40);
    expect(reads).toBe(0);
    await onEvent({
      eventPayload: { clusters: ['local'], definitionsChanged: true },
    });
    await tick(40);
    expect(reads).toBe(1);
    // An announcement without the field (an older backend) still refreshes.
    await onEvent({ eventPayload: { clusters: ['local'] } });
    await tick(40);
    expect(reads).toBe(2);
  });
});
