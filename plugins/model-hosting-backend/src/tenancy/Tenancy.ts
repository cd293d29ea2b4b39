import { V1Namespace } from '@kubernetes/client-node';
import {
  ModelDeployment,
  normalizeOwnerRef,
  poolOf,
  withPoolModel,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { gpuAsk } from '../capacity/nodeFit';
import { GuardrailsConfig, Quota, TenancyConfig } from '../config';
import { EngineRegistry } from '../engines';
import {
  listAnnotation,
  NAMESPACE_ANNOTATIONS,
  podViolations,
  Violation,
} from './guardrails';

/** Namespaces no tenant may ever use, whatever their annotations say. */
export function isSystemNamespace(
  namespace: string,
  backendNamespace: string,
): boolean {
  return (
    namespace.startsWith('kube-') ||
    namespace === 'kube-system' ||
    namespace === backendNamespace ||
    namespace.startsWith('openshift-')
  );
}

/** The most replicas a deployment may run: what its GPUs are counted at. */
export function maxReplicas(md: ModelDeployment): number {
  const a = md.spec.autoscaling;
  return Math.max(md.spec.replicas ?? 1, a?.enabled ? a.maxReplicas : 0);
}

/**
 * Who may deploy where and what their pods may ask for: namespaces opened to owners, the pod
 * guardrails and the quotas per owner. Pure over the caches and the configuration, so the
 * actions check it before writing anything and the reconciler checks it again before applying.
 */
export class Tenancy {
  constructor(
    private readonly config: TenancyConfig,
    private readonly guardrails: GuardrailsConfig,
    private readonly engines: EngineRegistry,
    /** The backend's own namespace (its Lease): never a tenant's. */
    private readonly backendNamespace: string,
  ) {}

  /** The owners a namespace is opened to: its annotation plus the config's entries. */
  ownersOf(cluster: string, namespace: V1Namespace | undefined): string[] {
    const name = namespace?.metadata?.name;
    if (!name) return [];
    const annotated = listAnnotation(
      namespace?.metadata?.annotations?.[NAMESPACE_ANNOTATIONS.owners],
    );
    const configured = this.config.namespaces
      .filter(
        n => n.namespace === name && (!n.cluster || n.cluster === cluster),
      )
      .flatMap(n => n.owners);
    return [...annotated, ...configured].map(normalizeOwnerRef);
  }

  /** Why the owner may not deploy into the namespace, or undefined when it may. */
  namespaceViolation(
    cluster: string,
    namespaceName: string,
    namespace: V1Namespace | undefined,
    owner: string,
  ): Violation | undefined {
    if (isSystemNamespace(namespaceName, this.backendNamespace)) {
      return {
        rule: 'namespaces',
        message: `namespace ${namespaceName} is a system namespace; model servers are never deployed there`,
      };
    }
    const owners = this.ownersOf(cluster, namespace);
    if (!owners.includes(normalizeOwnerRef(owner))) {
      return {
        rule: 'namespaces',
        message: `namespace ${namespaceName} on cluster ${cluster} is not opened to ${normalizeOwnerRef(
          owner,
        )}${
          owners.length
            ? ` (opened to ${owners.join(', ')})`
            : ' (opened to nobody)'
        }`,
      };
    }
    return undefined;
  }

  /** Everything about the deployment itself that the admins' rules refuse. */
  violations(
    cluster: string,
    md: ModelDeployment,
    namespace: V1Namespace | undefined,
  ): Violation[] {
    const out: Violation[] = [];
    const ns = this.namespaceViolation(
      cluster,
      md.metadata.namespace!,
      namespace,
      md.spec.owner,
    );
    if (ns) out.push(ns);
    if (!this.engines.has(md.spec.engine)) {
      out.push({
        rule: 'engines',
        message: `engine ${md.spec.engine} is not one this backend runs`,
      });
      return out;
    }
    const engine = this.engines.get(md.spec.engine);
    const annotations = namespace?.metadata?.annotations ?? {};
    // Every model of the pool, each with its own args and env, must pass too.
    const seen = new Set<string>();
    for (const candidate of poolOf(md).map(m => withPoolModel(md, m.name))) {
      for (const v of podViolations(
        candidate,
        {
          engine: engine.engine,
          defaultImage: engine.defaultImage,
          acceptsArgs: engine.acceptsArgs ?? true,
        },
        this.guardrails,
        {
          secrets: listAnnotation(
            annotations[NAMESPACE_ANNOTATIONS.allowedSecrets],
          ),
          configMaps: listAnnotation(
            annotations[NAMESPACE_ANNOTATIONS.allowedConfigMaps],
          ),
        },
      )) {
        if (!seen.has(v.message)) out.push(v);
        seen.add(v.message);
      }
    }
    return out;
  }

  private quotaOf(owner: string): Quota {
    return (
      this.config.quotas.owners[normalizeOwnerRef(owner)] ??
      Object.entries(this.config.quotas.owners).find(
        ([o]) => normalizeOwnerRef(o) === normalizeOwnerRef(owner),
      )?.[1] ??
      this.config.quotas.default
    );
  }

  /**
   * Whether the owner stays within its quota once `candidate` replaces (or joins) what it runs:
   * `others` are the owner's other deployments on every cluster.
   */
  quotaViolation(
    candidate: ModelDeployment,
    others: ModelDeployment[],
  ): Violation | undefined {
    const owner = normalizeOwnerRef(candidate.spec.owner);
    const quota = this.quotaOf(owner);
    const all = [...others, candidate];
    if (quota.deployments !== undefined && all.length > quota.deployments) {
      return {
        rule: 'quotas',
        message: `${owner} may run at most ${quota.deployments} deployments; this would be ${all.length}`,
      };
    }
    const { resource, count } = gpuAsk(candidate);
    const limit = quota.gpus[resource];
    if (count > 0 && limit !== undefined) {
      const used = all
        .filter(md => gpuAsk(md).resource === resource)
        .reduce((n, md) => n + gpuAsk(md).count * maxReplicas(md), 0);
      if (used > limit) {
        return {
          rule: 'quotas',
          message: `${owner} may hold at most ${limit} ${resource}; this would be ${used} (GPUs per replica times the most replicas)`,
        };
      }
    }
    return undefined;
  }
}
