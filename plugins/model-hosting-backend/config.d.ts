export interface Config {
  /**
   * Clusters are read from `kubernetes.clusterLocatorMethods` (entries of `type: config`),
   * the same configuration the Backstage Kubernetes plugin uses, plus these.
   */
  modelHosting?: {
    /**
     * Extra clusters reached through a kubeconfig file or the pod's own service account.
     */
    clusters?: Array<{
      /** Name shown in the fleet view; must be unique across all clusters. */
      name: string;
      /** Path to a kubeconfig file (relative to the backend's working directory). */
      kubeconfig?: string;
      /** Context in the kubeconfig; its current context when unset. */
      context?: string;
      /** Use the service account of the pod the backend runs in. */
      inCluster?: boolean;
    }>;
    /** Seconds to wait for a cluster's API server before reporting it unreachable. Default 10. */
    requestTimeoutSeconds?: number;
    /** Deprecated: milliseconds, read only when requestTimeoutSeconds is not set. */
    requestTimeoutMs?: number;
    /** Minutes between full relists of each watch cache, which heal anything a watch missed. Default 30. */
    relistMinutes?: number;
    health?: {
      /** Run health checks (on Backstage's scheduler, one runner across replicas). Default true. */
      enabled?: boolean;
      /** Seconds between scheduler rounds; each deployment is checked every healthCheck.intervalSeconds. Default 5. */
      tickSeconds?: number;
      /** Checks running at once. Default 50. */
      concurrency?: number;
      /** Timeout of one request to a model server. Default 10. */
      timeoutSeconds?: number;
      /** proxy: through the API server's service proxy (default; works from outside the cluster); clusterDns: the Service's DNS name (backend inside the cluster). */
      access?: 'proxy' | 'clusterDns';
      /** Explicit model-server URLs, overriding access for these deployments. */
      endpoints?: Array<{
        cluster: string;
        namespace: string;
        name: string;
        url: string;
      }>;
      /** Pod restarts by auto-recovery per deployment per hour, at most. Default 3. */
      maxRestartsPerHour?: number;
      /** Wait after a recovery before the next, doubling each time. Default 60. */
      recoveryBackoffSeconds?: number;
      /** Write lastHealthCheck at least this often even when health did not change (a change is written at once). Default 300. */
      statusRefreshSeconds?: number;
      /** Days of health-check history kept. Default 7. */
      retentionDays?: number;
      /** Longest answer of a model server read for a check or its metrics, in bytes. Default 4194304 (4 MiB). */
      maxResponseBytes?: number;
    };
    /** Optional: a Prometheus with NVIDIA's DCGM exporter metrics, for GPU utilization in the usage charts. */
    prometheus?: {
      /** Base URL, e.g. http://prometheus.monitoring:9090 */
      url: string;
      /** Default 5. */
      timeoutSeconds?: number;
      /** An instant query returning one sample per pod (labels namespace and pod). Default: avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL) */
      gpuUtilizationQuery?: string;
    };
    usage?: {
      /** Hours of per-minute usage kept. Default 24. */
      minuteRetentionHours?: number;
      /** Days of per-hour usage kept. Default 30. */
      hourRetentionDays?: number;
    };
    /** The built-in autoscaler for requestsInFlight and queueDepth metrics. */
    autoscaler?: {
      /** Seconds between evaluations. Default 5. */
      tickSeconds?: number;
      /** Moving-average window of the load. Default 30. */
      windowSeconds?: number;
    };
    /** The OpenAI-compatible gateway at /api/model-hosting/v1. */
    gateway?: {
      /** How long a request waits for a model scaled to zero to become ready. Default 300. */
      maxWaitSeconds?: number;
      /** Requests held per model while it starts; more get 503 with Retry-After. Default 100. */
      maxPendingRequests?: number;
      /** Timeout of a request to a running model server. Default 600. */
      requestTimeoutSeconds?: number;
      /** Longest non-streamed answer the gateway passes on, in bytes. Default 67108864 (64 MiB). */
      maxResponseBytes?: number;
      /**
       * Seconds a signed-in person's permission decision serves their next gateway requests
       * (per person and sign-in; service tokens are decided in the plugin anyway). 0 asks the
       * permission backend on every request. Default 5, at most 60.
       */
      permissionCacheSeconds?: number;
      /**
       * Bare model names the admins publish. Without an entry here a model is reached by its
       * namespaced id `<namespace>/<model>` only, so nobody can capture a popular name.
       */
      publishedModels?: Array<{
        /** The name clients send, e.g. llama3.1:8b. */
        model: string;
        /** Limit to one cluster; any cluster by default. */
        cluster?: string;
        namespace: string;
        /** The ModelDeployment that serves it. */
        name: string;
      }>;
    };
    /** The model cache's loader. */
    storage?: {
      /** The model loader's image, run as an init container for hf://, s3:// and pvc:// sources. Default ghcr.io/modelhosting/model-loader:0.1.0. */
      loaderImage?: string;
      /** A Hugging Face mirror for hf:// sources; the Hub itself when unset. */
      hfEndpoint?: string;
      /** The S3-compatible store of s3:// sources for deployments whose spec.storage.s3 names none (each field apart). */
      s3?: {
        /** e.g. http://minio.storage:9000 */
        endpoint?: string;
        region?: string;
        /** Path-style addressing (MinIO and most S3-compatible stores). */
        pathStyle?: boolean;
      };
    };
    /** Who may deploy where. Namespaces are opened to owners by their annotation modelhosting.io/owners or here. */
    tenancy?: {
      namespaces?: Array<{
        cluster?: string;
        namespace: string;
        owners: string[];
      }>;
      /** Service principals (e.g. external:ci) that may deploy and change model servers; others only read and invoke. */
      serviceWriters?: string[];
      quotas?: {
        /** The limits of an owner without an entry of its own. */
        default?: {
          deployments?: number;
          gpus?: { [resource: string]: number };
        };
        owners?: Array<{
          owner: string;
          deployments?: number;
          /** GPUs per resource name, counted at the most replicas a deployment may run. */
          gpus?: { [resource: string]: number };
        }>;
      };
    };
    /** What model-server pods may ask for; checked before anything is written and again by the reconciler. */
    guardrails?: {
      /** Allowed image repositories per engine (`*` matches anything); default: the engine's own repository. */
      images?: { [engine: string]: string[] };
      /** Engine arguments refused per engine. Default: vllm's --trust-remote-code. */
      deniedArgs?: { [engine: string]: string[] };
      /** Taint keys pods may tolerate. Default: nvidia.com/gpu. */
      tolerationKeys?: string[];
      /** Node label keys pods may select on. Default: the GPU labels of GPU feature discovery and the standard topology labels. */
      nodeSelectorKeys?: string[];
      /** Secrets env may read (beside the namespace annotation modelhosting.io/allowed-secrets). */
      secretRefs?: Array<{ namespace?: string; name: string }>;
      /** ConfigMaps env may read (beside the namespace annotation modelhosting.io/allowed-configmaps). */
      configMapRefs?: Array<{ namespace?: string; name: string }>;
    };
    reconciler?: {
      /** Run the ModelDeployment reconciler in this backend. Default true. */
      enabled?: boolean;
      /** Namespace of the coordination.k8s.io Lease that elects one active reconciler per cluster. Default model-hosting. */
      leaseNamespace?: string;
      /** Seconds a Lease holder stays leader without renewing; another replica takes over after that. Default 15. */
      leaseDurationSeconds?: number;
      /** Deployments reconciled at once per cluster. Default 16. */
      workers?: number;
    };
  };
}
