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

/** A child's kind and name (its namespace is its ModelDeployment's). */
export interface ChildName {
  apiVersion: string;
  kind: string;
  name: string;
}

/**
 * NameConflict for the first child whose name is held by an object this ModelDeployment does not
 * control: checked for every child before anything is written. The lookups run at once.
 */
export async function requireFreeNames<C extends ChildName>(
  md: ModelDeployment,
  children: C[],
  find: (
    child: C,
  ) => Promise<KubernetesObject | undefined> | KubernetesObject | undefined,
) {
  const found = await Promise.all(children.map(c => find(c)));
  const i = found.findIndex(o => o && !controlledBy(o, md));
  if (i >= 0) {
    throw new NameConflictError(
      children[i].kind,
      md.metadata.namespace!,
      children[i].name,
      found[i]!,
    );
  }
}
