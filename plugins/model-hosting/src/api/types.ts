import { ModelDeploymentSpec } from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * Usage of one model a deployment serves or may serve, over the last 24 h
 * (`GET /deployments/:cluster/:namespace/:name/models`).
 *
 * Declared here until the common package carries it; the backend's answer has this shape.
 */
export interface ModelStats {
  name: string;
  version?: string;
  source?: string;
  /** The model the running pods serve now. */
  active: boolean;
  /** Listed in the deployment's pool (`spec.model` or `spec.models`). */
  inPool: boolean;
  requests: number;
  errors: number;
  promptTokens: number;
  generationTokens: number;
  lastUsed?: string;
}

/** The autoscaling settings, as `POST …/autoscale` takes them. */
export type AutoscalingSettings = NonNullable<
  ModelDeploymentSpec['autoscaling']
>;

/** A dry run or not: what an edit and the autoscale action take. */
export interface DryRunOption {
  /** Check and show what would change, write nothing. */
  dryRun?: boolean;
}
