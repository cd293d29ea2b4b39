import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { modelHostingClustersServiceRef } from '../cluster/clustersService';
import { ModelDeploymentEntityProvider } from './ModelDeploymentEntityProvider';

/**
 * Catalog module: ModelDeployments become model-server Components, their APIs and their models.
 *
 * @public
 */
export const catalogModuleModelHosting = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'model-hosting',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        clusters: modelHostingClustersServiceRef,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
      },
      async init({ catalog, clusters, scheduler, logger, config }) {
        catalog.addEntityProvider(
          new ModelDeploymentEntityProvider(clusters, scheduler, logger, {
            resyncMinutes:
              config.getOptionalNumber('modelHosting.catalog.resyncMinutes') ??
              10,
            debounceMs: 500,
          }),
        );
      },
    });
  },
});
