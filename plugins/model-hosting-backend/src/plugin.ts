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
import { Gateway } from './gateway/Gateway';
import { Traffic } from './gateway/Traffic';
import { UsageBuffer } from './usage/UsageBuffer';
import { RequestAutoscaler } from './autoscaler/RequestAutoscaler';
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
        lifecycle: coreServices.lifecycle,
      },
      async init({
        clusters,
        logger,
        httpAuth,
        httpRouter,
        permissions,
        permissionsRegistry,
        database,
        scheduler,
        config,
        lifecycle,
      }) {
        permissionsRegistry.addPermissions(modelHostingPermissions);
        const knex = await openDatabase(database);
        const authorizer = new DeploymentAuthorizer(permissions);
        const audit = new AuditLog(knex);
        const fleet = new FleetService(clusters, authorizer);
        const actions = new DeploymentActions(
          clusters,
          authorizer,
          audit,
          logger,
        );
        const { health, usage, access, healthChecksRun } = await createHealth({
          config,
          clusters,
          knex,
          scheduler,
          logger,
        });
        const traffic = new Traffic();
        const metered = new UsageBuffer(usage, logger);
        lifecycle.addShutdownHook(() => metered.flush());
        const gateway = new Gateway(
          clusters,
          access,
          authorizer,
          metered,
          traffic,
          {
            maxWaitMs:
              (config.getOptionalNumber(
                'modelHosting.gateway.maxWaitSeconds',
              ) ?? 300) * 1000,
            maxPendingRequests:
              config.getOptionalNumber(
                'modelHosting.gateway.maxPendingRequests',
              ) ?? 100,
            requestTimeoutMs:
              (config.getOptionalNumber(
                'modelHosting.gateway.requestTimeoutSeconds',
              ) ?? 600) * 1000,
            healthChecksRun,
          },
        );
        const autoscaler = new RequestAutoscaler(
          clusters,
          access,
          traffic,
          logger,
          {
            tickMs:
              (config.getOptionalNumber(
                'modelHosting.autoscaler.tickSeconds',
              ) ?? 5) * 1000,
            windowMs:
              (config.getOptionalNumber(
                'modelHosting.autoscaler.windowSeconds',
              ) ?? 30) * 1000,
          },
        );
        autoscaler.start();
        lifecycle.addShutdownHook(() => autoscaler.stop());
        httpRouter.use(
          await createRouter({
            httpAuth,
            fleet,
            actions,
            audit,
            health,
            usage,
            authorizer,
            clusters,
            gateway,
          }),
        );
      },
    });
  },
});
