import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { catalogEntityPermissionResourceRef } from '@backstage/plugin-catalog-node/alpha';
import { z } from 'zod/v3';
import {
  DeploymentRef,
  deploymentEntityName,
  ModelDeployment,
  normalizeOwnerRef,
} from '@internal/backstage-plugin-model-hosting-common';

/** The model-server Component as the catalog holds it: what ownership conditions are checked against. */
export function deploymentEntity(
  ref: DeploymentRef,
  md: ModelDeployment,
): Entity {
  const owner = normalizeOwnerRef(md.spec.owner);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: deploymentEntityName(ref), namespace: 'default' },
    spec: { type: 'model-server', owner, lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}

// The catalog's own rules for catalog-entity conditions, evaluated here against that entity, so a
// policy's ownership condition works before (and without) the catalog ingesting the entity.
const isEntityOwner = createPermissionRule({
  name: 'IS_ENTITY_OWNER',
  description: 'Allow entities owned by a specified claim',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({ claims: z.array(z.string()) }),
  apply: (entity: Entity, { claims }) =>
    (entity.relations ?? []).some(
      r => r.type === 'ownedBy' && claims.includes(r.targetRef),
    ),
  toQuery: ({ claims }) => ({ key: 'relations.ownedBy', values: claims }),
});

const isEntityKind = createPermissionRule({
  name: 'IS_ENTITY_KIND',
  description: 'Allow entities matching a specified kind',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({ kinds: z.array(z.string()) }),
  apply: (entity: Entity, { kinds }) =>
    kinds.map(k => k.toLowerCase()).includes(entity.kind.toLowerCase()),
  toQuery: ({ kinds }) => ({ key: 'kind', values: kinds }),
});

const isAuthorized = createConditionAuthorizer([isEntityOwner, isEntityKind]);

/** Asks the permission framework, and turns "no" into a 403 that says what was refused. */
export class DeploymentAuthorizer {
  constructor(private readonly permissions: PermissionsService) {}

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

  async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    ref: DeploymentRef,
    md: ModelDeployment,
    credentials: BackstageCredentials,
    what: string,
  ) {
    if (!(await this.allowed(permission, [{ ref, md }], credentials))[0]) {
      throw new NotAllowedError(
        `You may not ${what} ${ref.namespace}/${ref.name} on cluster ${ref.cluster}`,
      );
    }
  }

  /** One decision for many deployments (the fleet), evaluated locally when conditional. */
  async allowed(
    permission: ResourcePermission<'catalog-entity'>,
    items: Array<{ ref: DeploymentRef; md: ModelDeployment }>,
    credentials: BackstageCredentials,
  ): Promise<boolean[]> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
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
