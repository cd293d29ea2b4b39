import { createApiRef } from '@backstage/core-plugin-api';
import { FleetResponse } from '@internal/backstage-plugin-model-hosting-common';

/** The model-hosting backend, as the frontend sees it. */
export interface ModelHostingApi {
  listDeployments(): Promise<FleetResponse>;
}

export const modelHostingApiRef = createApiRef<ModelHostingApi>({
  id: 'plugin.model-hosting.service',
});
