import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { FleetResponse } from '@internal/backstage-plugin-model-hosting-common';
import { ModelHostingApi } from './ModelHostingApi';

export class ModelHostingClient implements ModelHostingApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  listDeployments(): Promise<FleetResponse> {
    return this.get('/deployments');
  }

  private async get<T>(path: string): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('model-hosting');
    const response = await this.deps.fetchApi.fetch(`${base}${path}`);
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }
}
