import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { ClusterManager } from '../cluster/ClusterManager';
import { PrometheusGpu } from '../usage/PrometheusGpu';
import { EngineMeter } from '../usage/EngineMeter';
import { UsageStore } from '../usage/UsageStore';
import { AccessMode, EngineAccess } from './EngineAccess';
import { HealthService } from './HealthService';
import { HealthStore } from './HealthStore';

/** Health checks and usage metering, scheduled on Backstage's scheduler (global: one runner across replicas). */
export async function createHealth(deps: {
  config: Config;
  clusters: ClusterManager;
  knex: Knex;
  scheduler: SchedulerService;
  logger: LoggerService;
}) {
  const { config, clusters, knex, scheduler, logger } = deps;
  const c = config.getOptionalConfig('modelHosting.health');
  const endpoints = Object.fromEntries(
    (c?.getOptionalConfigArray('endpoints') ?? []).map(e => [
      `${e.getString('cluster')}/${e.getString('namespace')}/${e.getString(
        'name',
      )}`,
      e.getString('url'),
    ]),
  );
  const access = new EngineAccess(
    new Map(clusters.all().map(x => [x.name, x.kubeConfig])),
    {
      mode:
        (c?.getOptionalString('access') as AccessMode | undefined) ?? 'proxy',
      endpoints,
      timeoutMs: (c?.getOptionalNumber('timeoutSeconds') ?? 10) * 1000,
    },
  );
  const store = new HealthStore(knex);
  const usage = new UsageStore(knex);
  const prometheusUrl = config.getOptionalString('modelHosting.prometheus.url');
  const prometheus = prometheusUrl
    ? new PrometheusGpu(
        prometheusUrl,
        (config.getOptionalNumber('modelHosting.prometheus.timeoutSeconds') ??
          5) * 1000,
        config.getOptionalString('modelHosting.prometheus.gpuUtilizationQuery'),
      )
    : undefined;
  const meter = new EngineMeter(knex, access, usage);
  const health = new HealthService(
    clusters,
    access,
    store,
    usage,
    meter,
    logger,
    {
      concurrency: c?.getOptionalNumber('concurrency') ?? 50,
      statusRefreshMs:
        (c?.getOptionalNumber('statusRefreshSeconds') ?? 60) * 1000,
      maxRestartsPerHour: c?.getOptionalNumber('maxRestartsPerHour') ?? 3,
      recoveryBackoffMs:
        (c?.getOptionalNumber('recoveryBackoffSeconds') ?? 60) * 1000,
    },
    prometheus,
  );

  const enabled = c?.getOptionalBoolean('enabled') ?? true;
  if (enabled) {
    await scheduler.scheduleTask({
      id: 'model-hosting-health-checks',
      frequency: { seconds: c?.getOptionalNumber('tickSeconds') ?? 5 },
      timeout: { minutes: 10 },
      scope: 'global',
      fn: async () => {
        await health.runDue();
      },
    });
  }
  const u = config.getOptionalConfig('modelHosting.usage');
  const retention = {
    minuteHours: u?.getOptionalNumber('minuteRetentionHours') ?? 24,
    hourDays: u?.getOptionalNumber('hourRetentionDays') ?? 30,
  };
  const historyDays = c?.getOptionalNumber('retentionDays') ?? 7;
  await scheduler.scheduleTask({
    id: 'model-hosting-usage-rollup',
    frequency: { minutes: 5 },
    timeout: { minutes: 5 },
    scope: 'global',
    fn: async () => {
      await usage.rollup(new Date(), retention);
      await store.deleteOlderThan(
        new Date(Date.now() - historyDays * 86_400_000),
      );
      await meter.forgetOlderThan(new Date(Date.now() - 86_400_000));
    },
  });
  return { health, usage, access, healthChecksRun: enabled };
}
