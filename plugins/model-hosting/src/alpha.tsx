import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import MemoryIcon from '@material-ui/icons/Memory';
import { modelHostingApiRef, ModelHostingClient } from './api';
import { rootRouteRef } from './routes';

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

/** The model-hosting plugin for apps on Backstage's new frontend system. */
export default createFrontendPlugin({
  pluginId: 'model-hosting',
  title: 'Model Hosting',
  icon: <MemoryIcon fontSize="inherit" />,
  routes: { root: rootRouteRef },
  extensions: [modelHostingApi, fleetPage],
});
