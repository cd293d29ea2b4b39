import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Model-hosting permissions. All but create are resource permissions on the catalog entity of the
 * deployment (its model-server Component), so policies can allow them conditionally on ownership.
 */
const RESOURCE_TYPE = 'catalog-entity';

export const modelDeploymentReadPermission = createPermission({
  name: 'model-hosting.deployment.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE,
});

/** A basic permission: before deployment there is no entity to own. */
export const modelDeploymentCreatePermission = createPermission({
  name: 'model-hosting.deployment.create',
  attributes: { action: 'create' },
});

export const modelDeploymentScalePermission = createPermission({
  name: 'model-hosting.deployment.scale',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

export const modelDeploymentSwitchPermission = createPermission({
  name: 'model-hosting.deployment.switch',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

export const modelDeploymentRestartPermission = createPermission({
  name: 'model-hosting.deployment.restart',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

export const modelDeploymentDeletePermission = createPermission({
  name: 'model-hosting.deployment.delete',
  attributes: { action: 'delete' },
  resourceType: RESOURCE_TYPE,
});

/** Editing a deployment's spec (edit, autoscale) and running a health check on demand. */
export const modelDeploymentUpdatePermission = createPermission({
  name: 'model-hosting.deployment.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE,
});

/** Calling a model through the portal's OpenAI-compatible gateway. */
export const modelInvokePermission = createPermission({
  name: 'model-hosting.model.invoke',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE,
});

/**
 * Platform administration: set any owner, see every team's details and audit records. A basic
 * permission the portal's policy grants to its admins.
 */
export const modelHostingAdminPermission = createPermission({
  name: 'model-hosting.admin',
  attributes: {},
});

/**
 * Reading a deployment's audit records (who did what, with which input). A resource permission
 * like the others: the log is filtered record by record, so a policy can limit it to owners.
 */
export const modelHostingAuditReadPermission = createPermission({
  name: 'model-hosting.audit.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE,
});

export const modelHostingPermissions = [
  modelInvokePermission,
  modelDeploymentReadPermission,
  modelDeploymentCreatePermission,
  modelDeploymentScalePermission,
  modelDeploymentSwitchPermission,
  modelDeploymentRestartPermission,
  modelDeploymentDeletePermission,
  modelDeploymentUpdatePermission,
  modelHostingAdminPermission,
  modelHostingAuditReadPermission,
];
