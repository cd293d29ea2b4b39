import { InputError } from '@backstage/errors';
import {
  ModelDeployment,
  ModelDeploymentSpec,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { gpuAsk, nodeMatches } from '../capacity/nodeFit';
import { ClusterCache } from '../cluster/ClusterCache';

/**
 * Refuses a GPU request no node of the cluster could ever hold, instead of leaving pods Pending
 * forever. Free capacity is not checked: pods may wait for GPUs to free up.
 */
export function checkGpuFits(
  cluster: string,
  cache: ClusterCache,
  md: ModelDeployment,
) {
  const { resource, count } = gpuAsk(md);
  if (count === 0) return;
  const nodes = cache.nodes.list();
  const withResource = nodes.filter(
    n => Number(n.status?.allocatable?.[resource] ?? 0) > 0,
  );
  if (withResource.length === 0) {
    throw new InputError(`No node in cluster '${cluster}' offers ${resource}`);
  }
  const product = md.spec.resources?.gpu?.product;
  if (
    product &&
    !withResource.some(
      n => n.metadata?.labels?.['nvidia.com/gpu.product'] === product,
    )
  ) {
    const products = [
      ...new Set(
        withResource
          .map(n => n.metadata?.labels?.['nvidia.com/gpu.product'])
          .filter(Boolean),
      ),
    ];
    throw new InputError(
      `No node in cluster '${cluster}' has GPU product ${product} with ${resource}; available: ${products.join(
        ', ',
      )}`,
    );
  }
  const eligible = withResource.filter(n => nodeMatches(md, n));
  const largest = eligible.reduce<{ node?: string; n: number }>(
    (best, node) => {
      const n = Number(node.status?.allocatable?.[resource] ?? 0);
      return n > best.n ? { node: node.metadata?.name, n } : best;
    },
    { n: 0 },
  );
  if (largest.n < count) {
    throw new InputError(
      eligible.length === 0
        ? `No node in cluster '${cluster}' matches the placement for ${resource} (product, sharing mode, node selector)`
        : `No node in cluster '${cluster}' can hold ${count} ${resource} per replica; the most on one matching node is ${largest.n} (${largest.node})`,
    );
  }
}

export function checkNamespaceExists(
  cluster: string,
  cache: ClusterCache,
  namespace: string,
) {
  if (!cache.namespaces.get(undefined, namespace)) {
    throw new InputError(
      `Namespace '${namespace}' does not exist in cluster '${cluster}'`,
    );
  }
}

/** Scale input: a whole number within the CRD's bounds and, under autoscaling, within its range. */
export function checkReplicas(
  spec: ModelDeploymentSpec,
  replicas: unknown,
): number {
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw new InputError('replicas must be a whole number');
  }
  if (replicas < 0 || replicas > 100)
    throw new InputError(`replicas must be between 0 and 100, not ${replicas}`);
  const a = spec.autoscaling;
  if (a?.enabled) {
    const min = a.minReplicas ?? 1;
    if (replicas < min || replicas > a.maxReplicas) {
      throw new InputError(
        `Autoscaling manages this deployment between ${min} and ${a.maxReplicas} replicas; ${replicas} is outside that range`,
      );
    }
  }
  return replicas;
}
