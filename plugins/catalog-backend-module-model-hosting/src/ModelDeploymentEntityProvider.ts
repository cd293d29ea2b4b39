import {
  AuthService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { DeploymentResource } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  MODEL_HOSTING_CHANGES_TOPIC,
  ModelHostingApi,
  ModelHostingChangesPayload,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { isDeepStrictEqual } from 'util';
import { entitiesFor } from './entities';

const LOCATION_KEY = 'model-hosting';

export interface ProviderOptions {
  resyncMinutes: number;
  /** Changes closer together than this make one delta. */
  debounceMs: number;
}

/**
 * Every ModelDeployment on every cluster as catalog entities, read from the model-hosting
 * backend's REST API as this plugin (its own service credentials). The plugin announces changes
 * on the events service; each announcement becomes a delta mutation within about a second, and a
 * scheduled full mutation repairs anything missed.
 */
export class ModelDeploymentEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private emitted = new Map<string, Entity>();
  private timer?: NodeJS.Timeout;
  private retryMs = 1000;
  /** Entities per ModelDeployment version: recomputing (and rendering API documents) for every change is costly at 1000s. */
  private readonly memo = new Map<
    string,
    { version: string; entities: Entity[] }
  >();

  constructor(
    private readonly api: ModelHostingApi,
    private readonly auth: AuthService,
    private readonly events: EventsService,
    private readonly scheduler: SchedulerService,
    private readonly logger: LoggerService,
    private readonly options: ProviderOptions,
  ) {}

  getProviderName() {
    return 'model-hosting';
  }

  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    await this.events.subscribe({
      id: 'catalog-model-hosting',
      topics: [MODEL_HOSTING_CHANGES_TOPIC],
      // Statuses alone change no entity: only definitions are worth reading the fleet again.
      onEvent: async ({ eventPayload }) => {
        const payload = eventPayload as Partial<ModelHostingChangesPayload>;
        if (payload?.definitionsChanged === false) return;
        this.schedule();
      },
    });
    await this.scheduler.scheduleTask({
      id: 'model-hosting-catalog-resync',
      frequency: { minutes: this.options.resyncMinutes },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 5 },
      fn: () => this.fullResync(),
    });
  }

  /** What the model-hosting backend lists now, and whether every cluster was listed at least once. */
  private async read(): Promise<{
    entities: Map<string, Entity>;
    complete: boolean;
  }> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const { items, clusters } = await this.api.listResources({ credentials });
    const entities = new Map<string, Entity>();
    // Oldest first: a model served by several deployments keeps the owner of the one deployed
    // first, so nobody takes over the shared ai-model Resource by deploying the model later.
    const refOf = (i: DeploymentResource) =>
      `${i.cluster}/${i.resource.metadata.namespace}/${i.resource.metadata.name}`;
    const createdAt = (i: DeploymentResource) =>
      Date.parse(i.resource.metadata.creationTimestamp ?? '') ||
      Number.MAX_SAFE_INTEGER;
    const sorted = [...items].sort(
      (a, b) => createdAt(a) - createdAt(b) || refOf(a).localeCompare(refOf(b)),
    );
    const seen = new Set<string>();
    for (const item of sorted) {
      const id = `${item.cluster}/${item.resource.metadata.uid}`;
      seen.add(id);
      const version = `${item.resource.metadata.resourceVersion ?? ''}|${
        item.endpoint
      }`;
      let cached = this.memo.get(id);
      if (!cached || cached.version !== version) {
        const { component, api, model } = entitiesFor(item);
        cached = { version, entities: [component, api, model] };
        this.memo.set(id, cached);
      }
      for (const entity of cached.entities) {
        const key = stringifyEntityRef(entity);
        if (!entities.has(key)) entities.set(key, entity);
      }
    }
    for (const id of this.memo.keys()) if (!seen.has(id)) this.memo.delete(id);
    return { entities, complete: clusters.every(c => c.synced) };
  }

  /**
   * The next delta waits at least this many times as long as the last one took: a delta reads the
   * whole fleet, so in a burst of new deployments at 10,000 it must not hold the event loop most
   * of the time.
   */
  private static readonly PACE = 4;
  private lastDeltaMs = 0;

  private schedule(
    delayMs = Math.max(
      this.options.debounceMs,
      ModelDeploymentEntityProvider.PACE * this.lastDeltaMs,
    ),
  ) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.applyDelta().then(
        () => {
          this.retryMs = 1000;
        },
        e => {
          // The model-hosting plugin may still be starting: try again, backing off.
          this.logger.warn(
            `model-hosting catalog delta failed, retrying in ${this.retryMs} ms: ${e}`,
          );
          this.schedule(this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, 60_000);
        },
      );
    }, delayMs);
    this.timer.unref?.();
  }

  /** Sends only what changed since the last mutation. */
  private async applyDelta() {
    if (!this.connection) return;
    const started = Date.now();
    try {
      await this.sendDelta(this.connection);
    } finally {
      this.lastDeltaMs = Date.now() - started;
    }
  }

  private async sendDelta(connection: EntityProviderConnection) {
    const { entities: next } = await this.read();
    const added = [...next]
      .filter(([k, e]) => !isDeepStrictEqual(this.emitted.get(k), e))
      .map(([, entity]) => ({ entity, locationKey: LOCATION_KEY }));
    const removed = [...this.emitted.keys()]
      .filter(k => !next.has(k))
      .map(entityRef => ({ entityRef, locationKey: LOCATION_KEY }));
    if (added.length === 0 && removed.length === 0) return;
    await connection.applyMutation({ type: 'delta', added, removed });
    this.emitted = next;
    this.logger.debug(
      `model-hosting catalog delta: ${added.length} added or changed, ${removed.length} removed`,
    );
  }

  /**
   * Only with every cluster listed at least once: a full mutation replaces all our entities, so
   * one made while a cluster was never reached would delete that cluster's. A cluster that goes
   * down later keeps its last-known deployments in the backend's cache, and so in the catalog.
   */
  async fullResync() {
    if (!this.connection) return;
    const { entities: next, complete } = await this.read();
    if (!complete) {
      this.schedule(this.retryMs);
      return;
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: [...next.values()].map(entity => ({
        entity,
        locationKey: LOCATION_KEY,
      })),
    });
    this.emitted = next;
  }
}
