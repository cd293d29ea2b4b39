import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { FleetPage } from './FleetPage';
import { capacity, fleet } from '../../testing/fixtures';
import userEvent from '@testing-library/user-event';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { deployModelRouteRef } from '../../routes';
import {
  DeploymentSummary,
  FleetResponse,
} from '@modelhosting/backstage-plugin-model-hosting-common';

const server = setupServer();
registerMswTestHooks(server);
beforeEach(() =>
  server.use(
    http.get('http://backend.test/api/model-hosting/capacity', () =>
      HttpResponse.json(capacity),
    ),
    http.get('http://backend.test/api/model-hosting/usage', () =>
      HttpResponse.json({ from: '', to: '', stepSeconds: 3600, series: [] }),
    ),
  ),
);

const base = 'http://backend.test/api/model-hosting';
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});

/**
 * The backend's GET /deployments over `answer`: the whole answer without `limit`, else the page
 * the query asks for (exact filters, a search of names, a sort by name), its total and, when
 * asked, the filters' values. Every query string asked is kept in `asked`.
 */
function fleetApi(
  answer: FleetResponse,
  asked: URLSearchParams[] = [],
  delayMs: (params: URLSearchParams) => number = () => 0,
) {
  return http.get(`${base}/deployments`, async ({ request }) => {
    const params = new URL(request.url).searchParams;
    asked.push(params);
    await new Promise(r => setTimeout(r, delayMs(params)));
    if (!params.has('limit')) return HttpResponse.json(answer);
    const is = (key: 'cluster' | 'engine' | 'owner', d: DeploymentSummary) =>
      !params.get(key) || d[key] === params.get(key);
    const models = (d: DeploymentSummary) =>
      [d.model, d.activeModel ?? d.model].filter(Boolean) as string[];
    const items = answer.items.filter(
      d =>
        is('cluster', d) &&
        is('engine', d) &&
        is('owner', d) &&
        (!params.get('model') || models(d).includes(params.get('model')!)) &&
        (!params.get('q') || d.name.includes(params.get('q')!)),
    );
    if (params.get('sort') === 'name') {
      items.sort((a, b) => a.name.localeCompare(b.name));
      if (params.get('order') === 'desc') items.reverse();
    }
    const offset = Number(params.get('offset') ?? 0);
    const values = (f: (d: DeploymentSummary) => string[]) =>
      [...new Set(answer.items.flatMap(f))].sort();
    return HttpResponse.json({
      items: items.slice(offset, offset + Number(params.get('limit'))),
      total: items.length,
      ...(params.get('facets') === 'true' && {
        facets: {
          cluster: values(d => [d.cluster]),
          engine: values(d => [d.engine]),
          model: values(models),
          phase: values(d => [d.phase ?? 'Not reconciled']),
          owner: values(d => [d.owner]),
        },
      }),
      clusters: answer.clusters,
    });
  });
}

const renderPage = (withScaffolder = false) =>
  renderInTestApp(
    <TestApiProvider
      apis={[
        [modelHostingApiRef, client],
        [discoveryApiRef, {}],
        [fetchApiRef, {}],
      ]}
    >
      <FleetPage />
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        ...(withScaffolder ? { '/create': deployModelRouteRef } : {}),
      },
    },
  );

describe('FleetPage', () => {
  it('lists model servers with engine, model, phase, replicas and GPUs, and flags unreachable clusters', async () => {
    server.use(fleetApi(fleet));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    expect(
      screen.getByText('meta-llama/Llama-3.1-8B-Instruct'),
    ).toBeInTheDocument();
    expect(screen.getByText('1 × NVIDIA-A100-SXM4-80GB')).toBeInTheDocument();
    expect(screen.getByText('1 / 2')).toBeInTheDocument();
    expect(screen.getByText('CPU only')).toBeInTheDocument();
    expect(screen.getByText('Not reconciled')).toBeInTheDocument();
    expect(
      screen.getByText(/Cluster gpu-west is unreachable/),
    ).toBeInTheDocument();
    expect(screen.getByText(/connect ECONNREFUSED/)).toBeInTheDocument();
  });

  it('shows a screenful of a large fleet and pages through the rest', async () => {
    const items = Array.from({ length: 45 }, (_, i) => ({
      ...fleet.items[0],
      name: `server-${String(i).padStart(2, '0')}`,
    }));
    const asked: URLSearchParams[] = [];
    server.use(fleetApi({ ...fleet, items }, asked));
    await renderPage();
    expect(await screen.findByText('Model servers (45)')).toBeInTheDocument();
    const shown = () =>
      screen.getAllByRole('link', { name: /^server-/ }).map(a => a.textContent);
    expect(shown()).toHaveLength(20);
    expect(shown()[0]).toBe('server-00');
    expect(screen.getAllByText('1-20 of 45').length).toBeGreaterThan(0);
    await userEvent.click(
      screen.getAllByRole('button', { name: /next page/i })[0],
    );
    expect((await screen.findAllByText('21-40 of 45')).length).toBeGreaterThan(
      0,
    );
    expect(shown()[0]).toBe('server-20');
    // The browser holds a page, not the fleet: the server was asked for rows 21-40.
    expect(
      asked.some(p => p.get('offset') === '20' && p.get('limit') === '20'),
    ).toBe(true);
    expect(asked.every(p => p.has('limit'))).toBe(true);
  });

  it('moves to the last page when the fleet shrinks under the page shown', async () => {
    const items = Array.from({ length: 45 }, (_, i) => ({
      ...fleet.items[0],
      name: `server-${String(i).padStart(2, '0')}`,
    }));
    const answer = { ...fleet, items };
    server.use(fleetApi(answer));
    await renderPage();
    expect(await screen.findByText('Model servers (45)')).toBeInTheDocument();
    for (const shown of ['21-40 of 45', '41-45 of 45']) {
      await userEvent.click(
        screen.getAllByRole('button', { name: /next page/i })[0],
      );
      expect((await screen.findAllByText(shown)).length).toBeGreaterThan(0);
    }
    // 20 servers are deleted: the third page is gone, the next refresh shows the second one.
    answer.items = items.slice(0, 25);
    expect(
      await screen.findByRole('link', { name: 'server-24' }, { timeout: 8000 }),
    ).toBeInTheDocument();
    expect(screen.getAllByText('21-25 of 25').length).toBeGreaterThan(0);
  }, 15_000);

  it('keeps the rows shown and says so when a page cannot be loaded', async () => {
    server.use(fleetApi(fleet));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    server.use(
      http.get(`${base}/deployments`, ({ request }) =>
        new URL(request.url).searchParams.get('q')
          ? HttpResponse.json(
              {
                error: { name: 'Error', message: 'search is down' },
                response: { statusCode: 503 },
              },
              { status: 503 },
            )
          : HttpResponse.json({ ...fleet, total: fleet.items.length }),
      ),
    );
    await userEvent.type(screen.getByPlaceholderText('Filter'), 'x');
    expect(
      await screen.findByText(
        'Could not load this page; showing the last one: search is down',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('vllm-instruct')).toBeInTheDocument();
  });

  it('searches and sorts on the server', async () => {
    const asked: URLSearchParams[] = [];
    server.use(fleetApi(fleet, asked));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    await userEvent.type(screen.getByPlaceholderText('Filter'), 'iris');
    expect(await screen.findByText('Model servers (1)')).toBeInTheDocument();
    expect(screen.queryByText('vllm-instruct')).not.toBeInTheDocument();
    expect(asked.at(-1)?.get('q')).toBe('iris');
    await userEvent.clear(screen.getByPlaceholderText('Filter'));
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    await userEvent.click(
      within(screen.getByRole('columnheader', { name: 'Name' })).getByText(
        'Name',
      ),
    );
    await waitFor(() => expect(asked.at(-1)?.get('sort')).toBe('name'));
    expect(asked.at(-1)?.get('order')).toBe('asc');
  });

  it('shows the answer to the newest search when an older one arrives later', async () => {
    const asked: URLSearchParams[] = [];
    // "i" (two rows) is answered slowly, "iris" (one) at once.
    server.use(fleetApi(fleet, asked, p => (p.get('q') === 'i' ? 2000 : 0)));
    await renderPage();
    const link = (name: string) => screen.queryByRole('link', { name });
    await waitFor(() => expect(link('iris-classifier')).toBeInTheDocument());
    const search = screen.getByPlaceholderText('Filter');
    await userEvent.type(search, 'i');
    await waitFor(() => expect(asked.at(-1)?.get('q')).toBe('i'));
    await userEvent.type(search, 'ris');
    expect(await screen.findByText('Model servers (1)')).toBeInTheDocument();
    await new Promise(r => setTimeout(r, 2500)); // the answer to "i" has come
    expect(screen.getByText('Model servers (1)')).toBeInTheDocument();
    expect(link('iris-classifier')).toBeInTheDocument();
    expect(link('vllm-instruct')).not.toBeInTheDocument();
  });

  it('explains an empty fleet', async () => {
    server.use(
      fleetApi({ items: [], clusters: [{ name: 'a', reachable: true }] }),
    );
    await renderPage();
    expect(await screen.findByText('No model servers yet')).toBeInTheDocument();
  });

  it('explains a missing cluster configuration', async () => {
    server.use(fleetApi({ items: [], clusters: [] }));
    await renderPage();
    expect(
      await screen.findByText('No clusters configured'),
    ).toBeInTheDocument();
  });

  it('shows the backend error when the request fails', async () => {
    server.use(
      http.get(`${base}/deployments`, () =>
        HttpResponse.json(
          {
            error: { name: 'Error', message: 'boom from backend' },
            response: { statusCode: 500 },
          },
          { status: 500 },
        ),
      ),
    );
    await renderPage();
    expect(
      (await screen.findAllByText(/boom from backend/))[0],
    ).toBeInTheDocument();
  });

  it('filters by engine, and keeps the filter when the data refreshes', async () => {
    const asked: URLSearchParams[] = [];
    server.use(fleetApi(fleet, asked));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    await userEvent.click(
      within(screen.getByRole('group', { name: 'Filters' })).getByRole(
        'button',
        { name: /Engine/ },
      ),
    );
    await userEvent.click(await screen.findByRole('option', { name: 'http' }));
    expect(await screen.findByText('Model servers (1)')).toBeInTheDocument();
    expect(screen.queryByText('vllm-instruct')).not.toBeInTheDocument();
    expect(asked.at(-1)?.get('engine')).toBe('http');
    const before = asked.length;
    await waitFor(() => expect(asked.length).toBeGreaterThan(before + 1), {
      timeout: 8000,
    });
    // The refreshed page is asked with the filter still set.
    expect(asked.slice(before).filter(p => p.get('limit') !== '0')).not.toEqual(
      [],
    );
    for (const p of asked.slice(before).filter(q => q.get('limit') !== '0'))
      expect(p.get('engine')).toBe('http');
    expect(screen.getByText('Model servers (1)')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'iris-classifier' }),
    ).toBeInTheDocument();
  }, 15_000);

  it('filters by model, the one running or the one asked for', async () => {
    server.use(
      fleetApi({
        ...fleet,
        items: [
          ...fleet.items,
          {
            ...fleet.items[0],
            name: 'vllm-switching',
            model: 'Qwen/Qwen2.5-7B-Instruct',
            activeModel: 'meta-llama/Llama-3.1-8B-Instruct',
          },
        ],
      }),
    );
    await renderPage();
    expect(await screen.findByText('Model servers (3)')).toBeInTheDocument();
    const filters = within(screen.getByRole('group', { name: 'Filters' }));
    await userEvent.click(filters.getByRole('textbox', { name: 'Model' }));
    const options = within(await screen.findByRole('listbox'));
    expect(options.getAllByRole('option').map(o => o.textContent)).toEqual([
      'Qwen/Qwen2.5-7B-Instruct',
      'iris-classifier',
      'meta-llama/Llama-3.1-8B-Instruct',
    ]);
    await userEvent.click(
      options.getByRole('option', { name: 'Qwen/Qwen2.5-7B-Instruct' }),
    );
    expect(await screen.findByText('Model servers (1)')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'vllm-switching' }),
    ).toBeInTheDocument();
    // Clearing the filter shows every model server again. (The clear button shows on hover, a
    // style jsdom does not apply.)
    await userEvent.click(filters.getByLabelText('Clear'));
    expect(await screen.findByText('Model servers (3)')).toBeInTheDocument();
  });

  it('narrows a fleet of thousands of models as one types, listing the first matches only', async () => {
    const asked: URLSearchParams[] = [];
    const items = Array.from({ length: 3000 }, (_, i) => ({
      ...fleet.items[0],
      name: `server-${i}`,
      model: `team-${i % 30}/model-${i}`,
      activeModel: undefined,
    }));
    server.use(fleetApi({ ...fleet, items }, asked));
    await renderPage();
    expect(await screen.findByText('Model servers (3000)')).toBeInTheDocument();
    const model = within(
      screen.getByRole('group', { name: 'Filters' }),
    ).getByRole('textbox', { name: 'Model' });
    await userEvent.click(model);
    expect(
      within(await screen.findByRole('listbox')).getAllByRole('option'),
    ).toHaveLength(50);
    await userEvent.type(model, 'model-2999');
    const options = within(screen.getByRole('listbox'));
    await waitFor(() =>
      expect(options.getAllByRole('option').map(o => o.textContent)).toEqual([
        'team-29/model-2999',
      ]),
    );
    await userEvent.click(options.getByRole('option'));
    expect(await screen.findByText('Model servers (1)')).toBeInTheDocument();
    expect(asked.at(-1)?.get('model')).toBe('team-29/model-2999');
  }, 20_000);

  it('leads to the model-hosting templates from "Deploy a model", also when the fleet is empty', async () => {
    server.use(
      fleetApi({ items: [], clusters: [{ name: 'a', reachable: true }] }),
    );
    await renderPage(true);
    expect(await screen.findByText('No model servers yet')).toBeInTheDocument();
    const links = screen.getAllByRole('button', { name: 'Deploy a model' });
    expect(links).toHaveLength(2);
    for (const link of links) {
      const url = new URL(link.getAttribute('href')!, 'http://app.test');
      expect(url.pathname).toBe('/create');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        'filters[kind]': 'template',
        'filters[user]': 'all',
        'filters[tags]': 'model-hosting',
      });
    }
  });

  it('has no "Deploy a model" where the app has no scaffolder bound', async () => {
    server.use(fleetApi(fleet));
    await renderPage();
    expect(await screen.findByText('vllm-instruct')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Deploy a model' }),
    ).not.toBeInTheDocument();
  });

  it('shows GPUs per node, who holds them, MIG and time-sliced distinctly, and pods waiting for GPUs', async () => {
    server.use(fleetApi(fleet));
    await renderPage();
    await userEvent.click(await screen.findByRole('tab', { name: 'GPUs' }));
    expect(await screen.findByText('GPUs on gpu-east')).toBeInTheDocument();
    expect(screen.getByText('gpu: 8 of 8 requested')).toBeInTheDocument();
    expect(screen.getByText('Time-sliced')).toBeInTheDocument();
    expect(screen.getByText('MIG')).toBeInTheDocument();
    expect(screen.getAllByText('mig-1g.10gb: 1 of 7 requested')).toHaveLength(
      2,
    ); // cluster total and its node
    expect(
      screen.getByText(/ml-serving\/vllm-instruct: 8 × gpu/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/team-x\/other \(not managed\)/),
    ).toBeInTheDocument();
    expect(screen.getByText(/1 pod\(s\) waiting for GPUs/)).toBeInTheDocument();
    expect(
      screen.getByText(
        /wants 8 × gpu: 0\/6 nodes are available: 2 Insufficient nvidia.com\/gpu./,
      ),
    ).toBeInTheDocument();
  });
});
