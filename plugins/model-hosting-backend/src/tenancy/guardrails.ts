import { ModelDeployment } from '@modelhosting/backstage-plugin-model-hosting-common';
import { GuardrailsConfig } from '../config';

/** Annotations cluster admins put on a namespace to open it and say what its tenants may use. */
export const NAMESPACE_ANNOTATIONS = {
  /** Comma-separated owner refs that may deploy into the namespace. */
  owners: 'modelhosting.io/owners',
  /** Comma-separated Secret names that env may read in this namespace. */
  allowedSecrets: 'modelhosting.io/allowed-secrets',
  /** Comma-separated ConfigMap names that env may read in this namespace. */
  allowedConfigMaps: 'modelhosting.io/allowed-configmaps',
} as const;

export const listAnnotation = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map(v => v.trim())
    .filter(Boolean);

/** A repository without its tag or digest: `vllm/vllm-openai:v0.8.5` → `vllm/vllm-openai`. */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

const globToRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map(p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

export function imageAllowed(image: string, patterns: string[]): boolean {
  const repository = imageRepository(image);
  return patterns.some(p => globToRegExp(imageRepository(p)).test(repository));
}

/** What a namespace allows beyond the config: from its annotations. */
export interface NamespaceAllowances {
  secrets: string[];
  configMaps: string[];
}

/** One broken rule: its name (as the README's Security section lists it) and what broke it. */
export interface Violation {
  rule: string;
  message: string;
}

/**
 * Pure: what in the pod a deployment asks for breaks the admins' guardrails. Checked before
 * anything is written and again by the reconciler before it applies a plan.
 */
export function podViolations(
  md: ModelDeployment,
  engine: { engine: string; defaultImage: string; acceptsArgs: boolean },
  rules: GuardrailsConfig,
  namespace: NamespaceAllowances,
): Violation[] {
  const out: Violation[] = [];
  const spec = md.spec;
  const ns = md.metadata.namespace;

  const image = spec.image ?? engine.defaultImage;
  const allowedImages = rules.images[engine.engine] ?? [
    imageRepository(engine.defaultImage),
  ];
  if (!imageAllowed(image, allowedImages)) {
    out.push({
      rule: 'images',
      message: `image ${image} is not allowed for engine ${
        engine.engine
      } (allowed: ${allowedImages.join(', ')})`,
    });
  }

  const args = spec.engineArgs ?? [];
  if (args.length && !engine.acceptsArgs) {
    out.push({
      rule: 'engineArgs',
      message: `engine ${engine.engine} takes no engineArgs (its settings come from env)`,
    });
  } else if (args.length && !args[0].startsWith('--')) {
    out.push({
      rule: 'engineArgs',
      message: `engineArgs must start with a flag such as --max-model-len, not '${args[0].slice(
        0,
        40,
      )}': they are the engine's options, not a command`,
    });
  }
  if (args.some(a => /[\n\r\0]/.test(a))) {
    out.push({
      rule: 'engineArgs',
      message: 'engineArgs may not contain line breaks or NUL',
    });
  }
  const denied = rules.deniedArgs[engine.engine] ?? [];
  const used = args.filter(a => denied.includes(a.split('=')[0]));
  if (used.length) {
    out.push({
      rule: 'engineArgs',
      message: `engineArgs ${used.join(', ')} are not allowed for engine ${
        engine.engine
      }`,
    });
  }

  for (const e of spec.env ?? []) {
    const secret = e.valueFrom?.secretKeyRef?.name;
    const configMap = e.valueFrom?.configMapKeyRef?.name;
    const listed = (
      list: Array<{ namespace?: string; name: string }>,
      name: string,
    ) =>
      list.some(r => r.name === name && (!r.namespace || r.namespace === ns));
    if (
      secret !== undefined &&
      !namespace.secrets.includes(secret) &&
      !listed(rules.secretRefs, secret)
    ) {
      out.push({
        rule: 'secretRefs',
        message: `env ${e.name} reads Secret ${secret}, which the admins have not allowed in namespace ${ns}`,
      });
    }
    if (
      configMap !== undefined &&
      !namespace.configMaps.includes(configMap) &&
      !listed(rules.configMapRefs, configMap)
    ) {
      out.push({
        rule: 'configMapRefs',
        message: `env ${e.name} reads ConfigMap ${configMap}, which the admins have not allowed in namespace ${ns}`,
      });
    }
  }

  const credentials = spec.storage?.credentials?.secretName;
  if (
    credentials !== undefined &&
    !namespace.secrets.includes(credentials) &&
    !rules.secretRefs.some(
      r => r.name === credentials && (!r.namespace || r.namespace === ns),
    )
  ) {
    out.push({
      rule: 'secretRefs',
      message: `storage.credentials names Secret ${credentials}, which the admins have not allowed in namespace ${ns}`,
    });
  }

  for (const t of spec.tolerations ?? []) {
    if (!t.key) {
      out.push({
        rule: 'tolerations',
        message:
          'a toleration without a key tolerates every taint; name the taint',
      });
    } else if (!rules.tolerationKeys.includes(t.key)) {
      out.push({
        rule: 'tolerations',
        message: `toleration of ${
          t.key
        } is not allowed (allowed: ${rules.tolerationKeys.join(', ')})`,
      });
    }
  }
  for (const key of Object.keys(spec.nodeSelector ?? {})) {
    if (!rules.nodeSelectorKeys.includes(key)) {
      out.push({
        rule: 'nodeSelector',
        message: `nodeSelector key ${key} is not allowed (allowed: ${rules.nodeSelectorKeys.join(
          ', ',
        )})`,
      });
    }
  }
  return out;
}
