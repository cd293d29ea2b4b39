import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { KubernetesObject } from '@kubernetes/client-node';
import {
  ChildChange,
  DeploymentRef,
  EditResponse,
  HealthCheckResponse,
  ModelDeployment,
  modelDeploymentScalePermission,
  ModelDeploymentSpec,
  modelDeploymentUpdatePermission,
  normalizeOwnerRef,
  validateModelDeploymentSpec,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { ProbeResult } from '@modelhosting/backstage-plugin-model-hosting-node';
import { plan } from '../controller/plan';
import {
  DeploymentEntry,
  ModelDeployments,
} from '../deployments/ModelDeployments';
import { EngineRegistry } from '../engines';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { actorOf, refuse, WriteGuards } from '../tenancy/WriteGuards';
import { Audited } from './Audited';
import { checkGpuFits } from './checks';
import { diff, mergePatch } from './specDiff';

type Autoscaling = NonNullable<ModelDeploymentSpec['autoscaling']>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** What the reconciler would apply for a deployment, by child: to compare before and after. */
function children(
  md: ModelDeployment,
  engines: EngineRegistry,
): Map<string, KubernetesObject> {
  const p = plan(md, engines.get(md.spec.engine), {
    replicas: md.spec.replicas ?? 1,
  });
  const out = new Map<string, KubernetesObject>();
  for (const obj of [p.configMap, p.service, p.deployment, p.hpa, p.claim]) {
    if (obj) out.set(`${obj.kind}/${obj.metadata!.name}`, obj);
  }
  return out;
}

/** Pure: the child objects an edit creates, changes or removes, and which of their fields. */
export function clusterChanges(
  before: ModelDeployment,
  after: ModelDeployment,
  engines: EngineRegistry,
): ChildChange[] {
  const a = children(before, engines);
  const b = children(after, engines);
  const out: ChildChange[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const [kind, name] = key.split('/');
    const from = a.get(key);
    const to = b.get(key);
    if (!from) out.push({ kind, name, change: 'create', paths: [] });
    else if (!to) out.push({ kind, name, change: 'delete', paths: [] });
    else {
      const paths = diff(from, to).map(c => c.path);
      if (paths.length)
        out.push({ kind, name, change: 'update', paths: paths.slice(0, 20) });
    }
  }
  return out;
}

/**
 * Edit (any field users set at deploy time), autoscale, and a health check on demand: the same
 * validation, tenancy guardrails, API server dry run, permissions and audit as a deploy. A dry
 * run shows what would change in the spec and in the cluster, and writes nothing.
 */
export class EditActions {
  constructor(
    private readonly deployments: ModelDeployments,
    private readonly engines: EngineRegistry,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly guards: WriteGuards,
    private readonly audited: Audited,
    private readonly check: (entry: DeploymentEntry) => Promise<ProbeResult>,
  ) {}

  async edit(
    ref: DeploymentRef,
    body: { spec?: unknown },
    credentials: BackstageCredentials,
    options: { dryRun?: boolean } = {},
  ): Promise<EditResponse> {
    const run = async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentUpdatePermission,
        entry,
        credentials,
        'edit',
      );
      if (!isObject(body?.spec) || Object.keys(body.spec).length === 0) {
        throw new InputError('spec with the fields to change is required');
      }
      return this.apply(
        entry,
        body.spec as Partial<ModelDeploymentSpec>,
        credentials,
        options,
      );
    };
    return options.dryRun
      ? run()
      : this.audited.run('edit', ref, body, credentials, run);
  }

  /** Turns autoscaling on or off or changes its range and metrics; replicas move into the range. */
  async autoscale(
    ref: DeploymentRef,
    body: unknown,
    credentials: BackstageCredentials,
    options: { dryRun?: boolean } = {},
  ): Promise<EditResponse> {
    const run = async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentScalePermission,
        entry,
        credentials,
        'change the autoscaling of',
      );
      if (!isObject(body))
        throw new InputError('The body must be the autoscaling settings');
      const autoscaling = body as unknown as Autoscaling;
      const replicas = entry.md.spec.replicas ?? 1;
      const inRange =
        autoscaling.enabled === true &&
        typeof autoscaling.maxReplicas === 'number' &&
        typeof (autoscaling.minReplicas ?? 1) === 'number'
          ? Math.min(
              autoscaling.maxReplicas,
              Math.max(autoscaling.minReplicas ?? 1, replicas),
            )
          : replicas;
      return this.apply(
        entry,
        { autoscaling, replicas: inRange },
        credentials,
        options,
      );
    };
    return options.dryRun
      ? run()
      : this.audited.run('autoscale', ref, body, credentials, run);
  }

  /** One health check now, as the scheduled ones run it (its result goes to status and history). */
  async checkHealth(
    ref: DeploymentRef,
    credentials: BackstageCredentials,
  ): Promise<HealthCheckResponse> {
    return this.audited.run('health-check', ref, {}, credentials, async () => {
      const entry = this.deployments.require(ref);
      this.guards.requireWriter(credentials);
      await this.authorizer.authorize(
        modelDeploymentUpdatePermission,
        entry,
        credentials,
        'check the health of',
      );
      const started = Date.now();
      const result = await this.check(entry);
      return {
        healthy: result.healthy,
        message: result.message,
        latencyMs: Date.now() - started,
        checkedAt: new Date(started).toISOString(),
      };
    });
  }

  private async apply(
    entry: DeploymentEntry,
    fields: Partial<ModelDeploymentSpec>,
    credentials: BackstageCredentials,
    options: { dryRun?: boolean },
  ): Promise<EditResponse> {
    const { md } = entry;
    if (
      fields.owner !== undefined &&
      normalizeOwnerRef(String(fields.owner)) !==
        normalizeOwnerRef(md.spec.owner)
    ) {
      refuse([
        {
          rule: 'owners',
          message:
            'the owner of a deployment never changes; deploy a new one for another team',
        },
      ]);
    }
    // Each field given replaces the old one whole (autoscaling, model, env, …); null removes it
    // (an image back to the engine's default). Required fields removed fail validation below.
    const merged: Record<string, unknown> = { ...md.spec };
    for (const [key, value] of Object.entries(fields)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const spec = merged as unknown as ModelDeploymentSpec;
    const problems = validateModelDeploymentSpec(spec);
    if (problems.length) throw new InputError(problems.join('; '));
    this.engines.get(spec.engine);
    const next: ModelDeployment = { ...md, spec };
    this.guards.requirePolicy(entry.cluster, next, entry.ref);
    checkGpuFits(entry.ref.cluster, entry.cluster.cache, next);
    const patch = mergePatch(md.spec, spec) as Partial<ModelDeploymentSpec>;
    if (Object.keys(patch).length === 0) {
      return {
        dryRun: !!options.dryRun,
        resource: md,
        changes: [],
        cluster: [],
      };
    }
    // The API server's dry run: the CRD's schema and CEL rules, and the defaults it fills in.
    const wouldBe = await this.deployments.patchSpec(entry, patch, undefined, {
      dryRun: true,
    });
    const changes = diff(md.spec, wouldBe.spec);
    const cluster = clusterChanges(md, wouldBe, this.engines);
    if (options.dryRun)
      return { dryRun: true, resource: wouldBe, changes, cluster };
    const resource = await this.deployments.patchSpec(entry, patch, {
      reason: 'Edited',
      message: `${changes
        .map(c => c.path)
        .slice(0, 10)
        .join(', ')} changed by ${actorOf(credentials)}`,
    });
    return { dryRun: false, resource, changes, cluster };
  }
}
