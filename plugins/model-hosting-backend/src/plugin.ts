import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { readClusters } from './cluster/clusterConfig';
import { ClusterClients } from './cluster/ClusterClients';
import { FleetService } from './fleet/FleetService';
import { createRouter } from './router';

/**
 * Hosts ML and LLM model servers on Kubernetes through ModelDeployment resources.
 *
 * @public
 */
export const modelHostingPlugin = createBackendPlugin({
  pluginId: 'model-hosting',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
      },
      async init({ config, logger, httpAuth, httpRouter }) {
        const clusters = readClusters(config);
        if (clusters.length === 0) {
          logger.warn('No clusters configured (kubernetes.clusterLocatorMethods or modelHosting.clusters); the fleet is empty');
        }
        const timeoutMs = config.getOptionalNumber('modelHosting.requestTimeoutMs') ?? 10_000;
        const clients = new ClusterClients(clusters, timeoutMs);
        const fleet = new FleetService(clients, logger);
        httpRouter.use(await createRouter({ httpAuth, fleet }));
      },
    });
  },
});
