import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { modelHostingApiRef, ModelHostingClient } from './api';
import { ClusterPicker, GpuProductPicker } from './components/fields';
import { deployModelRouteRef, rootRouteRef } from './routes';

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
  externalRoutes: { deployModel: deployModelRouteRef },
});

/** The fleet page: every model server on every cluster, and their GPUs. */
export const ModelHostingPage = modelHostingPlugin.provide(
  createRoutableExtension({
    name: 'ModelHostingPage',
    component: () => import('./components/FleetPage').then(m => m.FleetPage),
    mountPoint: rootRouteRef,
  }),
);

/** Entity tab for model-server Components: status, pods, events and actions. */
export const EntityModelServerContent = modelHostingPlugin.provide(
  createComponentExtension({
    name: 'EntityModelServerContent',
    component: {
      lazy: () =>
        import('./components/EntityContent').then(
          m => m.ModelServerEntityContent,
        ),
    },
  }),
);

/** Overview card for model-server Components. */
export const EntityModelServerCard = modelHostingPlugin.provide(
  createComponentExtension({
    name: 'EntityModelServerCard',
    component: {
      lazy: () =>
        import('./components/EntityContent').then(m => m.ModelServerStatusCard),
    },
  }),
);

/** Scaffolder field `ModelHostingClusterPicker`. */
export const ModelHostingClusterPickerFieldExtension =
  modelHostingPlugin.provide(
    createScaffolderFieldExtension({
      name: 'ModelHostingClusterPicker',
      component: ClusterPicker,
    }),
  );

/** Scaffolder field `ModelHostingGpuProductPicker`. */
export const ModelHostingGpuProductPickerFieldExtension =
  modelHostingPlugin.provide(
    createScaffolderFieldExtension({
      name: 'ModelHostingGpuProductPicker',
      component: GpuProductPicker,
    }),
  );
