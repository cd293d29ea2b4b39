import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  V1Deployment,
  V1Lease,
} from '@kubernetes/client-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Counter } from '../metrics';
import {
  MODEL_DEPLOYMENT,
  ModelDeployment,
  ModelDeploymentStatus,
} from '@modelhosting/backstage-plugin-model-hosting-common';

export const FIELD_MANAGER = 'backstage-model-hosting';

const mdPath = {
  group: MODEL_DEPLOYMENT.group,
  version: MODEL_DEPLOYMENT.version,
  plural: MODEL_DEPLOYMENT.plural,
};
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Every write to one cluster's API server, with its failures turned into errors a person understands. */
export class KubeGateway {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    private readonly timeoutMs: number,
    /** Who writes: the reporting instance of Events and the holder identity of Leases. */
    readonly identity: string,
    private readonly logger: LoggerService,
    /** Counts requests: `kind` write (actions, reconciles, status) or lease (leader election). */
    private readonly requests: Counter = { add: () => {} },
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** Server-side apply with our own field manager: idempotent, and it takes back fields others changed. */
  apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.call(
      `apply ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`,
      () =>
        this.objects.patch(
          obj,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
    );
  }

  /** One object as the API server has it now, or undefined when there is none. */
  async read(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<KubernetesObject | undefined> {
    try {
      return await this.call(`read ${kind} ${namespace}/${name}`, () =>
        this.objects.read({ apiVersion, kind, metadata: { name, namespace } }),
      );
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  delete(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<unknown> {
    return this.call(`delete ${kind} ${namespace}/${name}`, () =>
      this.objects.delete({ apiVersion, kind, metadata: { name, namespace } }),
    );
  }

  scaleDeployment(
    namespace: string,
    name: string,
    replicas: number,
  ): Promise<V1Deployment> {
    return this.call(`scale Deployment ${namespace}/${name}`, () =>
      this.apps.patchNamespacedDeployment(
        { namespace, name, body: { spec: { replicas } } },
        mergePatch,
      ),
    );
  }

  createModelDeployment(
    md: ModelDeployment,
    dryRun = false,
  ): Promise<ModelDeployment> {
    const namespace = md.metadata.namespace!;
    return this.call(
      `create ModelDeployment ${namespace}/${md.metadata.name}`,
      () =>
        this.custom.createNamespacedCustomObject({
          ...mdPath,
          namespace,
          body: md,
          dryRun: dryRun ? 'All' : undefined,
        }),
    );
  }

  /** A merge patch of the resource (spec or metadata); dryRun runs the API server's validation, CEL rules included. */
  patchModelDeployment(
    namespace: string,
    name: string,
    patch: object,
    dryRun = false,
  ): Promise<ModelDeployment> {
    return this.call(`patch ModelDeployment ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObject(
        {
          ...mdPath,
          namespace,
          name,
          body: patch,
          dryRun: dryRun ? 'All' : undefined,
          fieldManager: FIELD_MANAGER,
        },
        mergePatch,
      ),
    );
  }

  scaleModelDeployment(
    namespace: string,
    name: string,
    replicas: number,
    dryRun = false,
  ): Promise<unknown> {
    return this.call(`scale ModelDeployment ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObjectScale(
        {
          ...mdPath,
          namespace,
          name,
          body: { spec: { replicas } },
          dryRun: dryRun ? 'All' : undefined,
          fieldManager: FIELD_MANAGER,
        },
        mergePatch,
      ),
    );
  }

  /** With the resourceVersion the status was computed from: a stale write fails with a ConflictError. */
  patchStatus(
    namespace: string,
    name: string,
    status: ModelDeploymentStatus,
    resourceVersion?: string,
  ): Promise<ModelDeployment> {
    return this.call(
      `update status of ModelDeployment ${namespace}/${name}`,
      () =>
        this.custom.patchNamespacedCustomObjectStatus(
          {
            ...mdPath,
            namespace,
            name,
            body: { metadata: { resourceVersion }, status },
            fieldManager: FIELD_MANAGER,
          },
          mergePatch,
        ),
    );
  }

  deleteModelDeployment(namespace: string, name: string): Promise<unknown> {
    return this.call(`delete ModelDeployment ${namespace}/${name}`, () =>
      this.custom.deleteNamespacedCustomObject({
        ...mdPath,
        namespace,
        name,
        propagationPolicy: 'Foreground',
      }),
    );
  }

  /** A Kubernetes Event on the ModelDeployment, as `kubectl describe md` shows them. */
  /**
   * A Kubernetes Event on the ModelDeployment. Best effort: an Event that cannot be written is
   * logged, never a failure of what it reports.
   */
  async event(
    md: ModelDeployment,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    await this.recordEvent(md, type, reason, message).catch(e =>
      this.logger.warn(
        `could not record event ${reason} on ${md.metadata.namespace}/${md.metadata.name}: ${e}`,
      ),
    );
  }

  private recordEvent(
    md: ModelDeployment,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    const now = new Date();
    return this.call(
      `record event on ${md.metadata.namespace}/${md.metadata.name}`,
      () =>
        this.core.createNamespacedEvent({
          namespace: md.metadata.namespace!,
          body: {
            metadata: {
              generateName: `${md.metadata.name}.`,
              namespace: md.metadata.namespace,
            },
            involvedObject: {
              apiVersion: MODEL_DEPLOYMENT.apiVersion,
              kind: MODEL_DEPLOYMENT.kind,
              name: md.metadata.name,
              namespace: md.metadata.namespace,
              uid: md.metadata.uid,
            },
            type,
            reason,
            message,
            count: 1,
            firstTimestamp: now,
            lastTimestamp: now,
            source: { component: 'backstage-model-hosting' },
            reportingComponent: 'backstage-model-hosting',
            reportingInstance: this.identity,
          },
        }),
    );
  }

  readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    return this.call(`read Lease ${namespace}/${name}`, () =>
      this.coordination.readNamespacedLease({ namespace, name }),
    ).catch(e => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
  }

  createLease(lease: V1Lease): Promise<V1Lease> {
    return this.call(`create Lease ${lease.metadata?.name}`, () =>
      this.coordination.createNamespacedLease({
        namespace: lease.metadata!.namespace!,
        body: lease,
      }),
    );
  }

  /** Replace with the resourceVersion read before: a concurrent writer makes this fail with a ConflictError. */
  replaceLease(lease: V1Lease): Promise<V1Lease> {
    return this.call(`update Lease ${lease.metadata?.name}`, () =>
      this.coordination.replaceNamespacedLease({
        namespace: lease.metadata!.namespace!,
        name: lease.metadata!.name!,
        body: lease,
      }),
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.requests.add(1, {
      cluster: this.cluster,
      kind: what.includes('Lease') ? 'lease' : 'write',
      // "apply Deployment ns/name" -> "apply Deployment": what the writes are spent on.
      operation: what.split(' ').slice(0, 2).join(' '),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ServiceUnavailableError(
              `Cluster '${this.cluster}' did not answer within ${this.timeoutMs} ms (${what})`,
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      throw toError(this.cluster, what, e);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The API server's own message, e.g. a CRD validation failure, without the HTTP noise. */
export function apiServerMessage(e: ApiException<unknown>): string {
  try {
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return (body as { message?: string })?.message ?? String(e.body);
  } catch {
    return String(e.body);
  }
}

function toError(cluster: string, what: string, e: unknown): Error {
  if (e instanceof ServiceUnavailableError) return e;
  if (e instanceof ApiException) {
    const message = apiServerMessage(e);
    switch (e.code) {
      case 400:
      case 422:
        return new InputError(message);
      case 404:
        return new NotFoundError(message);
      case 409:
        return new ConflictError(message);
      case 401:
      case 403:
        return new Error(
          `Cluster '${cluster}' refused to let the backend ${what}: ${message}`,
        );
      default:
        if (e.code >= 500)
          return new ServiceUnavailableError(
            `Cluster '${cluster}' failed to ${what}: ${message}`,
          );
        return new Error(
          `Cluster '${cluster}': ${what} failed with HTTP ${e.code}: ${message}`,
        );
    }
  }
  const err = e as {
    code?: string;
    cause?: { code?: string };
    type?: string;
    message?: string;
  };
  const code = err?.code ?? err?.cause?.code;
  if (
    err?.type === 'system' ||
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'EHOSTUNREACH',
      'ENOTFOUND',
      'ETIMEDOUT',
      'EAI_AGAIN',
    ].includes(code ?? '')
  ) {
    return new ServiceUnavailableError(
      `Cluster '${cluster}' is unreachable: ${err.message}`,
    );
  }
  return e instanceof Error ? e : new Error(String(e));
}
