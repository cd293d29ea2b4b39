import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { FleetService } from './fleet/FleetService';

/** HTTP routes only: parse, authorize, call a service. Errors become responses in Backstage's error handler. */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  fleet: FleetService;
}): Promise<express.Router> {
  const { httpAuth, fleet } = options;
  const router = Router();
  router.use(express.json());

  router.get('/deployments', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(await fleet.listDeployments());
  });

  return router;
}
