import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';

/** A cluster the plugin manages, with credentials ready for @kubernetes/client-node. */
export interface ClusterDefinition {
  name: string;
  kubeConfig: KubeConfig;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** One entry of `kubernetes.clusterLocatorMethods[type=config].clusters`, as the Kubernetes plugin reads it. */
function fromKubernetesPluginEntry(c: Config): ClusterDefinition {
  const name = c.getString('name');
  const authProvider = c.getOptionalString('authProvider') ?? 'serviceAccount';
  if (authProvider !== 'serviceAccount') {
    throw new InputError(
      `Cluster '${name}': authProvider '${authProvider}' is not supported by model-hosting; use serviceAccount`,
    );
  }
  const token = c.getOptionalString('serviceAccountToken');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name,
        server: c.getString('url'),
        caData: c.getOptionalString('caData'),
        caFile: c.getOptionalString('caFile'),
        skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
      },
    ],
    // Without a token the Kubernetes plugin uses the pod's own service account; so do we.
    users: [
      token
        ? { name: 'backstage', token }
        : {
            name: 'backstage',
            authProvider: {
              name: 'tokenFile',
              config: { tokenFile: IN_CLUSTER_TOKEN },
            },
          },
    ],
    contexts: [{ name, cluster: name, user: 'backstage' }],
    currentContext: name,
  });
  return { name, kubeConfig };
}

/** One entry of `modelHosting.clusters`. */
function fromModelHostingEntry(c: Config): ClusterDefinition {
  const name = c.getString('name');
  const kubeConfig = new KubeConfig();
  const file = c.getOptionalString('kubeconfig');
  if (c.getOptionalBoolean('inCluster')) {
    kubeConfig.loadFromCluster();
  } else if (file) {
    kubeConfig.loadFromFile(file);
    const context = c.getOptionalString('context');
    if (context) kubeConfig.setCurrentContext(context);
  } else {
    throw new InputError(
      `modelHosting.clusters '${name}' needs kubeconfig or inCluster: true`,
    );
  }
  return { name, kubeConfig };
}

/** Reads every configured cluster. Names must be unique: they key all state. */
export function readClusters(config: Config): ClusterDefinition[] {
  const clusters: ClusterDefinition[] = [];
  for (const method of config.getOptionalConfigArray(
    'kubernetes.clusterLocatorMethods',
  ) ?? []) {
    if (method.getString('type') !== 'config') continue;
    for (const c of method.getOptionalConfigArray('clusters') ?? []) {
      clusters.push(fromKubernetesPluginEntry(c));
    }
  }
  for (const c of config.getOptionalConfigArray('modelHosting.clusters') ??
    []) {
    clusters.push(fromModelHostingEntry(c));
  }
  const seen = new Set<string>();
  for (const { name } of clusters) {
    if (seen.has(name))
      throw new InputError(`Cluster name '${name}' is configured twice`);
    seen.add(name);
  }
  return clusters;
}
