import { Entity } from '@backstage/catalog-model';
import {
  createConditionAuthorizer,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { catalogEntityPermissionResourceRef } from '@backstage/plugin-catalog-node/alpha';
import { z } from 'zod/v3';
import {
  DeploymentRef,
  deploymentEntityName,
  normalizeOwnerRef,
} from '@modelhosting/backstage-plugin-model-hosting-common';

/** The model-server Component as the catalog holds it: what ownership conditions are checked against. */
export function deploymentEntity(
  ref: DeploymentRef,
  md: { spec: { owner: string } },
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

/** Evaluates a conditional decision of the catalog's entity rules against one entity. */
export const isAuthorized = createConditionAuthorizer([
  isEntityOwner,
  isEntityKind,
]);
