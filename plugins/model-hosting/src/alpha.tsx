import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  createFormField,
  FormFieldBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import MemoryIcon from '@material-ui/icons/Memory';
import { modelHostingApiRef, ModelHostingClient } from './api';
import { isModelServer } from './components/EntityContent/ModelServerEntityContent';
import { deployModelRouteRef, rootRouteRef } from './routes';

const modelHostingApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: modelHostingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new ModelHostingClient(deps),
    }),
});

const fleetPage = PageBlueprint.make({
  params: {
    path: '/model-hosting',
    title: 'Model Hosting',
    routeRef: rootRouteRef,
    // The page brings its own Backstage header, shared with the legacy frontend system.
    noHeader: true,
    loader: () => import('./components/FleetPage').then(m => <m.FleetPage />),
  },
});

const modelServerContent = EntityContentBlueprint.make({
  name: 'model-server',
  params: {
    path: '/model-server',
    title: 'Model server',
    filter: isModelServer,
    loader: () =>
      import('./components/EntityContent').then(m => (
        <m.ModelServerEntityContent />
      )),
  },
});

const modelServerCard = EntityCardBlueprint.make({
  name: 'model-server-status',
  params: {
    filter: isModelServer,
    loader: () =>
      import('./components/EntityContent').then(m => (
        <m.ModelServerStatusCard />
      )),
  },
});

const clusterPickerField = FormFieldBlueprint.make({
  name: 'cluster-picker',
  params: {
    field: () =>
      import('./components/fields').then(m =>
        createFormField({
          name: 'ModelHostingClusterPicker',
          component: m.ClusterPicker,
        }),
      ),
  },
});

const gpuProductPickerField = FormFieldBlueprint.make({
  name: 'gpu-product-picker',
  params: {
    field: () =>
      import('./components/fields').then(m =>
        createFormField({
          name: 'ModelHostingGpuProductPicker',
          component: m.GpuProductPicker,
        }),
      ),
  },
});

/** The model-hosting plugin for apps on Backstage's new frontend system. */
export default createFrontendPlugin({
  pluginId: 'model-hosting',
  title: 'Model Hosting',
  icon: <MemoryIcon fontSize="inherit" />,
  routes: { root: rootRouteRef },
  externalRoutes: { deployModel: deployModelRouteRef },
  extensions: [
    modelHostingApi,
    fleetPage,
    modelServerContent,
    modelServerCard,
    clusterPickerField,
    gpuProductPickerField,
  ],
});
