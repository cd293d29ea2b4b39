import {
  isLoaderSource,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';

type Spec = ModelDeployment['spec'];
type Status = NonNullable<ModelDeployment['status']>;

/** Bytes as people read them (binary units, as Kubernetes quantities are written). */
export function bytesText(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Where the deployment keeps model files (spec.storage.cache), as the reconciler mounts it. */
export function storageText(spec: Spec, name: string): string {
  const cache = spec.storage?.cache;
  // The loader's sources (hf://, s3://, pvc://); Ollama pulls ollama:// itself.
  const loads = [spec.model, ...(spec.models ?? [])].some(m =>
    isLoaderSource(m.source),
  );
  if (!cache) {
    return loads
      ? 'in the pod (emptyDir): fetched again at every start'
      : "none: the engine downloads into the pod's own storage";
  }
  if (cache.type !== 'pvc') {
    return `in the pod (emptyDir${
      cache.size ? `, up to ${cache.size}` : ''
    }): fetched again at every start`;
  }
  if (cache.claimName) return `existing claim ${cache.claimName}`;
  const details = [
    cache.size,
    cache.storageClassName ?? 'default class',
    cache.accessMode ?? 'ReadWriteOnce',
    cache.retain ? 'kept after delete' : 'deleted with the deployment',
  ].filter(Boolean);
  return `claim ${name}-models (${details.join(', ')})`;
}

/** What the model loader reported when the running pods started (status.modelCache). */
export function modelCacheText(cache: Status['modelCache']): string {
  if (!cache) return '—';
  const how = cache.hit ? 'already in the cache' : 'downloaded';
  const took =
    cache.loadSeconds !== undefined ? ` in ${cache.loadSeconds} s` : '';
  const size = cache.bytes !== undefined ? `${bytesText(cache.bytes)}, ` : '';
  return `${size}${how}${took}`;
}
