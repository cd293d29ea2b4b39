import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createDeployAction } from './deployAction';
import { createManifestAction } from './manifestAction';
import { ModelHostingClient } from './ModelHostingClient';

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
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, discovery, auth }) {
        const client = new ModelHostingClient(discovery, auth);
        scaffolder.addActions(
          createDeployAction(client),
          createManifestAction(),
        );
      },
    });
  },
});
