// The install steps of the README's "Install into a Backstage app" section, as data: the install test
// applies exactly these to a minimal Backstage app, and `node packages/install-test/readme.mjs`
// prints the README section from them (the test fails when the README's section differs).

/** Packages added to packages/backend (yarn --cwd packages/backend add ...). */
export const backendPackages = [
  '@modelhosting/backstage-plugin-model-hosting-backend',
  '@modelhosting/backstage-plugin-catalog-backend-module-model-hosting',
  '@modelhosting/backstage-plugin-scaffolder-backend-module-model-hosting',
];

/** Packages added to packages/app (yarn --cwd packages/app add ...). */
export const appPackages = ['@modelhosting/backstage-plugin-model-hosting'];

/** Lines added to packages/backend/src/index.ts, before `backend.start();`. */
export const backendLines = `backend.add(import('@modelhosting/backstage-plugin-model-hosting-backend'));
backend.add(
  import('@modelhosting/backstage-plugin-catalog-backend-module-model-hosting'),
);
backend.add(
  import(
    '@modelhosting/backstage-plugin-scaffolder-backend-module-model-hosting'
  ),
);
`;

/** The import added to packages/app/src/App.tsx, and the feature added to createApp's features. */
export const appImport = `import modelHostingPlugin from '@modelhosting/backstage-plugin-model-hosting/alpha';`;
export const appFeature = 'modelHostingPlugin';

/** The block added to app-config.yaml: one cluster, reached with the backend's ServiceAccount token. */
export const configBlock = `kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: gpu-cluster # shown in the fleet view; unique
          url: \${MODEL_HOSTING_CLUSTER_URL} # https://<api-server>:6443
          authProvider: serviceAccount
          serviceAccountToken: \${MODEL_HOSTING_CLUSTER_TOKEN}
          caData: \${MODEL_HOSTING_CLUSTER_CA_DATA} # base64 PEM of the API server's CA
`;

/** The environment the config block reads, by what the test sets it from. */
export const configEnv = {
  MODEL_HOSTING_CLUSTER_URL: 'the API server URL',
  MODEL_HOSTING_CLUSTER_TOKEN:
    'kubectl create token model-hosting-backend -n model-hosting',
  MODEL_HOSTING_CLUSTER_CA_DATA: 'the API server CA, base64',
};

/** Adds the lines to the backend's index.ts (before backend.start()). */
export function addBackendLines(source) {
  const marker = 'backend.start();';
  if (!source.includes(marker)) throw new Error(`index.ts has no ${marker}`);
  return source.replace(marker, `${backendLines}\n${marker}`);
}

/** Adds the import and the feature to the app's App.tsx (createApp({ features: [...] })). */
export function addAppLines(source) {
  const lines = source.split('\n');
  const lastImport = lines.map(l => l.startsWith('import ')).lastIndexOf(true);
  lines.splice(lastImport + 1, 0, appImport);
  const out = lines.join('\n');
  const features = /features: \[([^\]]*)\]/;
  if (!features.test(out)) throw new Error('App.tsx has no features: [...]');
  return out.replace(
    features,
    (_, list) =>
      `features: [${list.trim() ? `${list.trim()}, ` : ''}${appFeature}]`,
  );
}
