import { ModelDeploymentSpec } from '@modelhosting/backstage-plugin-model-hosting-common';

/** The autoscaling settings, as `POST …/autoscale` takes them. */
export type AutoscalingSettings = NonNullable<
  ModelDeploymentSpec['autoscaling']
>;

/** A dry run or not: what an edit and the autoscale action take. */
export interface DryRunOption {
  /** Check and show what would change, write nothing. */
  dryRun?: boolean;
}
