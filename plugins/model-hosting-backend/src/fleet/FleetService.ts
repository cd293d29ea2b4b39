import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  CapacityResponse,
  ClusterState,
  DeploymentDetail,
  DeploymentRef,
  DeploymentSummary,
  FleetQuery,
  FleetResponse,
  HpaInfo,
  ModelDeployment,
  modelDeploymentReadPermission,
  ResourcesResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { clusterCapacity } from '../capacity/clusterCapacity';
import { forViewer } from '../capacity/forViewer';
import { redactForOthers } from '../tenancy/redact';
import { WriteGuards } from '../tenancy/WriteGuards';
import { Cluster, Clusters } from '../cluster/Clusters';
import {
  DeploymentEntry,
  ModelDeployments,
} from '../deployments/ModelDeployments';
import { EngineRegistry } from '../engines';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { byKey, fleetFacets, pageOf } from './fleetQuery';
import { endpointOf, podInfo, summarize } from './summarize';

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

function clusterState(cluster: Cluster): ClusterState {
  const { cache } = cluster;
  let error: string | undefined;
  if (cache.error)
    error = `Cluster '${cluster.name}' is unreachable: ${cache.error}`;
  else if (!cache.synced) error = `Cluster '${cluster.name}' is still loading`;
  const synced = cache.modelDeployments.synced;
  return error
    ? { name: cluster.name, reachable: false, error, synced }
    : { name: cluster.name, reachable: true, synced };
}

/** Read views over every cluster, served from the watch caches: no Kubernetes request per call. */
export class FleetService {
  private readonly summaries = new WeakMap<
    ModelDeployment,
    DeploymentSummary
  >();

  constructor(
    private readonly clusters: Clusters,
    private readonly deployments: ModelDeployments,
    private readonly engines: EngineRegistry,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly guards: Pick<WriteGuards, 'ownedBy'>,
  ) {}

  /**
   * The fleet-table view of a deployment, kept while its cached object is the same (the caches
   * replace an object when it changes): 10,000 of them are not made again for every page.
   */
  private summaryOf(entry: DeploymentEntry) {
    let summary = this.summaries.get(entry.md);
    if (!summary) {
      summary = summarize(entry.ref.cluster, entry.md, this.portOf(entry));
      this.summaries.set(entry.md, summary);
    }
    return summary;
  }

  /** The port of a deployment's engine (80 for an engine no longer registered). */
  private portOf(entry: DeploymentEntry) {
    return this.engines.has(entry.md.spec.engine)
      ? this.engines.get(entry.md.spec.engine).port
      : 80;
  }

  private async readable(
    credentials: BackstageCredentials,
  ): Promise<DeploymentEntry[]> {
    const candidates = this.deployments.all({ includeDeleting: true });
    const allowed = await this.authorizer.allowed(
      modelDeploymentReadPermission,
      candidates,
      credentials,
    );
    return candidates.filter((_, i) => allowed[i]);
  }

  /** Every readable deployment, by cluster, namespace and name; or the page `query` asks for. */
  async listDeployments(
    credentials: BackstageCredentials,
    query?: FleetQuery,
  ): Promise<FleetResponse> {
    const items = (await this.readable(credentials)).map(e =>
      this.summaryOf(e),
    );
    const clusters = this.clusters.all().map(clusterState);
    if (!query) return { items: items.sort(byKey), clusters };
    return {
      ...pageOf(items, query),
      ...(query.facets ? { facets: fleetFacets(items) } : {}),
      clusters,
    };
  }

  /** Every readable ModelDeployment whole, for the catalog module. */
  async listResources(
    credentials: BackstageCredentials,
  ): Promise<ResourcesResponse> {
    const owns = await this.guards.ownedBy(credentials);
    const items = (await this.readable(credentials)).map(e => ({
      cluster: e.ref.cluster,
      resource: owns(e.md.spec.owner) ? e.md : redactForOthers(e.md),
      apiKind: this.engines.has(e.md.spec.engine)
        ? this.engines.get(e.md.spec.engine).apiKind
        : ('http' as const),
      endpoint: endpointOf(e.md, this.portOf(e)),
    }));
    return { items, clusters: this.clusters.all().map(clusterState) };
  }

  async getDeployment(
    ref: DeploymentRef,
    credentials: BackstageCredentials,
  ): Promise<DeploymentDetail> {
    const entry = await this.deployments.requireReadable(ref, credentials);
    const owns = await this.guards.ownedBy(credentials);
    const { cache } = entry.cluster;
    const pods = this.deployments.pods(entry);
    return {
      summary: summarize(ref.cluster, entry.md, this.portOf(entry)),
      resource: owns(entry.md.spec.owner)
        ? entry.md
        : redactForOthers(entry.md),
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
        .eventsOf(entry.md, pods)
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

  /** GPUs per cluster; other teams' pods only as counts (see forViewer). */
  async capacity(credentials: BackstageCredentials): Promise<CapacityResponse> {
    const owns = await this.guards.ownedBy(credentials);
    return {
      clusters: this.clusters.all().map(({ name, cache }) =>
        cache.synced
          ? forViewer(clusterCapacity(name, cache), d => {
              const md = d && cache.modelDeployments.get(d.namespace, d.name);
              return !!md && owns(md.spec.owner);
            })
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
