/** Sources the model loader fetches into the cache; other models the engine pulls itself. */
export function isLoaderSource(source: string | undefined): boolean {
  return !!source && /^(hf|s3|pvc):\/\//.test(source);
}

/** FNV-1a, to keep shortened names apart. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const slug = (text: string) => {
  const s =
    text
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'model';
  return s.length <= 100 ? s : `${s.slice(0, 91)}-${shortHash(text)}`;
};

/**
 * Where a model's files live inside the cache volume, relative to its mount:
 * `<scheme>/<slug of the rest>/<revision or version or "default">`. The model loader and the
 * plan both use it: the loader fills the directory, the engine reads it.
 */
export function modelCacheDir(source: string, version?: string): string {
  const m = /^([a-z0-9]+):\/\/(.*)$/.exec(source);
  const scheme = m ? m[1] : 'model';
  let rest = m ? m[2] : source;
  let revision = version;
  // hf://org/name@revision: the revision is part of the source.
  const at = rest.lastIndexOf('@');
  if (scheme === 'hf' && at > 0) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  return `${scheme}/${slug(rest)}/${slug(revision || 'default')}`;
}

/**
 * Pure: the claim and the path inside it of a `pvc://claim/path` source (a model already on a
 * claim of the deployment's namespace); undefined when it is not one, or names no claim, or its
 * path could leave the claim.
 */
export function parsePvcSource(
  source: string | undefined,
): { claim: string; path: string } | undefined {
  const m = /^pvc:\/\/([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)(?:\/(.*))?$/.exec(
    source ?? '',
  );
  if (!m) return undefined;
  const path = (m[2] ?? '').replace(/\/+$/, '');
  const parts = path ? path.split('/') : [];
  if (parts.some(p => p === '' || p === '.' || p === '..' || p.includes('\0')))
    return undefined;
  return { claim: m[1], path };
}

/** Where pvc:// sources' claims are mounted (read-only) in the loader and the server. */
export const MODEL_SOURCES_DIR = '/sources';

/**
 * Pure: where a model's files are inside the server's container: on its own claim (pvc://), in
 * the cache the loader fills (hf://, s3://) under the engine's mount path, or undefined when the
 * engine fetches the model itself.
 */
export function modelLocalPath(
  model: { source?: string; version?: string },
  cacheMountPath: string,
): string | undefined {
  const onClaim = parsePvcSource(model.source);
  if (onClaim)
    return [MODEL_SOURCES_DIR, onClaim.claim, onClaim.path]
      .filter(Boolean)
      .join('/');
  return isLoaderSource(model.source)
    ? `${cacheMountPath}/${modelCacheDir(model.source!, model.version)}`
    : undefined;
}
