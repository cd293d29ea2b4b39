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
