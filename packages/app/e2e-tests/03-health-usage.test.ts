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
