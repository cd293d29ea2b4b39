import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { isDeepStrictEqual } from 'util';
import { ClusterManager } from '../cluster/ClusterManager';
import { entitiesFor } from './entities';

const LOCATION_KEY = 'model-hosting';

/**
 * Every ModelDeployment on every cluster as catalog entities. Changes in the watch caches become
 * delta mutations within a second; a scheduled full mutation repairs anything missed.
 */
export class ModelDeploymentEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private emitted = new Map<string, Entity>();
  private timer?: NodeJS.Timeout;
  /** Entities per ModelDeployment version: recomputing (and rendering API documents) for every change is costly at 1000s. */
  private readonly memo = new Map<
    string,
    { version: string; entities: Entity[] }
  >();

  constructor(
    private readonly clusters: ClusterManager,
    private readonly scheduler: SchedulerService,
    private readonly logger: LoggerService,
    private readonly options: { resyncMinutes: number; debounceMs: number },
  ) {}

  getProviderName() {
    return 'model-hosting';
  }

  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    for (const cluster of this.clusters.all()) {
      cluster.cache.modelDeployments.onChange(() => this.schedule());
    }
    await this.scheduler.scheduleTask({
      id: 'model-hosting-catalog-resync',
      frequency: { minutes: this.options.resyncMinutes },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 5 },
      fn: () => this.fullResync(),
    });
  }

  /** Everything the providers should contribute now, keyed by entity reference. */
  private desired(): Map<string, Entity> {
    const out = new Map<string, Entity>();
    // Sorted, so that a model served by several deployments takes its owner from the same one each time.
    const deployments = this.clusters
      .all()
      .filter(c => c.cache.modelDeployments.synced)
      .flatMap(c =>
        c.cache.modelDeployments
          .list()
          .map(md => ({
            ref: {
              cluster: c.name,
              namespace: md.metadata.namespace!,
              name: md.metadata.name,
            },
            md,
          })),
      )
      .sort((a, b) =>
        `${a.ref.cluster}/${a.ref.namespace}/${a.ref.name}`.localeCompare(
          `${b.ref.cluster}/${b.ref.namespace}/${b.ref.name}`,
        ),
      );
    const seen = new Set<string>();
    for (const { ref, md } of deployments) {
      const id = `${ref.cluster}/${md.metadata.uid}`;
      seen.add(id);
      const version = md.metadata.resourceVersion ?? '';
      let cached = this.memo.get(id);
      if (!cached || cached.version !== version) {
        const { component, api, model } = entitiesFor(ref, md);
        cached = { version, entities: [component, api, model] };
        this.memo.set(id, cached);
      }
      for (const entity of cached.entities) {
        const key = stringifyEntityRef(entity);
        if (!out.has(key)) out.set(key, entity);
      }
    }
    for (const id of this.memo.keys()) if (!seen.has(id)) this.memo.delete(id);
    return out;
  }

  private schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.applyDelta().catch(e =>
        this.logger.error(`model-hosting catalog delta failed: ${e}`),
      );
    }, this.options.debounceMs);
    this.timer.unref?.();
  }

  /** Sends only what changed since the last mutation. */
  private async applyDelta() {
    if (!this.connection) return;
    const next = this.desired();
    const added = [...next]
      .filter(([k, e]) => !isDeepStrictEqual(this.emitted.get(k), e))
      .map(([, entity]) => ({ entity, locationKey: LOCATION_KEY }));
    const removed = [...this.emitted.keys()]
      .filter(k => !next.has(k))
      .map(entityRef => ({ entityRef, locationKey: LOCATION_KEY }));
    if (added.length === 0 && removed.length === 0) return;
    await this.connection.applyMutation({ type: 'delta', added, removed });
    this.emitted = next;
    this.logger.debug(
      `model-hosting catalog delta: ${added.length} added or changed, ${removed.length} removed`,
    );
  }

  async fullResync() {
    if (!this.connection || !this.allSynced()) return;
    const next = this.desired();
    await this.connection.applyMutation({
      type: 'full',
      entities: [...next.values()].map(entity => ({
        entity,
        locationKey: LOCATION_KEY,
      })),
    });
    this.emitted = next;
  }

  /**
   * Only with every cluster listed at least once: a full mutation replaces all our entities, so
   * one made while a cluster was never reached would delete that cluster's. A cluster that goes
   * down later keeps its last-known deployments in the cache, and so in the catalog.
   */
  private allSynced() {
    return this.clusters.all().every(c => c.cache.modelDeployments.synced);
  }
}
