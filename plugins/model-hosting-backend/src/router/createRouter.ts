import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { DeploymentRef } from '@internal/backstage-plugin-model-hosting-common';
import { DeploymentActions } from '../actions/DeploymentActions';
import { AuditLog } from '../audit/AuditLog';
import { FleetService } from '../fleet/FleetService';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  fleet: FleetService;
  actions: DeploymentActions;
  audit: AuditLog;
}

const refOf = (req: express.Request): DeploymentRef => ({
  cluster: req.params.cluster,
  namespace: req.params.namespace,
  name: req.params.name,
});

/** HTTP only: parse, authenticate, call a service. Errors become JSON responses in Backstage's error handler. */
export async function createRouter({ httpAuth, fleet, actions, audit }: RouterOptions): Promise<express.Router> {
  const router = Router();
  router.use(express.json({ limit: '256kb' }));
  const credentials = (req: express.Request) => httpAuth.credentials(req, { allow: ['user', 'service'] });
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
    const { resource, created } = await actions.deploy(req.body, await credentials(req), { dryRun });
    res.status(created ? 201 : 200).json(resource);
  });

  router.post(`${one}/scale`, async (req, res) => {
    res.json(await actions.scale(refOf(req), req.body ?? {}, await credentials(req)));
  });

  router.post(`${one}/switch`, async (req, res) => {
    // Accepted: the reconciler runs the switch; GET the deployment to follow its progress.
    res.status(202).json(await actions.switchModel(refOf(req), req.body ?? {}, await credentials(req)));
  });

  router.post(`${one}/restart`, async (req, res) => {
    res.status(202).json(await actions.restart(refOf(req), await credentials(req)));
  });

  router.delete(one, async (req, res) => {
    res.json(await actions.delete(refOf(req), await credentials(req)));
  });

  router.get('/stats', async (req, res) => {
    await credentials(req);
    res.json(fleet.stats());
  });

  router.get('/audit', async (req, res) => {
    await credentials(req);
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InputError('limit must be a whole number from 1 to 1000');
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    res.json({
      items: await audit.list({ cluster: str(req.query.cluster), namespace: str(req.query.namespace), name: str(req.query.name), limit }),
    });
  });

  // express.json's parse failures carry a status but no Backstage error name: say what is wrong.
  router.use((err: any, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    if (err?.type === 'entity.parse.failed') next(new InputError(`The request body is not valid JSON: ${err.message}`));
    else if (err?.type === 'entity.too.large') next(new InputError('The request body is too large'));
    else next(err);
  });

  return router;
}
