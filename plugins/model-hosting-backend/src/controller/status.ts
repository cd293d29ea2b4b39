import { V1Deployment, V1Pod } from '@kubernetes/client-node';
import {
  ModelDeployment,
  ModelDeploymentPhase,
  ModelDeploymentStatus,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { unschedulableReason } from '../cluster/pods';
import { selectorString } from './plan';
import { modelCacheOf } from './loaderReport';
import { RolloutDecision, settledModel } from './rollout';

type Condition = NonNullable<ModelDeploymentStatus['conditions']>[number];

function condition(
  previous: Condition[] | undefined,
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  generation: number,
  now: string,
): Condition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find(c => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    // The time the status last flipped, as Kubernetes conditions do.
    lastTransitionTime:
      before?.status === status && before.lastTransitionTime
        ? before.lastTransitionTime
        : now,
  };
}

/** Pure: the status the ModelDeployment should show, from what runs and the rollout decision. */
export function computeStatus(
  md: ModelDeployment,
  engine: { port: number },
  observed: { deployment?: V1Deployment; pods: V1Pod[] },
  decision: RolloutDecision,
  now: Date,
): ModelDeploymentStatus {
  const at = now.toISOString();
  const generation = md.metadata.generation ?? 0;
  const desired = md.spec.replicas ?? 1;
  const ready = observed.deployment?.status?.readyReplicas ?? 0;
  const running = observed.deployment?.status?.replicas ?? 0;
  const pending = unschedulableReason(observed.pods);
  const progress = observed.deployment?.status?.conditions?.find(
    c => c.type === 'Progressing',
  );
  const available = observed.deployment?.status?.conditions?.find(
    c => c.type === 'Available',
  );
  const deadlineExceeded =
    progress?.status === 'False' &&
    progress.reason === 'ProgressDeadlineExceeded';
  const previous = md.status?.conditions;

  let phase: ModelDeploymentPhase;
  if (decision.switch) phase = 'Switching';
  else if (desired === 0 && running === 0) phase = 'ScaledToZero';
  else if (deadlineExceeded) phase = 'Failed';
  else if (ready >= desired && running === desired) phase = 'Ready';
  else if (pending && ready === 0) phase = 'Pending';
  // Fewer pods available than the Deployment tolerates (not merely scaling up).
  else if (available?.status === 'False' && ready > 0) phase = 'Degraded';
  else phase = 'Deploying';

  const activeModel = decision.switch
    ? decision.switch.from
    : settledModel(observed.deployment) ??
      md.status?.activeModel ??
      (desired === 0 ? md.spec.model.name : undefined);

  const conditions: Condition[] = [
    condition(
      previous,
      'Ready',
      phase === 'Ready' || phase === 'ScaledToZero',
      phase === 'Ready' ? 'AllReplicasReady' : phase,
      `${ready}/${desired} replicas ready`,
      generation,
      at,
    ),
    condition(
      previous,
      'Scheduled',
      !pending,
      pending ? 'Unschedulable' : 'Scheduled',
      pending ?? 'every pod has a node',
      generation,
      at,
    ),
    condition(
      previous,
      'Progressing',
      !deadlineExceeded,
      deadlineExceeded
        ? 'ProgressDeadlineExceeded'
        : progress?.reason ?? 'NewReplicaSetAvailable',
      progress?.message ?? '',
      generation,
      at,
    ),
  ];
  conditions.push(
    condition(
      previous,
      'Reconciled',
      true,
      'Applied',
      'the cluster matches the spec',
      generation,
      at,
    ),
  );
  // Health checks own the Healthy condition; keep it as they left it, unless no replica is
  // ready: then nothing is checked and an old verdict would mislead.
  const healthy = previous?.find(c => c.type === 'Healthy');
  if (healthy && ready === 0) {
    const reason = desired === 0 ? 'ScaledToZero' : 'NoReadyReplica';
    conditions.push(
      healthy.status === 'Unknown' && healthy.reason === reason
        ? healthy
        : {
            type: 'Healthy',
            status: 'Unknown',
            reason,
            message:
              desired === 0
                ? 'scaled to zero: nothing to check'
                : 'no replica is ready: nothing to check',
            observedGeneration: generation,
            lastTransitionTime: at,
          },
    );
  } else if (healthy) conditions.push(healthy);

  const status: ModelDeploymentStatus = {
    ...md.status,
    phase,
    activeModel,
    replicas: running,
    readyReplicas: ready,
    selector: selectorString(md),
    observedGeneration: generation,
    endpoint: `http://${md.metadata.name}.${md.metadata.namespace}.svc.cluster.local:${engine.port}`,
    conditions,
  };
  const cache = modelCacheOf(observed.pods);
  if (cache) status.modelCache = cache;
  if (decision.completed) {
    status.lastSwitch = {
      ...decision.completed,
      ...(cache ? { cacheHit: cache.hit, loadSeconds: cache.loadSeconds } : {}),
    };
  }
  if (decision.switch) status.switch = decision.switch;
  else delete status.switch;
  if (!status.activeModel) delete status.activeModel;
  return status;
}
