import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { registerMswTestHooks, renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { FleetResponse } from '@internal/backstage-plugin-model-hosting-common';
import { screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { FleetPage } from './FleetPage';

const server = setupServer();
registerMswTestHooks(server);

const base = 'http://backend.test/api/model-hosting';
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});

const renderPage = () =>
  renderInTestApp(
    <TestApiProvider apis={[[modelHostingApiRef, client], [discoveryApiRef, {}], [fetchApiRef, {}]]}>
      <FleetPage />
    </TestApiProvider>,
  );

const fleet: FleetResponse = {
  clusters: [
    { name: 'gpu-east', reachable: true },
    { name: 'gpu-west', reachable: false, error: "Cluster 'gpu-west' is unreachable: connect ECONNREFUSED" },
  ],
  items: [
    {
      cluster: 'gpu-east', namespace: 'ml-serving', name: 'vllm-instruct', entityRef: 'component:default/gpu-east.ml-serving.vllm-instruct', owner: 'group:default/ml-platform',
      engine: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct', phase: 'Ready', replicas: 2, readyReplicas: 1,
      gpu: { count: 1, resource: 'nvidia.com/gpu', product: 'NVIDIA-A100-SXM4-80GB' },
    },
    {
      cluster: 'gpu-east', namespace: 'ml-serving', name: 'iris-classifier', entityRef: 'component:default/gpu-east.ml-serving.iris-classifier', owner: 'group:default/data-science',
      engine: 'http', model: 'iris-classifier', replicas: 2, readyReplicas: 0, gpu: { count: 0, resource: 'nvidia.com/gpu' },
    },
  ],
};

describe('FleetPage', () => {
  it('lists model servers with engine, model, phase, replicas and GPUs, and flags unreachable clusters', async () => {
    server.use(http.get(`${base}/deployments`, () => HttpResponse.json(fleet)));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    expect(screen.getByText('meta-llama/Llama-3.1-8B-Instruct')).toBeInTheDocument();
    expect(screen.getByText('1 × NVIDIA-A100-SXM4-80GB')).toBeInTheDocument();
    expect(screen.getByText('1 / 2')).toBeInTheDocument();
    expect(screen.getByText('CPU only')).toBeInTheDocument();
    expect(screen.getByText('Not reconciled')).toBeInTheDocument();
    expect(screen.getByText(/Cluster gpu-west is unreachable/)).toBeInTheDocument();
    expect(screen.getByText(/connect ECONNREFUSED/)).toBeInTheDocument();
  });

  it('explains an empty fleet', async () => {
    server.use(http.get(`${base}/deployments`, () => HttpResponse.json({ items: [], clusters: [{ name: 'a', reachable: true }] })));
    await renderPage();
    expect(await screen.findByText('No model servers yet')).toBeInTheDocument();
  });

  it('explains a missing cluster configuration', async () => {
    server.use(http.get(`${base}/deployments`, () => HttpResponse.json({ items: [], clusters: [] })));
    await renderPage();
    expect(await screen.findByText('No clusters configured')).toBeInTheDocument();
  });

  it('shows the backend error when the request fails', async () => {
    server.use(
      http.get(`${base}/deployments`, () =>
        HttpResponse.json({ error: { name: 'Error', message: 'boom from backend' }, response: { statusCode: 500 } }, { status: 500 }),
      ),
    );
    await renderPage();
    expect((await screen.findAllByText(/boom from backend/))[0]).toBeInTheDocument();
  });
});
