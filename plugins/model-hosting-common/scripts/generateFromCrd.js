#!/usr/bin/env node
// Derives src/generated/modelDeployment.ts (TypeScript types plus the OpenAPI schema as a
// constant) from k8s/crd/modeldeployment.yaml, the single source of truth.
// `node scripts/generateFromCrd.js` writes the file; `--check` exits 1 when it is stale.
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const { compile } = require('json-schema-to-typescript');
// The repo's prettier (2.x, synchronous and CommonJS), so the output also renders under jest.
const prettier = require('prettier');

const crdPath = path.resolve(
  __dirname,
  '../../../k8s/crd/modeldeployment.yaml',
);
const outPath = path.resolve(__dirname, '../src/generated/modelDeployment.ts');

// Kubernetes-only keywords mean nothing to TypeScript; int-or-string becomes a union.
function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]),
          )
        : toJsonSchema(value);
  }
  if (node['x-kubernetes-int-or-string'])
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (
    out.type === 'object' &&
    out.properties &&
    out.additionalProperties === undefined
  ) {
    out.additionalProperties = false;
  }
  return out;
}

async function render() {
  const crd = YAML.parse(fs.readFileSync(crdPath, 'utf8'));
  const version = crd.spec.versions.find(v => v.storage);
  const schema = version.schema.openAPIV3Schema;
  const options = {
    bannerComment: '',
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    format: false,
  };
  const spec = await compile(
    toJsonSchema(schema.properties.spec),
    'ModelDeploymentSpec',
    options,
  );
  const status = await compile(
    toJsonSchema(schema.properties.status),
    'ModelDeploymentStatus',
    options,
  );
  const identity = {
    group: crd.spec.group,
    version: version.name,
    apiVersion: `${crd.spec.group}/${version.name}`,
    kind: crd.spec.names.kind,
    plural: crd.spec.names.plural,
  };
  const text = [
    '/* eslint-disable */',
    '// Generated from k8s/crd/modeldeployment.yaml by scripts/generateFromCrd.js. Do not edit by hand:',
    '// change the CRD and run `yarn workspace @modelhosting/backstage-plugin-model-hosting-common generate`.',
    '',
    `export const MODEL_DEPLOYMENT = ${JSON.stringify(
      identity,
      null,
      2,
    )} as const;`,
    '',
    "/** The CRD's openAPIV3Schema, for validating input before it reaches the cluster. */",
    `export const modelDeploymentOpenApiSchema = ${JSON.stringify(
      schema,
      null,
      2,
    )} as const;`,
    '',
    spec.trim(),
    '',
    status.trim(),
    '',
  ].join('\n');
  return prettier.format(text, {
    ...require('@backstage/cli/config/prettier'),
    parser: 'typescript',
  });
}

module.exports = { render, outPath, crdPath };

if (require.main === module) {
  render().then(text => {
    const current = fs.existsSync(outPath)
      ? fs.readFileSync(outPath, 'utf8')
      : '';
    if (process.argv.includes('--check')) {
      if (current !== text) {
        process.stderr.write(`${outPath} is stale: run the generate script\n`);
        process.exit(1);
      }
      return;
    }
    fs.writeFileSync(outPath, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), outPath)}\n`);
  });
}
