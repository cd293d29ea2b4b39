/** Where one ModelDeployment lives. */
export interface DeploymentRef {
  cluster: string;
  namespace: string;
  name: string;
}

/** One key per deployment, for maps and logs: `cluster/namespace/name`. */
export function refKey({ cluster, namespace, name }: DeploymentRef): string {
  return `${cluster}/${namespace}/${name}`;
}

/** Where a ModelDeployment read from one cluster lives. */
export function refOf(
  cluster: string,
  md: { metadata: { name: string; namespace?: string } },
): DeploymentRef {
  return {
    cluster,
    namespace: md.metadata.namespace ?? 'default',
    name: md.metadata.name,
  };
}

const MAX_ENTITY_NAME = 63;

/** FNV-1a, enough to keep shortened names apart; no crypto needed in the browser. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The catalog entity name of a deployment's Component: unique across clusters and namespaces,
 * and within the catalog's 63-character limit.
 */
export function deploymentEntityName({
  cluster,
  namespace,
  name,
}: DeploymentRef): string {
  const full = `${cluster}.${namespace}.${name}`.replace(
    /[^A-Za-z0-9._-]/g,
    '-',
  );
  if (full.length <= MAX_ENTITY_NAME) return full;
  return `${full
    .slice(0, MAX_ENTITY_NAME - 9)
    .replace(/[._-]+$/, '')}-${shortHash(full)}`;
}

/** The entity reference the permission framework authorizes against. */
export function deploymentEntityRef(ref: DeploymentRef): string {
  return `component:default/${deploymentEntityName(ref)}`;
}

/** Normalizes a spec.owner such as ml-platform or group:ml-platform to group:default/ml-platform. */
export function normalizeOwnerRef(owner: string): string {
  const [kindPart, rest] = owner.includes(':')
    ? owner.split(/:(.*)/s)
    : ['group', owner];
  const [namespace, name] = rest.includes('/')
    ? rest.split(/\/(.*)/s)
    : ['default', rest];
  return `${kindPart.toLowerCase()}:${namespace.toLowerCase()}/${name.toLowerCase()}`;
}
