import {
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { UsageCharts } from './UsageCharts';

const server = setupServer();
registerMswTestHooks(server);
const base = 'http://backend.test/api/model-hosting';
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});
const ref = { cluster: 'c', namespace: 'n', name: 'm' };
const point = (t: string, requests: number) => ({
  t,
  requests,
  errors: 0,
  pulls: 0,
  promptTokens: requests * 10,
  generationTokens: requests * 2,
  latencyMs: 200,
});

describe('UsageCharts', () => {
  beforeAll(() => {
    // recharts measures its container; jsdom has no layout.
    (global as any).ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  });

  it('explains that nothing has been recorded yet', async () => {
    server.use(
      http.get(`${base}/usage`, () =>
        HttpResponse.json({
          from: '',
          to: '',
          stepSeconds: 3600,
          series: [point('2026-11-24T10:00:00Z', 0)],
        }),
      ),
    );
    await renderInTestApp(
      <TestApiProvider apis={[[modelHostingApiRef, client]]}>
        <UsageCharts deploymentRef={ref} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('No usage recorded in this range yet'),
    ).toBeInTheDocument();
  });

  it('draws requests, latency and tokens for the chosen range', async () => {
    const ranges: string[] = [];
    server.use(
      http.get(`${base}/usage`, ({ request }) => {
        ranges.push(new URL(request.url).searchParams.get('range')!);
        return HttpResponse.json({
          from: '',
          to: '',
          stepSeconds: 60,
          lastUsed: '2026-11-24T10:05:00Z',
          gpuUtilization: {
            configured: true,
            error: 'Prometheus is unreachable: connect ECONNREFUSED',
          },
          series: [
            point('2026-11-24T10:00:00Z', 3),
            { ...point('2026-11-24T10:01:00Z', 5), gpuUtilization: 73 },
          ],
        });
      }),
    );
    await renderInTestApp(
      <TestApiProvider apis={[[modelHostingApiRef, client]]}>
        <UsageCharts deploymentRef={ref} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByRole('img', { name: 'Requests and errors chart' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'Latency (mean, ms) chart' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'Tokens chart' }),
    ).toBeInTheDocument();
    expect(screen.getByText(/Last used/)).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'GPU utilization (%) chart' }),
    ).toBeInTheDocument();
    expect(screen.getByText(/Prometheus is unreachable/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Last hour' }));
    await screen.findByRole('img', { name: 'Tokens chart' });
    expect(ranges).toEqual(['24h', '1h']);
  });
});
