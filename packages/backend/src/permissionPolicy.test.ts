import { ConfigReader } from '@backstage/config';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  PORTAL_PERMISSIONS,
  PORTAL_RULES,
  PortalPermissionPolicy,
  readAdmins,
  SERVICE_PERMISSIONS,
} from './permissionPolicy';

// Who signs in, as the catalog resolves them (catalog/org.yaml).
const people: Record<string, string[]> = {
  'user:default/alice': ['user:default/alice', 'group:default/ml-platform'],
  'user:default/bob': ['user:default/bob', 'group:default/data-science'],
  'user:default/admin': ['user:default/admin', 'group:default/platform-admins'],
};

// The user info service reads a user's refs from their token; here, from the table above.
const userInfo: UserInfoService = {
  async getUserInfo(credentials: BackstageCredentials) {
    const ref = (credentials.principal as BackstageUserPrincipal).userEntityRef;
    return { userEntityRef: ref, ownershipEntityRefs: people[ref] };
  },
};

const signedIn = (name: string): PolicyQueryUser => {
  const ref = `user:default/${name}`;
  const credentials = {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: ref },
  } as BackstageCredentials;
  return {
    credentials,
    info: { userEntityRef: ref, ownershipEntityRefs: people[ref] },
  };
};

const policy = PortalPermissionPolicy.fromConfig(
  new ConfigReader({
    permission: { admins: ['group:default/platform-admins'] },
  }),
  userInfo,
);

const byName = (name: string): Permission => {
  const p = PORTAL_PERMISSIONS.find(x => x.name === name);
  if (!p) throw new Error(`no permission ${name}`);
  return p;
};

const decide = (name: string, who?: string) =>
  policy.handle({ permission: byName(name) }, who ? signedIn(who) : undefined);

describe('PortalPermissionPolicy', () => {
  it('has one explicit rule for every permission the portal plugins register, and no other', () => {
    const registered = [...new Set(PORTAL_PERMISSIONS.map(p => p.name))].sort();
    expect(Object.keys(PORTAL_RULES).sort()).toEqual(registered);
    // Each plugin's list is there (a missing import would shrink it).
    for (const prefix of [
      'catalog.',
      'scaffolder.',
      'kubernetes.',
      'model-hosting.',
    ]) {
      expect(registered.some(n => n.startsWith(prefix))).toBe(true);
    }
  });

  it('denies what it does not know, to admins too', async () => {
    const unknown = createPermission({
      name: 'someplugin.anything',
      attributes: { action: 'read' },
    });
    for (const who of ['alice', 'admin']) {
      expect(
        await policy.handle({ permission: unknown }, signedIn(who)),
      ).toEqual({ result: AuthorizeResult.DENY });
    }
  });

  it('denies every request without a user (unauthenticated)', async () => {
    for (const p of PORTAL_PERMISSIONS) {
      expect((await policy.handle({ permission: p }))?.result).toBe(
        AuthorizeResult.DENY,
      );
    }
  });

  it.each([
    'kubernetes.proxy',
    'model-hosting.admin',
    'catalog.location.create',
    'catalog.location.analyze',
    'catalog.entity.create',
    'catalog.entity.delete',
    'scaffolder.template.dry-run',
    'scaffolder.template.management',
  ])('gives %s to admins only', async name => {
    expect((await decide(name, 'admin')).result).toBe(AuthorizeResult.ALLOW);
    expect((await decide(name, 'alice')).result).toBe(AuthorizeResult.DENY);
    expect((await decide(name, 'bob')).result).toBe(AuthorizeResult.DENY);
  });

  it.each([
    'model-hosting.deployment.read',
    'model-hosting.deployment.create',
    'model-hosting.model.invoke',
    'catalog.entity.read',
    'kubernetes.resources.read',
    'kubernetes.clusters.read',
    'scaffolder.task.create',
    'scaffolder.action.execute',
  ])('gives %s to every signed-in user', async name => {
    for (const who of ['alice', 'bob', 'admin']) {
      expect((await decide(name, who)).result).toBe(AuthorizeResult.ALLOW);
    }
  });

  it.each([
    'model-hosting.deployment.scale',
    'model-hosting.deployment.switch',
    'model-hosting.deployment.restart',
    'model-hosting.deployment.delete',
    'model-hosting.audit.read',
  ])('gives %s to admins, and to other users on what they own', async name => {
    expect((await decide(name, 'admin')).result).toBe(AuthorizeResult.ALLOW);
    expect(await decide(name, 'bob')).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/bob', 'group:default/data-science'],
        },
      },
    });
  });

  it('lets users read and cancel only the scaffolder tasks they created', async () => {
    for (const name of ['scaffolder.task.read', 'scaffolder.task.cancel']) {
      expect(await decide(name, 'alice')).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: 'scaffolder-task',
        conditions: {
          rule: 'IS_TASK_OWNER',
          resourceType: 'scaffolder-task',
          params: { createdBy: ['user:default/alice'] },
        },
      });
      expect((await decide(name, 'admin')).result).toBe(AuthorizeResult.ALLOW);
    }
  });

  it('offers service principals read permissions only', () => {
    expect(SERVICE_PERMISSIONS).toEqual(
      expect.arrayContaining([
        'model-hosting.deployment.read',
        'model-hosting.model.invoke',
        'catalog.entity.read',
      ]),
    );
    for (const name of SERVICE_PERMISSIONS) {
      expect(byName(name).attributes.action ?? 'read').toBe('read');
    }
    expect(SERVICE_PERMISSIONS).not.toContain('model-hosting.audit.read');
    expect(SERVICE_PERMISSIONS).not.toContain('kubernetes.proxy');
  });

  it('reads admins from permission.admins; a bare name is a group', () => {
    expect(
      readAdmins(
        new ConfigReader({
          permission: { admins: ['platform-admins', 'user:default/root'] },
        }),
      ),
    ).toEqual(['group:default/platform-admins', 'user:default/root']);
    expect(readAdmins(new ConfigReader({}))).toEqual([]);
  });

  it('has no admins without permission.admins', async () => {
    const none = PortalPermissionPolicy.fromConfig(
      new ConfigReader({}),
      userInfo,
    );
    expect(
      (
        await none.handle(
          { permission: byName('kubernetes.proxy') },
          signedIn('admin'),
        )
      ).result,
    ).toBe(AuthorizeResult.DENY);
  });
});
