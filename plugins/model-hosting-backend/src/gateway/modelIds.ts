import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  normalizeOwnerRef,
  poolOf,
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

/** A deployment that can answer for a model, and whether it serves it right now. */
export interface Candidate {
  entry: DeploymentEntry;
  /** The model's own name, as the engine knows it. */
  model: string;
  /** False when the deployment must switch to the model first (a pool of a single-model engine). */
  servingNow: boolean;
}

/** The deployments a model id may name: a namespace's without scanning the fleet per request. */
export interface DeploymentLookup {
  all(): DeploymentEntry[];
  inNamespace(namespace: string): DeploymentEntry[];
}

/** A lookup over a plain list (tests, small callers). */
export const lookupOf = (entries: DeploymentEntry[]): DeploymentLookup => ({
  all: () => entries,
  inNamespace: namespace => entries.filter(e => e.ref.namespace === namespace),
});

/** Tells whether an engine serves several models at once (Ollama). */
export type MultiModel = (entry: DeploymentEntry) => boolean;

/**
 * The models a deployment can answer for: the one it serves, its pool, and for an engine that
 * serves several at once its expected models too; each with whether it is served right now.
 */
export function servable(entry: DeploymentEntry, multiModel: MultiModel) {
  const served = servedModel(entry.md);
  const many = multiModel(entry);
  const names = [
    served,
    ...poolOf(entry.md).map(m => m.name),
    ...(many ? entry.md.spec.healthCheck?.expectedModels ?? [] : []),
  ];
  return [...new Set(names)].map(model => ({
    model,
    servingNow: many || model === served,
  }));
}

/** The ids a deployment's models have in the gateway: its namespace, then each model's name. */
export const modelIds = (e: DeploymentEntry, multiModel: MultiModel) =>
  servable(e, multiModel).map(s => `${e.ref.namespace}/${s.model}`);

/**
 * Pure: the models the deployments of a namespace can serve (pools included), for a 404 that
 * says what to ask for instead. The caller passes only deployments it may invoke.
 */
export function unknownModelIn(
  id: string,
  mine: DeploymentEntry[],
  multiModel: MultiModel,
): NotFoundError | undefined {
  const slash = id.indexOf('/');
  if (slash <= 0) return undefined;
  const namespace = id.slice(0, slash);
  const offered = [
    ...new Set(
      mine
        .filter(e => e.ref.namespace === namespace)
        .flatMap(e => servable(e, multiModel).map(x => x.model)),
    ),
  ];
  if (!offered.length) return undefined;
  return new NotFoundError(
    `No deployment in ${namespace} serves '${id.slice(
      slash + 1,
    )}'; its models (pools included): ${offered.slice(0, 20).join(', ')}`,
  );
}

/** Whether a published name binds this deployment. */
export const binds = (p: PublishedModel, e: DeploymentEntry) =>
  p.namespace === e.ref.namespace &&
  p.name === e.ref.name &&
  (!p.cluster || p.cluster === e.ref.cluster);

/**
 * Pure: which deployments a requested model id means, and the model's own name in each. Ids are
 * namespaced (`ml-serving/llama3.1:8b`) because namespaces are opened to owners by admins: a
 * tenant can only publish models under its own namespaces, so nobody receives prompts by naming a
 * deployment after a popular model. A bare name works only when the admins published it in
 * config. A model of a deployment's pool counts, whether it runs now or a switch must start it.
 */
export function resolveModel(
  id: string,
  deployments: DeploymentLookup,
  published: PublishedModel[],
  multiModel: MultiModel = () => false,
): Candidate[] {
  const match = (entries: DeploymentEntry[], model: string) =>
    entries.flatMap(entry =>
      servable(entry, multiModel)
        .filter(s => s.model === model)
        .map(s => ({ entry, model, servingNow: s.servingNow })),
    );
  const bound = published.filter(p => p.model === id);
  if (bound.length) {
    const entries = bound.flatMap(p =>
      deployments.inNamespace(p.namespace).filter(e => binds(p, e)),
    );
    // A published name is the model's own name, or names the deployment's current model.
    const candidates = match(entries, id);
    const fallback = entries.map(entry => ({
      entry,
      model: servedModel(entry.md),
      servingNow: true,
    }));
    const found = candidates.length ? candidates : fallback;
    if (!found.length) {
      throw new NotFoundError(
        `The published model '${id}' has no deployment right now`,
      );
    }
    return found;
  }
  const slash = id.indexOf('/');
  const candidates =
    slash > 0
      ? match(deployments.inNamespace(id.slice(0, slash)), id.slice(slash + 1))
      : [];
  if (!candidates.length) {
    throw new NotFoundError(
      `No deployment serves the model '${id}': ask for '<namespace>/<model>' as GET /v1/models lists them, or for a name the admins published`,
    );
  }
  return candidates;
}

/**
 * Pure: refuses an id that deployments of several owners answer for, among those the caller may
 * invoke (so nobody learns of owners whose deployments they may not use): ambiguous ids are
 * refused rather than guessed.
 */
export function requireOneOwner(id: string, candidates: Candidate[]) {
  const owners = new Set(
    candidates.map(c => normalizeOwnerRef(c.entry.md.spec.owner)),
  );
  if (owners.size > 1) {
    throw new ConflictError(
      `The model '${id}' is served by deployments of several owners (${[
        ...owners,
      ].join(', ')}); ask the admins to publish which one it means`,
    );
  }
}
