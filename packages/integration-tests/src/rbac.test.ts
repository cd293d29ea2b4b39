import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
} from '@kubernetes/client-node';
import { MODEL_DEPLOYMENT } from '@modelhosting/backstage-plugin-model-hosting-common';
import { backendKubeConfig } from './kube';

const status = async (call: Promise<unknown>) => {
  try {
    await call;
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
};

describe("the backend's ServiceAccount (k8s/rbac)", () => {
  const kc = backendKubeConfig();

  it('may read ModelDeployments and nodes on the whole cluster', async () => {
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
    expect(
      (await kc.makeApiClient(CoreV1Api).listNode()).items.length,
    ).toBeGreaterThanOrEqual(6);
  });

  it('may not read secrets or change nodes (least privilege)', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.deleteNode({ name: 'cpu-0' }))).toBe(403);
    expect(await status(core.deleteNamespace({ name: 'ml-serving' }))).toBe(
      403,
    );
  });
});
