import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  normalizeOwnerRef,
  servedModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { DeploymentEntry } from '../deployments/ModelDeployments';

/** A bare model name an admin published, bound to the deployments that may serve it. */
export interface PublishedModel {
  model: string;
  cluster?: string;
  namespace: string;
  name: string;
}

/** The id a deployment's model has in the gateway: its namespace, then the model's own name. */
export const modelId = (e: DeploymentEntry) =>
  `${e.ref.namespace}/${servedModel(e.md)}`;

/** Whether a published name binds this deployment. */
export const binds = (p: PublishedModel, e: DeploymentEntry) =>
  p.namespace === e.ref.namespace &&
  p.name === e.ref.name &&
  (!p.cluster || p.cluster === e.ref.cluster);

/**
 * Pure: which deployments a requested model id means. Ids are namespaced (`ml-serving/llama3.1:8b`)
 * because namespaces are opened to owners by admins: a tenant can only publish models under
 * its own namespaces, so nobody receives prompts by naming a deployment after a popular model. A
 * bare name works only when the admins published it in config. An id served by deployments of
 * several owners is refused rather than guessed.
 */
export function resolveModel(
  id: string,
  all: DeploymentEntry[],
  published: PublishedModel[],
): DeploymentEntry[] {
  const bound = published.filter(p => p.model === id);
  if (bound.length) {
    const entries = all.filter(e => bound.some(p => binds(p, e)));
    if (!entries.length)
      throw new NotFoundError(
        `The published model '${id}' has no deployment right now`,
      );
    return entries;
  }
  const slash = id.indexOf('/');
  const entries =
    slash > 0
      ? all.filter(
          e =>
            e.ref.namespace === id.slice(0, slash) &&
            servedModel(e.md) === id.slice(slash + 1),
        )
      : [];
  if (!entries.length) {
    throw new NotFoundError(
      `No deployment serves the model '${id}': ask for '<namespace>/<model>' as GET /v1/models lists them, or for a name the admins published`,
    );
  }
  const owners = new Set(entries.map(e => normalizeOwnerRef(e.md.spec.owner)));
  if (owners.size > 1) {
    throw new ConflictError(
      `The model '${id}' is served by deployments of several owners (${[
        ...owners,
      ].join(
        ', ',
      )}) on different clusters; ask the admins to publish which one it means`,
    );
  }
  return entries;
}
