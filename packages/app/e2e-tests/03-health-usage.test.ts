import { expect, test } from '@playwright/test';
import { screenshot, signInAsGuest } from './helpers';
import { kubectl } from './kube';

const ns = 'ml-serving';
const backend = 'http://localhost:7100';
const staticToken = 'Bearer e2e-static-token-0123456789';

// The example model servers run behind their pods' IPs in the test cluster's pod network (the pod
// runner's vLLM, Ollama and MLServer stand-ins); the backend reaches them the way a real
// installation does, through the API server's service and pod proxy.
test('the deployment page shows health and usage of vllm-instruct, reached through the proxy', async ({
  page,
  request,
}) => {
  // Real requests through the portal's OpenAI-compatible gateway, as a program with a service
  // token sends them; vLLM counts them, and the health checks read its counters from each pod.
  const model = kubectl(
    'get',
    'md',
    'vllm-instruct',
    '-n',
    ns,
    '-o',
    'jsonpath={.status.activeModel}',
  );
  for (let i = 0; i < 3; i++) {
    const res = await request.post(
      `${backend}/api/model-hosting/v1/chat/completions`,
      {
        headers: { Authorization: staticToken },
        data: {
          model: `${ns}/${model}`,
          messages: [{ role: 'user', content: `Echo: request ${i}` }],
        },
      },
    );
    expect(res.status()).toBe(200);
    // The stand-in answers "Echo: x" with x: the request's body reached the server.
    expect((await res.json()).choices[0].message.content).toBe(`request ${i}`);
  }

  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  await expect(
    page.getByRole('heading', { name: 'vllm-instruct' }),
  ).toBeVisible();
  // The Healthy condition, from the health check through the service proxy.
  await expect(
    page.getByLabel('Conditions').getByText('Healthy: yes'),
  ).toBeVisible({ timeout: 60_000 });
  const checks = page.getByRole('table', { name: 'Health checks' });
  await expect(checks).toContainText('Healthy', { timeout: 60_000 });
  await expect(checks).toContainText(`serves ${model}`);
  // The usage charts: the requests, metered from vLLM's own counters at the next health check
  // (every 30 s for this example); the page reloads to ask again sooner than its own polling.
  await expect(async () => {
    await page.reload();
    await expect(
      page.getByRole('img', { name: 'Requests and errors chart' }),
    ).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000, intervals: [5_000] });
  await expect(
    page.getByText('No usage recorded in this range yet'),
  ).toHaveCount(0);
  await expect(page.getByText(/^Last used /)).toBeVisible();
  await page
    .getByRole('img', { name: 'Requests and errors chart' })
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'deployment-health-usage');
});

test("the Ollama example's health checks pull its expected models, and the pulls are usage", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/ollama-chat`);
  // Earlier suites' health checks on this cluster may have pulled every expected model into the
  // pods already. A restart from the page gives new pods that hold only their own model, as a
  // freshly started Ollama does; the checks then pull the other two.
  const before = ollamaPods();
  await page.getByRole('button', { name: 'Restart', exact: true }).click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Restart', exact: true })
    .click();
  await expect
    .poll(
      () => {
        const now = ollamaPods();
        return (
          now.length === 3 &&
          now.every(pod => pod.ready && !before.some(b => b.name === pod.name))
        );
      },
      { timeout: 120_000, intervals: [2_000] },
    )
    .toBe(true);
  // One check now, through the Service to one of the new pods. A scheduled check may already
  // have pulled into another new pod during the rollout: the history below holds both.
  await page.getByRole('button', { name: 'Check health now' }).click();
  await expect(
    page.getByRole('region', { name: 'Health check result' }),
  ).toContainText('Answered in', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(
    page.getByLabel('Conditions').getByText('Healthy: yes'),
  ).toBeVisible({ timeout: 60_000 });
  const checks = page.getByRole('table', { name: 'Health checks' });
  await expect(checks).toContainText(
    /pulled (nomic-embed-text|qwen2\.5-coder:7b)/,
    { timeout: 60_000 },
  );
  await expect(async () => {
    await page.reload();
    await expect(
      page.getByRole('img', { name: 'Requests and errors chart' }),
    ).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 60_000, intervals: [5_000] });
  await page
    .getByRole('img', { name: 'Requests and errors chart' })
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'ollama-health-usage');
});

/** The ollama-chat pods the cluster has, and whether each is Ready. */
function ollamaPods(): { name: string; ready: boolean }[] {
  const pods = JSON.parse(
    kubectl(
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/instance=ollama-chat',
      '-o',
      'json',
    ),
  ).items as any[];
  return pods.map(pod => ({
    name: pod.metadata.name,
    ready: !!pod.status?.conditions?.some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    ),
  }));
}
