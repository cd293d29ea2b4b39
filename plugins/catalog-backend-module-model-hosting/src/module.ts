import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { modelHostingApiServiceRef } from '@modelhosting/backstage-plugin-model-hosting-node';
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
        modelHosting: modelHostingApiServiceRef,
        auth: coreServices.auth,
        events: eventsServiceRef,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
      },
      async init({
        catalog,
        modelHosting,
        auth,
        events,
        scheduler,
        logger,
        config,
      }) {
        catalog.addEntityProvider(
          new ModelDeploymentEntityProvider(
            modelHosting,
            auth,
            events,
            scheduler,
            logger,
            {
              resyncMinutes:
                config.getOptionalNumber(
                  'modelHosting.catalog.resyncMinutes',
                ) ?? 10,
              debounceMs: 500,
            },
          ),
        );
      },
    });
  },
});
