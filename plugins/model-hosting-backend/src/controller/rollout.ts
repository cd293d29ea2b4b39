import { V1Deployment } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  ModelDeployment,
  ModelDeploymentStatus,
} from '@modelhosting/backstage-plugin-model-hosting-common';

export type SwitchState = NonNullable<ModelDeploymentStatus['switch']>;
export type LastSwitch = NonNullable<ModelDeploymentStatus['lastSwitch']>;

/** What the reconciler should do to the Deployment this time round. */
export type RolloutAction =
  /** Apply the plan for the spec (its model) with this many replicas. */
  | { kind: 'apply'; replicas: number }
  /** recreate, first step: free the GPUs by scaling the running Deployment to zero. */
  | { kind: 'scaleDown' };

export interface RolloutDecision {
  action: RolloutAction;
  /** status.switch after this round; undefined when no switch is running. */
  switch?: SwitchState;
  /** Set when a switch finished this round. */
  completed?: LastSwitch;
  /** Set when a switch began this round. */
  started?: SwitchState;
}

/** Who asked for the model in the spec: a request through the gateway, or an action (the default). */
function triggerOf(md: ModelDeployment): 'request' | 'action' {
  return md.metadata.annotations?.[ANNOTATIONS.switchTrigger] === 'request'
    ? 'request'
    : 'action';
}

/** The model the Deployment runs, once its rollout has finished; undefined while it is still rolling. */
export function settledModel(
  deployment: V1Deployment | undefined,
): string | undefined {
  if (!deployment) return undefined;
  const s = deployment.status ?? {};
  const want = deployment.spec?.replicas ?? 0;
  const settled =
    (s.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.readyReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want;
  return settled
    ? deployment.metadata?.annotations?.[ANNOTATIONS.model]
    : undefined;
}

/**
 * Pure: decides the next step of a rollout from the resource and what runs. Level-triggered: every
 * input is in the cluster (spec, status.switch, the Deployment), so a restart resumes where it was.
 */
export function decideRollout(
  md: ModelDeployment,
  observed: {
    deployment?: V1Deployment;
    podCount: number;
    oneMoreFits: boolean;
  },
  now: Date,
): RolloutDecision {
  const desired = md.spec.model.name;
  const replicas = md.spec.replicas ?? 1;
  const active = md.status?.activeModel;
  let sw = md.status?.switch;
  let started: SwitchState | undefined;

  // Switched again mid-switch: start over towards the newest model.
  if (sw && sw.to !== desired) sw = undefined;

  if (
    !sw &&
    active &&
    active !== desired &&
    observed.deployment &&
    observed.podCount > 0
  ) {
    const rolling =
      md.spec.switching?.strategy === 'rolling' && observed.oneMoreFits;
    sw = started = {
      from: active,
      to: desired,
      strategy: rolling ? 'rolling' : 'recreate',
      startedAt: now.toISOString(),
      ...(rolling ? {} : { step: 'ScalingDown' as const }),
      trigger: triggerOf(md),
    };
  }

  if (sw?.strategy === 'recreate' && sw.step === 'ScalingDown') {
    if (observed.podCount > 0)
      return { action: { kind: 'scaleDown' }, switch: sw, started };
    sw = { ...sw, step: 'Starting' };
  }

  if (
    sw &&
    settledModel(observed.deployment) === desired &&
    (observed.deployment?.spec?.replicas ?? -1) === replicas
  ) {
    const seconds = (now.getTime() - Date.parse(sw.startedAt)) / 1000;
    return {
      action: { kind: 'apply', replicas },
      completed: {
        from: sw.from,
        to: sw.to,
        strategy: sw.strategy,
        seconds: Math.round(seconds * 10) / 10,
        finishedAt: now.toISOString(),
        ...(sw.trigger ? { trigger: sw.trigger } : {}),
      },
    };
  }
  return { action: { kind: 'apply', replicas }, switch: sw, started };
}
