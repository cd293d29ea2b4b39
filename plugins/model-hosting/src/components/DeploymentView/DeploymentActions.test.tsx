import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  registerMswTestHooks,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { EditResponse } from '@modelhosting/backstage-plugin-model-hosting-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { modelHostingApiRef, ModelHostingClient } from '../../api';
import { detail } from '../../testing/fixtures';
import { DeploymentView } from './DeploymentView';
import { settingsOf } from './AutoscaleDialog';

// Dialogs typed into on 2 cores, while every package's tests run.
jest.setTimeout(30_000);

const base = 'http://backend.test/api/model-hosting';
const one = `${base}/deployments/gpu-east/ml-serving/vllm-instruct`;
const server = setupServer();
registerMswTestHooks(server);
beforeEach(() =>
  server.use(
    http.get(`${base}/usage`, () =>
      HttpResponse.json({ from: '', to: '', stepSeconds: 3600, series: [] }),
    ),
    http.get(`${one}/health`, () => HttpResponse.json({ items: [] })),
    http.get(`${one}/models`, () => HttpResponse.json({ items: [] })),
  ),
);

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

const refusal = (status: number, name: string, message: string) =>
  HttpResponse.json(
    { error: { name, message }, response: { statusCode: status } },
    { status },
  );

/** Records the query and body of each call and answers with `answer`. */
function recording(answer: (dryRun: boolean) => Response) {
  const calls: Array<{ dryRun: string | null; body: unknown }> = [];
  const resolver = async ({ request }: { request: Request }) => {
    const dryRun = new URL(request.url).searchParams.get('dryRun');
    calls.push({ dryRun, body: await request.json() });
    return answer(dryRun === 'true');
  };
  return { calls, resolver };
}

const imageChange = (dryRun: boolean): EditResponse => ({
  dryRun,
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
});

/** Types a whole value at once (faster than key by key). */
async function fill(input: HTMLElement, text: string) {
  await userEvent.click(input);
  await userEvent.paste(text);
}

async function openDialog(button: string) {
  await userEvent.click(await screen.findByRole('button', { name: button }));
  return within(await screen.findByRole('dialog'));
}

describe('Edit', () => {
  it('reviews the changed fields as a dry run, shows what changes, then applies them', async () => {
    const { calls, resolver } = recording(dryRun =>
      HttpResponse.json(imageChange(dryRun)),
    );
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.patch(one, resolver),
    );
    await render();
    const dialog = await openDialog('Edit');
    await fill(dialog.getByLabelText('Image'), 'vllm/vllm-openai:v0.6.3');
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));

    const changes = within(
      await dialog.findByRole('table', { name: 'Changes to the spec' }),
    );
    expect(changes.getByText('spec.image')).toBeInTheDocument();
    expect(changes.getByText('(not set)')).toBeInTheDocument();
    expect(changes.getByText('vllm/vllm-openai:v0.6.3')).toBeInTheDocument();
    const cluster = within(
      dialog.getByRole('list', { name: 'Changes in the cluster' }),
    );
    expect(
      cluster.getByText('Deployment vllm-instruct: updated'),
    ).toBeInTheDocument();
    expect(
      cluster.getByText('spec.template.spec.containers[0].image'),
    ).toBeInTheDocument();
    expect(
      dialog.getByText(/Kubernetes replaces the pods/),
    ).toBeInTheDocument();
    expect(calls).toEqual([
      { dryRun: 'true', body: { spec: { image: 'vllm/vllm-openai:v0.6.3' } } },
    ]);

    await userEvent.click(dialog.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(calls[1]).toEqual({
      dryRun: 'false',
      body: { spec: { image: 'vllm/vllm-openai:v0.6.3' } },
    });
  });

  it('edits health checks, probes and env, sending each changed field whole', async () => {
    const { calls, resolver } = recording(dryRun =>
      HttpResponse.json({ ...imageChange(dryRun), cluster: [] }),
    );
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.resource.spec.healthCheck = { failureThreshold: 3 };
            d.resource.spec.env = [
              {
                name: 'HF_TOKEN',
                valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
              },
            ];
          }),
        ),
      ),
      http.patch(one, resolver),
    );
    await render();
    const dialog = await openDialog('Edit');
    // A Secret reference shows by name, never a value.
    expect(dialog.getByLabelText('Variable 1 Secret')).toHaveValue('hf');
    await userEvent.click(dialog.getByRole('button', { name: 'Add variable' }));
    await fill(dialog.getByLabelText('Variable 2 name'), 'VLLM_LOGGING_LEVEL');
    await userEvent.type(dialog.getByLabelText('Variable 2 value'), 'DEBUG');

    await userEvent.click(
      dialog.getByRole('tab', { name: 'Health and probes' }),
    );
    await userEvent.type(dialog.getByLabelText('Check every (s)'), '60');
    await userEvent.type(
      dialog.getByLabelText('readiness Initial delay (s)'),
      '120',
    );
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    await dialog.findByRole('table', { name: 'Changes to the spec' });
    expect(calls[0].body).toEqual({
      spec: {
        env: [
          {
            name: 'HF_TOKEN',
            valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
          },
          { name: 'VLLM_LOGGING_LEVEL', value: 'DEBUG' },
        ],
        healthCheck: { failureThreshold: 3, intervalSeconds: 60 },
        probes: { readiness: { initialDelaySeconds: 120 } },
      },
    });
    expect(
      dialog.getByText("Nothing changes in the cluster's objects."),
    ).toBeInTheDocument();
  });

  it('edits any field as YAML, node selector and pool included', async () => {
    const { calls, resolver } = recording(dryRun =>
      HttpResponse.json(imageChange(dryRun)),
    );
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.patch(one, resolver),
    );
    await render();
    const dialog = await openDialog('Edit');
    await userEvent.click(dialog.getByRole('tab', { name: 'Advanced (YAML)' }));
    const yaml = dialog.getByLabelText('Spec (YAML)') as HTMLTextAreaElement;
    expect(yaml.value).toContain('engine: vllm');
    expect(yaml.value).not.toContain('owner:');
    fireEvent.change(yaml, {
      target: { value: `${yaml.value}nodeSelector: [oops` },
    });
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'The YAML does not parse',
    );
    expect(calls).toEqual([]);

    fireEvent.change(yaml, {
      target: {
        value: `${yaml.value.split('nodeSelector')[0]}nodeSelector:
  nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB
models:
  - name: Qwen/Qwen2.5-7B-Instruct
    engineArgs: [--max-model-len=4096]
`,
      },
    });
    // Back to the form: the pool model from the YAML is there.
    await userEvent.click(dialog.getByRole('tab', { name: 'Model' }));
    expect(dialog.getByLabelText('Pool model 1 name')).toHaveValue(
      'Qwen/Qwen2.5-7B-Instruct',
    );
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    await dialog.findByRole('table', { name: 'Changes to the spec' });
    expect(calls[0].body).toEqual({
      spec: {
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
        models: [
          {
            name: 'Qwen/Qwen2.5-7B-Instruct',
            engineArgs: ['--max-model-len=4096'],
          },
        ],
      },
    });
  });

  it('checks the input before the dry run, and says when nothing changed', async () => {
    const { calls, resolver } = recording(dryRun =>
      HttpResponse.json(imageChange(dryRun)),
    );
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.patch(one, resolver),
    );
    await render();
    const dialog = await openDialog('Edit');
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'Nothing is changed yet.',
    );
    await userEvent.click(dialog.getByRole('tab', { name: 'Resources' }));
    await userEvent.type(dialog.getByLabelText('CPU'), 'lots');
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'spec.resources.cpu must match pattern',
    );
    expect(calls).toEqual([]);
  });

  it("shows the backend's refusal of the dry run and of the apply", async () => {
    let dryRuns = 0;
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.patch(one, ({ request }) => {
        if (new URL(request.url).searchParams.get('dryRun') === 'true') {
          dryRuns++;
          return dryRuns === 1
            ? refusal(
                403,
                'NotAllowedError',
                'Refused by images: busybox is not an image of the vllm engine',
              )
            : HttpResponse.json(imageChange(true));
        }
        return refusal(
          409,
          'ConflictError',
          'vllm-instruct changed meanwhile; review again',
        );
      }),
    );
    await render();
    const dialog = await openDialog('Edit');
    await fill(dialog.getByLabelText('Image'), 'busybox');
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'Refused by images: busybox is not an image of the vllm engine',
    );
    expect(
      dialog.queryByRole('button', { name: 'Apply' }),
    ).not.toBeInTheDocument();

    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    await userEvent.click(await dialog.findByRole('button', { name: 'Apply' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'vllm-instruct changed meanwhile; review again',
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('disables Edit, Autoscaling and Check health now, with the reason, when the permission is denied', async () => {
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => (d.summary.entityRef = 'component:default/theirs')),
        ),
      ),
    );
    await render(AuthorizeResult.DENY);
    for (const name of ['Edit', 'Autoscaling', 'Check health now']) {
      expect(await screen.findByRole('button', { name })).toBeDisabled();
    }
    expect(
      screen.getByLabelText('Edit (not allowed: only owners may edit)'),
    ).toBeInTheDocument();
    expect(
      screen.getByLabelText(
        'Autoscaling (not allowed: only owners may change the autoscaling of)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByLabelText(
        'Check health now (not allowed: only owners may check the health of)',
      ),
    ).toBeInTheDocument();
  });
});

describe('Autoscaling', () => {
  it('turns request-based autoscaling with scale to zero on: dry run, then apply', async () => {
    const { calls, resolver } = recording(dryRun =>
      HttpResponse.json({
        dryRun,
        resource: detail().resource,
        changes: [
          { path: 'autoscaling.minReplicas', from: 1, to: 0 },
          { path: 'autoscaling.maxReplicas', from: 3, to: 4 },
        ],
        cluster: [
          {
            kind: 'HorizontalPodAutoscaler',
            name: 'vllm-instruct',
            change: 'delete',
            paths: [],
          },
        ],
      }),
    );
    server.use(
      http.get(one, () =>
        HttpResponse.json(
          detail(d => {
            d.resource.spec.autoscaling = {
              enabled: true,
              minReplicas: 1,
              maxReplicas: 3,
              metrics: [{ type: 'cpu', target: 80 }],
            };
          }),
        ),
      ),
      http.post(`${one}/autoscale`, resolver),
    );
    await render();
    const dialog = await openDialog('Autoscaling');
    expect(dialog.getByLabelText('Maximum replicas')).toHaveValue(3);
    // A CPU HPA cannot scale to zero: the field waits for request-based metrics.
    expect(dialog.getByLabelText('Scale to zero after (s)')).toBeDisabled();
    await userEvent.click(dialog.getByRole('button', { name: 'Metric' }));
    await userEvent.click(
      await screen.findByRole('option', {
        name: 'Requests in flight (per replica)',
      }),
    );
    const target = dialog.getByLabelText('Metric 1 target');
    await userEvent.clear(target);
    await userEvent.type(target, '8');
    await userEvent.clear(dialog.getByLabelText('Minimum replicas'));
    await userEvent.type(dialog.getByLabelText('Minimum replicas'), '0');
    await userEvent.clear(dialog.getByLabelText('Maximum replicas'));
    await userEvent.type(dialog.getByLabelText('Maximum replicas'), '4');
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'A minimum of 0 needs "Scale to zero after"',
    );
    await userEvent.type(
      dialog.getByLabelText('Scale to zero after (s)'),
      '600',
    );
    await userEvent.click(dialog.getByRole('button', { name: 'Review' }));
    expect(
      await dialog.findByText('HorizontalPodAutoscaler vllm-instruct: removed'),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('spec.autoscaling.maxReplicas'),
    ).toBeInTheDocument();
    await userEvent.click(dialog.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const settings = {
      enabled: true,
      minReplicas: 0,
      maxReplicas: 4,
      metrics: [{ type: 'requestsInFlight', target: 8 }],
      scaleToZeroAfterSeconds: 600,
    };
    expect(calls).toEqual([
      { dryRun: 'true', body: settings },
      { dryRun: 'false', body: settings },
    ]);
  });

  it('checks the rules of the CRD before sending', () => {
    const form = {
      enabled: true,
      min: '3',
      max: '2',
      metrics: [
        { type: 'cpu' as const, target: '80' },
        { type: 'queueDepth' as const, target: '' },
      ],
      toZero: '',
      up: '',
      down: '5000',
    };
    expect(settingsOf(form).problems).toEqual([
      'Scale-down window must be a whole number from 0 to 3600',
      'The target of queueDepth is required',
      'Pick one kind of metric: cpu and memory are scaled by an HPA, requestsInFlight and queueDepth by the built-in autoscaler',
      'The minimum must not exceed the maximum',
    ]);
    expect(
      settingsOf({
        ...form,
        enabled: false,
        min: '',
        max: '2',
        metrics: [{ type: 'cpu', target: '70' }],
        down: '',
      }),
    ).toEqual({
      problems: [],
      input: {
        enabled: false,
        maxReplicas: 2,
        metrics: [{ type: 'cpu', target: 70 }],
      },
    });
  });
});

describe('Check health now', () => {
  it('runs a check when opened and shows its result; again on demand', async () => {
    let checks = 0;
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.post(`${one}/health-check`, () => {
        checks++;
        return HttpResponse.json({
          healthy: checks > 1,
          message:
            checks > 1
              ? 'GET /v1/models answered 200'
              : 'GET /v1/models answered 503',
          latencyMs: 41,
          checkedAt: '2026-11-24T12:00:00.000Z',
        });
      }),
    );
    await render();
    const dialog = await openDialog('Check health now');
    const result = await dialog.findByRole('region', {
      name: 'Health check result',
    });
    expect(within(result).getByText('Unhealthy')).toBeInTheDocument();
    expect(
      within(result).getByText('GET /v1/models answered 503'),
    ).toBeInTheDocument();
    expect(within(result).getByText(/Answered in 41 ms/)).toBeInTheDocument();
    await userEvent.click(dialog.getByRole('button', { name: 'Check again' }));
    expect(await dialog.findByText('Healthy')).toBeInTheDocument();
    expect(checks).toBe(2);
  });

  it("shows the backend's error", async () => {
    server.use(
      http.get(one, () => HttpResponse.json(detail())),
      http.post(`${one}/health-check`, () =>
        refusal(
          403,
          'NotAllowedError',
          'You may not check the health of vllm-instruct',
        ),
      ),
    );
    await render();
    const dialog = await openDialog('Check health now');
    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'You may not check the health of vllm-instruct',
    );
  });
});
