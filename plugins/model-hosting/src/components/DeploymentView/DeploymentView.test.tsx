import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { detail } from '../../testing/fixtures';
import { DeploymentView } from './DeploymentView';

const server = setupServer();
registerMswTestHooks(server);
beforeEach(() =>
  server.use(
    http.get('http://backend.test/api/model-hosting/usage', () =>
      HttpResponse.json({ from: '', to: '', stepSeconds: 3600, series: [] }),
    ),
    http.get(
      'http://backend.test/api/model-hosting/deployments/gpu-east/ml-serving/vllm-instruct/models',
      () => HttpResponse.json({ items: [] }),
    ),
    http.get(
      'http://backend.test/api/model-hosting/deployments/gpu-east/ml-serving/vllm-instruct/health',
      () =>
        HttpResponse.json({
          items: [
            {
              checkedAt: '2026-11-24T12:00:00Z',
              healthy: false,
              message: 'GET /v1/models answered 500',
              latencyMs: 12,
              recovered: true,
            },
          ],
        }),
    ),
  ),
);
const base = 'http://backend.test/api/model-hosting';
const one = `${base}/deployments/gpu-east/ml-serving/vllm-instruct`;
const client = new ModelHostingClient({
  discoveryApi: { getBaseUrl: async () => base },
  fetchApi: { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) },
});
const ref = {
  cluster: 'gpu-east',
  namespace: 'ml-serving',
  name: 'vllm-instruct',
};

const render = (
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) =>
  renderInTestApp(
    <TestApiProvider
      apis={[
        [modelHostingApiRef, client],
        [permissionApiRef, mockApis.permission({ authorize: result })],
        [discoveryApiRef, {}],
        [fetchApiRef, {}],
      ]}
    >
      <DeploymentView deploymentRef={ref} />
    </TestApiProvider>,
  );

describe('DeploymentView', () => {
  it('shows phase, model, replicas, last switch, conditions, pods with nodes and GPU, and events', async () => {
    server.use(http.get(one, () => HttpResponse.json(detail())));
    await render();
    expect(await screen.findByText('1 ready of 2')).toBeInTheDocument();
    expect(
      screen.getByText(
        'model-a → meta-llama/Llama-3.1-8B-Instruct in 42.5 s (recreate)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /Scheduled: 0\/6 nodes are available: 2 Insufficient nvidia.com\/gpu./,
      ),
    ).toBeInTheDocument();
    const pods = within(screen.getByRole('table', { name: 'Pods' }));
    expect(pods.getByText('a100-0')).toBeInTheDocument();
    expect(pods.getByText('not scheduled')).toBeInTheDocument();
    expect(
      within(screen.getByRole('table', { name: 'Events' })).getByText(
        'SwitchCompleted',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('GET /v1/models answered 500 — pods restarted'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No usage recorded in this range yet'),
    ).toBeInTheDocument();
  });

  it('says where model files live and what the loader reported', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.resource.spec.storage = {
              cache: {
                type: 'pvc',
                size: '100Gi',
                accessMode: 'ReadWriteMany',
              },
            };
            d.resource.status!.modelCache = {
              hit: true,
              loadSeconds: 0.4,
              bytes: 16 * 2 ** 30,
            };
          }),
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText(
        'claim vllm-instruct-models (100Gi, default class, ReadWriteMany, deleted with the deployment)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('16.0 GiB, already in the cache in 0.4 s'),
    ).toBeInTheDocument();
  });

  it('says what the built-in autoscaler goes by, and that a request wakes a deployment at zero', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.summary.phase = 'ScaledToZero';
            d.resource.spec.autoscaling = {
              enabled: true,
              minReplicas: 0,
              maxReplicas: 2,
              metrics: [{ type: 'requestsInFlight', target: 8 }],
              scaleToZeroAfterSeconds: 600,
            };
          }),
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText(
        'built-in, 0–2 replicas on requestsInFlight 8 per replica; to zero after 600 s idle, woken by the next request through the gateway',
      ),
    ).toBeInTheDocument();
  });

  it('shows the progress of a running switch', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.summary.phase = 'Switching';
            d.resource.status!.switch = {
              from: 'model-a',
              to: 'model-b',
              strategy: 'recreate',
              step: 'ScalingDown',
              startedAt: '2026-11-24T12:00:00Z',
            };
          }),
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText(
        'Switching from model-a to model-b (recreate): freeing the GPUs…',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'Switch in progress' }),
    ).toBeInTheDocument();
  });

  it('keeps the headers and short columns of the events table on one line; messages wrap', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.events[0].message = `Back-off pulling image ${'x'.repeat(300)}`;
            d.events[0].count = 4;
          }),
        ),
      ),
    );
    await render();
    const events = within(await screen.findByRole('table', { name: 'Events' }));
    for (const header of ['When', 'Type', 'Reason', 'Object', 'Message']) {
      expect(events.getByRole('columnheader', { name: header })).toHaveStyle({
        whiteSpace: 'nowrap',
      });
    }
    expect(events.getByText('SwitchCompleted ×4')).toHaveStyle({
      whiteSpace: 'nowrap',
    });
    expect(events.getByText(/^Back-off pulling image/)).not.toHaveStyle({
      whiteSpace: 'nowrap',
    });
  });

  it('says when a switch was asked for by a request through the gateway', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.summary.phase = 'Switching';
            d.resource.status!.switch = {
              from: 'model-a',
              to: 'model-b',
              strategy: 'recreate',
              step: 'Starting',
              startedAt: '2026-11-24T12:00:00Z',
              trigger: 'request',
            };
            d.resource.status!.lastSwitch!.trigger = 'request';
          }),
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText(
        'Switching from model-a to model-b (recreate): starting the new model…',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Asked for by a request through the gateway; requests for model-b wait until it is ready.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'model-a → meta-llama/Llama-3.1-8B-Instruct in 42.5 s (recreate), asked for by a request',
      ),
    ).toBeInTheDocument();
  });

  it('checks a scale before sending it, then sends it', async () => {
    const sent: unknown[] = [];
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.post(`${one}/scale`, async ({ request }) => {
        sent.push(await request.json());
        return HttpResponse.json({ replicas: 3 });
      }),
    );
    await render();
    await userEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = within(await screen.findByRole('dialog'));
    const input = dialog.getByLabelText('Replicas');
    await userEvent.clear(input);
    await userEvent.type(input, '7');
    await userEvent.click(dialog.getByRole('button', { name: 'Scale' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'Autoscaling keeps this deployment between 1 and 3 replicas.',
    );
    expect(sent).toEqual([]);
    await userEvent.clear(input);
    await userEvent.type(input, '3');
    await userEvent.click(dialog.getByRole('button', { name: 'Scale' }));
    await waitFor(() => expect(sent).toEqual([{ replicas: 3 }]));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it("shows the backend's refusal in the dialog", async () => {
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.post(`${one}/switch`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'InputError',
              message: 'vllm-instruct already serves x',
            },
            request: { method: 'POST', url: '/switch' },
            response: { statusCode: 400 },
          },
          { status: 400 },
        ),
      ),
    );
    await render();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Switch model' }),
    );
    const dialog = within(await screen.findByRole('dialog'));
    await userEvent.type(
      dialog.getByLabelText('Model'),
      'Qwen/Qwen2.5-7B-Instruct',
    );
    await userEvent.click(dialog.getByRole('button', { name: 'Switch' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'vllm-instruct already serves x',
    );
  });

  it('asks for the name before deleting', async () => {
    let deleted = false;
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.delete(one, () => {
        deleted = true;
        return HttpResponse.json({ deleted: true });
      }),
    );
    await render();
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete' }),
    );
    const dialog = within(await screen.findByRole('dialog'));
    await userEvent.click(dialog.getByRole('button', { name: 'Delete' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'Type vllm-instruct to confirm.',
    );
    expect(deleted).toBe(false);
    await userEvent.type(
      dialog.getByLabelText('Confirmation'),
      'vllm-instruct',
    );
    await userEvent.click(dialog.getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(deleted).toBe(true));
  });

  it('disables the actions, with the reason, when the permission is denied', async () => {
    // Another entity: usePermission caches decisions per resource across renders.
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => (d.summary.entityRef = 'component:default/not-ours')),
        ),
      ),
    );
    await render(AuthorizeResult.DENY);
    await screen.findByText('1 ready of 2');
    for (const name of ['Scale', 'Switch model', 'Restart', 'Delete']) {
      expect(await screen.findByRole('button', { name })).toBeDisabled();
    }
    expect(
      screen.getByLabelText('Scale (not allowed: only owners may scale)'),
    ).toBeInTheDocument();
  });
});
