import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isPermission,
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
  modelDeploymentDeletePermission,
  modelDeploymentRestartPermission,
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const ownerOnly = [
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
  modelDeploymentRestartPermission,
  modelDeploymentDeletePermission,
];

/**
 * The portal's policy: everyone signed in may read and deploy models; only the owners of a model
 * server (its spec.owner, or a group they belong to) may scale, switch, restart or delete it.
 */
export class ModelHostingPortalPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const guarded = ownerOnly.find(p => isPermission(request.permission, p));
    if (guarded && user) {
      return createCatalogConditionalDecision(
        guarded,
        catalogConditions.isEntityOwner({
          claims: user.info.ownershipEntityRefs,
        }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'model-hosting-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new ModelHostingPortalPolicy());
      },
    });
  },
});
