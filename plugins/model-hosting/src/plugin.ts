import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { modelHostingApiRef, ModelHostingClient } from './api';
import { rootRouteRef } from './routes';

/** The model-hosting plugin for apps on Backstage's legacy frontend system. */
export const modelHostingPlugin = createPlugin({
  id: 'model-hosting',
  apis: [
    createApiFactory({
      api: modelHostingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new ModelHostingClient(deps),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** The fleet page: every model server on every cluster. */
export const ModelHostingPage = modelHostingPlugin.provide(
  createRoutableExtension({
    name: 'ModelHostingPage',
    component: () => import('./components/FleetPage').then(m => m.FleetPage),
    mountPoint: rootRouteRef,
  }),
);
