import { createApiRef } from '@backstage/core-plugin-api';
import {
  AuditEntry,
  CapacityResponse,
  DeploymentDetail,
  DeploymentRef,
  EditResponse,
  FleetQuery,
  FleetResponse,
  HealthCheckResponse,
  HealthRecord,
  ModelDeploymentSpec,
  ModelStats,
  SwitchRequest,
  UsageResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { AutoscalingSettings, DryRunOption } from './types';

export type UsageRange = '1h' | '24h' | '7d';

/** The model-hosting backend, as the frontend sees it. */
export interface ModelHostingApi {
  /** Every deployment, or with a query one page of them, its total and the filters' values. */
  listDeployments(query?: FleetQuery): Promise<FleetResponse>;
  getDeployment(ref: DeploymentRef): Promise<DeploymentDetail>;
  getCapacity(): Promise<CapacityResponse>;
  scale(ref: DeploymentRef, replicas: number): Promise<void>;
  switchModel(ref: DeploymentRef, request: SwitchRequest): Promise<void>;
  restart(ref: DeploymentRef): Promise<void>;
  delete(ref: DeploymentRef): Promise<void>;
  getAudit(ref: DeploymentRef, limit?: number): Promise<AuditEntry[]>;
  getHealthHistory(ref: DeploymentRef, limit?: number): Promise<HealthRecord[]>;
  getUsage(
    ref: DeploymentRef | undefined,
    range: UsageRange,
  ): Promise<UsageResponse>;
  /**
   * Changes fields of the spec (each given field replaces the old one whole). With `dryRun`,
   * answers what would change in the spec and in the cluster and writes nothing.
   */
  edit(
    ref: DeploymentRef,
    spec: Partial<ModelDeploymentSpec>,
    options?: DryRunOption,
  ): Promise<EditResponse>;
  /** Turns autoscaling on or off, or changes its range and metrics; `dryRun` as for edit. */
  autoscale(
    ref: DeploymentRef,
    settings: AutoscalingSettings,
    options?: DryRunOption,
  ): Promise<EditResponse>;
  /** Runs one health check now and answers its result. */
  checkHealth(ref: DeploymentRef): Promise<HealthCheckResponse>;
  /** Every model the deployment serves or may serve, with its usage over the last 24 h. */
  getModels(ref: DeploymentRef): Promise<ModelStats[]>;
}

export const modelHostingApiRef = createApiRef<ModelHostingApi>({
  id: 'plugin.model-hosting.service',
});
