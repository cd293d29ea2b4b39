import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { modelHostingPermissions } from '@internal/backstage-plugin-model-hosting-common';
import { DeploymentAuthorizer } from './actions/authorize';
import { DeploymentActions } from './actions/DeploymentActions';
import { AuditLog } from './audit/AuditLog';
import { readClusters } from './cluster/clusterConfig';
import { ClusterManager } from './cluster/ClusterManager';
import { FleetService } from './fleet/FleetService';
import { createRouter } from './router/createRouter';

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
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        lifecycle: coreServices.lifecycle,
      },
      async init({ config, logger, httpAuth, httpRouter, permissions, permissionsRegistry, database, lifecycle }) {
        const definitions = readClusters(config);
        if (definitions.length === 0) {
          logger.warn('No clusters configured (kubernetes.clusterLocatorMethods or modelHosting.clusters); the fleet is empty');
        }
        const clusters = new ClusterManager(
          definitions,
          {
            requestTimeoutMs: config.getOptionalNumber('modelHosting.requestTimeoutMs') ?? 10_000,
            reconcile: config.getOptionalBoolean('modelHosting.reconciler.enabled') ?? true,
            leaseNamespace: config.getOptionalString('modelHosting.reconciler.leaseNamespace') ?? 'model-hosting',
            leaseDurationSeconds: config.getOptionalNumber('modelHosting.reconciler.leaseDurationSeconds') ?? 15,
          },
          logger,
        );
        clusters.start();
        lifecycle.addShutdownHook(() => clusters.stop());

        permissionsRegistry.addPermissions(modelHostingPermissions);
        const authorizer = new DeploymentAuthorizer(permissions);
        const audit = await AuditLog.create(database);
        const fleet = new FleetService(clusters, authorizer);
        const actions = new DeploymentActions(clusters, authorizer, audit, logger);
        httpRouter.use(await createRouter({ httpAuth, fleet, actions, audit }));
      },
    });
  },
});
