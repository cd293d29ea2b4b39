import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  CapacityResponse,
  DeploymentDetail,
  DeploymentRef,
  FleetResponse,
  HpaInfo,
  ModelDeployment,
  modelDeploymentReadPermission,
} from '@internal/backstage-plugin-model-hosting-common';
import { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { DeploymentAuthorizer } from '../actions/authorize';
import { clusterCapacity } from '../capacity/clusterCapacity';
import { ClusterManager } from '../cluster/ClusterManager';
import { podInfo, summarize } from './summarize';

function hpaInfo(
  hpa: V2HorizontalPodAutoscaler | undefined,
): HpaInfo | undefined {
  if (!hpa?.spec) return undefined;
  return {
    minReplicas: hpa.spec.minReplicas,
    maxReplicas: hpa.spec.maxReplicas,
    currentReplicas: hpa.status?.currentReplicas,
    desiredReplicas: hpa.status?.desiredReplicas,
    metrics: (hpa.spec.metrics ?? []).map(m => ({
      name: m.resource?.name ?? m.type,
      target: m.resource?.target.averageUtilization,
      current: hpa.status?.currentMetrics?.find(
        c => c.resource?.name === m.resource?.name,
      )?.resource?.current.averageUtilization,
    })),
  };
}

/** Read views over every cluster, served from the watch caches: no Kubernetes request per call. */
export class FleetService {
  constructor(
    private readonly clusters: ClusterManager,
    private readonly authorizer: DeploymentAuthorizer,
  ) {}

  async listDeployments(
    credentials: BackstageCredentials,
  ): Promise<FleetResponse> {
    const response: FleetResponse = { items: [], clusters: [] };
    const candidates: Array<{ ref: DeploymentRef; md: ModelDeployment }> = [];
    for (const cluster of this.clusters.all()) {
      const { cache } = cluster;
      const error = cache.error
        ? `Cluster '${cluster.name}' is unreachable: ${cache.error}`
        : cache.synced
        ? undefined
        : `Cluster '${cluster.name}' is still loading`;
      response.clusters.push(
        error
          ? { name: cluster.name, reachable: false, error }
          : { name: cluster.name, reachable: true },
      );
      for (const md of cache.modelDeployments.list()) {
        candidates.push({
          ref: {
            cluster: cluster.name,
            namespace: md.metadata.namespace!,
            name: md.metadata.name,
          },
          md,
        });
      }
    }
    const allowed = await this.authorizer.allowed(
      modelDeploymentReadPermission,
      candidates,
      credentials,
    );
    response.items = candidates
      .filter((_, i) => allowed[i])
      .map(({ ref, md }) => summarize(ref.cluster, md));
    response.items.sort((a, b) =>
      `${a.cluster}/${a.namespace}/${a.name}`.localeCompare(
        `${b.cluster}/${b.namespace}/${b.name}`,
      ),
    );
    return response;
  }

  async getDeployment(
    ref: DeploymentRef,
    credentials: BackstageCredentials,
  ): Promise<DeploymentDetail> {
    const { cache } = this.clusters.readable(ref.cluster);
    const md = cache.modelDeployments.get(ref.namespace, ref.name);
    if (!md)
      throw new NotFoundError(
        `No ModelDeployment ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    const [allowed] = await this.authorizer.allowed(
      modelDeploymentReadPermission,
      [{ ref, md }],
      credentials,
    );
    if (!allowed)
      throw new NotAllowedError(
        `You may not read ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    const pods = cache.podsOf(md);
    return {
      summary: summarize(ref.cluster, md),
      resource: md,
      pods: pods
        .map(p =>
          podInfo(
            p,
            p.spec?.nodeName
              ? cache.nodes.get(undefined, p.spec.nodeName)
              : undefined,
          ),
        )
        .sort((a, b) => a.name.localeCompare(b.name)),
      events: cache
        .eventsOf(md, pods)
        .slice(0, 50)
        .map(e => ({
          type: e.type,
          reason: e.reason,
          message: e.message,
          object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
          count: e.count,
          lastTimestamp: e.lastTimestamp as unknown as string | undefined,
        })),
      hpa: hpaInfo(cache.hpas.get(ref.namespace, ref.name)),
    };
  }

  /** What the plugin holds and has asked of the API servers: for operators and the benchmark. */
  stats() {
    return {
      memory: process.memoryUsage(),
      clusters: this.clusters.all().map(c => ({
        name: c.name,
        synced: c.cache.synced,
        error: c.cache.error,
        objects: c.cache.counts,
        apiRequests: {
          listsAndWatches: c.cache.requests,
          writes: c.gateway.requests,
          lease: c.gateway.leaseRequests,
        },
        activeReconciler: c.reconciler.isActive,
        reconcilePasses: c.reconciler.passes,
      })),
    };
  }

  capacity(): CapacityResponse {
    return {
      clusters: this.clusters
        .all()
        .map(({ name, cache }) =>
          cache.synced
            ? clusterCapacity(name, cache)
            : {
                cluster: name,
                reachable: false,
                error: cache.error ?? 'still loading',
                nodes: [],
                totals: [],
                pending: [],
              },
        ),
    };
  }
}
