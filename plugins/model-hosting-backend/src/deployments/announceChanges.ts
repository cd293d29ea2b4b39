import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  MODEL_HOSTING_CHANGES_TOPIC,
  ModelHostingChangesPayload,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { Clusters } from '../cluster/Clusters';

/**
 * Tells other plugins (the catalog module) that ModelDeployments changed: one event per burst of
 * changes, at most every `debounceMs`, naming the clusters that changed and whether any definition
 * changed (a status-only burst, such as a thousand deployments becoming Ready, need not make the
 * catalog read the whole fleet again).
 */
export function announceChanges(
  clusters: Clusters,
  events: EventsService,
  logger: LoggerService,
  debounceMs = 500,
): () => void {
  let changed = new Set<string>();
  let definitionsChanged = false;
  /** What the definition of each ModelDeployment was when last seen, by cluster/namespace/name. */
  const definitions = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  const publish = () => {
    timer = undefined;
    const payload: ModelHostingChangesPayload = {
      clusters: [...changed],
      definitionsChanged,
    };
    changed = new Set();
    definitionsChanged = false;
    events
      .publish({
        topic: MODEL_HOSTING_CHANGES_TOPIC,
        eventPayload: payload,
      })
      .catch(e =>
        logger.warn(`could not announce ModelDeployment changes: ${e}`),
      );
  };
  const note = (cluster: string, type: string, md: ModelDeployment) => {
    const key = `${cluster}/${md.metadata.namespace}/${md.metadata.name}`;
    // The spec moves the generation; labels and annotations do not.
    const definition =
      type === 'delete'
        ? undefined
        : JSON.stringify([
            md.metadata.generation,
            md.metadata.labels,
            md.metadata.annotations,
          ]);
    if (definition !== definitions.get(key)) definitionsChanged = true;
    if (definition === undefined) definitions.delete(key);
    else definitions.set(key, definition);
    changed.add(cluster);
    if (!timer) {
      timer = setTimeout(publish, debounceMs);
      timer.unref?.();
    }
  };
  clusters
    .all()
    .forEach(cluster =>
      cluster.cache.modelDeployments.onChange((type, md) =>
        note(cluster.name, type, md),
      ),
    );
  return () => clearTimeout(timer);
}
