import {
  BackstageUserInfo,
  coreServices,
  createBackendModule,
  LoggerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { stringifyEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  createScaffolderTaskConditionalDecision,
  scaffolderTaskConditions,
} from '@backstage/plugin-scaffolder-backend/alpha';
import { catalogPermissions } from '@backstage/plugin-catalog-common/alpha';
import { scaffolderPermissions } from '@backstage/plugin-scaffolder-common/alpha';
import { kubernetesPermissions } from '@backstage/plugin-kubernetes-common';
import { modelHostingPermissions } from '@modelhosting/backstage-plugin-model-hosting-common';

/**
 * Who gets a permission, one rule per permission the portal's plugins register:
 *
 * - `read`: every signed-in user. These are also the only permissions a service principal
 *   should hold: Backstage decides service principals' requests without asking the policy, from
 *   the `accessRestrictions` of their `backend.auth.externalAccess` entry, so each entry must
 *   list read permissions only ({@link SERVICE_PERMISSIONS}); model hosting refuses writes by
 *   services outside `modelHosting.tenancy.serviceWriters` itself.
 * - `user`: every signed-in user.
 * - `owner`: admins; other users when they own the resource (IS_ENTITY_OWNER with their
 *   ownershipEntityRefs for catalog entities, IS_TASK_OWNER for scaffolder tasks).
 * - `admin`: members of the groups (or the users) listed in `permission.admins` only.
 *
 * A permission the table does not name is refused to everybody, admins included, and so is
 * every request without a user (the unauthenticated principal).
 */
export type Rule = 'read' | 'user' | 'owner' | 'admin';

export const PORTAL_RULES: Record<string, Rule> = {
  // Catalog. Registering locations and creating entities is admins' work: a location can bring
  // User and Group entities, and memberships decide who is an owner or an admin.
  'catalog.entity.read': 'read',
  'catalog.entity.create': 'admin',
  'catalog.entity.delete': 'admin',
  'catalog.entity.refresh': 'user',
  'catalog.entity.validate': 'user',
  'catalog.location.read': 'read',
  'catalog.location.create': 'admin',
  // The backend fetches whatever URL it is given: admins only.
  'catalog.location.analyze': 'admin',
  'catalog.location.delete': 'admin',
  'catalog.ingestion.read': 'admin',
  'catalog.ingestion.manage': 'admin',

  // Scaffolder. Templates run with the user's own permissions (model-hosting:deploy calls the
  // REST API on the user's behalf); tasks hold their input, so each is its creator's.
  'scaffolder.action.execute': 'user',
  'scaffolder.template.parameter.read': 'read',
  'scaffolder.template.step.read': 'read',
  // The template editor's dry run runs a template the user writes: admins only.
  'scaffolder.template.dry-run': 'admin',
  'scaffolder.template.management': 'admin',
  'scaffolder.task.read': 'owner',
  'scaffolder.task.create': 'user',
  'scaffolder.task.cancel': 'owner',

  // Kubernetes. The proxy sends any request to the API server as the backend's ServiceAccount.
  'kubernetes.proxy': 'admin',
  'kubernetes.resources.read': 'read',
  'kubernetes.clusters.read': 'read',

  // Model hosting.
  'model-hosting.deployment.read': 'read',
  'model-hosting.deployment.create': 'user',
  'model-hosting.deployment.scale': 'owner',
  'model-hosting.deployment.switch': 'owner',
  'model-hosting.deployment.restart': 'owner',
  'model-hosting.deployment.delete': 'owner',
  // Edit, autoscale and a health check on demand.
  'model-hosting.deployment.update': 'owner',
  // Programs call models with service tokens; invoking changes nothing but the load.
  'model-hosting.model.invoke': 'read',
  'model-hosting.admin': 'admin',
  'model-hosting.audit.read': 'owner',
};

/** Every permission the portal's plugins register (the permission plugin registers none). */
export const PORTAL_PERMISSIONS: Permission[] = [
  ...catalogPermissions,
  ...scaffolderPermissions,
  ...kubernetesPermissions,
  ...modelHostingPermissions,
];

/** The permissions a service principal may be given (`accessRestrictions`): the `read` ones. */
export const SERVICE_PERMISSIONS = Object.entries(PORTAL_RULES)
  .filter(([, rule]) => rule === 'read')
  .map(([name]) => name);

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

/** `permission.admins`: entity refs (groups or users) whose members administer the portal. */
export function readAdmins(config: Config): string[] {
  return (config.getOptionalStringArray('permission.admins') ?? []).map(ref =>
    stringifyEntityRef(
      parseEntityRef(ref, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    ),
  );
}

/**
 * The portal's policy: deny by default, an explicit rule per registered permission
 * ({@link PORTAL_RULES}), admins from config.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  private readonly admins: Set<string>;

  constructor(
    admins: string[],
    /** The signed-in user's entity ref and ownership refs (groups), from their token. */
    private readonly userInfo: UserInfoService,
    private readonly logger?: LoggerService,
    private readonly rules: Record<string, Rule> = PORTAL_RULES,
  ) {
    this.admins = new Set(admins.map(a => a.toLocaleLowerCase('en-US')));
  }

  static fromConfig(
    config: Config,
    userInfo: UserInfoService,
    logger?: LoggerService,
  ) {
    return new PortalPermissionPolicy(readAdmins(config), userInfo, logger);
  }

  isAdmin(info: BackstageUserInfo): boolean {
    return info.ownershipEntityRefs.some(ref =>
      this.admins.has(ref.toLocaleLowerCase('en-US')),
    );
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const rule = Object.prototype.hasOwnProperty.call(
      this.rules,
      permission.name,
    )
      ? this.rules[permission.name]
      : undefined;
    if (!rule) {
      this.logger?.warn(
        `Refused unknown permission ${permission.name}: the portal policy has no rule for it`,
      );
      return DENY;
    }
    // No user: an unauthenticated request (services never reach the policy, see Rule).
    if (!user) return DENY;
    const info = await this.userInfo.getUserInfo(user.credentials);
    if (this.isAdmin(info)) return ALLOW;
    switch (rule) {
      case 'read':
      case 'user':
        return ALLOW;
      case 'admin':
        return DENY;
      case 'owner':
        return this.ownerOnly(permission, info);
      default:
        return DENY;
    }
  }

  private ownerOnly(
    permission: Permission,
    info: BackstageUserInfo,
  ): PolicyDecision {
    if (isResourcePermission(permission, 'catalog-entity')) {
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({
          claims: info.ownershipEntityRefs,
        }),
      );
    }
    if (isResourcePermission(permission, 'scaffolder-task')) {
      return createScaffolderTaskConditionalDecision(
        permission,
        scaffolderTaskConditions.isTaskOwner({
          createdBy: [info.userEntityRef],
        }),
      );
    }
    return DENY;
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        logger: coreServices.logger,
      },
      async init({ policy, config, userInfo, logger }) {
        const portal = PortalPermissionPolicy.fromConfig(
          config,
          userInfo,
          logger,
        );
        if (!readAdmins(config).length) {
          logger.warn(
            'permission.admins is empty: nobody may use the Kubernetes proxy, register catalog locations or administer model hosting',
          );
        }
        policy.setPolicy(portal);
      },
    });
  },
});
