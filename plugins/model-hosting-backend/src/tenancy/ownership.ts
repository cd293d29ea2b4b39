import { ConflictError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { configMapName } from '@modelhosting/backstage-plugin-model-hosting-node';

/** The annotation a retained child (a model-cache claim) carries instead of an owner reference. */
export const CONTROLLER_UID = 'modelhosting.io/controller-uid';

/** Whether the object's controller is this very ModelDeployment (its UID, not only its name). */
export function controlledBy(
  obj: KubernetesObject,
  md: ModelDeployment,
): boolean {
  // A retained claim outlives its deployment, so it has the UID in an annotation instead.
  if (
    md.metadata.uid &&
    obj.metadata?.annotations?.[CONTROLLER_UID] === md.metadata.uid
  )
    return true;
  return (obj.metadata?.ownerReferences ?? []).some(
    r =>
      r.controller === true && r.kind === md.kind && r.uid === md.metadata.uid,
  );
}

/** A child name taken by an object this ModelDeployment does not control: never overwritten. */
export class NameConflictError extends ConflictError {
  constructor(
    kind: string,
    namespace: string,
    name: string,
    obj: KubernetesObject,
  ) {
    const controller = (obj.metadata?.ownerReferences ?? []).find(
      r => r.controller,
    );
    super(
      `${kind} ${namespace}/${name} already exists and is not managed by this ModelDeployment (${
        controller
          ? `controlled by ${controller.kind} ${controller.name}`
          : 'no controller'
      }); nothing was written: choose another name or remove that ${kind}`,
    );
    this.name = 'ConflictError';
  }
}

/** The children a ModelDeployment creates, by kind and name. */
export function childrenOf(md: ModelDeployment) {
  const name = md.metadata.name;
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', name },
    { apiVersion: 'v1', kind: 'Service', name },
    { apiVersion: 'v1', kind: 'ConfigMap', name: configMapName(md) },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name },
    // The model cache's claim, when the reconciler makes one.
    ...(md.spec.storage?.cache?.type === 'pvc' &&
    !md.spec.storage.cache.claimName
      ? [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            name: `${name}-models`,
          },
        ]
      : []),
  ];
}
