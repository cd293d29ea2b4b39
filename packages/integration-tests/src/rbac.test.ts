import { execFileSync } from 'child_process';
import path from 'path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import { adminKubeConfig, backendKubeConfig, repo, useNamespace } from './kube';

// The backend's ServiceAccount as the API server authorizes it (k8s/rbac). Every verb the backend
// uses (cluster/KubeGateway.ts, cluster/ClusterCache.ts, engines/ModelServerAccess.ts,
// controller/LeaderElector.ts) is allowed where it needs it, and nothing else.
const SA = 'system:serviceaccount:model-hosting:model-hosting-backend';

const k8sBin = execFileSync(
  'bash',
  ['-c', `. ${repo}/scripts/cluster/versions.sh && echo $K8S_BIN`],
  { encoding: 'utf8' },
).trim();

/** `kubectl auth can-i … --as=<the backend's ServiceAccount>`: true for yes, false for no. */
function canI(verb: string, resource: string, namespace?: string): boolean {
  const [what, subresource] = resource.split('#');
  const args = [
    '--kubeconfig',
    process.env.MH_TEST_KUBECONFIG!,
    'auth',
    'can-i',
    verb,
    what,
    `--as=${SA}`,
    '--as-group=system:serviceaccounts',
    '--as-group=system:serviceaccounts:model-hosting',
    '--as-group=system:authenticated',
    ...(subresource ? [`--subresource=${subresource}`] : []),
    ...(namespace ? ['-n', namespace] : ['--all-namespaces']),
  ];
  try {
    execFileSync(path.join(k8sBin, 'kubectl'), args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return true;
  } catch (e: any) {
    if (e.status === 1 && String(e.stdout).trim().startsWith('no'))
      return false;
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr ?? e}`);
  }
}

const MD = 'modeldeployments.modelhosting.io';
const DEPLOY = 'deployments.apps';
const HPA = 'horizontalpodautoscalers.autoscaling';
const LEASE = 'leases.coordination.k8s.io';

/** What the watch caches list and watch, on the whole cluster (ClusterCache.ts). */
const CLUSTER_READS: Array<[string, string]> = [
  MD,
  DEPLOY,
  'replicasets.apps',
  'pods',
  'services',
  'configmaps',
  HPA,
  'persistentvolumeclaims',
  'nodes',
  'namespaces',
  'events',
].flatMap(r => [
  ['list', r],
  ['watch', r],
  ['get', r],
]) as Array<[string, string]>;

/** Every write, in a namespace opened to model hosting (KubeGateway.ts, ModelServerAccess.ts). */
const NAMESPACED_WRITES: Array<[string, string]> = [
  ['create', MD], // deploy (after a dry run)
  ['patch', MD], // switch, restart, the idempotent deploy's dry run
  ['delete', MD],
  ['patch', `${MD}#status`], // the reconciler's status
  ['patch', `${MD}#scale`], // scale action, built-in autoscaler
  ['update', `${MD}#finalizers`], // blockOwnerDeletion on children's owner references
  ['create', DEPLOY], // server-side apply of a new child
  ['patch', DEPLOY], // server-side apply, scale to zero for a recreate switch
  ['create', 'services'],
  ['patch', 'services'],
  ['create', 'configmaps'],
  ['patch', 'configmaps'],
  ['create', HPA],
  ['patch', HPA],
  ['delete', HPA], // autoscaling switched off
  ['create', 'persistentvolumeclaims'], // the model cache's claim (spec.storage)
  ['patch', 'persistentvolumeclaims'],
  ['create', 'events'],
  ['get', 'services#proxy'], // health checks
  ['create', 'services#proxy'], // gateway, inference health checks, Ollama pulls
  ['get', 'pods#proxy'], // each pod's /metrics
];

/** What the backend must never be able to do, in an opened namespace as anywhere else. */
const NEVER: Array<[string, string]> = [
  ['get', 'secrets'],
  ['list', 'secrets'],
  ['watch', 'secrets'],
  ['create', 'secrets'],
  ['create', 'pods'],
  ['delete', 'pods'],
  ['create', 'pods#exec'],
  ['create', 'pods#attach'],
  ['create', 'pods#portforward'],
  ['create', 'pods#ephemeralcontainers'],
  ['update', MD], // the backend patches; a PUT could drop fields others set
  ['delete', DEPLOY], // children go by garbage collection
  ['delete', 'services'],
  ['delete', 'configmaps'],
  ['update', DEPLOY],
  ['create', 'replicasets.apps'],
  ['create', 'rolebindings.rbac.authorization.k8s.io'], // the backend cannot open namespaces
  ['create', 'roles.rbac.authorization.k8s.io'],
  ['create', 'serviceaccounts'],
  ['create', 'serviceaccounts#token'],
  ['delete', 'persistentvolumeclaims'], // claims go by garbage collection, or stay (retain)
  ['delete', 'events'],
  ['create', 'services#proxy'], // (checked in closed namespaces only; see below)
];

const NEVER_CLUSTER: Array<[string, string, string?]> = [
  ['list', 'secrets'],
  ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
  ['create', 'clusterroles.rbac.authorization.k8s.io'],
  ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ['bind', 'clusterroles.rbac.authorization.k8s.io'],
  ['impersonate', 'users'],
  ['impersonate', 'groups'],
  ['impersonate', 'serviceaccounts'],
  ['create', 'namespaces'],
  ['delete', 'namespaces'],
  ['patch', 'namespaces'], // nor annotate one open
  ['update', 'namespaces'],
  ['patch', 'nodes'],
  ['delete', 'nodes'],
  ['get', 'nodes#proxy'],
  ['create', 'nodes#proxy'],
  ['patch', 'customresourcedefinitions.apiextensions.k8s.io'],
  ['create', 'mutatingwebhookconfigurations.admissionregistration.k8s.io'],
  ['create', 'validatingadmissionpolicies.admissionregistration.k8s.io'],
  ['create', 'certificatesigningrequests.certificates.k8s.io'],
  ['create', 'persistentvolumes'],
  ['update', LEASE, 'kube-node-lease'],
  ['update', LEASE, 'kube-system'],
  ['create', LEASE, 'kube-system'],
  ['get', 'secrets', 'kube-system'],
  ['get', 'secrets', 'model-hosting'],
  ['get', 'pods#log', 'kube-system'],
  ['create', 'pods#exec', 'kube-system'],
  ['create', 'services#proxy', 'kube-system'],
  ['get', 'services#proxy', 'default'],
];

describe("the backend's ServiceAccount (k8s/rbac), as the API server authorizes it", () => {
  const opened = useNamespace('rbac-open');
  const closed = `rbac-closed-${Date.now().toString(36)}`;

  beforeAll(async () => {
    const kc = adminKubeConfig();
    // Older k8s/rbac bound the Kubernetes plugin's reader cluster-wide; `kubectl apply` of the
    // new files does not remove that binding from a cluster that kept running.
    await kc
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteClusterRoleBinding({
        name: 'model-hosting-kubernetes-plugin-reader',
      })
      .catch(() => undefined);
    // A namespace nobody opened: no annotation, no RoleBinding.
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: closed } } });
  });
  afterAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: closed })
      .catch(() => undefined);
  });

  it('reads what its caches list and watch, on the whole cluster', () => {
    const denied = CLUSTER_READS.filter(([v, r]) => !canI(v, r));
    expect(denied).toEqual([]);
  });

  it('makes every write it uses in an opened namespace', () => {
    const denied = NAMESPACED_WRITES.filter(([v, r]) => !canI(v, r, opened()));
    expect(denied).toEqual([]);
  });

  it('makes none of those writes in a closed namespace, kube-system, default or its own', () => {
    for (const ns of [closed, 'kube-system', 'default', 'model-hosting']) {
      const allowed = NAMESPACED_WRITES.filter(([v, r]) => canI(v, r, ns));
      expect({ namespace: ns, allowed }).toEqual({
        namespace: ns,
        allowed: [],
      });
    }
  });

  it('has none of the verbs it must never have, in an opened namespace either', () => {
    const opens = NEVER.filter(
      ([v, r]) => !(v === 'create' && r === 'services#proxy'),
    );
    for (const ns of [opened(), closed]) {
      const allowed = opens.filter(([v, r]) => canI(v, r, ns));
      expect({ namespace: ns, allowed }).toEqual({
        namespace: ns,
        allowed: [],
      });
    }
    const allowedOnCluster = NEVER_CLUSTER.filter(([v, r, ns]) =>
      canI(v, r, ns),
    );
    expect(allowedOnCluster).toEqual([]);
  });

  it('holds its Lease and no other', () => {
    expect(canI('create', LEASE, 'model-hosting')).toBe(true);
    expect(
      canI('get', `${LEASE}/model-hosting-reconciler`, 'model-hosting'),
    ).toBe(true);
    expect(
      canI('update', `${LEASE}/model-hosting-reconciler`, 'model-hosting'),
    ).toBe(true);
    expect(canI('update', `${LEASE}/someone-else`, 'model-hosting')).toBe(
      false,
    );
    expect(
      canI('delete', `${LEASE}/model-hosting-reconciler`, 'model-hosting'),
    ).toBe(false);
    expect(canI('list', LEASE, 'model-hosting')).toBe(false);
    expect(canI('create', LEASE, opened())).toBe(false);
  });

  // The same with the backend's real token (the one Backstage uses), not impersonation.
  const status = async (call: Promise<unknown>) => {
    try {
      await call;
      return 200;
    } catch (e) {
      if (e instanceof ApiException) return e.code;
      throw e;
    }
  };

  it('with its own token: reads the examples, may not read secrets, change nodes or write in a closed namespace', async () => {
    const kc = backendKubeConfig();
    const list = await kc
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({
        group: MODEL_DEPLOYMENT.group,
        version: MODEL_DEPLOYMENT.version,
        plural: MODEL_DEPLOYMENT.plural,
      });
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(
      expect.arrayContaining([
        'ollama-chat',
        'vllm-instruct',
        'iris-classifier',
      ]),
    );
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNode()).items.length).toBeGreaterThanOrEqual(6);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.deleteNode({ name: 'cpu-0' }))).toBe(403);
    expect(await status(core.deleteNamespace({ name: 'ml-serving' }))).toBe(
      403,
    );
    expect(
      await status(
        core.createNamespacedConfigMap({
          namespace: closed,
          body: { metadata: { name: 'x' } },
        }),
      ),
    ).toBe(403);
    expect(
      await status(
        core.patchNamespace({
          name: closed,
          body: {
            metadata: {
              annotations: {
                'modelhosting.io/owners': 'group:default/ml-platform',
              },
            },
          },
        }),
      ),
    ).toBe(403);
  });

  it('opens the examples namespace ml-serving to both teams, with Pod Security baseline enforced', async () => {
    const ns = await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: 'ml-serving' });
    expect(ns.metadata?.annotations?.['modelhosting.io/owners']).toBe(
      'group:default/ml-platform, group:default/data-science',
    );
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe(
      'baseline',
    );
    expect(canI('create', MD, 'ml-serving')).toBe(true);
    expect(canI('get', 'secrets', 'ml-serving')).toBe(false);
  });
});
