import {
  V1Container,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import {
  isLoaderSource,
  ModelDeployment,
  MODEL_SOURCES_DIR,
  modelLocalPath,
  parsePvcSource,
  poolOf,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { EngineAdapter } from '@modelhosting/backstage-plugin-model-hosting-node';

/** Where the model loader comes from, set by the admins. */
export interface StorageOptions {
  loaderImage: string;
  /** A Hugging Face mirror for hf:// sources (the Hub's own address otherwise). */
  hfEndpoint?: string;
  /** The store of s3:// sources when the deployment names none (each field apart). */
  s3?: { endpoint?: string; region?: string; pathStyle?: boolean };
}

export const DEFAULT_LOADER_IMAGE = 'ghcr.io/modelhosting/model-loader:0.1.0';

/** The loader sees the cache here, whatever the engine's own path. */
const LOADER_CACHE = '/models';

/** A volume name (a DNS label of at most 63) for a source claim. */
const sourceVolume = (claim: string) =>
  `src-${claim}`.length <= 63 ? `src-${claim}` : `src-${claim.slice(0, 50)}`;

/** The claim a deployment's cache lives on: the one named, or the one the reconciler creates. */
export const cacheClaimName = (md: ModelDeployment) =>
  md.spec.storage?.cache?.claimName ?? `${md.metadata.name}-models`;

/** The models the loader fetches before the server starts: the running one, then the preloads. */
function modelsToLoad(md: ModelDeployment) {
  const pool = poolOf(md);
  const preload = (md.spec.storage?.preload ?? [])
    .map(name => pool.find(m => m.name === name))
    .filter((m): m is NonNullable<typeof m> => !!m);
  return [md.spec.model, ...preload.filter(m => m.name !== md.spec.model.name)];
}

/** What a deployment's storage adds to its pod: volumes, mounts, the loader, env; and a claim. */
export interface StoragePlan {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  initContainers: V1Container[];
  env: V1EnvVar[];
  claim?: V1PersistentVolumeClaim;
}

const secretEnv = (secret: string | undefined, names: string[]): V1EnvVar[] =>
  secret
    ? names.map(name => ({
        name,
        valueFrom: {
          secretKeyRef: { name: secret, key: name, optional: true },
        },
      }))
    : [];

/**
 * Pure: where the models of a deployment live and how they get there. A cache volume (a claim,
 * or an emptyDir) mounted where the engine looks; the model loader as an init container for
 * hf://, s3:// and pvc:// sources (the engine pulls ollama:// and plain names itself); the
 * Hugging Face token from the deployment's Secret; /dev/shm for tensor parallelism.
 */
export function storagePlan(
  md: ModelDeployment,
  engine: EngineAdapter,
  options: StorageOptions,
  metadata: V1PersistentVolumeClaim['metadata'],
): StoragePlan {
  const storage = md.spec.storage;
  const cache = storage?.cache;
  const toLoad = modelsToLoad(md).filter(m => isLoaderSource(m.source));
  const out: StoragePlan = {
    volumes: [],
    mounts: [],
    initContainers: [],
    env: [],
  };
  const secret = storage?.credentials?.secretName;

  if (cache || toLoad.length) {
    const isClaim = cache?.type === 'pvc';
    out.volumes.push(
      isClaim
        ? {
            name: 'model-cache',
            persistentVolumeClaim: { claimName: cacheClaimName(md) },
          }
        : {
            name: 'model-cache',
            emptyDir: cache?.size ? { sizeLimit: cache.size } : {},
          },
    );
    out.mounts.push({
      name: 'model-cache',
      mountPath: engine.cacheMountPath ?? LOADER_CACHE,
    });
    if (isClaim && !cache?.claimName) {
      out.claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          ...metadata,
          name: cacheClaimName(md),
          // A retained claim outlives its deployment: no owner reference for the garbage
          // collector, the deployment's UID in an annotation instead.
          ...(cache?.retain
            ? {
                ownerReferences: undefined,
                annotations: {
                  'modelhosting.io/controller-uid': md.metadata.uid ?? '',
                },
              }
            : {}),
        },
        spec: {
          accessModes: [cache?.accessMode ?? 'ReadWriteOnce'],
          resources: { requests: { storage: cache?.size ?? '10Gi' } },
          ...(cache?.storageClassName
            ? { storageClassName: cache.storageClassName }
            : {}),
        },
      };
    }
  }

  // Models already on a claim of the namespace: mounted read-only, never copied.
  const sourceClaims = [
    ...new Set(
      toLoad
        .map(m => parsePvcSource(m.source)?.claim)
        .filter((c): c is string => !!c),
    ),
  ];
  const sourceMounts: V1VolumeMount[] = sourceClaims.map(claim => ({
    name: sourceVolume(claim),
    mountPath: `${MODEL_SOURCES_DIR}/${claim}`,
    readOnly: true,
  }));
  for (const claim of sourceClaims) {
    out.volumes.push({
      name: sourceVolume(claim),
      persistentVolumeClaim: { claimName: claim, readOnly: true },
    });
  }
  out.mounts.push(...sourceMounts);

  if (toLoad.length) {
    const s3 = { ...options.s3, ...storage?.s3 };
    out.initContainers.push({
      name: 'model-loader',
      image: options.loaderImage,
      env: [
        {
          name: 'MODEL_SOURCES',
          value: JSON.stringify(
            toLoad.map(m => ({
              name: m.name,
              version: m.version,
              source: m.source,
            })),
          ),
        },
        { name: 'MODEL_CACHE_DIR', value: LOADER_CACHE },
        ...(s3?.endpoint ? [{ name: 'S3_ENDPOINT', value: s3.endpoint }] : []),
        ...(s3?.region ? [{ name: 'S3_REGION', value: s3.region }] : []),
        ...(s3?.pathStyle !== undefined
          ? [{ name: 'S3_FORCE_PATH_STYLE', value: String(s3.pathStyle) }]
          : []),
        ...(options.hfEndpoint
          ? [{ name: 'HF_ENDPOINT', value: options.hfEndpoint }]
          : []),
        ...secretEnv(secret, [
          'HF_TOKEN',
          'AWS_ACCESS_KEY_ID',
          'AWS_SECRET_ACCESS_KEY',
        ]),
      ],
      volumeMounts: [
        { name: 'model-cache', mountPath: LOADER_CACHE },
        ...sourceMounts,
      ],
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      securityContext: {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      },
    });
  }

  const local = modelLocalPath(
    md.spec.model,
    engine.cacheMountPath ?? LOADER_CACHE,
  );
  if (local) out.env.push({ name: 'MODEL_PATH', value: local });
  // Engines that download by themselves (vLLM from the Hub) need the token too.
  out.env.push(...secretEnv(secret, ['HF_TOKEN']));

  const gpus = md.spec.resources?.gpu?.count ?? 0;
  const shm =
    storage?.shmSize ??
    (engine.shmPerGpu && gpus > 1 ? shmFor(engine.shmPerGpu, gpus) : undefined);
  if (shm) {
    out.volumes.push({
      name: 'dshm',
      emptyDir: { medium: 'Memory', sizeLimit: shm },
    });
    out.mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
  }
  return out;
}

/** `8Gi` per GPU times the GPUs: what NCCL needs between tensor-parallel workers. */
function shmFor(perGpu: string, gpus: number): string {
  const m = /^(\d+)(\w*)$/.exec(perGpu);
  return m ? `${Number(m[1]) * gpus}${m[2]}` : perGpu;
}
