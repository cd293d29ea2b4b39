import { z } from 'zod/v3';
import {
  validateDeploymentName,
  validateModelDeploymentSpec,
  validateNamespaceName,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const checked =
  (check: (v: unknown) => string | undefined) =>
  (v: unknown, ctx: z.RefinementCtx) => {
    const problem = check(v);
    if (problem)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  };

export const nameInput = (zImpl: typeof z) =>
  zImpl
    .string()
    .superRefine(checked(validateDeploymentName))
    .describe('Name of the ModelDeployment (and its Deployment and Service)');

export const namespaceInput = (zImpl: typeof z) =>
  zImpl
    .string()
    .superRefine(checked(validateNamespaceName))
    .describe('Kubernetes namespace');

/** The spec, checked against the CRD's own schema: the same rules as the REST API and the API server. */
export const specInput = (zImpl: typeof z) =>
  zImpl
    .record(zImpl.unknown())
    .superRefine((spec, ctx) => {
      for (const message of validateModelDeploymentSpec(spec))
        ctx.addIssue({ code: zImpl.ZodIssueCode.custom, message });
    })
    .describe(
      'The ModelDeployment spec (owner, engine, model, resources, replicas, autoscaling, ...)',
    );
