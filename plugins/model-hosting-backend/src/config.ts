import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** How the backend reaches model servers. */
export type AccessMode = 'proxy' | 'clusterDns';

/** Limits per owner; a missing key is no limit. */
export interface Quota {
  deployments?: number;
  /** GPUs per resource name (nvidia.com/gpu, nvidia.com/mig-1g.10gb, …), counted at the most replicas a deployment may run. */
  gpus: Record<string, number>;
}

/** Who may deploy where, and what their pods may ask for: set by the platform's admins. */
export interface TenancyConfig {
  /** Namespaces opened to owners in config, beside the namespace annotation modelhosting.io/owners. */
  namespaces: Array<{ cluster?: string; namespace: string; owners: string[] }>;
  /** Service principals (subjects such as external:ci) that may write; others only read and invoke. */
  serviceWriters: string[];
  quotas: { default: Quota; owners: Record<string, Quota> };
}

export interface GuardrailsConfig {
  /** Image repositories allowed per engine (`*` matches any characters); default: the engine's own. */
  images: Record<string, string[]>;
  /** Engine arguments refused per engine, e.g. vllm's --trust-remote-code. */
  deniedArgs: Record<string, string[]>;
  tolerationKeys: string[];
  nodeSelectorKeys: string[];
  /** Secrets and ConfigMaps env may read, beside the namespace's allowed-secrets/-configmaps annotations. */
  secretRefs: Array<{ namespace?: string; name: string }>;
  configMapRefs: Array<{ namespace?: string; name: string }>;
}

/**
 * Everything the plugin reads from `modelHosting.*`, with its defaults, in one place. Durations
 * are in seconds as in the configuration; callers convert where they need milliseconds.
 */
export interface ModelHostingConfig {
  /** Seconds to wait for a cluster's API server before reporting it unreachable. */
  requestTimeoutSeconds: number;
  /** Minutes between full relists of each watch cache, which heal anything a watch missed. */
  relistMinutes: number;
  reconciler: {
    enabled: boolean;
    leaseNamespace: string;
    leaseDurationSeconds: number;
    /** Deployments reconciled at once per cluster. */
    workers: number;
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
    /** How long a person's permission decision serves their next gateway requests; 0: never. */
    permissionCacheSeconds: number;
    /** Bare model names an admin publishes, each bound to the deployments that may serve it. */
    publishedModels: Array<{
      model: string;
      cluster?: string;
      namespace: string;
      name: string;
    }>;
  };
  tenancy: TenancyConfig;
  guardrails: GuardrailsConfig;
  storage: {
    /** The model loader's image (the init container that fills the model cache). */
    loaderImage: string;
    /** A Hugging Face mirror for hf:// sources; the Hub itself when unset. */
    hfEndpoint?: string;
    /** The S3-compatible store of s3:// sources when a deployment names none. */
    s3?: { endpoint?: string; region?: string; pathStyle?: boolean };
  };
}

/** GPU labels and taints the plugin itself sets or that GPU operators put on nodes. */
const DEFAULT_NODE_SELECTOR_KEYS = [
  'nvidia.com/gpu.product',
  'nvidia.com/gpu.sharing-strategy',
  'nvidia.com/gpu.memory',
  'nvidia.com/mig.strategy',
  'kubernetes.io/arch',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
];

function readQuota(c: Config | undefined): Quota {
  // GPU resource names hold dots and slashes, which config keys may not: read the object whole.
  const gpus = (c?.getOptional('gpus') ?? {}) as Record<string, unknown>;
  for (const [resource, n] of Object.entries(gpus)) {
    if (typeof n !== 'number' || n < 0) {
      throw new InputError(
        `quota for ${resource} must be a number of GPUs, not ${JSON.stringify(
          n,
        )}`,
      );
    }
  }
  return {
    deployments: c?.getOptionalNumber('deployments'),
    gpus: gpus as Record<string, number>,
  };
}

const refs = (list?: Config[]) =>
  (list ?? []).map(r => ({
    namespace: r.getOptionalString('namespace'),
    name: r.getString('name'),
  }));

const listsByKey = (c: Config | undefined) =>
  Object.fromEntries((c?.keys() ?? []).map(k => [k, c!.getStringArray(k)]));

/** Seconds a person's decision is kept: 0 turns it off; at most a minute, so a change of policy shows soon. */
function permissionCacheSeconds(gateway: Config | undefined): number {
  const value = gateway?.getOptionalNumber('permissionCacheSeconds') ?? 5;
  if (!Number.isFinite(value) || value < 0 || value > 60)
    throw new InputError(
      `modelHosting.gateway.permissionCacheSeconds must be between 0 and 60, not ${value}`,
    );
  return value;
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

/**
 * Deployments reconciled at once per cluster. A pass mostly waits for the API server (a few writes
 * in a row), so more workers than cores keep a burst of new deployments from queueing behind each
 * other (bench/ready.mjs).
 */
export const RECONCILE_WORKERS = 16;

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
  const tenancy = section('tenancy');
  const guardrails = section('guardrails');
  const h = (key: string, fallback: number) =>
    num(key, fallback, 'modelHosting.health', health);

  return {
    requestTimeoutSeconds: requestTimeoutSeconds ?? 10,
    relistMinutes: num('relistMinutes', 30),
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
      // At least one: a queue without workers never reconciles.
      workers: Math.max(
        1,
        Math.round(
          num(
            'workers',
            RECONCILE_WORKERS,
            'modelHosting.reconciler',
            reconciler,
          ),
        ),
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
      // As the kubelet's node status (nodeStatusReportFrequency): a change is written at once, an
      // unchanged verdict every 5 minutes; at 60 s, 1000 deployments cost the API server 12 writes a second.
      statusRefreshSeconds: h('statusRefreshSeconds', 300),
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
      permissionCacheSeconds: permissionCacheSeconds(gateway),
      publishedModels: (
        gateway?.getOptionalConfigArray('publishedModels') ?? []
      ).map(p => ({
        model: p.getString('model'),
        cluster: p.getOptionalString('cluster'),
        namespace: p.getString('namespace'),
        name: p.getString('name'),
      })),
    },
    storage: {
      loaderImage:
        c?.getOptionalString('storage.loaderImage') ??
        'ghcr.io/modelhosting/model-loader:0.1.0',
      hfEndpoint: c?.getOptionalString('storage.hfEndpoint'),
      s3: c?.has('storage.s3')
        ? {
            endpoint: c.getOptionalString('storage.s3.endpoint'),
            region: c.getOptionalString('storage.s3.region'),
            pathStyle: c.getOptionalBoolean('storage.s3.pathStyle'),
          }
        : undefined,
    },
    tenancy: {
      namespaces: (tenancy?.getOptionalConfigArray('namespaces') ?? []).map(
        n => ({
          cluster: n.getOptionalString('cluster'),
          namespace: n.getString('namespace'),
          owners: n.getStringArray('owners'),
        }),
      ),
      serviceWriters: tenancy?.getOptionalStringArray('serviceWriters') ?? [],
      quotas: {
        default: readQuota(tenancy?.getOptionalConfig('quotas.default')),
        owners: Object.fromEntries(
          (tenancy?.getOptionalConfigArray('quotas.owners') ?? []).map(o => [
            o.getString('owner'),
            readQuota(o),
          ]),
        ),
      },
    },
    guardrails: {
      images: listsByKey(guardrails?.getOptionalConfig('images')),
      deniedArgs: {
        vllm: ['--trust-remote-code'],
        ...listsByKey(guardrails?.getOptionalConfig('deniedArgs')),
      },
      tolerationKeys: guardrails?.getOptionalStringArray('tolerationKeys') ?? [
        'nvidia.com/gpu',
      ],
      nodeSelectorKeys:
        guardrails?.getOptionalStringArray('nodeSelectorKeys') ??
        DEFAULT_NODE_SELECTOR_KEYS,
      secretRefs: refs(guardrails?.getOptionalConfigArray('secretRefs')),
      configMapRefs: refs(guardrails?.getOptionalConfigArray('configMapRefs')),
    },
  };
}
