import { createApiRef } from '@backstage/core-plugin-api';
import {
  AuditEntry,
  CapacityResponse,
  DeploymentDetail,
  DeploymentRef,
  FleetResponse,
  HealthRecord,
  SwitchRequest,
  UsageResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';

export type UsageRange = '1h' | '24h' | '7d';

/** The model-hosting backend, as the frontend sees it. */
export interface ModelHostingApi {
  listDeployments(): Promise<FleetResponse>;
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
}

export const modelHostingApiRef = createApiRef<ModelHostingApi>({
  id: 'plugin.model-hosting.service',
});
