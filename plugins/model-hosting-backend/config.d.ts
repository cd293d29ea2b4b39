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
    /** Milliseconds to wait for a cluster's API server before reporting it unreachable. Default 10000. */
    requestTimeoutMs?: number;
    catalog?: {
      /** Minutes between full resyncs of the model-hosting entities into the catalog. Default 10. */
      resyncMinutes?: number;
    };
    reconciler?: {
      /** Run the ModelDeployment reconciler in this backend. Default true. */
      enabled?: boolean;
      /** Namespace of the coordination.k8s.io Lease that elects one active reconciler per cluster. Default model-hosting. */
      leaseNamespace?: string;
      /** Seconds a Lease holder stays leader without renewing; another replica takes over after that. Default 15. */
      leaseDurationSeconds?: number;
    };
  };
}
