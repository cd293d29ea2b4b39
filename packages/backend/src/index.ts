import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-scaffolder-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
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
