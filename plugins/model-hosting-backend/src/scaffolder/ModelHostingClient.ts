import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import {
  DeploymentDetail,
  DeployRequest,
  ModelDeployment,
} from '@internal/backstage-plugin-model-hosting-common';

/**
 * The model-hosting plugin's REST API, called on behalf of the user who runs a template: the
 * same validation, permission checks and audit as the portal's own buttons.
 */
export class ModelHostingClient {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly auth: AuthService,
  ) {}

  deploy(
    request: DeployRequest,
    credentials: BackstageCredentials,
    dryRun: boolean,
  ): Promise<ModelDeployment> {
    return this.call(
      'POST',
      `/deployments${dryRun ? '?dryRun=true' : ''}`,
      credentials,
      request,
    );
  }

  get(
    cluster: string,
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<DeploymentDetail> {
    return this.call(
      'GET',
      `/deployments/${encodeURIComponent(cluster)}/${encodeURIComponent(
        namespace,
      )}/${encodeURIComponent(name)}`,
      credentials,
    );
  }

  private async call<T>(
    method: string,
    path: string,
    credentials: BackstageCredentials,
    body?: unknown,
  ): Promise<T> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'model-hosting',
    });
    const base = await this.discovery.getBaseUrl('model-hosting');
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = new Error(
        data?.error?.message ?? `model-hosting answered ${response.status}`,
      );
      error.name = data?.error?.name ?? 'Error';
      throw error;
    }
    return data as T;
  }
}
