import {
  createExternalRouteRef,
  createRouteRef,
} from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'model-hosting' });

/**
 * Where "Deploy a model" leads: the scaffolder's template list (filtered to the model-hosting
 * templates). Bound to the scaffolder by default in the new frontend system; legacy apps bind
 * it to `scaffolderPlugin.routes.root`. Without a binding the button is not shown.
 */
export const deployModelRouteRef = createExternalRouteRef({
  id: 'deploy-model',
  optional: true,
  defaultTarget: 'scaffolder.root',
});
