import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { modelHostingPermissions } from '@internal/backstage-plugin-model-hosting-common';
import { DeploymentAuthorizer } from './actions/authorize';
import { DeploymentActions } from './actions/DeploymentActions';
import { AuditLog } from './audit/AuditLog';
import { openDatabase } from './audit/database';
import { createHealth } from './health/createHealth';
import { modelHostingClustersServiceRef } from './cluster/clustersService';
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
        clusters: modelHostingClustersServiceRef,
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        config: coreServices.rootConfig,
      },
      async init({ clusters, logger, httpAuth, httpRouter, permissions, permissionsRegistry, database, scheduler, config }) {
        permissionsRegistry.addPermissions(modelHostingPermissions);
        const knex = await openDatabase(database);
        const authorizer = new DeploymentAuthorizer(permissions);
        const audit = new AuditLog(knex);
        const fleet = new FleetService(clusters, authorizer);
        const actions = new DeploymentActions(clusters, authorizer, audit, logger);
        const { health, usage } = await createHealth({ config, clusters, knex, scheduler, logger });
        httpRouter.use(await createRouter({ httpAuth, fleet, actions, audit, health, usage, authorizer, clusters }));
      },
    });
  },
});
