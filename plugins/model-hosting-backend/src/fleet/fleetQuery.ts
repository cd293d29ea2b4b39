import {
  DeploymentSummary,
  FleetFacets,
  FleetQuery,
  FleetSortKey,
  gpuText,
  NOT_RECONCILED,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/** The models a row stands for: the one running and the one asked for, when they differ. */
const modelsOf = (d: DeploymentSummary) =>
  d.activeModel && d.activeModel !== d.model
    ? [d.activeModel, d.model]
    : [d.model];
const phaseOf = (d: DeploymentSummary) => d.phase ?? NOT_RECONCILED;

/** What the search box matches: the table's text, lower case; kept while the summary is. */
const texts = new WeakMap<DeploymentSummary, string>();
function searchText(d: DeploymentSummary) {
  let text = texts.get(d);
  if (text === undefined) {
    text = [
      d.name,
      `${d.cluster}/${d.namespace}`,
      d.engine,
      d.activeModel ?? d.model,
      phaseOf(d),
      gpuText(d),
      d.owner,
      d.health ?? '',
    ]
      .join('\n')
      .toLowerCase();
    texts.set(d, text);
  }
  return text;
}

type Compare = (a: DeploymentSummary, b: DeploymentSummary) => number;
// Code-point order without building strings: 10,000 rows sort in milliseconds (localeCompare or
// joined keys: several times slower, on every page asked).
const cmp = (x: string, y: string) => {
  if (x === y) return 0;
  return x < y ? -1 : 1;
};
const byText =
  (f: (d: DeploymentSummary) => string): Compare =>
  (a, b) =>
    cmp(f(a), f(b));
const byNumber =
  (f: (d: DeploymentSummary) => number): Compare =>
  (a, b) =>
    f(a) - f(b);
const byPlace: Compare = (a, b) =>
  cmp(a.cluster, b.cluster) || cmp(a.namespace, b.namespace);
const COMPARE: Record<FleetSortKey, Compare> = {
  name: byText(d => d.name),
  cluster: byPlace,
  engine: byText(d => d.engine),
  model: byText(d => d.activeModel ?? d.model),
  phase: byText(phaseOf),
  readyReplicas: byNumber(d => d.readyReplicas),
  gpus: byNumber(d => d.gpu.count),
  cacheBytes: byNumber(d => d.cacheBytes ?? -1),
  owner: byText(d => d.owner),
  health: byText(d => d.health ?? ''),
};
/** Ties (and the default order) go by cluster, namespace and name, so pages do not overlap. */
export const byKey: Compare = (a, b) => byPlace(a, b) || cmp(a.name, b.name);

/** Every value each filter can take, sorted. */
export function fleetFacets(items: DeploymentSummary[]): FleetFacets {
  const sets = {
    cluster: new Set<string>(),
    engine: new Set<string>(),
    model: new Set<string>(),
    phase: new Set<string>(),
    owner: new Set<string>(),
  };
  for (const d of items) {
    sets.cluster.add(d.cluster);
    sets.engine.add(d.engine);
    sets.model.add(d.model);
    if (d.activeModel) sets.model.add(d.activeModel);
    sets.phase.add(phaseOf(d));
    sets.owner.add(d.owner);
  }
  const sorted = (set: Set<string>) => [...set].filter(Boolean).sort();
  return {
    cluster: sorted(sets.cluster),
    engine: sorted(sets.engine),
    model: sorted(sets.model),
    phase: sorted(sets.phase),
    owner: sorted(sets.owner),
  };
}

/** The page of `items` the query asks for: filtered, searched, sorted, sliced; and the total. */
export function pageOf(
  items: DeploymentSummary[],
  query: FleetQuery,
): { items: DeploymentSummary[]; total: number } {
  const q = query.q?.toLowerCase();
  const matching = items.filter(
    d =>
      (!query.cluster || d.cluster === query.cluster) &&
      (!query.engine || d.engine === query.engine) &&
      (!query.model || modelsOf(d).includes(query.model)) &&
      (!query.phase || phaseOf(d) === query.phase) &&
      (!query.owner || d.owner === query.owner) &&
      (!q || searchText(d).includes(q)),
  );
  const compare = query.sort ? COMPARE[query.sort] : undefined;
  const sign = query.order === 'desc' ? -1 : 1;
  matching.sort((a, b) => sign * (compare?.(a, b) || 0) || byKey(a, b));
  const offset = query.offset ?? 0;
  return {
    items: matching.slice(offset, offset + query.limit),
    total: matching.length,
  };
}
