import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { readClusters } from './clusterConfig';
import { ClusterManager, ClusterManagerOptions } from './ClusterManager';

export function clusterManagerOptions(config: Config): ClusterManagerOptions {
  return {
    requestTimeoutMs:
      config.getOptionalNumber('modelHosting.requestTimeoutMs') ?? 10_000,
    reconcile:
      config.getOptionalBoolean('modelHosting.reconciler.enabled') ?? true,
    leaseNamespace:
      config.getOptionalString('modelHosting.reconciler.leaseNamespace') ??
      'model-hosting',
    leaseDurationSeconds:
      config.getOptionalNumber(
        'modelHosting.reconciler.leaseDurationSeconds',
      ) ?? 15,
  };
}

/**
 * Every configured cluster's watch cache, gateway and reconciler, once per backend process:
 * root-scoped so that the model-hosting plugin and its catalog module share one set of watches.
 *
 * @public
 */
export const modelHostingClustersServiceRef = createServiceRef<ClusterManager>({
  id: 'model-hosting.clusters',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        rootLogger: coreServices.rootLogger,
        lifecycle: coreServices.rootLifecycle,
      },
      factory({ config, rootLogger, lifecycle }) {
        const logger = rootLogger.child({ plugin: 'model-hosting' });
        const definitions = readClusters(config);
        if (definitions.length === 0) {
          logger.warn(
            'No clusters configured (kubernetes.clusterLocatorMethods or modelHosting.clusters); the fleet is empty',
          );
        }
        const clusters = new ClusterManager(
          definitions,
          clusterManagerOptions(config),
          logger,
        );
        clusters.start();
        lifecycle.addShutdownHook(() => clusters.stop());
        return clusters;
      },
    }),
});
