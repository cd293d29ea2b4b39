import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  DeploymentRef,
  ModelDeployment,
} from '@modelhosting/backstage-plugin-model-hosting-common';
import { DecisionCache } from './DecisionCache';
import { deploymentEntity, isAuthorized } from './rules';

/** Asks the permission framework, and turns "no" into a 403 that says what was refused. */
export class DeploymentAuthorizer {
  constructor(
    private readonly permissions: PermissionsService,
    /** A person's decisions kept for a few seconds, where a caller asks for it (the gateway). */
    private readonly remembered = new DecisionCache(0),
  ) {}

  async authorizeBasic(
    permission: BasicPermission,
    credentials: BackstageCredentials,
    what: string,
  ) {
    const [decision] = await this.permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW)
      throw new NotAllowedError(`You may not ${what}`);
  }

  /** A basic permission's decision, as a boolean. */
  async isAllowed(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await this.permissions.authorize([{ permission }], {
      credentials,
    });
    return decision.result === AuthorizeResult.ALLOW;
  }

  async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    item: { ref: DeploymentRef; md: ModelDeployment },
    credentials: BackstageCredentials,
    what: string,
  ) {
    const { ref } = item;
    if (!(await this.allowed(permission, [item], credentials))[0]) {
      throw new NotAllowedError(
        `You may not ${what} ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    }
  }

  /**
   * One decision for many deployments (the fleet), evaluated locally when conditional. With
   * `remember`, a person's decision may be one taken a few seconds ago (see DecisionCache).
   */
  async allowed(
    permission: ResourcePermission<'catalog-entity'>,
    items: Array<{ ref: DeploymentRef; md: { spec: { owner: string } } }>,
    credentials: BackstageCredentials,
    { remember = false } = {},
  ): Promise<boolean[]> {
    const ask = async () =>
      (
        await this.permissions.authorizeConditional([{ permission }], {
          credentials,
        })
      )[0];
    const decision = remember
      ? await this.remembered.decide(permission.name, credentials, ask)
      : await ask();
    if (decision.result === AuthorizeResult.ALLOW) return items.map(() => true);
    if (decision.result === AuthorizeResult.DENY) return items.map(() => false);
    return items.map(({ ref, md }) => {
      try {
        return isAuthorized(decision, deploymentEntity(ref, md));
      } catch {
        // A condition this plugin cannot evaluate: refuse rather than guess.
        return false;
      }
    });
  }
}
