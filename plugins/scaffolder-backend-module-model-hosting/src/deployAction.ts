import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  deploymentEntityRef,
  DeploymentDetail,
  ModelDeploymentSpec,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ModelHostingApi } from '@modelhosting/backstage-plugin-model-hosting-node';
import { nameInput, namespaceInput, specInput } from './inputSchema';
import { examples } from './deployAction.examples';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function waitingReason(detail: DeploymentDetail): string {
  const conditions = detail.resource.status?.conditions ?? [];
  const why = conditions.find(c => c.status === 'False' && c.message)?.message;
  return `phase ${detail.summary.phase ?? 'not reconciled'}, ${
    detail.summary.readyReplicas
  }/${detail.summary.replicas} ready${why ? `: ${why}` : ''}`;
}

/** model-hosting:deploy — creates a ModelDeployment as the user running the template. */
export function createDeployAction(
  client: ModelHostingApi,
  options: { pollIntervalMs?: number } = {},
) {
  return createTemplateAction({
    id: 'model-hosting:deploy',
    description:
      'Deploys a model server: validates, runs a server-side dry run, creates the ModelDeployment and optionally waits until it is Ready.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z =>
          z
            .string()
            .min(1)
            .describe('Cluster name, as configured in Backstage'),
        namespace: namespaceInput,
        name: nameInput,
        spec: specInput,
        waitForReady: z =>
          z
            .boolean()
            .default(false)
            .describe('Wait until every replica is ready'),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .min(1)
            .max(7200)
            .default(900)
            .describe('How long to wait for Ready'),
      },
      output: {
        entityRef: z =>
          z.string().describe('Catalog entity of the model server'),
        endpointUrl: z =>
          z.string().describe('In-cluster URL of the model server'),
        phase: z =>
          z.string().optional().describe('Phase when the action finished'),
      },
    },
    async handler(ctx) {
      const { cluster, namespace, name, waitForReady, timeoutSeconds } =
        ctx.input;
      const spec = ctx.input.spec as unknown as ModelDeploymentSpec;
      const credentials = await ctx.getInitiatorCredentials();
      const request = { cluster, namespace, name, spec };
      const entityRef = deploymentEntityRef({ cluster, namespace, name });
      ctx.output('entityRef', entityRef);
      const engine = (await client.listEngines({ credentials })).find(
        e => e.engine === spec.engine,
      );
      if (engine) {
        ctx.output(
          'endpointUrl',
          `http://${name}.${namespace}.svc.cluster.local:${engine.port}`,
        );
      }

      // Everything the real deployment checks, permissions and the API server's rules included.
      await client.deploy(request, { credentials, dryRun: true });
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: ${namespace}/${name} on ${cluster} would be deployed`,
        );
        return;
      }
      await client.deploy(request, { credentials });
      ctx.logger.info(
        `Created ModelDeployment ${namespace}/${name} on cluster ${cluster}`,
      );
      if (!waitForReady) return;

      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const detail = await client.getDeployment(
          { cluster, namespace, name },
          { credentials },
        );
        if (detail.summary.phase === 'Ready') {
          ctx.output('phase', 'Ready');
          if (detail.resource.status?.endpoint)
            ctx.output('endpointUrl', detail.resource.status.endpoint);
          ctx.logger.info(
            `${name} is Ready (${detail.summary.readyReplicas}/${detail.summary.replicas})`,
          );
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `${namespace}/${name} was not Ready within ${timeoutSeconds} s (${waitingReason(
              detail,
            )})`,
          );
        }
        ctx.logger.info(`Waiting for ${name}: ${waitingReason(detail)}`);
        await sleep(options.pollIntervalMs ?? 2000);
      }
    },
  });
}
