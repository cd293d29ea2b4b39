import {
  AuthService,
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  createServiceRef,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import type {
  DeploymentDetail,
  DeploymentRef,
  DeployRequest,
  EngineInfo,
  ModelDeployment,
  ResourcesResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * The model-hosting REST API for other backend plugins and modules. Every call carries the given
 * credentials: a user's (the scaffolder acting for whoever runs a template) gets that user's
 * permissions, checks and audit; a plugin's own gets what the policy allows that plugin.
 *
 * @public
 */
export interface ModelHostingApi {
  deploy(
    request: DeployRequest,
    options: { credentials: BackstageCredentials; dryRun?: boolean },
  ): Promise<ModelDeployment>;
  getDeployment(
    ref: DeploymentRef,
    options: { credentials: BackstageCredentials },
  ): Promise<DeploymentDetail>;
  listResources(options: {
    credentials: BackstageCredentials;
  }): Promise<ResourcesResponse>;
  listEngines(options: {
    credentials: BackstageCredentials;
  }): Promise<EngineInfo[]>;
}

/** An error answered by the model-hosting backend, with its status and Backstage error name. */
export class ModelHostingApiError extends Error {
  constructor(message: string, name: string, readonly status: number) {
    super(message);
    this.name = name;
  }
}

/** @public */
export class ModelHostingClient implements ModelHostingApi {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly auth: AuthService,
  ) {}

  deploy(
    request: DeployRequest,
    options: { credentials: BackstageCredentials; dryRun?: boolean },
  ) {
    const query = options.dryRun ? '?dryRun=true' : '';
    return this.call<ModelDeployment>(
      'POST',
      `/deployments${query}`,
      options.credentials,
      request,
    );
  }

  getDeployment(
    ref: DeploymentRef,
    options: { credentials: BackstageCredentials },
  ) {
    const path = [ref.cluster, ref.namespace, ref.name]
      .map(encodeURIComponent)
      .join('/');
    return this.call<DeploymentDetail>(
      'GET',
      `/deployments/${path}`,
      options.credentials,
    );
  }

  listResources(options: { credentials: BackstageCredentials }) {
    return this.call<ResourcesResponse>(
      'GET',
      '/resources',
      options.credentials,
    );
  }

  async listEngines(options: { credentials: BackstageCredentials }) {
    return (
      await this.call<{ items: EngineInfo[] }>(
        'GET',
        '/engines',
        options.credentials,
      )
    ).items;
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
      redirect: 'error',
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => undefined);
    if (!response.ok) {
      throw new ModelHostingApiError(
        data?.error?.message ?? `model-hosting answered ${response.status}`,
        data?.error?.name ?? 'Error',
        response.status,
      );
    }
    return data as T;
  }
}

/**
 * A client of the model-hosting REST API, for backend plugins and modules.
 *
 * @public
 */
export const modelHostingApiServiceRef = createServiceRef<ModelHostingApi>({
  id: 'model-hosting.api',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { discovery: coreServices.discovery, auth: coreServices.auth },
      factory: ({ discovery, auth }) => new ModelHostingClient(discovery, auth),
    }),
});

/**
 * The events-service topic on which the model-hosting plugin announces that ModelDeployments
 * changed (payload: {@link ModelHostingChangesPayload}), so that readers such as the catalog
 * module refresh.
 *
 * @public
 */
export const MODEL_HOSTING_CHANGES_TOPIC = 'model-hosting.deployments.changed';

/**
 * What an announcement on {@link MODEL_HOSTING_CHANGES_TOPIC} says.
 *
 * @public
 */
export interface ModelHostingChangesPayload {
  /** The clusters whose ModelDeployments changed. */
  clusters: string[];
  /**
   * Whether a ModelDeployment was added or deleted, or its spec, labels or annotations changed;
   * false when only statuses changed (readiness, health, replicas), which readers of definitions
   * (the catalog) may skip.
   */
  definitionsChanged: boolean;
}
