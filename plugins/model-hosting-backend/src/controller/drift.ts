const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity as a number ("500m" → 0.5, "1Gi" → 1073741824), or undefined. */
export function parseQuantity(q: unknown): number | undefined {
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(q));
  if (!m || !(m[2] in SUFFIXES)) return undefined;
  return Number(m[1]) * SUFFIXES[m[2]];
}

const sameQuantity = (a: unknown, b: unknown) => {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return (
    x !== undefined && y !== undefined && Math.abs(x - y) <= Math.abs(x) * 1e-9
  );
};

/** An empty list, map or string, or a map holding only such. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return (
    typeof value === 'object' &&
    Object.values(value as Record<string, unknown>).every(isEmpty)
  );
}

/**
 * Pure: the first field the plan sets that the object in the cluster does not have as planned,
 * as a path (`spec.template.spec.containers[0].image`), or undefined when it matches. Only what
 * the plan sets is compared: fields the API server fills in (defaults) or others own are not ours.
 */
export function firstDrift(
  desired: unknown,
  actual: unknown,
  path = '',
): string | undefined {
  if (desired === undefined) return undefined;
  // The API server drops empty lists, maps and strings (omitempty): `args: []` comes back absent.
  if ((actual === undefined || actual === null) && isEmpty(desired))
    return undefined;
  if (desired === null || typeof desired !== 'object') {
    if (desired === actual) return undefined;
    // The API server writes quantities canonically: 0.5 comes back as 500m, 1024Mi as 1Gi.
    if (path.includes('resources.') && sameQuantity(desired, actual))
      return undefined;
    return path || '(root)';
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual) || actual.length !== desired.length) return path;
    for (let i = 0; i < desired.length; i++) {
      const d = firstDrift(desired[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (!actual || typeof actual !== 'object' || Array.isArray(actual))
    return path;
  for (const [key, value] of Object.entries(desired)) {
    // An object's type is its identity, not its content; list items and the caches' slim copies
    // come without it, and comparing it made every pass reapply everything (DriftReverted).
    if (!path && (key === 'apiVersion' || key === 'kind')) continue;
    const d = firstDrift(
      value,
      (actual as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
    );
    if (d) return d;
  }
  return undefined;
}
