import { ModelDeploymentSpec } from '@modelhosting/backstage-plugin-model-hosting-common';

/** How the backend shows env values of other teams; never sent back as a value. */
export const HIDDEN_VALUE = '(hidden)';

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Drops what a form leaves behind when a field is emptied: undefined values and objects left
 * without fields, recursively. Arrays stay (an empty list is a value: "no engine args").
 */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(v => prune(v) ?? {});
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const p = prune(v);
    if (p !== undefined) out[key] = p;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Deep equality of JSON values, whatever the order of object keys. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every(k => same(a[k], b[k]));
  }
  return false;
}

/** A copy of `obj` with the value at `path` set, or removed when `value` is undefined. */
export function setIn<T>(
  obj: T,
  path: Array<string | number>,
  value: unknown,
): T {
  const [head, ...rest] = path;
  const base: any = Array.isArray(obj)
    ? [...obj]
    : { ...(obj as Record<string, unknown>) };
  const next = rest.length ? setIn(base[head] ?? {}, rest, value) : value;
  if (next === undefined && !Array.isArray(base)) delete base[head];
  else base[head] = next;
  return base;
}

/** The value at `path`, or undefined. */
export function getIn(obj: unknown, path: Array<string | number>): any {
  return path.reduce<any>((o, k) => (o === undefined ? o : o?.[k]), obj);
}

export type SpecFields = Partial<ModelDeploymentSpec>;

/**
 * The top-level spec fields an edit sends: each one that differs, whole (the backend replaces
 * each given field whole). A field emptied in the form is sent empty (`{}` or `[]`), which is
 * how the API removes what it held; `problems` names the fields that cannot be emptied.
 */
export function changedFields(
  original: ModelDeploymentSpec,
  draft: ModelDeploymentSpec,
): { fields: SpecFields; problems: string[] } {
  const fields: Record<string, unknown> = {};
  const problems: string[] = [];
  const o = original as unknown as Record<string, unknown>;
  const d = draft as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(o), ...Object.keys(d)])) {
    if (key === 'owner') continue;
    const before = prune(o[key]);
    const after = prune(d[key]);
    if (same(before, after)) continue;
    if (after !== undefined) fields[key] = after;
    else if (isObject(o[key])) fields[key] = {};
    else if (Array.isArray(o[key])) fields[key] = [];
    else
      problems.push(
        `spec.${key} cannot be removed by an edit; give it a value instead`,
      );
  }
  const env = [
    ...((fields.env as ModelDeploymentSpec['env']) ?? []),
    ...((fields.models as ModelDeploymentSpec['models']) ?? []).flatMap(
      m => m.env ?? [],
    ),
  ];
  if (env.some(e => e.value === HIDDEN_VALUE))
    problems.push(
      `Some env values are hidden from you (${HIDDEN_VALUE}); enter their values or leave env as it is`,
    );
  return { fields: fields as SpecFields, problems };
}

/** A number field's text as a spec value: empty is "not set", anything else a number. */
export const numberOf = (text: string): number | undefined =>
  text.trim() === '' ? undefined : Number(text);

/**
 * A quantity field's text (CPU, memory: int-or-string): kept as typed, but as a number when the
 * spec held a number and the text is one, so an untouched value does not show as a change.
 */
export function quantityOf(
  text: string,
  before: unknown,
): string | number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return typeof before === 'number' && /^\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** A value of a spec change, for people: unset, a string as it is, anything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '(not set)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
