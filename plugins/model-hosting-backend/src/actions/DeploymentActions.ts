import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  isError,
  NotFoundError,
} from '@backstage/errors';
import { isDeepStrictEqual } from 'util';
import {
  AuditEntry,
  DeploymentRef,
  DeployRequest,
  MODEL_DEPLOYMENT,
  ModelDeployment,
  modelDeploymentCreatePermission,
  modelDeploymentDeletePermission,
  modelDeploymentRestartPermission,
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
  SwitchRequest,
  validateDeploymentName,
  validateModelDeploymentSpec,
  validateNamespaceName,
} from '@internal/backstage-plugin-model-hosting-common';
import { AuditLog } from '../audit/AuditLog';
import { Cluster, ClusterManager } from '../cluster/ClusterManager';
import { ANNOTATIONS } from '../controller/plan';
import { DeploymentAuthorizer } from './authorize';
import { checkGpuFits, checkNamespaceExists, checkReplicas } from './checks';

type Action = AuditEntry['action'];

const actorOf = (credentials: BackstageCredentials) => {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.type === 'user'
    ? p.userEntityRef!
    : `${p.type}:${p.subject ?? 'unknown'}`;
};

/**
 * deploy, scale, switch, restart and delete: each validated, authorized, applied to the
 * ModelDeployment (the reconciler does the rest), recorded as a Kubernetes Event and audited.
 */
export class DeploymentActions {
  constructor(
    private readonly clusters: ClusterManager,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly audit: AuditLog,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Creates a ModelDeployment. Repeating the same request is a no-op; a different one for an
   * existing name is a 409. With dryRun, every check runs (the API server's included) and nothing
   * is created or audited.
   */
  async deploy(
    request: DeployRequest,
    credentials: BackstageCredentials,
    options: { dryRun?: boolean } = {},
  ): Promise<{ resource: ModelDeployment; created: boolean }> {
    const ref = {
      cluster: String(request?.cluster ?? ''),
      namespace: String(request?.namespace ?? ''),
      name: String(request?.name ?? ''),
    };
    const run = async () => {
      if (!request || typeof request !== 'object')
        throw new InputError(
          'The body must be a JSON object with cluster, namespace, name and spec',
        );
      const problems = [
        typeof request.cluster === 'string' && request.cluster
          ? undefined
          : 'cluster is required',
        validateNamespaceName(request.namespace),
        validateDeploymentName(request.name),
        ...(request.spec === undefined
          ? ['spec is required']
          : validateModelDeploymentSpec(request.spec)),
      ].filter(Boolean);
      if (problems.length) throw new InputError(problems.join('; '));
      const cluster = this.clusters.readable(request.cluster);
      await this.authorizer.authorizeBasic(
        modelDeploymentCreatePermission,
        credentials,
        'deploy models',
      );
      checkNamespaceExists(ref.cluster, cluster.cache, ref.namespace);
      const md: ModelDeployment = {
        apiVersion: MODEL_DEPLOYMENT.apiVersion,
        kind: MODEL_DEPLOYMENT.kind,
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          annotations: { 'modelhosting.io/created-by': actorOf(credentials) },
        },
        spec: request.spec,
      };
      checkGpuFits(ref.cluster, cluster.cache, md);

      const existing = cluster.cache.modelDeployments.get(
        ref.namespace,
        ref.name,
      );
      if (existing) {
        // The API server filled in defaults; compare what it would store for this request.
        const wouldBe = await cluster.gateway.patchModelDeployment(
          ref.namespace,
          ref.name,
          { spec: request.spec },
          true,
        );
        if (isDeepStrictEqual(wouldBe.spec, existing.spec))
          return { resource: existing, created: false };
        throw new ConflictError(
          `ModelDeployment ${ref.namespace}/${ref.name} already exists on cluster ${ref.cluster} with a different spec`,
        );
      }
      // The API server's dry run checks the CRD's cross-field rules; only then is anything created.
      const checked = await cluster.gateway.createModelDeployment(md, true);
      if (options.dryRun) return { resource: checked, created: false };
      const resource = await cluster.gateway.createModelDeployment(md);
      cluster.cache.modelDeployments.upsert(resource);
      await this.event(
        cluster,
        resource,
        'Deployed',
        `Deployed ${md.spec.engine} model ${md.spec.model.name} by ${actorOf(
          credentials,
        )}`,
      );
      return { resource, created: true };
    };
    return options.dryRun
      ? run()
      : this.audited('deploy', ref, request, credentials, run);
  }

  async scale(
    ref: DeploymentRef,
    body: { replicas?: unknown },
    credentials: BackstageCredentials,
  ) {
    return this.audited('scale', ref, body, credentials, async () => {
      const { cluster, md } = this.find(ref);
      await this.authorizer.authorize(
        modelDeploymentScalePermission,
        ref,
        md,
        credentials,
        'scale',
      );
      const replicas = checkReplicas(md.spec, body?.replicas);
      const from = md.spec.replicas ?? 1;
      await cluster.gateway.scaleModelDeployment(
        ref.namespace,
        ref.name,
        replicas,
      );
      await this.event(
        cluster,
        md,
        'Scaled',
        `Scaled from ${from} to ${replicas} replicas by ${actorOf(
          credentials,
        )}`,
      );
      return { replicas };
    });
  }

  async switchModel(
    ref: DeploymentRef,
    body: SwitchRequest,
    credentials: BackstageCredentials,
  ) {
    return this.audited('switch', ref, body, credentials, async () => {
      const { cluster, md } = this.find(ref);
      await this.authorizer.authorize(
        modelDeploymentSwitchPermission,
        ref,
        md,
        credentials,
        'switch the model of',
      );
      const model = body?.model;
      if (
        !model ||
        typeof model !== 'object' ||
        typeof model.name !== 'string' ||
        !model.name.trim()
      ) {
        throw new InputError('model.name is required');
      }
      if (
        body.strategy !== undefined &&
        body.strategy !== 'recreate' &&
        body.strategy !== 'rolling'
      ) {
        throw new InputError(
          `strategy must be recreate or rolling, not '${body.strategy}'`,
        );
      }
      const spec = {
        ...md.spec,
        model: { ...model },
        switching: {
          ...md.spec.switching,
          ...(body.strategy ? { strategy: body.strategy } : {}),
        },
      };
      const problems = validateModelDeploymentSpec(spec);
      if (problems.length) throw new InputError(problems.join('; '));
      if (
        model.name === md.spec.model.name &&
        (md.status?.activeModel ?? model.name) === model.name
      ) {
        throw new InputError(`${ref.name} already serves ${model.name}`);
      }
      const patch = {
        spec: {
          model: spec.model,
          ...(body.strategy ? { switching: { strategy: body.strategy } } : {}),
        },
      };
      await cluster.gateway.patchModelDeployment(
        ref.namespace,
        ref.name,
        patch,
        true,
      );
      await cluster.gateway.patchModelDeployment(
        ref.namespace,
        ref.name,
        patch,
      );
      await this.event(
        cluster,
        md,
        'SwitchRequested',
        `Switch from ${md.status?.activeModel ?? md.spec.model.name} to ${
          model.name
        } requested by ${actorOf(credentials)}`,
      );
      return {
        from: md.status?.activeModel ?? md.spec.model.name,
        to: model.name,
      };
    });
  }

  /** A rollout restart, kept in the resource (an annotation the plan copies to the pod template). */
  async restart(ref: DeploymentRef, credentials: BackstageCredentials) {
    return this.audited('restart', ref, {}, credentials, async () => {
      const { cluster, md } = this.find(ref);
      await this.authorizer.authorize(
        modelDeploymentRestartPermission,
        ref,
        md,
        credentials,
        'restart',
      );
      const restartedAt = new Date().toISOString();
      await cluster.gateway.patchModelDeployment(ref.namespace, ref.name, {
        metadata: { annotations: { [ANNOTATIONS.restartedAt]: restartedAt } },
      });
      await this.event(
        cluster,
        md,
        'RestartRequested',
        `Restart requested by ${actorOf(credentials)}`,
      );
      return { restartedAt };
    });
  }

  async delete(ref: DeploymentRef, credentials: BackstageCredentials) {
    return this.audited('delete', ref, {}, credentials, async () => {
      const { cluster, md } = this.find(ref);
      await this.authorizer.authorize(
        modelDeploymentDeletePermission,
        ref,
        md,
        credentials,
        'delete',
      );
      await cluster.gateway.deleteModelDeployment(ref.namespace, ref.name);
      return { deleted: true };
    });
  }

  private find(ref: DeploymentRef): { cluster: Cluster; md: ModelDeployment } {
    const cluster = this.clusters.readable(ref.cluster);
    const md = cluster.cache.modelDeployments.get(ref.namespace, ref.name);
    if (!md)
      throw new NotFoundError(
        `No ModelDeployment ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    return { cluster, md };
  }

  private async event(
    cluster: Cluster,
    md: ModelDeployment,
    reason: string,
    message: string,
  ) {
    await cluster.gateway
      .recordEvent(md, 'Normal', reason, message, this.clusters.identity)
      .catch(e => this.logger.warn(`could not record event ${reason}: ${e}`));
  }

  /** Runs an action and writes its audit record, whatever the outcome. */
  private async audited<T>(
    action: Action,
    ref: DeploymentRef,
    input: unknown,
    credentials: BackstageCredentials,
    run: () => Promise<T>,
  ): Promise<T> {
    const entry = { actor: actorOf(credentials), action, ...ref, input };
    try {
      const result = await run();
      await this.audit.record({ ...entry, outcome: 'succeeded' });
      return result;
    } catch (e) {
      const name = isError(e) ? e.name : 'Error';
      const outcome =
        name === 'NotAllowedError'
          ? 'denied'
          : ['InputError', 'NotFoundError', 'ConflictError'].includes(name)
          ? 'rejected'
          : 'failed';
      await this.audit
        .record({
          ...entry,
          outcome,
          message: isError(e) ? e.message : String(e),
        })
        .catch(err =>
          this.logger.error(`could not write the audit record: ${err}`),
        );
      throw e;
    }
  }
}
