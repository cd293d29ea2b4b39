#!/usr/bin/env node
// The README's "Install into a Backstage app" section, made from installSteps.mjs (what the install
// test runs). `node packages/install-test/readme.mjs` prints it; the install test fails when the
// README has the section and it differs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  appFeature,
  appImport,
  appPackages,
  backendLines,
  backendPackages,
  configBlock,
} from './installSteps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const readmePath = path.resolve(here, '../../README.md');
export const heading = '## Install into a Backstage app';

const packageMap = [
  [
    'plugins/model-hosting',
    '@modelhosting/backstage-plugin-model-hosting',
    'frontend plugin: the fleet and GPU page, the deployment view, the "Model server" entity tab and card, the two scaffolder form fields; `/alpha` for the new frontend system, `.` for the legacy one',
  ],
  [
    'plugins/model-hosting-backend',
    '@modelhosting/backstage-plugin-model-hosting-backend',
    'backend plugin `model-hosting`: REST API, reconciler, actions, audit, health checks, usage, autoscaler, OpenAI-compatible gateway',
  ],
  [
    'plugins/model-hosting-common',
    '@modelhosting/backstage-plugin-model-hosting-common',
    'isomorphic: ModelDeployment types derived from the CRD, validation, permissions, API types',
  ],
  [
    'plugins/model-hosting-node',
    '@modelhosting/backstage-plugin-model-hosting-node',
    'for backend modules: the engines extension point (add an engine), engine adapter types, model-server call helpers, a REST API client',
  ],
  [
    'plugins/catalog-backend-module-model-hosting',
    '@modelhosting/backstage-plugin-catalog-backend-module-model-hosting',
    'catalog module: every ModelDeployment as a model-server Component, its model Resource and its API',
  ],
  [
    'plugins/scaffolder-backend-module-model-hosting',
    '@modelhosting/backstage-plugin-scaffolder-backend-module-model-hosting',
    'scaffolder module: the `model-hosting:deploy` and `model-hosting:manifest` actions',
  ],
];

/** The section, heading included, ending with one newline. */
export function readmeSection() {
  // Code blocks inside the numbered steps, indented as Prettier keeps them.
  const fence = (lang, body) =>
    `\`\`\`${lang}\n${body.trimEnd()}\n\`\`\``
      .split('\n')
      .map(line => (line ? `   ${line}` : line))
      .join('\n');
  return `${heading}

The plugins are published under the \`@modelhosting\` scope (Apache-2.0, versioned with changesets):

| Folder | Package | What it is for |
| ------ | ------- | -------------- |
${packageMap
  .map(([dir, pkg, what]) => `| \`${dir}\` | \`${pkg}\` | ${what} |`)
  .join('\n')}

In an app made with \`@backstage/create-app\` (a backend with the catalog, scaffolder, permission and
auth plugins, a frontend on the new frontend system), once the cluster has the CRD and the backend's
RBAC (\`kubectl apply -f k8s/crd/ -f k8s/rbac/\`, see
[Deploy into a real cluster](#deploy-into-a-real-cluster)) and a namespace opened to your teams
(\`k8s/rbac/templates/open-namespace.yaml\`):

1. Add the packages:

${fence(
  'bash',
  `yarn --cwd packages/backend add ${backendPackages.join(' ')}
yarn --cwd packages/app add ${appPackages.join(' ')}`,
)}

2. Add this block to \`app-config.yaml\` (or the cluster entry to the \`kubernetes\` block you have);
   the token is the backend's ServiceAccount's,
   \`kubectl create token model-hosting-backend -n model-hosting --duration 720h\`:

${fence('yaml', configBlock)}

3. Add these lines to \`packages/backend/src/index.ts\`, before \`backend.start();\`:

${fence('ts', backendLines)}

4. Add these lines to \`packages/app/src/App.tsx\` (with \`app.packages: all\` in \`app-config.yaml\`
   the plugin is discovered without them):

${fence(
  'tsx',
  `${appImport}

export default createApp({
  features: [/* ...what you have, */ ${appFeature}],
});`,
)}

Then \`yarn start\` and open **Model Hosting** (\`/model-hosting\`). The install test
(\`yarn workspace install-test test:install\`, a phase of \`scripts/test.sh\`) runs exactly these
steps: it packs the packages with \`yarn pack\`, installs the tarballs into a minimal Backstage app
made outside this repository, starts it against the local cluster and opens the page in Chromium.
`;
}

/** Fails when the README has the section and it is not the one made here; warns when it has none. */
export function checkReadme(warn, file = readmePath) {
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) {
    warn(
      `README.md has no "${heading}" section yet: paste the output of node packages/install-test/readme.mjs`,
    );
    return;
  }
  const rest = readme.slice(start + 1);
  const next = rest.indexOf('\n## ', heading.length);
  const actual = (next < 0 ? rest : rest.slice(0, next + 1)).trimEnd();
  const expected = readmeSection().trimEnd();
  if (normalize(actual) !== normalize(expected)) {
    throw new Error(
      `README.md's "${heading}" section is not the install steps this test runs; replace it with the output of node packages/install-test/readme.mjs`,
    );
  }
}

// Prettier re-pads the table and re-wraps code inside the steps: compare without whitespace.
function normalize(text) {
  return text.replace(/-{3,}/g, '---').replace(/\s+/g, '');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(readmeSection());
}
