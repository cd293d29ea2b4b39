import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { modelHostingApiServiceRef } from '@modelhosting/backstage-plugin-model-hosting-node';
import { createDeployAction } from './deployAction';
import { createManifestAction } from './manifestAction';

/**
 * Scaffolder module: model-hosting:deploy and model-hosting:manifest.
 *
 * @public
 */
export const scaffolderModuleModelHosting = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'model-hosting',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        modelHosting: modelHostingApiServiceRef,
      },
      async init({ scaffolder, modelHosting }) {
        scaffolder.addActions(
          createDeployAction(modelHosting),
          createManifestAction(),
        );
      },
    });
  },
});
