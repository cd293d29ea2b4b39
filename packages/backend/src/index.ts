import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
// Sign-in: oauth2-proxy in front of the portal in production (app-config.production.yaml);
// guest for local development only (app-config.yaml).
backend.add(
  import('@backstage/plugin-auth-backend-module-oauth2-proxy-provider'),
);
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-scaffolder-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
// The portal policy: deny by default, owners change their models, admins from permission.admins.
backend.add(import('./permissionPolicy'));

backend.add(import('@backstage/plugin-kubernetes-backend'));

backend.add(import('@modelhosting/backstage-plugin-model-hosting-backend'));
backend.add(
  import('@modelhosting/backstage-plugin-catalog-backend-module-model-hosting'),
);
backend.add(
  import(
    '@modelhosting/backstage-plugin-scaffolder-backend-module-model-hosting'
  ),
);

backend.start();
