import { SpecChange } from '@modelhosting/backstage-plugin-model-hosting-common';

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** Pure: every leaf that differs between two JSON values, with both values. */
export function diff(
  a: unknown,
  b: unknown,
  path = '',
  out: SpecChange[] = [],
): SpecChange[] {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diff(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({ path: path || '(root)', from: a, to: b });
  }
  return out;
}

/**
 * Pure: the JSON merge patch (RFC 7386) that turns `from` into `to`: a field `to` lacks becomes
 * null, objects are patched field by field, everything else is replaced.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (JSON.stringify(from[key]) === JSON.stringify(to[key])) continue;
    patch[key] = key in to ? mergePatch(from[key], to[key]) : null;
  }
  return patch;
}
