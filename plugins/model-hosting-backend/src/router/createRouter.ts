import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import {
  DeploymentRef,
  modelHostingAuditReadPermission,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentActions } from '../actions/DeploymentActions';
import { EditActions } from '../actions/EditActions';
import { AuditLog } from '../audit/AuditLog';
import { ModelDeployments } from '../deployments/ModelDeployments';
import { EngineRegistry } from '../engines';
import { FleetService } from '../fleet/FleetService';
import { parseFleetQuery } from '../fleet/parseFleetQuery';
import { Gateway, GatewayResponse, RetryLaterError } from '../gateway/Gateway';
import { HealthChecker } from '../health/HealthChecker';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { UsageReports } from '../usage/UsageReports';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  fleet: FleetService;
  deployments: ModelDeployments;
  actions: DeploymentActions;
  edits: EditActions;
  audit: AuditLog;
  health: HealthChecker;
  usage: UsageReports;
  gateway: Gateway;
  engines: EngineRegistry;
  authorizer: DeploymentAuthorizer;
  stats: () => object;
}

const refOf = (req: express.Request): DeploymentRef => ({
  cluster: req.params.cluster,
  namespace: req.params.namespace,
  name: req.params.name,
});

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/**
 * Aborts the upstream request when the client goes away before its answer is written (a finished
 * answer also closes: aborting then would only cost a DOMException per request).
 */
function abortOnDisconnect(res: express.Response) {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller;
}

/** Writes what the gateway answered: whole, or streamed as it comes. */
function send(res: express.Response, answer: GatewayResponse) {
  res.status(answer.status);
  for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  if (typeof answer.body === 'string') res.end(answer.body);
  else answer.body.pipe(res);
}

/** HTTP only: parse, authenticate, call a service. Errors become JSON responses in Backstage's error handler. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    fleet,
    deployments,
    actions,
    edits,
    audit,
    health,
    usage,
    gateway,
    authorizer,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  const credentials = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  const one = '/deployments/:cluster/:namespace/:name';

  router.get('/deployments', async (req, res) => {
    const who = await credentials(req);
    res.json(await fleet.listDeployments(who, parseFleetQuery(req.query)));
  });
  router.get('/resources', async (req, res) => {
    res.json(await fleet.listResources(await credentials(req)));
  });
  router.get('/engines', async (req, res) => {
    await credentials(req);
    res.json({ items: options.engines.info() });
  });
  router.get(one, async (req, res) => {
    res.json(await fleet.getDeployment(refOf(req), await credentials(req)));
  });
  router.get('/capacity', async (req, res) => {
    res.json(await fleet.capacity(await credentials(req)));
  });

  router.post('/deployments', async (req, res) => {
    const dryRun = req.query.dryRun === 'true';
    const { resource, created } = await actions.deploy(
      req.body,
      await credentials(req),
      {
        dryRun,
      },
    );
    res.status(created ? 201 : 200).json(resource);
  });
  router.post(`${one}/scale`, async (req, res) => {
    res.json(
      await actions.scale(refOf(req), req.body ?? {}, await credentials(req)),
    );
  });
  router.post(`${one}/switch`, async (req, res) => {
    // Accepted: the reconciler runs the switch; GET the deployment to follow its progress.
    res
      .status(202)
      .json(
        await actions.switchModel(
          refOf(req),
          req.body ?? {},
          await credentials(req),
        ),
      );
  });
  router.post(`${one}/restart`, async (req, res) => {
    res
      .status(202)
      .json(await actions.restart(refOf(req), await credentials(req)));
  });
  router.patch(one, async (req, res) => {
    const dryRun = req.query.dryRun === 'true';
    res.json(
      await edits.edit(refOf(req), req.body ?? {}, await credentials(req), {
        dryRun,
      }),
    );
  });
  router.post(`${one}/autoscale`, async (req, res) => {
    const dryRun = req.query.dryRun === 'true';
    res.json(
      await edits.autoscale(refOf(req), req.body, await credentials(req), {
        dryRun,
      }),
    );
  });
  router.post(`${one}/health-check`, async (req, res) => {
    res.json(await edits.checkHealth(refOf(req), await credentials(req)));
  });
  router.delete(one, async (req, res) => {
    res.json(await actions.delete(refOf(req), await credentials(req)));
  });

  router.get(`${one}/health`, async (req, res) => {
    const ref = refOf(req);
    await deployments.requireReadable(ref, await credentials(req));
    const limit = Math.min(
      Math.max(Number(req.query.limit ?? 50) || 50, 1),
      500,
    );
    res.json({ items: await health.history(ref, limit) });
  });
  router.get(`${one}/models`, async (req, res) => {
    const ref = refOf(req);
    const { md } = await deployments.requireReadable(
      ref,
      await credentials(req),
    );
    res.json({ items: await usage.modelsOf(ref, md) });
  });
  router.get('/usage', async (req, res) => {
    const range = String(req.query.range ?? '24h');
    UsageReports.checkRange(range);
    const ref = {
      cluster: str(req.query.cluster),
      namespace: str(req.query.namespace),
      name: str(req.query.name),
    };
    if (ref.name) {
      if (!ref.cluster || !ref.namespace) {
        throw new InputError('cluster and namespace are required with name');
      }
      await deployments.requireReadable(
        ref as DeploymentRef,
        await credentials(req),
      );
    } else {
      await credentials(req);
    }
    res.json(await usage.report(range, ref));
  });
  router.get('/stats', async (req, res) => {
    await credentials(req);
    res.json(options.stats());
  });
  router.get('/audit', async (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InputError('limit must be a whole number from 1 to 1000');
    }
    const caller = await credentials(req);
    res.json({
      items: await audit.list(
        {
          cluster: str(req.query.cluster),
          namespace: str(req.query.namespace),
          name: str(req.query.name),
          limit,
        },
        async entries =>
          // The audit log is for people (owners, admins): a service principal sees none of it,
          // whatever access its token was given.
          caller.principal.type === 'service'
            ? entries.map(() => false)
            : authorizer.allowed(
                modelHostingAuditReadPermission,
                entries.map(e => ({
                  ref: e,
                  md: { spec: { owner: e.owner ?? '' } },
                })),
                caller,
              ),
      ),
    });
  });

  // The OpenAI-compatible gateway: route by model, scale from zero, stream back.
  router.get('/v1/models', async (req, res) => {
    res.json(await gateway.models(await credentials(req)));
  });
  for (const path of [
    '/v1/chat/completions',
    '/v1/completions',
    '/v1/embeddings',
  ]) {
    router.post(path, async (req, res) => {
      const controller = abortOnDisconnect(res);
      send(
        res,
        await gateway.forward(
          path,
          req.body,
          await credentials(req),
          controller.signal,
        ),
      );
    });
  }
  // HTTP predictors through the gateway: a namespaced model, or a name the admins published.
  const predict =
    (kind: 'predict' | 'v2-infer') =>
    async (req: express.Request, res: express.Response) => {
      const controller = abortOnDisconnect(res);
      const { namespace, model } = req.params;
      const id = namespace ? `${namespace}/${model}` : model;
      send(
        res,
        await gateway.predict(
          id,
          kind,
          req.body,
          await credentials(req),
          controller.signal,
        ),
      );
    };
  router.post(
    '/namespaces/:namespace/models/:model/predict',
    predict('predict'),
  );
  router.post(
    '/namespaces/:namespace/v2/models/:model/infer',
    predict('v2-infer'),
  );
  router.post('/models/:model/predict', predict('predict'));
  router.post('/v2/models/:model/infer', predict('v2-infer'));

  // express.json's parse failures carry a status but no Backstage error name: say what is wrong.
  router.use(
    (
      err: any,
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (err instanceof RetryLaterError)
        res.setHeader('Retry-After', String(err.retryAfterSeconds));
      if (err?.type === 'entity.parse.failed') {
        next(
          new InputError(`The request body is not valid JSON: ${err.message}`),
        );
      } else if (err?.type === 'entity.too.large') {
        next(new InputError('The request body is too large'));
      } else next(err);
    },
  );
  return router;
}
