import type { ModelDeploymentPhase, ModelEngine } from './modelDeployment';

/** One row of the fleet view: a ModelDeployment on one cluster. */
export interface DeploymentSummary {
  cluster: string;
  namespace: string;
  name: string;
  owner: string;
  engine: ModelEngine;
  model: string;
  activeModel?: string;
  phase?: ModelDeploymentPhase;
  replicas: number;
  readyReplicas: number;
  gpu: { count: number; resource: string; product?: string };
  createdAt?: string;
}

/** Whether the backend could read a cluster, and why not. */
export interface ClusterState {
  name: string;
  reachable: boolean;
  error?: string;
}

/** GET /deployments */
export interface FleetResponse {
  items: DeploymentSummary[];
  clusters: ClusterState[];
}
