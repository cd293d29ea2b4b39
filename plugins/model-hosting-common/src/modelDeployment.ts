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
} as const;

/** The model a deployment serves right now: the one running, or the spec's before anything ran. */
export function servedModel(md: ModelDeployment): string {
  return md.status?.activeModel ?? md.spec.model.name;
}
