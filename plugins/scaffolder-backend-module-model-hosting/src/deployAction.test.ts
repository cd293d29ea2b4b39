import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockCredentials } from '@backstage/backend-test-utils';
import { z } from 'zod/v3';
import { createDeployAction } from './deployAction';
import { nameInput, specInput } from './inputSchema';
import { ModelHostingApi } from '@modelhosting/backstage-plugin-model-hosting-node';

const spec = {
  owner: 'group:default/ml-platform',
  engine: 'vllm',
  model: { name: 'm' },
  replicas: 1,
};
const input = {
  cluster: 'local',
  namespace: 'ml',
  name: 'chat',
  spec,
  waitForReady: false,
  timeoutSeconds: 5,
};

function fakeClient(phases: string[] = ['Ready']) {
  let i = 0;
  return {
    deploy: jest.fn(
      async (
        _request: unknown,
        _options: { credentials: unknown; dryRun?: boolean },
      ) => ({}),
    ),
    listEngines: jest.fn(async () => [
      {
        engine: 'vllm',
        title: 'vLLM',
        apiKind: 'openai',
        defaultImage: 'v',
        port: 8000,
      },
    ]),
    getDeployment: jest.fn(async () => {
      const phase = phases[Math.min(i++, phases.length - 1)];
      return {
        summary: {
          phase,
          readyReplicas: phase === 'Ready' ? 1 : 0,
          replicas: 1,
        },
        resource: {
          status: {
            endpoint: 'http://chat.ml.svc.cluster.local:8000',
            conditions: [
              {
                type: 'Scheduled',
                status: phase === 'Pending' ? 'False' : 'True',
                message:
                  '0/6 nodes are available: 2 Insufficient nvidia.com/gpu.',
              },
            ],
          },
        },
      };
    }),
  };
}

describe('model-hosting:deploy', () => {
  it('validates the spec with the CRD schema and names with Kubernetes rules', () => {
    expect(specInput(z).safeParse(spec).success).toBe(true);
    const bad = specInput(z).safeParse({
      ...spec,
      engine: 'Triton!',
      replicas: -1,
    });
    expect(bad.success).toBe(false);
    expect(
      JSON.stringify(!bad.success && bad.error.issues.map(i => i.message)),
    ).toContain('spec.engine must match pattern');
    expect(nameInput(z).safeParse('Chat_1').success).toBe(false);
  });

  it('dry-runs first, then creates as the user who runs the template, and outputs the entity and endpoint', async () => {
    const client = fakeClient();
    const ctx = {
      ...createMockActionContext({ input }),
      getInitiatorCredentials: async () =>
        mockCredentials.user('user:default/jane'),
    };
    await createDeployAction(client as unknown as ModelHostingApi).handler(
      ctx as any,
    );
    expect(client.deploy.mock.calls.map(c => !!c[1].dryRun)).toEqual([
      true,
      false,
    ]);
    expect(client.deploy.mock.calls[1][1].credentials).toEqual(
      mockCredentials.user('user:default/jane'),
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'component:default/local.ml.chat',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'endpointUrl',
      'http://chat.ml.svc.cluster.local:8000',
    );
  });

  it('only checks in a template dry run', async () => {
    const client = fakeClient();
    const ctx = { ...createMockActionContext({ input }), isDryRun: true };
    await createDeployAction(client as unknown as ModelHostingApi).handler(
      ctx as any,
    );
    expect(client.deploy.mock.calls.map(c => !!c[1].dryRun)).toEqual([true]);
  });

  it('fails without creating anything when the dry run is refused', async () => {
    const client = fakeClient();
    client.deploy.mockRejectedValueOnce(
      new Error("Namespace 'ml' does not exist in cluster 'local'"),
    );
    const ctx = createMockActionContext({ input });
    await expect(
      createDeployAction(client as unknown as ModelHostingApi).handler(
        ctx as any,
      ),
    ).rejects.toThrow(/Namespace 'ml' does not exist/);
    expect(client.deploy).toHaveBeenCalledTimes(1);
  });

  it("waits for Ready, and explains a timeout with the scheduler's reason", async () => {
    const ready = fakeClient(['Deploying', 'Ready']);
    const ctx = createMockActionContext({
      input: { ...input, waitForReady: true },
    });
    await createDeployAction(ready as unknown as ModelHostingApi, {
      pollIntervalMs: 1,
    }).handler(ctx as any);
    expect(ctx.output).toHaveBeenCalledWith('phase', 'Ready');

    const stuck = fakeClient(['Pending']);
    const late = createMockActionContext({
      input: { ...input, waitForReady: true, timeoutSeconds: 0.05 },
    });
    await expect(
      createDeployAction(stuck as unknown as ModelHostingApi, {
        pollIntervalMs: 5,
      }).handler(late as any),
    ).rejects.toThrow(
      /ml\/chat was not Ready within 0.05 s \(phase Pending, 0\/1 ready: 0\/6 nodes are available: 2 Insufficient nvidia.com\/gpu.\)/,
    );
  });
});
