import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CoreV1Event,
  KubeConfig,
  V1ConfigMap,
  V1Deployment,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import {
  LABELS,
  MANAGED_BY,
  MODEL_DEPLOYMENT,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Counter } from '../metrics';
import { isOurs, isPodReady } from './pods';
import { ResourceCache } from './ResourceCache';
import {
  slimDeployment,
  slimEvent,
  slimModelDeployment,
  slimNamespace,
  slimNode,
  slimOwned,
  slimPod,
  slimReplicaSet,
} from './slim';

const managed = `${LABELS.managedBy}=${MANAGED_BY}`;
const INSTANCE = 'instance';
const INVOLVED = 'involved';
const NODE = 'node';
const NAMESPACE = 'namespace';

export class ClusterCache {
  readonly modelDeployments: ResourceCache<ModelDeployment>;
  readonly deployments: ResourceCache<V1Deployment>;
  readonly replicaSets: ResourceCache<V1ReplicaSet>;
  readonly pods: ResourceCache<V1Pod>;
  readonly services: ResourceCache<V1Service>;
  readonly configMaps: ResourceCache<V1ConfigMap>;
  readonly hpas: ResourceCache<V2HorizontalPodAutoscaler>;
  readonly claims: ResourceCache<V1PersistentVolumeClaim>;
  readonly nodes: ResourceCache<V1Node>;
  readonly namespaces: ResourceCache<V1Namespace>;
  readonly modelEvents: ResourceCache<CoreV1Event>;
  readonly podEvents: ResourceCache<CoreV1Event>;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    logger: LoggerService,
    requests?: Counter,
    relistMs?: number,
  ) {
    const log = logger.child({ cluster });
    const cache = <T extends { metadata?: any }>(
      apiVersion: string,
      kind: string,
      path: string,
      slim: (o: any) => T | undefined,
      selectors: { labelSelector?: string; fieldSelector?: string } = {},
    ) =>
      new ResourceCache<T>(
        kubeConfig,
        { apiVersion, kind, path, slim, relistMs, ...selectors },
        log,
        requests && { add: n => requests.add(n, { cluster, resource: kind }) },
      );

    this.modelDeployments = cache(
      MODEL_DEPLOYMENT.apiVersion,
      MODEL_DEPLOYMENT.kind,
      `/apis/${MODEL_DEPLOYMENT.group}/${MODEL_DEPLOYMENT.version}/${MODEL_DEPLOYMENT.plural}`,
      slimModelDeployment,
    );
    this.deployments = cache(
      'apps/v1',
      'Deployment',
      '/apis/apps/v1/deployments',
      slimDeployment,
      { labelSelector: managed },
    );
    this.replicaSets = cache(
      'apps/v1',
      'ReplicaSet',
      '/apis/apps/v1/replicasets',
      slimReplicaSet,
      { labelSelector: managed },
    );
    // All pods, but slimPod keeps only ours and others that hold GPUs: both count against GPU capacity.
    this.pods = cache('v1', 'Pod', '/api/v1/pods', slimPod);
    this.services = cache(
      'v1',
      'Service',
      '/api/v1/services',
      o => slimOwned<V1Service>(o),
      { labelSelector: managed },
    );
    this.configMaps = cache(
      'v1',
      'ConfigMap',
      '/api/v1/configmaps',
      o => slimOwned<V1ConfigMap>(o),
      { labelSelector: managed },
    );
    this.hpas = cache(
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      '/apis/autoscaling/v2/horizontalpodautoscalers',
      o => slimOwned<V2HorizontalPodAutoscaler>(o),
      { labelSelector: managed },
    );
    this.claims = cache(
      'v1',
      'PersistentVolumeClaim',
      '/api/v1/persistentvolumeclaims',
      o => slimOwned<V1PersistentVolumeClaim>(o),
      { labelSelector: managed },
    );
    this.nodes = cache('v1', 'Node', '/api/v1/nodes', slimNode);
    this.namespaces = cache(
      'v1',
      'Namespace',
      '/api/v1/namespaces',
      slimNamespace,
    );
    this.modelEvents = cache('v1', 'Event', '/api/v1/events', slimEvent, {
      fieldSelector: `involvedObject.kind=${MODEL_DEPLOYMENT.kind}`,
    });
    this.podEvents = cache(
      'v1',
      'Event',
      '/api/v1/events',
      e => (this.isOurPod(e) ? slimEvent(e) : undefined),
      {
        fieldSelector: 'involvedObject.kind=Pod',
      },
    );

    // Per-ModelDeployment lookups without scanning every pod.
    const byInstance = (o: { metadata?: any }) =>
      isOurs(o)
        ? `${o.metadata.namespace}/${o.metadata.labels[LABELS.instance]}`
        : undefined;
    this.pods.addIndex(INSTANCE, byInstance);
    this.replicaSets.addIndex(INSTANCE, byInstance);
    const byInvolved = (e: CoreV1Event) =>
      `${e.involvedObject.namespace}/${e.involvedObject.name}`;
    this.modelEvents.addIndex(INVOLVED, byInvolved);
    this.podEvents.addIndex(INVOLVED, byInvolved);
    this.pods.addIndex(NODE, p => p.spec?.nodeName);
    // The gateway resolves `<namespace>/<model>` per request: no scan of the whole fleet.
    this.modelDeployments.addIndex(NAMESPACE, md => md.metadata.namespace);
  }

  private isOurPod(e: CoreV1Event): boolean {
    const pod = this.pods.get(
      e.involvedObject.namespace,
      e.involvedObject.name!,
    );
    return !!pod && isOurs(pod);
  }

  private get all() {
    return [
      this.modelDeployments,
      this.deployments,
      this.replicaSets,
      this.pods,
      this.services,
      this.configMaps,
      this.hpas,
      this.claims,
      this.nodes,
      this.namespaces,
      this.modelEvents,
      this.podEvents,
    ];
  }

  start() {
    this.all.forEach(c => c.start());
  }

  stop() {
    this.all.forEach(c => c.stop());
  }

  /** True once every resource has been listed. */
  get synced(): boolean {
    return this.all.every(c => c.synced);
  }

  /** Why the cluster cannot be read right now, if it cannot. */
  get error(): string | undefined {
    return this.all.find(c => c.lastError)?.lastError;
  }

  /** How many objects each resource cache holds. */
  get counts(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this)
        .filter(([, v]) => v instanceof ResourceCache)
        .map(([k, v]) => [k, (v as ResourceCache<any>).list().length]),
    );
  }

  /** Resolves when every resource has been listed, or rejects with the cluster's error after timeoutMs. */
  async waitForSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced) {
      if (Date.now() > deadline) {
        throw new Error(this.error ?? `not synced within ${timeoutMs} ms`);
      }
      await new Promise(r => setTimeout(r, 50));
    }
  }

  /** Pods of one ModelDeployment. */
  podsOf(md: ModelDeployment): V1Pod[] {
    return this.pods.byIndex(
      INSTANCE,
      `${md.metadata.namespace}/${md.metadata.name}`,
    );
  }

  /** Pods of one ModelDeployment that pass their readiness probe: the ones serving. */
  readyPodsOf(md: ModelDeployment): V1Pod[] {
    return this.podsOf(md).filter(isPodReady);
  }

  modelDeploymentsIn(namespace: string): ModelDeployment[] {
    return this.modelDeployments.byIndex(NAMESPACE, namespace);
  }

  podsOnNode(node: string): V1Pod[] {
    return this.pods.byIndex(NODE, node);
  }

  replicaSetsOf(md: ModelDeployment): V1ReplicaSet[] {
    return this.replicaSets.byIndex(
      INSTANCE,
      `${md.metadata.namespace}/${md.metadata.name}`,
    );
  }

  /** Events about a ModelDeployment and its pods, newest first. */
  eventsOf(md: ModelDeployment, pods: V1Pod[]): CoreV1Event[] {
    const ns = md.metadata.namespace;
    return [
      ...this.modelEvents.byIndex(INVOLVED, `${ns}/${md.metadata.name}`),
      ...pods.flatMap(p =>
        this.podEvents.byIndex(INVOLVED, `${ns}/${p.metadata?.name}`),
      ),
    ].sort((a, b) =>
      String(b.lastTimestamp).localeCompare(String(a.lastTimestamp)),
    );
  }
}
