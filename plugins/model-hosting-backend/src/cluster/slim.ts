import {
  CoreV1Event,
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
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { gpuRequests, isOurs } from './pods';

// What the caches keep of each object: enough for the views and the reconciler, no more.

const meta = (m: any) => ({
  name: m.name,
  namespace: m.namespace,
  uid: m.uid,
  resourceVersion: m.resourceVersion,
  generation: m.generation,
  creationTimestamp: m.creationTimestamp,
  deletionTimestamp: m.deletionTimestamp,
  labels: m.labels,
  annotations: withoutLastApplied(m.annotations),
  ownerReferences: m.ownerReferences,
});

function withoutLastApplied(a?: Record<string, string>) {
  if (!a || !('kubectl.kubernetes.io/last-applied-configuration' in a))
    return a;
  const { 'kubectl.kubernetes.io/last-applied-configuration': _, ...rest } = a;
  return rest;
}

export const slimModelDeployment = (o: any): ModelDeployment => ({
  ...o,
  metadata: meta(o.metadata),
});

export const slimDeployment = (o: V1Deployment): V1Deployment => ({
  metadata: meta(o.metadata),
  spec: o.spec,
  status: o.status,
});

export const slimReplicaSet = (o: V1ReplicaSet): V1ReplicaSet => ({
  metadata: meta(o.metadata),
  spec: { replicas: o.spec?.replicas, selector: o.spec!.selector },
  status: o.status,
});

/** Our pods, and any other pod holding GPUs (they count against capacity); finished pods hold nothing. */
export function slimPod(o: V1Pod): V1Pod | undefined {
  const finished =
    o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed';
  if (finished || (!isOurs(o) && Object.keys(gpuRequests(o)).length === 0))
    return undefined;
  return {
    metadata: meta(o.metadata),
    spec: {
      nodeName: o.spec?.nodeName,
      containers: (o.spec?.containers ?? []).map(c => ({
        name: c.name,
        image: c.image,
        resources: c.resources,
      })),
    },
    status: {
      phase: o.status?.phase,
      conditions: o.status?.conditions,
      podIP: o.status?.podIP,
      startTime: o.status?.startTime,
      containerStatuses: o.status?.containerStatuses?.map(s => ({
        name: s.name,
        ready: s.ready,
        restartCount: s.restartCount,
        image: s.image,
        imageID: s.imageID,
        state: s.state,
      })),
      // The model loader's report (or error) is its termination message.
      initContainerStatuses: o.status?.initContainerStatuses?.map(s => ({
        name: s.name,
        ready: s.ready,
        restartCount: s.restartCount,
        image: s.image,
        imageID: s.imageID,
        state: s.state,
      })),
    },
  };
}

export const slimOwned = <
  T extends
    | V1Service
    | V1ConfigMap
    | V2HorizontalPodAutoscaler
    | V1PersistentVolumeClaim,
>(
  o: T,
): T => ({ ...o, metadata: meta(o.metadata) } as T);

export const slimNode = (o: V1Node): V1Node => ({
  metadata: {
    name: o.metadata?.name,
    labels: o.metadata?.labels,
    uid: o.metadata?.uid,
  },
  spec: { taints: o.spec?.taints, unschedulable: o.spec?.unschedulable },
  status: {
    allocatable: o.status?.allocatable,
    capacity: o.status?.capacity,
    // Without the heartbeat: a kubelet's (or kwok's) status report alone changes nothing we read,
    // so it wakes no one (the reconciler requeues everything on a node change).
    conditions: o.status?.conditions
      ?.filter(c => c.type === 'Ready')
      .map(({ lastHeartbeatTime: _, ...c }) => c),
  },
});

/** Namespaces keep what tenancy reads: the model-hosting annotations and the Pod Security labels. */
const keepPrefixed = (
  m: Record<string, string> | undefined,
  prefixes: string[],
) => {
  const kept = Object.entries(m ?? {}).filter(([k]) =>
    prefixes.some(p => k.startsWith(p)),
  );
  return kept.length ? Object.fromEntries(kept) : undefined;
};

export const slimNamespace = (o: V1Namespace): V1Namespace => ({
  metadata: {
    name: o.metadata?.name,
    annotations: keepPrefixed(o.metadata?.annotations, ['modelhosting.io/']),
    labels: keepPrefixed(o.metadata?.labels, [
      'pod-security.kubernetes.io/',
      'modelhosting.io/',
    ]),
  },
  status: { phase: o.status?.phase },
});

export const slimEvent = (o: CoreV1Event): CoreV1Event => ({
  metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace },
  involvedObject: o.involvedObject,
  reason: o.reason,
  message: o.message,
  type: o.type,
  count: o.count,
  firstTimestamp: o.firstTimestamp,
  lastTimestamp:
    o.lastTimestamp ?? (o as any).eventTime ?? o.metadata?.creationTimestamp,
});
