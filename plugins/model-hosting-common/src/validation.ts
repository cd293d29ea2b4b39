import Ajv, { ErrorObject } from 'ajv';
import {
  modelDeploymentOpenApiSchema,
  ModelDeploymentSpec,
} from './modelDeployment';
import { parsePvcSource } from './modelCache';

/** Input is stricter than the API server, which drops unknown fields silently: reject them. */
function strict(node: any): any {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const out: any = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as object).map(([k, v]) => [k, strict(v)]),
          )
        : strict(value);
  }
  if (
    out.type === 'object' &&
    out.properties &&
    out.additionalProperties === undefined
  )
    out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSpec = ajv.compile(
  strict(modelDeploymentOpenApiSchema.properties.spec),
);

function describe(e: ErrorObject): string {
  const path = `spec${e.instancePath
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/\//g, '.')}`;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path} has an unknown field '${e.params.additionalProperty}'`;
    case 'required':
      return `${path}.${e.params.missingProperty} is required`;
    case 'enum':
      return `${path} must be one of ${e.params.allowedValues.join(', ')}`;
    case 'type':
      return `${path} must be ${
        e.params.type === 'integer'
          ? 'a whole number'
          : `of type ${e.params.type}`
      }`;
    default:
      return `${path} ${e.message}`;
  }
}

/**
 * Checks a ModelDeployment spec against the CRD's schema (types, enums, bounds, patterns,
 * required fields). Cross-field CEL rules are checked by the API server's dry run.
 * Returns one readable message per problem; empty when valid.
 */
export function validateModelDeploymentSpec(spec: unknown): string[] {
  if (!validateSpec(spec))
    return [...new Set((validateSpec.errors ?? []).map(describe))];
  return sourceProblems(spec as ModelDeploymentSpec);
}

/** A pvc:// source names a claim and a path that stays inside it. */
function sourceProblems(spec: ModelDeploymentSpec): string[] {
  const sources = [
    ['spec.model.source', spec.model.source],
    ...(spec.models ?? []).map((m, i) => [
      `spec.models[${i}].source`,
      m.source,
    ]),
  ];
  return sources
    .filter(([, s]) => s?.startsWith('pvc://') && !parsePvcSource(s))
    .map(
      ([path, s]) =>
        `${path} '${s}' must be pvc://<claim>/<path inside it> (a claim name of lowercase letters, digits and '-'; no '.', '..' or empty segments)`,
    );
}

export function isModelDeploymentSpec(
  spec: unknown,
): spec is ModelDeploymentSpec {
  return validateModelDeploymentSpec(spec).length === 0;
}

/** Kubernetes object names the plugin accepts: they must also name a Service (DNS-1035) and fit pod names. */
export function validateDeploymentName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'name is required';
  if (name.length > 52) return `name '${name}' is longer than 52 characters`;
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return `name '${name}' must start with a lowercase letter and contain only lowercase letters, digits and '-' (not at the end)`;
  }
  return undefined;
}

export function validateNamespaceName(namespace: unknown): string | undefined {
  if (typeof namespace !== 'string' || namespace.length === 0)
    return 'namespace is required';
  if (
    namespace.length > 63 ||
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)
  ) {
    return `namespace '${namespace}' is not a valid Kubernetes namespace name`;
  }
  return undefined;
}
