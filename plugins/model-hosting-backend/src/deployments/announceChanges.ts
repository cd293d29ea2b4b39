import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { MODEL_HOSTING_CHANGES_TOPIC } from '@modelhosting/backstage-plugin-model-hosting-node';
import { Clusters } from '../cluster/Clusters';

/**
 * Tells other plugins (the catalog module) that ModelDeployments changed: one event per burst of
 * changes, at most every `debounceMs`, naming the clusters that changed.
 */
export function announceChanges(
  clusters: Clusters,
  events: EventsService,
  logger: LoggerService,
  debounceMs = 500,
): () => void {
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const publish = () => {
    timer = undefined;
    const names = [...changed];
    changed = new Set();
    events
      .publish({
        topic: MODEL_HOSTING_CHANGES_TOPIC,
        eventPayload: { clusters: names },
      })
      .catch(e =>
        logger.warn(`could not announce ModelDeployment changes: ${e}`),
      );
  };
  const note = (cluster: string) => {
    changed.add(cluster);
    if (!timer) {
      timer = setTimeout(publish, debounceMs);
      timer.unref?.();
    }
  };
  clusters
    .all()
    .forEach(cluster =>
      cluster.cache.modelDeployments.onChange(() => note(cluster.name)),
    );
  return () => clearTimeout(timer);
}
