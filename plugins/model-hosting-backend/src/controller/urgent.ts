import { V1Deployment } from '@kubernetes/client-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

/** A user's edit of an existing ModelDeployment's spec: what the reconcile reaction is about. */
export function isEdit(md: ModelDeployment, previous?: ModelDeployment) {
  return (
    previous !== undefined &&
    md.metadata.generation !== previous.metadata.generation
  );
}

/**
 * An update of a child Deployment that changed its replicas or ready replicas: the
 * ModelDeployment's phase (Ready, Deploying, ScaledToZero) turns on them. A Deployment the cache
 * lists for the first time (a restart, a relist) is not news to anyone.
 */
export function replicasChanged(
  deployment: V1Deployment,
  previous?: V1Deployment,
) {
  if (previous === undefined) return false;
  const now = deployment.status;
  const before = previous.status;
  return (
    (now?.readyReplicas ?? 0) !== (before?.readyReplicas ?? 0) ||
    (now?.replicas ?? 0) !== (before?.replicas ?? 0)
  );
}
