import type {
  ModelDeploymentSpec,
  ModelDeploymentStatus,
} from './generated/modelDeployment';
import { MODEL_DEPLOYMENT } from './generated/modelDeployment';

export type { ModelDeploymentSpec, ModelDeploymentStatus };
export {
  MODEL_DEPLOYMENT,
  modelDeploymentOpenApiSchema,
} from './generated/modelDeployment';

/** A ModelDeployment custom resource as stored in the cluster. */
export interface ModelDeployment {
  apiVersion: typeof MODEL_DEPLOYMENT.apiVersion;
  kind: typeof MODEL_DEPLOYMENT.kind;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
    }>;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: ModelDeploymentSpec;
  status?: ModelDeploymentStatus;
}

export type ModelEngine = ModelDeploymentSpec['engine'];
export type ModelDeploymentPhase = NonNullable<ModelDeploymentStatus['phase']>;

/** Labels and annotations the plugin puts on what it manages. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  kubernetesId: 'backstage.io/kubernetes-id',
} as const;

export const MANAGED_BY = 'backstage-model-hosting';

/** Annotations the plugin reads and writes on ModelDeployments, their Deployments and pods. */
export const ANNOTATIONS = {
  /** The model a Deployment (and its pods) runs. */
  model: 'modelhosting.io/model',
  /** A hash of the engine configuration: a change rolls the pods. */
  configHash: 'modelhosting.io/config-hash',
  /** A rollout restart requested by a person or by auto-recovery. */
  restartedAt: 'modelhosting.io/restarted-at',
  /** Who created the ModelDeployment through the portal. */
  createdBy: 'modelhosting.io/created-by',
  /** What asked for the switch now in spec.model: `request` (the gateway) or `action`. */
  switchTrigger: 'modelhosting.io/switch-trigger',
} as const;

/** A model of a deployment's pool (spec.models), or the spec's model itself. */
export type PoolModel = NonNullable<ModelDeploymentSpec['models']>[number];

/** The models a deployment may serve: its model first, then the rest of its pool. */
export function poolOf(md: ModelDeployment): PoolModel[] {
  const pool: PoolModel[] = [md.spec.model];
  for (const m of md.spec.models ?? [])
    if (!pool.some(p => p.name === m.name)) pool.push(m);
  return pool;
}

/** The model a deployment serves right now: the one running, or the spec's before anything ran. */
export function servedModel(md: ModelDeployment): string {
  return md.status?.activeModel ?? md.spec.model.name;
}

type Env = NonNullable<ModelDeployment['spec']['env']>;

/**
 * The deployment as it runs one model of its pool: that model's engine args replace the
 * deployment's, its env entries override the deployment's by name. For spec.model when it is a
 * pool entry; for any other model (a switch not yet requested) with `modelName`.
 */
export function withPoolModel(
  md: ModelDeployment,
  modelName = md.spec.model.name,
): ModelDeployment {
  const entry = (md.spec.models ?? []).find(m => m.name === modelName);
  if (!entry) return md;
  const env: Env = [
    ...(md.spec.env ?? []).filter(
      e => !(entry.env ?? []).some(o => o.name === e.name),
    ),
    ...(entry.env ?? []),
  ];
  return {
    ...md,
    spec: {
      ...md.spec,
      model: { ...md.spec.model, ...entry },
      engineArgs: entry.engineArgs ?? md.spec.engineArgs,
      env: env.length ? env : undefined,
    },
  };
}
