import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { isDeepStrictEqual } from 'util';
import {
  ANNOTATIONS,
  DeploymentRef,
  DeployRequest,
  MODEL_DEPLOYMENT,
  ModelDeployment,
  modelDeploymentCreatePermission,
  modelDeploymentDeletePermission,
  modelDeploymentRestartPermission,
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
  servedModel,
  SwitchRequest,
  validateDeploymentName,
  validateModelDeploymentSpec,
  validateNamespaceName,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Clusters } from '../cluster/Clusters';
import { ModelDeployments } from '../deployments/ModelDeployments';
import { EngineRegistry } from '../engines';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { actorOf, WriteGuards } from '../tenancy/WriteGuards';
import { Audited } from './Audited';
import { checkGpuFits, checkNamespaceExists, checkReplicas } from './checks';

export { actorOf };

/**
 * deploy, scale, switch, restart and delete: each validated, authorized, applied to the
 * ModelDeployment (the reconciler does the rest), recorded as a Kubernetes Event and audited.
 */
export class DeploymentActions {
  constructor(
    private readonly clusters: Clusters,
    private readonly deployments: ModelDeployments,
    private readonly engines: EngineRegistry,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly guards: WriteGuards,
    private readonly audited: Audited,
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
      if (!request || typeof request !== 'object') {
        throw new InputError(
          'The body must be a JSON object with cluster, namespace, name and spec',
        );
      }
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
      this.engines.get(request.spec.engine);
      const cluster = this.clusters.readable(request.cluster);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorizeBasic(
        modelDeploymentCreatePermission,
        credentials,
        'deploy models',
      );
      await this.guards.requireOwnOwner(request.spec.owner, credentials);
      checkNamespaceExists(ref.cluster, cluster.cache, ref.namespace);
      const md: ModelDeployment = {
        apiVersion: MODEL_DEPLOYMENT.apiVersion,
        kind: MODEL_DEPLOYMENT.kind,
        metadata: {
          name: ref.name,
          namespace: ref.namespace,
          annotations: { [ANNOTATIONS.createdBy]: actorOf(credentials) },
        },
        spec: request.spec,
      };
      this.guards.requirePolicy(cluster, md, ref);
      checkGpuFits(ref.cluster, cluster.cache, md);
      const existing = this.deployments.find(ref);
      if (existing) {
        // The API server filled in defaults; compare what it would store for this request.
        const wouldBe = await this.deployments.patchSpec(
          existing,
          request.spec,
          undefined,
          {
            dryRun: true,
          },
        );
        if (isDeepStrictEqual(wouldBe.spec, existing.md.spec)) {
          return { resource: existing.md, created: false };
        }
        throw new ConflictError(
          `ModelDeployment ${ref.namespace}/${ref.name} already exists on cluster ${ref.cluster} with a different spec`,
        );
      }
      await this.guards.requireFreeNames(cluster, md);
      const event = {
        reason: 'Deployed',
        message: `Deployed ${md.spec.engine} model ${
          md.spec.model.name
        } by ${actorOf(credentials)}`,
      };
      // The API server's dry run checks the CRD's cross-field rules; only then is anything created.
      const checked = await this.deployments.create(cluster, md, event, {
        dryRun: true,
      });
      if (options.dryRun) return { resource: checked, created: false };
      return {
        resource: await this.deployments.create(cluster, md, event),
        created: true,
      };
    };
    return options.dryRun
      ? run()
      : this.audited.run('deploy', ref, request, credentials, run);
  }

  async scale(
    ref: DeploymentRef,
    body: { replicas?: unknown },
    credentials: BackstageCredentials,
  ) {
    return this.audited.run('scale', ref, body, credentials, async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentScalePermission,
        entry,
        credentials,
        'scale',
      );
      const replicas = checkReplicas(entry.md.spec, body?.replicas);
      this.guards.requireQuota(
        { ...entry.md, spec: { ...entry.md.spec, replicas } },
        ref,
      );
      const from = entry.md.spec.replicas ?? 1;
      await this.deployments.scale(entry, replicas, {
        reason: 'Scaled',
        message: `Scaled from ${from} to ${replicas} replicas by ${actorOf(
          credentials,
        )}`,
      });
      return { replicas };
    });
  }

  async switchModel(
    ref: DeploymentRef,
    body: SwitchRequest,
    credentials: BackstageCredentials,
  ) {
    return this.audited.run('switch', ref, body, credentials, async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      const { md } = entry;
      await this.authorizer.authorize(
        modelDeploymentSwitchPermission,
        entry,
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
      const same = (a?: string, b?: string) => (a ?? '') === (b ?? '');
      if (
        model.name === md.spec.model.name &&
        servedModel(md) === model.name &&
        same(model.version, md.spec.model.version) &&
        same(model.source, md.spec.model.source)
      ) {
        throw new InputError(
          `${ref.name} already serves ${model.name}${
            model.version ? ` ${model.version}` : ''
          }`,
        );
      }
      const from = servedModel(md);
      // The API server checks the whole spec first (CEL rules), then the switch is asked for.
      await this.deployments.patchSpec(
        entry,
        {
          model: spec.model,
          ...(body.strategy ? { switching: spec.switching } : {}),
        },
        undefined,
        { dryRun: true },
      );
      await this.deployments.requestModel(
        entry,
        { name: model.name, version: model.version, source: model.source },
        'action',
        {
          reason: 'SwitchRequested',
          message: `Switch from ${from} to ${model.name}${
            model.version ? ` ${model.version}` : ''
          } requested by ${actorOf(credentials)}`,
        },
        { strategy: body.strategy },
      );
      return { from, to: model.name };
    });
  }

  /** A rollout restart, kept in the resource (an annotation the plan copies to the pod template). */
  async restart(ref: DeploymentRef, credentials: BackstageCredentials) {
    return this.audited.run('restart', ref, {}, credentials, async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentRestartPermission,
        entry,
        credentials,
        'restart',
      );
      const restartedAt = await this.deployments.restart(entry, {
        type: 'Normal',
        reason: 'RestartRequested',
        message: `Restart requested by ${actorOf(credentials)}`,
      });
      return { restartedAt };
    });
  }

  async delete(ref: DeploymentRef, credentials: BackstageCredentials) {
    return this.audited.run('delete', ref, {}, credentials, async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentDeletePermission,
        entry,
        credentials,
        'delete',
      );
      await this.deployments.delete(entry);
      return { deleted: true };
    });
  }
}
