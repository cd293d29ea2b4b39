import { execFileSync } from 'child_process';
import path from 'path';
import fs from 'fs';
import YAML from 'yaml';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';

/** The repository's root: this package lives in packages/integration-tests. */
export const repo = path.resolve(
  resolvePackagePath('integration-tests'),
  '../..',
);

/** The admin kubeconfig of the cluster that the global setup started. */
export function adminKubeConfig(): KubeConfig {
  const file = process.env.MH_TEST_KUBECONFIG;
  if (!file || !fs.existsSync(file)) {
    throw new Error(
      'MH_TEST_KUBECONFIG is not set or missing: run these tests through their jest global setup (scripts/test.sh)',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** The backend's own view: the ServiceAccount token of k8s/rbac from the generated app-config. */
export function backendKubeConfig(): KubeConfig {
  const appConfig = YAML.parse(
    fs.readFileSync(process.env.MH_TEST_APP_CONFIG!, 'utf8'),
  );
  const c = appConfig.kubernetes.clusterLocatorMethods[0].clusters[0];
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: c.name, server: c.url, caData: c.caData }],
    users: [{ name: 'sa', token: c.serviceAccountToken }],
    contexts: [{ name: c.name, cluster: c.name, user: 'sa' }],
    currentContext: c.name,
  });
  return kc;
}

const k8sBin = execFileSync(
  'bash',
  ['-c', `. ${repo}/scripts/cluster/versions.sh && echo $K8S_BIN`],
  { encoding: 'utf8' },
).trim();

/** The kubectl built with the control plane, as a user would run it. */
export function kubectl(...args: string[]): string {
  return execFileSync(
    path.join(k8sBin, 'kubectl'),
    ['--kubeconfig', process.env.MH_TEST_KUBECONFIG!, ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** The Events with this reason about one object, as kubectl lists them (with their repeat count). */
export function eventsFor(
  namespace: string,
  name: string,
  reason: string,
): Array<{ message: string; count?: number }> {
  return JSON.parse(
    kubectl(
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      `reason=${reason},involvedObject.name=${name}`,
      '-o',
      'json',
    ),
  ).items;
}

/** The teams of catalog/org.yaml: who a test namespace is opened to unless a test says otherwise. */
export const TEST_NAMESPACE_OWNERS = [
  'group:default/ml-platform',
  'group:default/data-science',
];

/**
 * Opens a namespace as an admin does (k8s/rbac/templates/open-namespace.yaml): the owners
 * annotation, Pod Security baseline enforced (restricted warned and audited), and the RoleBindings
 * that let the backend's ServiceAccount write there. Resolves once the API server authorizes the
 * backend's writes in it.
 */
export async function openNamespace(
  name: string,
  owners: string[] = TEST_NAMESPACE_OWNERS,
  annotations: Record<string, string> = {},
) {
  const kc = adminKubeConfig();
  const template = fs
    .readFileSync(
      path.join(repo, 'k8s/rbac/templates/open-namespace.yaml'),
      'utf8',
    )
    .replace(/__NAMESPACE__/g, name)
    .replace(/__OWNERS__/g, owners.join(', '));
  const objects = YAML.parseAllDocuments(template).map(
    d => d.toJSON() as KubernetesObject,
  );
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    if (obj.kind === 'Namespace') {
      obj.metadata!.annotations = {
        ...obj.metadata!.annotations,
        ...annotations,
      };
    }
    await api.create(obj);
  }
  // RBAC takes a moment to see new RoleBindings: wait until the backend may write here.
  const review = backendKubeConfig().makeApiClient(AuthorizationV1Api);
  await eventually(async () => {
    const { status } = await review.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            namespace: name,
            group: MODEL_DEPLOYMENT.group,
            resource: MODEL_DEPLOYMENT.plural,
            verb: 'create',
          },
        },
      },
    });
    if (!status?.allowed) throw new Error(`${name} is not open yet`);
  }, 30_000);
}

/**
 * A fresh namespace for one test file, deleted afterwards: opened to `owners` (both teams of
 * catalog/org.yaml unless told otherwise) with the backend's RoleBindings, and Pod Security
 * baseline enforced, so the real API server checks that model-server pods pass it.
 */
export function useNamespace(
  prefix: string,
  options: { owners?: string[]; annotations?: Record<string, string> } = {},
): () => string {
  let name = '';
  beforeAll(async () => {
    name = `${prefix}-${Date.now().toString(36)}-${Math.floor(
      Math.random() * 1e4,
    )}`;
    await openNamespace(name, options.owners, options.annotations);
  });
  afterAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name })
      .catch(() => undefined);
  });
  return () => name;
}

export function createModelDeployment(
  kc: KubeConfig,
  namespace: string,
  body: object,
  dryRun = false,
) {
  return kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: MODEL_DEPLOYMENT.group,
    version: MODEL_DEPLOYMENT.version,
    plural: MODEL_DEPLOYMENT.plural,
    namespace,
    body,
    dryRun: dryRun ? 'All' : undefined,
  });
}

/** The apiserver's message from a failed call. */
export function apiMessage(e: unknown): string {
  if (e instanceof ApiException) {
    try {
      return JSON.parse(e.body as string).message;
    } catch {
      return String(e.body);
    }
  }
  return String(e);
}

export async function eventually<T>(
  fn: () => Promise<T>,
  timeoutMs = 60_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, intervalMs));
    }
  }
}

/**
 * A simulated GPU node of its own for one test file, so tests do not compete for capacity.
 * Returns its product label; the node is deleted after the file's tests.
 */
export function useGpuNode(
  name: string,
  resource: string,
  count: number,
): { product: string } {
  const product = `TEST-${name.toUpperCase()}`;
  beforeAll(async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const resources = {
      cpu: '64',
      memory: '256Gi',
      pods: '110',
      [resource]: String(count),
    };
    await core.createNode({
      body: {
        metadata: {
          name,
          annotations: {
            'kwok.x-k8s.io/node': 'fake',
            'node.alpha.kubernetes.io/ttl': '0',
          },
          labels: {
            type: 'kwok',
            'kubernetes.io/hostname': name,
            'nvidia.com/gpu.product': product,
            'nvidia.com/gpu.present': 'true',
          },
        },
        spec: {
          taints: [
            { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
          ],
        },
        status: { capacity: resources, allocatable: resources },
      },
    });
    await eventually(async () => {
      const node = await core.readNode({ name });
      if (
        node.status?.conditions?.find(c => c.type === 'Ready')?.status !==
        'True'
      )
        throw new Error('node not ready');
    });
  });
  afterAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNode({ name })
      .catch(() => undefined);
  });
  return { product };
}
