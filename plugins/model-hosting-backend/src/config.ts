import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** How the backend reaches model servers. */
export type AccessMode = 'proxy' | 'clusterDns';

/**
 * Everything the plugin reads from `modelHosting.*`, with its defaults, in one place. Durations
 * are in seconds as in the configuration; callers convert where they need milliseconds.
 */
export interface ModelHostingConfig {
  /** Seconds to wait for a cluster's API server before reporting it unreachable. */
  requestTimeoutSeconds: number;
  reconciler: {
    enabled: boolean;
    leaseNamespace: string;
    leaseDurationSeconds: number;
  };
  health: {
    enabled: boolean;
    tickSeconds: number;
    concurrency: number;
    timeoutSeconds: number;
    access: AccessMode;
    /** Explicit model-server URLs by `cluster/namespace/name`. */
    endpoints: Record<string, string>;
    maxRestartsPerHour: number;
    recoveryBackoffSeconds: number;
    statusRefreshSeconds: number;
    retentionDays: number;
    /** Longest answer of a model server read for a check or its metrics. */
    maxResponseBytes: number;
  };
  prometheus?: {
    url: string;
    timeoutSeconds: number;
    gpuUtilizationQuery: string;
  };
  usage: {
    minuteRetentionHours: number;
    hourRetentionDays: number;
  };
  autoscaler: {
    tickSeconds: number;
    windowSeconds: number;
  };
  gateway: {
    maxWaitSeconds: number;
    maxPendingRequests: number;
    requestTimeoutSeconds: number;
    /** Longest non-streamed answer the gateway passes on. */
    maxResponseBytes: number;
  };
}

const positive = (
  config: Config | undefined,
  key: string,
  fallback: number,
  path: string,
) => {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!(value > 0))
    throw new InputError(
      `${path}.${key} must be a positive number, not ${value}`,
    );
  return value;
};

/** Reads and checks the plugin's configuration; a wrong value stops the start with its key named. */
export function readModelHostingConfig(
  root: Config,
  warn: (message: string) => void = () => {},
): ModelHostingConfig {
  const c = root.getOptionalConfig('modelHosting');
  const section = (key: string) => c?.getOptionalConfig(key);
  const num = (
    key: string,
    fallback: number,
    path = 'modelHosting',
    config = c,
  ) => positive(config, key, fallback, path);

  // requestTimeoutMs was the one key in milliseconds; it is still read, with a warning.
  let requestTimeoutSeconds = c?.getOptionalNumber('requestTimeoutSeconds');
  const legacyMs = c?.getOptionalNumber('requestTimeoutMs');
  if (requestTimeoutSeconds === undefined && legacyMs !== undefined) {
    warn(
      'modelHosting.requestTimeoutMs is deprecated; use modelHosting.requestTimeoutSeconds',
    );
    requestTimeoutSeconds = legacyMs / 1000;
  }

  const reconciler = section('reconciler');
  const health = section('health');
  const access = health?.getOptionalString('access') ?? 'proxy';
  if (access !== 'proxy' && access !== 'clusterDns') {
    throw new InputError(
      `modelHosting.health.access must be proxy or clusterDns, not '${access}'`,
    );
  }
  const prometheus = section('prometheus');
  const usage = section('usage');
  const autoscaler = section('autoscaler');
  const gateway = section('gateway');
  const h = (key: string, fallback: number) =>
    num(key, fallback, 'modelHosting.health', health);

  return {
    requestTimeoutSeconds: requestTimeoutSeconds ?? 10,
    reconciler: {
      enabled: reconciler?.getOptionalBoolean('enabled') ?? true,
      leaseNamespace:
        reconciler?.getOptionalString('leaseNamespace') ?? 'model-hosting',
      leaseDurationSeconds: num(
        'leaseDurationSeconds',
        15,
        'modelHosting.reconciler',
        reconciler,
      ),
    },
    health: {
      enabled: health?.getOptionalBoolean('enabled') ?? true,
      tickSeconds: h('tickSeconds', 5),
      concurrency: h('concurrency', 50),
      timeoutSeconds: h('timeoutSeconds', 10),
      access,
      endpoints: Object.fromEntries(
        (health?.getOptionalConfigArray('endpoints') ?? []).map(e => [
          `${e.getString('cluster')}/${e.getString('namespace')}/${e.getString(
            'name',
          )}`,
          e.getString('url'),
        ]),
      ),
      maxRestartsPerHour: health?.getOptionalNumber('maxRestartsPerHour') ?? 3,
      recoveryBackoffSeconds: h('recoveryBackoffSeconds', 60),
      statusRefreshSeconds: h('statusRefreshSeconds', 60),
      retentionDays: h('retentionDays', 7),
      maxResponseBytes: h('maxResponseBytes', 4 * 1024 * 1024),
    },
    prometheus: prometheus
      ? {
          url: prometheus.getString('url'),
          timeoutSeconds: num(
            'timeoutSeconds',
            5,
            'modelHosting.prometheus',
            prometheus,
          ),
          gpuUtilizationQuery:
            prometheus.getOptionalString('gpuUtilizationQuery') ??
            'avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL)',
        }
      : undefined,
    usage: {
      minuteRetentionHours: num(
        'minuteRetentionHours',
        24,
        'modelHosting.usage',
        usage,
      ),
      hourRetentionDays: num(
        'hourRetentionDays',
        30,
        'modelHosting.usage',
        usage,
      ),
    },
    autoscaler: {
      tickSeconds: num('tickSeconds', 5, 'modelHosting.autoscaler', autoscaler),
      windowSeconds: num(
        'windowSeconds',
        30,
        'modelHosting.autoscaler',
        autoscaler,
      ),
    },
    gateway: {
      maxWaitSeconds: num(
        'maxWaitSeconds',
        300,
        'modelHosting.gateway',
        gateway,
      ),
      maxPendingRequests: num(
        'maxPendingRequests',
        100,
        'modelHosting.gateway',
        gateway,
      ),
      requestTimeoutSeconds: num(
        'requestTimeoutSeconds',
        600,
        'modelHosting.gateway',
        gateway,
      ),
      maxResponseBytes: num(
        'maxResponseBytes',
        64 * 1024 * 1024,
        'modelHosting.gateway',
        gateway,
      ),
    },
  };
}
