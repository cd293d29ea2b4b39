import { ResponseError } from '@backstage/errors';
import { registerMswTestHooks } from '@backstage/test-utils';
import { EditResponse } from '@modelhosting/backstage-plugin-model-hosting-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { detail } from '../testing/fixtures';
import { ModelHostingClient } from './ModelHostingClient';

const server = setupServer();
registerMswTestHooks(server);

const base = 'http://backend.test/api/model-hosting';
// Names that need escaping, to see that every path segment is encoded.
const ref = { cluster: 'gpu east', namespace: 'ml-serving', name: 'vllm/x' };
const one = `${base}/deployments/gpu%20east/ml-serving/vllm%2Fx`;
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});

const answer: EditResponse = {
  dryRun: true,
  resource: detail().resource,
  changes: [{ path: 'image', from: undefined, to: 'vllm/vllm-openai:v0.6.3' }],
  cluster: [
    {
      kind: 'Deployment',
      name: 'vllm-instruct',
      change: 'update',
      paths: ['spec.template.spec.containers[0].image'],
    },
  ],
};

/** Records what reached the server: method, path with query, body. */
function recorder() {
  const seen: Array<{ method: string; url: string; body: unknown }> = [];
  const record = async ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    seen.push({
      method: request.method,
      url: `${url.pathname}${url.search}`,
      body: request.headers.get('content-type')?.includes('json')
        ? await request.json()
        : undefined,
    });
  };
  return { seen, record };
}

describe('ModelHostingClient', () => {
  it('edits with PATCH {spec}, as a dry run or for real', async () => {
    const { seen, record } = recorder();
    server.use(
      http.patch(one, async args => {
        await record(args);
        return HttpResponse.json(answer);
      }),
    );
    const spec = { image: 'vllm/vllm-openai:v0.6.3' };
    await expect(client.edit(ref, spec, { dryRun: true })).resolves.toEqual(
      answer,
    );
    await client.edit(ref, spec);
    expect(seen).toEqual([
      {
        method: 'PATCH',
        url: '/api/model-hosting/deployments/gpu%20east/ml-serving/vllm%2Fx?dryRun=true',
        body: { spec },
      },
      {
        method: 'PATCH',
        url: '/api/model-hosting/deployments/gpu%20east/ml-serving/vllm%2Fx?dryRun=false',
        body: { spec },
      },
    ]);
  });

  it('posts the autoscaling settings whole', async () => {
    const { seen, record } = recorder();
    server.use(
      http.post(`${one}/autoscale`, async args => {
        await record(args);
        return HttpResponse.json(answer);
      }),
    );
    const settings = {
      enabled: true,
      minReplicas: 0,
      maxReplicas: 4,
      metrics: [{ type: 'requestsInFlight' as const, target: 8 }],
      scaleToZeroAfterSeconds: 600,
    };
    await client.autoscale(ref, settings, { dryRun: true });
    await client.autoscale(ref, settings, { dryRun: false });
    expect(seen.map(s => [s.url, s.body])).toEqual([
      [
        '/api/model-hosting/deployments/gpu%20east/ml-serving/vllm%2Fx/autoscale?dryRun=true',
        settings,
      ],
      [
        '/api/model-hosting/deployments/gpu%20east/ml-serving/vllm%2Fx/autoscale?dryRun=false',
        settings,
      ],
    ]);
  });

  it('runs a health check and answers its result', async () => {
    const result = {
      healthy: false,
      message: 'GET /v1/models answered 503',
      latencyMs: 41,
      checkedAt: '2026-11-24T12:00:00.000Z',
    };
    let method = '';
    server.use(
      http.all(`${one}/health-check`, ({ request }) => {
        method = request.method;
        return HttpResponse.json(result);
      }),
    );
    await expect(client.checkHealth(ref)).resolves.toEqual(result);
    expect(method).toBe('POST');
  });

  it('reads the models of a deployment with their usage', async () => {
    const items = [
      {
        name: 'meta-llama/Llama-3.1-8B-Instruct',
        active: true,
        inPool: true,
        requests: 1200,
        errors: 3,
        promptTokens: 50_000,
        generationTokens: 120_000,
        lastUsed: '2026-11-24T12:00:00.000Z',
      },
    ];
    server.use(http.get(`${one}/models`, () => HttpResponse.json({ items })));
    await expect(client.getModels(ref)).resolves.toEqual(items);
  });

  it("throws the backend's error, with its message in the body", async () => {
    server.use(
      http.patch(one, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'Refused by images: busybox is not an allowed image',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    const error: ResponseError = await client
      .edit(ref, { image: 'busybox' }, { dryRun: true })
      .then(
        () => {
          throw new Error('expected a refusal');
        },
        e => e,
      );
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(403);
    expect(error.body.error.message).toBe(
      'Refused by images: busybox is not an allowed image',
    );
  });
});
