import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  DeploymentRef,
  modelDeploymentReadPermission,
  UsageResponse,
} from '@internal/backstage-plugin-model-hosting-common';
import { DeploymentActions } from '../actions/DeploymentActions';
import { DeploymentAuthorizer } from '../actions/authorize';
import { AuditLog } from '../audit/AuditLog';
import { ClusterManager } from '../cluster/ClusterManager';
import { FleetService } from '../fleet/FleetService';
import { HealthService } from '../health/HealthService';
import { UsageStore } from '../usage/UsageStore';
import { Gateway, RetryLaterError } from '../gateway/Gateway';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  fleet: FleetService;
  actions: DeploymentActions;
  audit: AuditLog;
  health: HealthService;
  usage: UsageStore;
  authorizer: DeploymentAuthorizer;
  clusters: ClusterManager;
  gateway: Gateway;
}

/** Usage chart ranges and the bucket each uses. */
const RANGES: Record<string, { ms: number; stepMs: number }> = {
  '1h': { ms: 3600_000, stepMs: 60_000 },
  '24h': { ms: 86_400_000, stepMs: 3600_000 },
  '7d': { ms: 7 * 86_400_000, stepMs: 6 * 3600_000 },
};

const refOf = (req: express.Request): DeploymentRef => ({
  cluster: req.params.cluster,
  namespace: req.params.namespace,
  name: req.params.name,
});

/** HTTP only: parse, authenticate, call a service. Errors become JSON responses in Backstage's error handler. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    fleet,
    actions,
    audit,
    health,
    usage,
    authorizer,
    clusters,
    gateway,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  const credentials = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });
  const one = '/deployments/:cluster/:namespace/:name';

  router.get('/deployments', async (req, res) => {
    res.json(await fleet.listDeployments(await credentials(req)));
  });

  router.get(one, async (req, res) => {
    res.json(await fleet.getDeployment(refOf(req), await credentials(req)));
  });

  router.get('/capacity', async (req, res) => {
    await credentials(req);
    res.json(fleet.capacity());
  });

  router.post('/deployments', async (req, res) => {
    const dryRun = req.query.dryRun === 'true';
    const { resource, created } = await actions.deploy(
      req.body,
      await credentials(req),
      { dryRun },
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

  router.delete(one, async (req, res) => {
    res.json(await actions.delete(refOf(req), await credentials(req)));
  });

  /** Read access to one deployment, or a 404/403 that says which. */
  const readable = async (req: express.Request, ref: DeploymentRef) => {
    const md = clusters
      .readable(ref.cluster)
      .cache.modelDeployments.get(ref.namespace, ref.name);
    if (!md)
      throw new NotFoundError(
        `No ModelDeployment ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    const [allowed] = await authorizer.allowed(
      modelDeploymentReadPermission,
      [{ ref, md }],
      await credentials(req),
    );
    if (!allowed)
      throw new NotAllowedError(
        `You may not read ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
  };

  router.get(`${one}/health`, async (req, res) => {
    const ref = refOf(req);
    await readable(req, ref);
    const limit = Math.min(
      Math.max(Number(req.query.limit ?? 50) || 50, 1),
      500,
    );
    res.json({ items: await health.history(ref, limit) });
  });

  router.get('/usage', async (req, res) => {
    const range = RANGES[String(req.query.range ?? '24h')];
    if (!range)
      throw new InputError(
        `range must be one of ${Object.keys(RANGES).join(', ')}`,
      );
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const ref = {
      cluster: str(req.query.cluster),
      namespace: str(req.query.namespace),
      name: str(req.query.name),
    };
    if (ref.name) {
      if (!ref.cluster || !ref.namespace)
        throw new InputError('cluster and namespace are required with name');
      await readable(req, ref as DeploymentRef);
    } else {
      await credentials(req);
    }
    const to = new Date();
    const from = new Date(to.getTime() - range.ms);
    const body: UsageResponse = {
      from: from.toISOString(),
      to: to.toISOString(),
      stepSeconds: range.stepMs / 1000,
      series: await usage.series(ref, from, to, range.stepMs),
      lastUsed: ref.name
        ? await usage.lastUsed(ref as DeploymentRef)
        : undefined,
      gpuUtilization: health.gpuUtilization,
    };
    res.json(body);
  });

  router.get('/stats', async (req, res) => {
    await credentials(req);
    res.json({
      ...fleet.stats(),
      healthRound: health.lastRound,
      lastScaleFromZero: gateway.lastScaleFromZero,
    });
  });

  router.get('/audit', async (req, res) => {
    await credentials(req);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new InputError('limit must be a whole number from 1 to 1000');
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    res.json({
      items: await audit.list({
        cluster: str(req.query.cluster),
        namespace: str(req.query.namespace),
        name: str(req.query.name),
        limit,
      }),
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
      const controller = new AbortController();
      res.on('close', () => controller.abort());
      const answer = await gateway.forward(
        path,
        req.body,
        await credentials(req),
        controller.signal,
      );
      res.status(answer.status);
      for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
      if (typeof answer.body === 'string') res.end(answer.body);
      else answer.body.pipe(res);
    });
  }

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
      if (err?.type === 'entity.parse.failed')
        next(
          new InputError(`The request body is not valid JSON: ${err.message}`),
        );
      else if (err?.type === 'entity.too.large')
        next(new InputError('The request body is too large'));
      else next(err);
    },
  );

  return router;
}
