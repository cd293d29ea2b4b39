import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
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
import { ModelHostingApi, UsageRange } from './ModelHostingApi';
import { AutoscalingSettings, DryRunOption } from './types';

const dryRunQuery = (options?: DryRunOption) =>
  `?dryRun=${options?.dryRun ? 'true' : 'false'}`;

const refPath = ({ cluster, namespace, name }: DeploymentRef) =>
  `/deployments/${encodeURIComponent(cluster)}/${encodeURIComponent(
    namespace,
  )}/${encodeURIComponent(name)}`;

export class ModelHostingClient implements ModelHostingApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  listDeployments(query?: FleetQuery): Promise<FleetResponse> {
    if (!query) return this.request('GET', '/deployments');
    const params = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]);
    return this.request('GET', `/deployments?${new URLSearchParams(params)}`);
  }

  getDeployment(ref: DeploymentRef): Promise<DeploymentDetail> {
    return this.request('GET', refPath(ref));
  }

  getCapacity(): Promise<CapacityResponse> {
    return this.request('GET', '/capacity');
  }

  async scale(ref: DeploymentRef, replicas: number): Promise<void> {
    await this.request('POST', `${refPath(ref)}/scale`, { replicas });
  }

  async switchModel(ref: DeploymentRef, request: SwitchRequest): Promise<void> {
    await this.request('POST', `${refPath(ref)}/switch`, request);
  }

  async restart(ref: DeploymentRef): Promise<void> {
    await this.request('POST', `${refPath(ref)}/restart`);
  }

  async delete(ref: DeploymentRef): Promise<void> {
    await this.request('DELETE', refPath(ref));
  }

  async getAudit(ref: DeploymentRef, limit = 20): Promise<AuditEntry[]> {
    const q = new URLSearchParams({
      cluster: ref.cluster,
      namespace: ref.namespace,
      name: ref.name,
      limit: String(limit),
    });
    return (await this.request<{ items: AuditEntry[] }>('GET', `/audit?${q}`))
      .items;
  }

  async getHealthHistory(
    ref: DeploymentRef,
    limit = 20,
  ): Promise<HealthRecord[]> {
    return (
      await this.request<{ items: HealthRecord[] }>(
        'GET',
        `${refPath(ref)}/health?limit=${limit}`,
      )
    ).items;
  }

  getUsage(
    ref: DeploymentRef | undefined,
    range: UsageRange,
  ): Promise<UsageResponse> {
    const q = new URLSearchParams({
      range,
      ...(ref
        ? { cluster: ref.cluster, namespace: ref.namespace, name: ref.name }
        : {}),
    });
    return this.request('GET', `/usage?${q}`);
  }

  edit(
    ref: DeploymentRef,
    spec: Partial<ModelDeploymentSpec>,
    options?: DryRunOption,
  ): Promise<EditResponse> {
    return this.request('PATCH', `${refPath(ref)}${dryRunQuery(options)}`, {
      spec,
    });
  }

  autoscale(
    ref: DeploymentRef,
    settings: AutoscalingSettings,
    options?: DryRunOption,
  ): Promise<EditResponse> {
    return this.request(
      'POST',
      `${refPath(ref)}/autoscale${dryRunQuery(options)}`,
      settings,
    );
  }

  checkHealth(ref: DeploymentRef): Promise<HealthCheckResponse> {
    return this.request('POST', `${refPath(ref)}/health-check`);
  }

  async getModels(ref: DeploymentRef): Promise<ModelStats[]> {
    return (
      await this.request<{ items: ModelStats[] }>(
        'GET',
        `${refPath(ref)}/models`,
      )
    ).items;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('model-hosting');
    const response = await this.deps.fetchApi.fetch(`${base}${path}`, {
      method,
      headers:
        body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }
}
