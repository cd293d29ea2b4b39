import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  createFrontendPlugin,
  createRouteRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import modelHostingAlphaPlugin from './alpha';
import { modelHostingApiRef, ModelHostingClient } from './api';
import {
  EntityModelServerContent,
  ModelHostingPage,
  modelHostingPlugin,
} from './plugin';
import { Route, Routes } from 'react-router-dom';
import { capacity, fleet } from './testing/fixtures';

const server = setupServer();
registerMswTestHooks(server);
const base = 'http://backend.test/api/model-hosting';
beforeEach(() =>
  server.use(
    http.get(`${base}/deployments`, () => HttpResponse.json(fleet)),
    http.get(`${base}/capacity`, () => HttpResponse.json(capacity)),
  ),
);

describe('the new frontend system (/alpha, used by packages/app)', () => {
  it('mounts the fleet page at /model-hosting with its API', async () => {
    renderTestApp({
      features: [modelHostingAlphaPlugin],
      initialRouteEntries: ['/model-hosting'],
      config: { backend: { baseUrl: 'http://backend.test' } },
    });
    expect(await screen.findByText('Model servers (2)')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'vllm-instruct' }),
    ).toBeInTheDocument();
  });

  it('leads "Deploy a model" to the scaffolder by default, filtered to the model-hosting templates', async () => {
    // Stands in for @backstage/plugin-scaffolder: the plugin id and route name its root has.
    const scaffolderRoot = createRouteRef();
    const scaffolder = createFrontendPlugin({
      pluginId: 'scaffolder',
      routes: { root: scaffolderRoot },
      extensions: [
        PageBlueprint.make({
          params: {
            path: '/create',
            routeRef: scaffolderRoot,
            loader: async () => <div>Templates</div>,
          },
        }),
      ],
    });
    renderTestApp({
      features: [modelHostingAlphaPlugin, scaffolder],
      initialRouteEntries: ['/model-hosting'],
      config: { backend: { baseUrl: 'http://backend.test' } },
    });
    expect(
      await screen.findByRole('button', { name: 'Deploy a model' }),
    ).toHaveAttribute(
      'href',
      '/create?filters%5Bkind%5D=template&filters%5Buser%5D=all&filters%5Btags%5D=model-hosting',
    );
  });
});

describe('the legacy frontend system', () => {
  it('exports the plugin, its routable page and its entity content', async () => {
    expect(modelHostingPlugin.getId()).toBe('model-hosting');
    expect(EntityModelServerContent).toBeDefined();
    const client = new ModelHostingClient({
      discoveryApi: { getBaseUrl: async () => base },
      fetchApi: {
        fetch: (...args: Parameters<typeof fetch>) => fetch(...args),
      },
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [modelHostingApiRef, client],
          [discoveryApiRef, {}],
          [fetchApiRef, {}],
        ]}
      >
        <Routes>
          <Route path="/model-hosting/*" element={<ModelHostingPage />} />
        </Routes>
      </TestApiProvider>,
      {
        routeEntries: ['/model-hosting'],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
    expect(await screen.findByText('Model servers (2)')).toBeInTheDocument();
  });
});
