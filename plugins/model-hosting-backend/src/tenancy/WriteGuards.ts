import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  DeploymentRef,
  ModelDeployment,
  modelHostingAdminPermission,
  normalizeOwnerRef,
  refKey,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { Cluster } from '../cluster/Clusters';
import { DeploymentEntry } from '../deployments/ModelDeployments';
import { DeploymentAuthorizer } from '../permissions/DeploymentAuthorizer';
import { Violation } from './guardrails';
import { childrenOf, requireFreeNames } from './ownership';
import { Tenancy } from './Tenancy';

/** Who acted: a user's entity ref, or the service principal's subject. */
export const actorOf = (credentials: BackstageCredentials) => {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.type === 'user'
    ? p.userEntityRef!
    : `${p.type}:${p.subject ?? 'unknown'}`;
};

/** A refusal by the admins' rules: 403, naming each rule broken. */
export function refuse(violations: Array<Violation | undefined>) {
  const broken = violations.filter((v): v is Violation => !!v);
  if (!broken.length) return;
  throw new NotAllowedError(
    `Refused by ${broken.map(v => `${v.rule}: ${v.message}`).join('; ')}`,
  );
}

/**
 * The tenancy checks every write passes before anything is written: who may write at all, whose
 * name goes into spec.owner, where a deployment may go, what its pods may ask for, the quotas,
 * and that no other object holds a child's name.
 */
export class WriteGuards {
  constructor(
    private readonly tenancy: Tenancy,
    private readonly authorizer: DeploymentAuthorizer,
    private readonly userInfo: UserInfoService,
    private readonly deployments: {
      all(options?: { includeDeleting?: boolean }): DeploymentEntry[];
    },
    /** Service principals (subjects) that may write besides users and plugins acting for users. */
    private readonly serviceWriters: string[],
  ) {}

  /** Writes come from people (or a plugin acting for one), or from a service the admins named. */
  requireWriter(credentials: BackstageCredentials) {
    const p = credentials.principal as { type: string; subject?: string };
    if (p.type === 'user') return;
    if (p.type === 'service' && this.serviceWriters.includes(p.subject ?? ''))
      return;
    throw new NotAllowedError(
      `Refused by serviceWriters: ${actorOf(
        credentials,
      )} may not change model servers; only signed-in users, plugins acting for them and the services in modelHosting.tenancy.serviceWriters may`,
    );
  }

  /** Whether the caller holds the model-hosting admin permission. */
  isAdmin(credentials: BackstageCredentials) {
    return this.authorizer.isAllowed(modelHostingAdminPermission, credentials);
  }

  /** The caller's teams and self, as the catalog resolves them at sign-in. */
  async claimsOf(credentials: BackstageCredentials): Promise<string[]> {
    const p = credentials.principal as { type: string };
    if (p.type !== 'user') return [];
    const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
      credentials,
    );
    return ownershipEntityRefs.map(normalizeOwnerRef);
  }

  /** Which owners' private details (env values, pod names) the caller may see: its teams', or all for admins. */
  async ownedBy(
    credentials: BackstageCredentials,
  ): Promise<(owner: string) => boolean> {
    if (await this.isAdmin(credentials)) return () => true;
    const claims = new Set(await this.claimsOf(credentials));
    return owner => claims.has(normalizeOwnerRef(owner));
  }

  /** spec.owner must be one of the caller's ownership refs, unless the caller is an admin. */
  async requireOwnOwner(owner: string, credentials: BackstageCredentials) {
    if ((await this.claimsOf(credentials)).includes(normalizeOwnerRef(owner)))
      return;
    if (await this.isAdmin(credentials)) return;
    refuse([
      {
        rule: 'owners',
        message: `spec.owner ${normalizeOwnerRef(
          owner,
        )} is not one of your teams; deploy for a team you belong to`,
      },
    ]);
  }

  /** The namespace, the pod guardrails and the quota, for a deployment as it would be. */
  requirePolicy(
    cluster: Cluster,
    md: ModelDeployment,
    replacing?: DeploymentRef,
  ) {
    const namespace = cluster.cache.namespaces.get(
      undefined,
      md.metadata.namespace!,
    );
    refuse(this.tenancy.violations(cluster.name, md, namespace));
    this.requireQuota(md, replacing);
  }

  /** The owner's quota over every cluster, once `md` joins (or replaces `replacing`). */
  requireQuota(md: ModelDeployment, replacing?: DeploymentRef) {
    const skip = replacing && refKey(replacing);
    const others = this.deployments
      .all({ includeDeleting: true })
      .filter(
        e =>
          normalizeOwnerRef(e.md.spec.owner) ===
          normalizeOwnerRef(md.spec.owner),
      )
      .filter(e => refKey(e.ref) !== skip)
      .map(e => e.md);
    refuse([this.tenancy.quotaViolation(md, others)]);
  }

  /** Another object already holds a child's name: a 409 naming it, before anything is written. */
  async requireFreeNames(cluster: Cluster, md: ModelDeployment) {
    await requireFreeNames(md, childrenOf(md), c =>
      cluster.gateway.read(
        c.apiVersion,
        c.kind,
        md.metadata.namespace!,
        c.name,
      ),
    );
  }
}
