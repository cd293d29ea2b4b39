import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { ModelStats } from '@modelhosting/backstage-plugin-model-hosting-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { detail } from '../../testing/fixtures';
import { ago, ModelsCard } from './ModelsCard';

const base = 'http://backend.test/api/model-hosting';
const models = `${base}/deployments/gpu-east/ml-serving/vllm-instruct/models`;
const server = setupServer();
registerMswTestHooks(server);
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});
const ref = {
  cluster: 'gpu-east',
  namespace: 'ml-serving',
  name: 'vllm-instruct',
};
const llama = 'meta-llama/Llama-3.1-8B-Instruct';
const qwen = 'Qwen/Qwen2.5-7B-Instruct';
const mistral = 'mistralai/Mistral-7B-Instruct-v0.3';

/** A pool of three, llama running, two requests' worth of switches waiting. */
const pooled = detail(d => {
  d.resource.spec.models = [
    { name: qwen, version: '2.5', source: 'hf://Qwen/Qwen2.5-7B-Instruct' },
    { name: mistral, engineArgs: ['--max-model-len=4096'] },
  ];
  d.resource.spec.switching = { minResidencySeconds: 120 };
  d.resource.status!.switchQueue = [
    { model: qwen, requestedAt: '2026-11-24T12:00:00Z', waiting: 3 },
    { model: mistral, requestedAt: '2026-11-24T12:00:05Z', waiting: 1 },
  ];
});

const stats = (s: Partial<ModelStats> & { name: string }): ModelStats => ({
  active: false,
  inPool: true,
  requests: 0,
  errors: 0,
  promptTokens: 0,
  generationTokens: 0,
  ...s,
});

const render = () =>
  renderInTestApp(
    <TestApiProvider
      apis={[
        [modelHostingApiRef, client],
        [discoveryApiRef, {}],
        [fetchApiRef, {}],
      ]}
    >
      <ModelsCard deploymentRef={ref} resource={pooled.resource} />
    </TestApiProvider>,
  );

describe('ModelsCard', () => {
  it('shows every model of the pool, the active one, the switch queue and usage per model', async () => {
    server.use(
      http.get(models, () =>
        HttpResponse.json({
          items: [
            stats({
              name: llama,
              active: true,
              requests: 1234,
              errors: 2,
              promptTokens: 50_000,
              generationTokens: 120_000,
              lastUsed: new Date(Date.now() - 5 * 60_000).toISOString(),
            }),
            stats({ name: qwen, requests: 7, promptTokens: 900 }),
            // Served earlier in the day, no longer in the pool.
            stats({ name: 'old-model', inPool: false, requests: 3 }),
          ],
        }),
      ),
    );
    await render();
    const table = within(screen.getByRole('table', { name: 'Models' }));
    const row = (name: string) =>
      within(table.getByText(name).closest('tr') as HTMLElement);
    expect(await table.findByText('1.2K')).toBeInTheDocument();
    expect(screen.getByText('Models (4)')).toBeInTheDocument();

    expect(row(llama).getByText('Active')).toBeInTheDocument();
    expect(row(llama).getByText('50K')).toBeInTheDocument();
    expect(row(llama).getByText('120K')).toBeInTheDocument();
    expect(row(llama).getByText('5 min ago')).toBeInTheDocument();
    expect(row(qwen).getByText('Queued #1, 3 waiting')).toBeInTheDocument();
    expect(
      row(qwen).getByText('2.5 · hf://Qwen/Qwen2.5-7B-Instruct'),
    ).toBeInTheDocument();
    expect(row(qwen).getByText('900')).toBeInTheDocument();
    expect(row(mistral).getByText('Queued #2, 1 waiting')).toBeInTheDocument();
    // No usage yet: dashes, not zeros.
    expect(row(mistral).getAllByText('—')).toHaveLength(5);
    expect(row('old-model').getByText('Not in the pool')).toBeInTheDocument();

    const queue = within(screen.getByRole('list', { name: 'Switch queue' }));
    expect(queue.getAllByRole('listitem')).toHaveLength(2);
    expect(
      queue.getByText(new RegExp(`^${qwen}: 3 requests waiting since`)),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'A model stays at least 120 s after a switch on request before the next one.',
      ),
    ).toBeInTheDocument();
  });

  it('still shows the pool when the usage cannot be read, and says why', async () => {
    server.use(
      http.get(models, () =>
        HttpResponse.json(
          {
            error: { name: 'NotFoundError', message: 'No such route' },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText('Usage per model is unavailable: No such route'),
    ).toBeInTheDocument();
    expect(screen.getByText('Models (3)')).toBeInTheDocument();
    expect(screen.getByText(llama)).toBeInTheDocument();
  });

  it('shows the models an Ollama server serves side by side', async () => {
    server.use(http.get(models, () => HttpResponse.json({ items: [] })));
    const ollama = detail(d => {
      d.resource.spec.engine = 'ollama';
      d.resource.spec.model = { name: 'llama3.1:8b' };
      d.resource.status!.activeModel = 'llama3.1:8b';
      d.resource.spec.models = [{ name: 'qwen2.5:7b' }];
      d.resource.spec.healthCheck = {
        expectedModels: ['llama3.1:8b', 'nomic-embed-text'],
      };
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [modelHostingApiRef, client],
          [discoveryApiRef, {}],
          [fetchApiRef, {}],
        ]}
      >
        <ModelsCard deploymentRef={ref} resource={ollama.resource} />
      </TestApiProvider>,
    );
    const table = within(screen.getByRole('table', { name: 'Models' }));
    const state = (name: string) =>
      within(table.getByText(name).closest('tr') as HTMLElement);
    expect(state('llama3.1:8b').getByText('Active')).toBeInTheDocument();
    expect(state('qwen2.5:7b').getByText('Served')).toBeInTheDocument();
    expect(state('nomic-embed-text').getByText('Served')).toBeInTheDocument();
  });

  it('says how long ago a model was used', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(ago('2026-11-24T11:59:30Z', now)).toBe('just now');
    expect(ago('2026-11-24T11:15:00Z', now)).toBe('45 min ago');
    expect(ago('2026-11-24T07:00:00Z', now)).toBe('5 h ago');
  });
});
