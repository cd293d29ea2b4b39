import { createHash } from 'crypto';
import {
  V1ConfigMap,
  V1Deployment,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1Probe,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  LABELS,
  MANAGED_BY,
  MODEL_DEPLOYMENT,
  ModelDeployment,
  withPoolModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import {
  configMapName,
  EngineAdapter,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { nodeAffinity as affinityOf, placement } from '../capacity/placement';
import { DEFAULT_LOADER_IMAGE, StorageOptions, storagePlan } from './storage';

/** What the controller decided to run right now: the spec's model with this many replicas. */
export interface RolloutTarget {
  replicas: number;
}

/** The children of one ModelDeployment, ready for server-side apply. */
export interface Plan {
  configMap: V1ConfigMap;
  deployment: V1Deployment;
  service: V1Service;
  /** Present when autoscaling on cpu or memory is enabled; otherwise any HPA is removed. */
  hpa?: V2HorizontalPodAutoscaler;
  /** The claim of the model cache, when the deployment asks for a new one. */
  claim?: V1PersistentVolumeClaim;
}

export function selectorLabels(md: ModelDeployment): Record<string, string> {
  return {
    [LABELS.instance]: md.metadata.name,
    [LABELS.managedBy]: MANAGED_BY,
  };
}

export function selectorString(md: ModelDeployment): string {
  return Object.entries(selectorLabels(md))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function commonLabels(md: ModelDeployment): Record<string, string> {
  return {
    ...selectorLabels(md),
    [LABELS.name]: md.metadata.name,
    [LABELS.component]: 'model-server',
    [LABELS.partOf]: 'model-hosting',
    [LABELS.kubernetesId]: md.metadata.name,
    'modelhosting.io/engine': md.spec.engine,
  };
}

function ownerReference(md: ModelDeployment): V1OwnerReference {
  return {
    apiVersion: MODEL_DEPLOYMENT.apiVersion,
    kind: MODEL_DEPLOYMENT.kind,
    name: md.metadata.name,
    uid: md.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

/** The engine's probe with the timings the deployment sets (seed 004's liveness/readiness settings). */
function withTimings(probe: V1Probe, timings?: Partial<V1Probe>): V1Probe {
  if (!timings) return probe;
  const {
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds,
    failureThreshold,
    successThreshold,
  } = timings;
  return {
    ...probe,
    ...Object.fromEntries(
      Object.entries({
        initialDelaySeconds,
        periodSeconds,
        timeoutSeconds,
        failureThreshold,
        successThreshold,
      }).filter(([, v]) => v !== undefined),
    ),
  };
}

function resources(md: ModelDeployment) {
  const r = md.spec.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r?.cpu !== undefined) requests.cpu = String(r.cpu);
  if (r?.memory !== undefined)
    requests.memory = limits.memory = String(r.memory);
  if (r?.gpu && r.gpu.count > 0) {
    const name = r.gpu.resource ?? 'nvidia.com/gpu';
    requests[name] = limits[name] = String(r.gpu.count);
  }
  return { requests, limits };
}

function hpa(
  md: ModelDeployment,
  metadata: V1Deployment['metadata'],
): V2HorizontalPodAutoscaler | undefined {
  const a = md.spec.autoscaling;
  const metrics = a?.metrics ?? [{ type: 'cpu', target: 80 }];
  if (
    !a?.enabled ||
    !metrics.every(m => m.type === 'cpu' || m.type === 'memory')
  )
    return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      // The HPA scales the ModelDeployment (its scale subresource), never the Deployment: one owner of replicas.
      scaleTargetRef: {
        apiVersion: MODEL_DEPLOYMENT.apiVersion,
        kind: MODEL_DEPLOYMENT.kind,
        name: md.metadata.name,
      },
      minReplicas: Math.max(1, a.minReplicas ?? 1),
      maxReplicas: a.maxReplicas,
      metrics: metrics.map(m => ({
        type: 'Resource',
        resource: {
          name: m.type,
          target: { type: 'Utilization', averageUtilization: m.target },
        },
      })),
      behavior: {
        // Fast up: +50% or +2 pods a minute, whichever is more.
        scaleUp: {
          stabilizationWindowSeconds: a.scaleUpStabilizationSeconds ?? 60,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 50, periodSeconds: 60 },
            { type: 'Pods', value: 2, periodSeconds: 60 },
          ],
        },
        // Slow down: one pod a minute after a long window.
        scaleDown: {
          stabilizationWindowSeconds: a.scaleDownStabilizationSeconds ?? 300,
          selectPolicy: 'Min',
          policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
}

/** Pure: the desired children of a ModelDeployment. Easy to test without a cluster. */
export function plan(
  md: ModelDeployment,
  engine: EngineAdapter,
  target: RolloutTarget,
  storageOptions: StorageOptions = { loaderImage: DEFAULT_LOADER_IMAGE },
): Plan {
  const name = md.metadata.name;
  const namespace = md.metadata.namespace;
  const labels = commonLabels(md);
  const metadata = {
    name,
    namespace,
    labels,
    ownerReferences: [ownerReference(md)],
  };
  const model = md.spec.model;
  // A model of the pool brings its own engine args and env.
  const running = withPoolModel(md);
  const config = engine.config(running, model);
  const container = engine.container(running, model);
  const where = placement(md);
  const { nodeSelector, tolerations } = where;
  const nodeAffinity = affinityOf(where);
  const restartedAt = md.metadata.annotations?.[ANNOTATIONS.restartedAt];
  const storage = storagePlan(running, engine, storageOptions, metadata);

  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: configMapName(md) },
    data: config,
  };

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...metadata, annotations: { [ANNOTATIONS.model]: model.name } },
    spec: {
      replicas: target.replicas,
      selector: { matchLabels: selectorLabels(md) },
      // recreate frees the GPUs before new pods start; rolling starts a new pod first.
      strategy:
        md.spec.switching?.strategy === 'rolling'
          ? {
              type: 'RollingUpdate',
              rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
            }
          : { type: 'Recreate' },
      progressDeadlineSeconds: md.spec.switching?.timeoutSeconds ?? 900,
      template: {
        metadata: {
          labels,
          annotations: {
            [ANNOTATIONS.model]: model.name,
            // A changed engine config rolls the pods, since they read it only at start.
            [ANNOTATIONS.configHash]: hash(config),
            ...(restartedAt ? { [ANNOTATIONS.restartedAt]: restartedAt } : {}),
          },
        },
        spec: {
          nodeSelector: Object.keys(nodeSelector).length
            ? nodeSelector
            : undefined,
          tolerations: tolerations.length ? tolerations : undefined,
          affinity: nodeAffinity ? { nodeAffinity } : undefined,
          // Model servers need no API access and no host access: no token, no host namespaces.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            seccompProfile: { type: 'RuntimeDefault' },
            ...(container.runAsUser !== undefined
              ? { runAsNonRoot: true, runAsUser: container.runAsUser }
              : {}),
          },
          initContainers: storage.initContainers.length
            ? storage.initContainers
            : undefined,
          volumes: storage.volumes.length ? storage.volumes : undefined,
          containers: [
            {
              name: 'server',
              image: container.image,
              command: container.command,
              args: container.args,
              env: [...container.env, ...storage.env],
              volumeMounts: storage.mounts.length ? storage.mounts : undefined,
              ports: [{ name: 'http', containerPort: container.port }],
              resources: resources(md),
              startupProbe: withTimings(
                container.startupProbe,
                md.spec.probes?.startup,
              ),
              readinessProbe: withTimings(
                container.readinessProbe,
                md.spec.probes?.readiness,
              ),
              livenessProbe: withTimings(
                container.livenessProbe,
                md.spec.probes?.liveness,
              ),
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };

  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      selector: selectorLabels(md),
      ports: [{ name: 'http', port: engine.port, targetPort: 'http' }],
    },
  };

  return {
    configMap,
    deployment,
    service,
    hpa: hpa(md, metadata),
    claim: storage.claim,
  };
}
