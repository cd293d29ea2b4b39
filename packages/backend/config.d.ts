export interface Config {
  permission?: {
    /**
     * Entity refs of the portal's administrators: groups (`group:default/platform-admins`) whose
     * direct members, or users (`user:default/alice`), hold every permission of the portal policy
     * (packages/backend/src/permissionPolicy.ts): the Kubernetes proxy, catalog locations,
     * model-hosting.admin (any owner, every team's details and audit records), and every owner-only
     * action on every model server. A bare name is a group in the default namespace.
     */
    admins?: string[];
  };
}
