import os from 'os';
import { randomUUID } from 'crypto';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { metricsServiceRef } from '@backstage/backend-plugin-api/alpha';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import {
  modelHostingPermissions,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  EngineAdapter,
  modelHostingEnginesExtensionPoint,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { Audited } from './actions/Audited';
import { DeploymentActions } from './actions/DeploymentActions';
import { EditActions } from './actions/EditActions';
import { AuditLog } from './audit/AuditLog';
import { RequestAutoscaler } from './autoscaler/RequestAutoscaler';
import { readClusters } from './cluster/clusterConfig';
import { Clusters } from './cluster/Clusters';
import { readModelHostingConfig } from './config';
import { Controllers } from './controller/Controllers';
import { openDatabase } from './database';
import { announceChanges } from './deployments/announceChanges';
import { ModelDeployments } from './deployments/ModelDeployments';
import { EngineRegistry, ModelServerAccess } from './engines';
import { FleetService } from './fleet/FleetService';
import { Gateway } from './gateway/Gateway';
import { FleetTraffic } from './gateway/FleetTraffic';
import { PoolSwitcher } from './gateway/PoolSwitcher';
import { Traffic } from './gateway/Traffic';
import { AutoRecovery } from './health/AutoRecovery';
import { HealthChecker } from './health/HealthChecker';
import { HealthRounds } from './health/HealthRounds';
import { HealthStore } from './health/HealthStore';
import { METRICS, PluginMetrics } from './metrics';
import { DecisionCache } from './permissions/DecisionCache';
import { DeploymentAuthorizer } from './permissions/DeploymentAuthorizer';
import { createRouter } from './router/createRouter';
import { Tenancy } from './tenancy/Tenancy';
import { WriteGuards } from './tenancy/WriteGuards';
import { collectStats } from './stats';
import { EventLoopDelay } from './eventLoopDelay';
import { EngineMeter, engineMetersItself } from './usage/EngineMeter';
import { GpuUtilization } from './usage/GpuUtilization';
import { PrometheusGpu } from './usage/PrometheusGpu';
import { UsageBuffer } from './usage/UsageBuffer';
import { UsageReports } from './usage/UsageReports';
import { UsageStore } from './usage/UsageStore';

/**
 * Hosts ML and LLM model servers on Kubernetes through ModelDeployment resources. The one
 * composition root: everything the plugin runs is built, started and stopped here.
 *
 * @public
 */
export const modelHostingPlugin = createBackendPlugin({
  pluginId: 'model-hosting',
  register(env) {
    const extraEngines: EngineAdapter[] = [];
    env.registerExtensionPoint(modelHostingEnginesExtensionPoint, {
      addEngine: (...engines) => extraEngines.push(...engines),
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        rootConfig: coreServices.rootConfig,
        lifecycle: coreServices.lifecycle,
        userInfo: coreServices.userInfo,
        events: eventsServiceRef,
        metricsService: metricsServiceRef,
      },
      async init(deps) {
        const { logger, scheduler, lifecycle } = deps;
        const config = readModelHostingConfig(deps.rootConfig, m =>
          logger.warn(m),
        );
        const metrics = new PluginMetrics(deps.metricsService);
        deps.permissionsRegistry.addPermissions(modelHostingPermissions);
        const knex = await openDatabase(deps.database);
        const engines = new EngineRegistry();
        engines.add(...extraEngines);

        // Clusters: watch caches and the write gateway, one per configured cluster.
        const definitions = readClusters(deps.rootConfig);
        if (definitions.length === 0) {
          logger.warn(
            'No clusters configured (kubernetes.clusterLocatorMethods or modelHosting.clusters); the fleet is empty',
          );
        }
        const identity = `${os.hostname()}-${process.pid}-${randomUUID().slice(
          0,
          8,
        )}`;
        const clusters = new Clusters(definitions, {
          requestTimeoutMs: config.requestTimeoutSeconds * 1000,
          relistMs: config.relistMinutes * 60_000,
          identity,
          logger,
          reads: metrics.counter(
            METRICS.apiReads,
            'List and watch requests to API servers',
          ),
          writes: metrics.counter(
            METRICS.apiWrites,
            'Write and Lease requests to API servers',
          ),
        });
        const tenancy = new Tenancy(
          config.tenancy,
          config.guardrails,
          engines,
          config.reconciler.leaseNamespace,
        );
        const controllers = new Controllers(
          clusters.all(),
          engines,
          tenancy,
          config.storage,
          config.reconciler,
          logger,
          {
            passes: metrics.counter(
              METRICS.reconcilePasses,
              'Reconcile passes',
            ),
            queueWait: metrics.histogram(
              METRICS.reconcileQueueWait,
              'Time a ModelDeployment waited in the reconcile queue',
              's',
            ),
            passDuration: metrics.histogram(
              METRICS.reconcilePassDuration,
              'Duration of a reconcile pass',
              's',
            ),
          },
        );
        const authorizer = new DeploymentAuthorizer(
          deps.permissions,
          new DecisionCache(config.gateway.permissionCacheSeconds * 1000),
        );
        const deployments = new ModelDeployments(clusters, authorizer);
        const access = new ModelServerAccess(
          name => definitions.find(d => d.name === name)?.kubeConfig,
          {
            mode: config.health.access,
            endpoints: config.health.endpoints,
            timeoutMs: config.health.timeoutSeconds * 1000,
            maxResponseBytes: config.health.maxResponseBytes,
          },
          md => engines.get(md.spec.engine).port,
        );

        // Usage, health checks and GPU utilization.
        const usageStore = new UsageStore(knex);
        const healthStore = new HealthStore(knex);
        const meter = new EngineMeter(knex, access, engines, usageStore);
        const gpu = new GpuUtilization(
          deployments,
          usageStore,
          logger,
          config.prometheus &&
            new PrometheusGpu(
              config.prometheus.url,
              config.prometheus.timeoutSeconds * 1000,
              config.prometheus.gpuUtilizationQuery,
            ),
        );
        const checker = new HealthChecker(
          deployments,
          engines,
          entry => access.client(entry.ref, entry.md),
          healthStore,
          new AutoRecovery(deployments, healthStore, logger, {
            maxRestartsPerHour: config.health.maxRestartsPerHour,
            backoffMs: config.health.recoveryBackoffSeconds * 1000,
          }),
          logger,
          { statusRefreshMs: config.health.statusRefreshSeconds * 1000 },
          metrics.counter(
            METRICS.healthChecks,
            'Health checks of model servers',
          ),
        );
        // What follows a check: pulls are usage; a healthy self-metering engine's counters are read.
        checker.onChecked(async (entry, result) => {
          if (result.pulled.length) {
            await usageStore.add(entry.ref, servedModel(entry.md), {
              pulls: result.pulled.length,
            });
          }
          if (result.healthy && engineMetersItself(engines, entry.md, true)) {
            await meter.meter(entry.ref, entry.md, deployments.pods(entry));
          }
        });
        const rounds = new HealthRounds(
          deployments,
          checker,
          logger,
          {
            concurrency: config.health.concurrency,
            // Long enough for every ordinary check; pulls and slow servers go on in the background.
            roundBudgetMs:
              Math.max(
                config.health.tickSeconds,
                config.health.timeoutSeconds * 3,
              ) * 1000,
          },
          metrics.histogram(
            METRICS.healthRound,
            'Duration of a health-check round',
            's',
          ),
        );
        rounds.onRoundFinished(() => gpu.sample());
        if (config.health.enabled) {
          await scheduler.scheduleTask({
            id: 'model-hosting-health-checks',
            frequency: { seconds: config.health.tickSeconds },
            timeout: { minutes: 10 },
            scope: 'global',
            fn: async () => {
              await rounds.runDue();
            },
          });
        }
        await scheduler.scheduleTask({
          id: 'model-hosting-usage-rollup',
          frequency: { minutes: 5 },
          timeout: { minutes: 5 },
          scope: 'global',
          fn: async () => {
            const now = Date.now();
            await usageStore.rollup(new Date(now), {
              minuteHours: config.usage.minuteRetentionHours,
              hourDays: config.usage.hourRetentionDays,
            });
            await healthStore.deleteOlderThan(
              new Date(now - config.health.retentionDays * 86_400_000),
            );
            await meter.forgetOlderThan(new Date(now - 86_400_000));
          },
        });

        // The gateway and the built-in autoscaler that reads its traffic.
        const traffic = new Traffic();
        const metered = new UsageBuffer(usageStore, logger);
        const gateway = new Gateway(
          deployments,
          engines,
          access,
          authorizer,
          metered,
          traffic,
          new PoolSwitcher(deployments, logger),
          {
            maxWaitMs: config.gateway.maxWaitSeconds * 1000,
            maxPendingRequests: config.gateway.maxPendingRequests,
            requestTimeoutMs: config.gateway.requestTimeoutSeconds * 1000,
            maxResponseBytes: config.gateway.maxResponseBytes,
            publishedModels: config.gateway.publishedModels,
            healthChecksRun: config.health.enabled,
          },
          metrics.histogram(
            METRICS.scaleFromZeroPatch,
            'From a request for a model at zero to its scale patch',
            's',
          ),
        );
        const fleetTraffic = new FleetTraffic(knex, traffic, identity, logger);
        const autoscaler = new RequestAutoscaler(
          deployments,
          engines,
          access,
          fleetTraffic,
          cluster => controllers.isLeader(cluster),
          logger,
          {
            tickMs: config.autoscaler.tickSeconds * 1000,
            windowMs: config.autoscaler.windowSeconds * 1000,
          },
        );

        const audit = new AuditLog(knex, logger);

        const guards = new WriteGuards(
          tenancy,
          authorizer,
          deps.userInfo,
          deployments,
          config.tenancy.serviceWriters,
        );
        const fleet = new FleetService(
          clusters,
          deployments,
          engines,
          authorizer,
          guards,
        );
        const audited = new Audited(audit, deployments);
        const actions = new DeploymentActions(
          clusters,
          deployments,
          engines,
          authorizer,
          guards,
          audited,
        );
        const loopDelay = new EventLoopDelay();
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            fleet,
            deployments,
            actions,
            edits: new EditActions(
              deployments,
              engines,
              authorizer,
              guards,
              audited,
              entry => checker.check(entry),
            ),
            audit,
            health: checker,
            usage: new UsageReports(usageStore, () => gpu.state),
            gateway,
            engines,
            authorizer,
            stats: () =>
              collectStats({
                identity,
                clusters,
                metrics,
                isLeader: cluster => controllers.isLeader(cluster),
                healthRound: rounds.lastRound,
                eventLoopDelay: loopDelay.lastWindow,
              }),
          }),
        );

        // Start in dependency order; stop in reverse.
        loopDelay.start();
        clusters.start();
        // Leading (reconciler, autoscaler) and publishing traffic wait until the whole backend
        // has started: a replica stuck in start-up (another plugin's migration lock, say) must not
        // hold the Lease while it serves nothing.
        lifecycle.addStartupHook(() => {
          controllers.start();
          fleetTraffic.start();
          autoscaler.start();
        });
        const stopAnnouncing = announceChanges(clusters, deps.events, logger);
        lifecycle.addShutdownHook(async () => {
          stopAnnouncing();
          autoscaler.stop();
          await fleetTraffic.stop();
          await metered.flush();
          await controllers.stop();
          clusters.stop();
          access.stop();
          loopDelay.stop();
        });
      },
    });
  },
});
