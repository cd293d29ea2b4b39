import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';

const HIDDEN = '(hidden)';

/**
 * Pure: a copy with the literal value of every env entry hidden, wherever an `env` list sits
 * (the spec's, each pool model's, a switch's), since values may be credentials. Secret and
 * ConfigMap refs stay: they name, not hold, the data.
 */
export function hideEnvValues<T>(input: T): T {
  if (Array.isArray(input)) return input.map(hideEnvValues) as T;
  if (!input || typeof input !== 'object') return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    out[key] =
      key === 'env' && Array.isArray(value)
        ? value.map(e =>
            e && typeof e === 'object' && 'value' in e
              ? { ...e, value: HIDDEN }
              : e,
          )
        : hideEnvValues(value);
  }
  return out as T;
}

/** A deployment as someone outside its team sees it: env values hidden, Secret refs by name only. */
export function redactForOthers(md: ModelDeployment): ModelDeployment {
  return { ...md, spec: hideEnvValues(md.spec) };
}
