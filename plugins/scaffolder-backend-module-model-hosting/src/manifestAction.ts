import fs from 'fs/promises';
import path from 'path';
import YAML from 'yaml';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import { nameInput, namespaceInput, specInput } from './inputSchema';
import { examples } from './manifestAction.examples';

/** model-hosting:manifest — renders the ModelDeployment YAML into the workspace, for GitOps. */
export function createManifestAction() {
  return createTemplateAction({
    id: 'model-hosting:manifest',
    description:
      'Renders a ModelDeployment manifest into the workspace, so that a template can publish it (pull request, GitOps) instead of applying it.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        namespace: namespaceInput,
        name: nameInput,
        spec: specInput,
        path: z =>
          z
            .string()
            .default('modeldeployment.yaml')
            .describe('File to write, relative to the workspace'),
      },
      output: {
        manifest: z => z.string().describe('The YAML'),
        path: z =>
          z
            .string()
            .describe('Where it was written, relative to the workspace'),
      },
    },
    async handler(ctx) {
      const { namespace, name, spec } = ctx.input;
      const manifest = YAML.stringify({
        apiVersion: MODEL_DEPLOYMENT.apiVersion,
        kind: MODEL_DEPLOYMENT.kind,
        metadata: { name, namespace },
        spec,
      });
      const target = resolveSafeChildPath(ctx.workspacePath, ctx.input.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, manifest, 'utf8');
      ctx.output('manifest', manifest);
      ctx.output('path', ctx.input.path);
    },
  });
}
