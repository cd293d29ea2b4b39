import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  EngineAdapter,
  modelHostingEnginesExtensionPoint,
} from '@modelhosting/backstage-plugin-model-hosting-node';
import { modelHostingPlugin } from './plugin';

// The plugin's database is ours to close: the default test database leaves its pool's timer running.
let knex: Knex;
beforeEach(() => {
  knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
});
afterEach(() => knex.destroy());
const database = () => mockServices.database.factory({ knex });

describe('modelHostingPlugin', () => {
  it('serves an empty fleet when no cluster is configured', async () => {
    const backend = await startTestBackend({
      features: [modelHostingPlugin, database()],
    });
    const res = await request(backend.server).get(
      '/api/model-hosting/deployments',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], clusters: [] });
    await backend.stop();
  });

  it('serves the fleet a page at a time and refuses a query it cannot answer', async () => {
    const backend = await startTestBackend({
      features: [modelHostingPlugin, database()],
    });
    const fleet = (query: string) =>
      request(backend.server).get(`/api/model-hosting/deployments?${query}`);
    const page = await fleet(
      'limit=20&offset=0&sort=gpus&order=desc&q=a100&facets=true',
    );
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      items: [],
      total: 0,
      facets: { cluster: [], engine: [], model: [], phase: [], owner: [] },
      clusters: [],
    });
    const refused = await fleet('limit=10000');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      "limit must be a whole number from 0 to 500, got '10000'",
    );
    expect((await fleet('limit=5&sort=password')).status).toBe(400);
    expect((await fleet('limit=5')).body).toEqual({
      items: [],
      total: 0,
      clusters: [],
    });
    await backend.stop();
  });

  it('reports a cluster that is down instead of failing the whole fleet', async () => {
    const backend = await startTestBackend({
      features: [
        modelHostingPlugin,
        database(),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    // Port 1 on loopback: nothing listens, the connection is refused at once.
                    {
                      name: 'down',
                      url: 'https://127.0.0.1:1',
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 't',
                      skipTLSVerify: true,
                    },
                  ],
                },
              ],
            },
          },
        }),
      ],
    });
    // The first list fails at once; the cluster is then reported with the reason.
    const { server } = backend;
    let res = await request(server).get('/api/model-hosting/deployments');
    for (
      let i = 0;
      i < 50 && res.body.clusters[0].error?.includes('still loading');
      i++
    ) {
      await new Promise(r => setTimeout(r, 100));
      res = await request(server).get('/api/model-hosting/deployments');
    }
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
    expect(res.body.clusters).toEqual([
      {
        name: 'down',
        reachable: false,
        error: expect.stringContaining("Cluster 'down' is unreachable"),
        synced: false,
      },
    ]);
    await backend.stop();
  });

  it('refuses a configuration that names a cluster twice', async () => {
    const cluster = {
      name: 'twice',
      url: 'https://127.0.0.1:1',
      serviceAccountToken: 't',
    };
    await expect(
      startTestBackend({
        features: [
          modelHostingPlugin,
          database(),
          mockServices.rootConfig.factory({
            data: {
              kubernetes: {
                clusterLocatorMethods: [
                  { type: 'config', clusters: [cluster, cluster] },
                ],
              },
            },
          }),
        ],
      }),
    ).rejects.toThrow("Cluster name 'twice' is configured twice");
  });

  it('runs engines that a module adds through the extension point', async () => {
    const tgi: EngineAdapter = {
      engine: 'tgi',
      title: 'Text Generation Inference',
      apiKind: 'openai',
      defaultImage: 'ghcr.io/huggingface/text-generation-inference:3',
      port: 80,
      metering: 'gateway',
      config: (_md, model) => ({ MODEL_ID: model.name }),
      container: () => {
        throw new Error('not planned in this test');
      },
      probe: async () => ({ healthy: true, message: 'ok', pulled: [] }),
    };
    const backend = await startTestBackend({
      features: [
        modelHostingPlugin,
        database(),
        createBackendModule({
          pluginId: 'model-hosting',
          moduleId: 'tgi',
          register(env) {
            env.registerInit({
              deps: { engines: modelHostingEnginesExtensionPoint },
              async init({ engines }) {
                engines.addEngine(tgi);
              },
            });
          },
        }),
      ],
    });
    const res = await request(backend.server).get('/api/model-hosting/engines');
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { engine: string }) => e.engine)).toEqual([
      'vllm',
      'ollama',
      'openai',
      'http',
      'tgi',
    ]);
    await backend.stop();
  });
});
