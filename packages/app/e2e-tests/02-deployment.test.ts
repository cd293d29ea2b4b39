import { expect, test } from '@playwright/test';
import { screenshot, signInAsGuest, waitForCatalogEntity } from './helpers';
import { kubectl } from './kube';

const ns = 'ml-serving';

test.describe.configure({ mode: 'serial' });

test('scale vllm-instruct from its page: ready replicas follow and the cluster agrees', async ({
  page,
  request,
}) => {
  // Permissions are decided on the catalog entity: wait until the catalog has it.
  await waitForCatalogEntity(request, 'component', `local.${ns}.vllm-instruct`);
  await signInAsGuest(page);
  await page.goto('/model-hosting');
  await page.getByRole('link', { name: 'vllm-instruct' }).click();
  await expect(
    page.getByRole('heading', { name: 'vllm-instruct' }),
  ).toBeVisible();
  await expect(page.getByText('1 ready of 1')).toBeVisible();

  await page.getByRole('button', { name: 'Scale' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Replicas').fill('500');
  await dialog.getByRole('button', { name: 'Scale' }).click();
  await expect(dialog.getByRole('alert')).toContainText(
    'Autoscaling keeps this deployment between 0 and 2 replicas.',
  );
  await screenshot(page, 'scale-invalid');

  await dialog.getByLabel('Replicas').fill('2');
  await dialog.getByRole('button', { name: 'Scale' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('2 ready of 2')).toBeVisible();
  expect(
    kubectl(
      'get',
      'deployment',
      'vllm-instruct',
      '-n',
      ns,
      '-o',
      'jsonpath={.status.readyReplicas}',
    ),
  ).toBe('2');
  await screenshot(page, 'deployment');
});

test('switch the model: the phase goes through Switching to Ready with the new model', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  await expect(page.getByText('2 ready of 2')).toBeVisible();
  // Hold the new pods back (no schedulable node) so that the switch can be watched.
  const nodes = kubectl(
    'get',
    'nodes',
    '-l',
    'nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB',
    '-o',
    'name',
  )
    .trim()
    .split('\n');
  for (const node of nodes) kubectl('cordon', node);
  try {
    await page.getByRole('button', { name: 'Switch model' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Model').fill('Qwen/Qwen2.5-7B-Instruct');
    await dialog.getByRole('button', { name: 'Switch' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status')).toContainText(
      'Switching from meta-llama/Llama-3.1-8B-Instruct to Qwen/Qwen2.5-7B-Instruct',
    );
    await expect(
      page.getByRole('progressbar', { name: 'Switch in progress' }),
    ).toBeVisible();
    await screenshot(page, 'switching');
  } finally {
    for (const node of nodes) kubectl('uncordon', node);
  }
  await expect(page.getByRole('status')).toBeHidden({ timeout: 60_000 });
  await expect(
    page.getByText(
      /meta-llama\/Llama-3.1-8B-Instruct → Qwen\/Qwen2.5-7B-Instruct in [\d.]+ s \(recreate\)/,
    ),
  ).toBeVisible();
  await expect(page.getByText('2 ready of 2')).toBeVisible();
  expect(
    kubectl(
      'get',
      'md',
      'vllm-instruct',
      '-n',
      ns,
      '-o',
      'jsonpath={.status.activeModel}',
    ),
  ).toBe('Qwen/Qwen2.5-7B-Instruct');
});

test("another team's model server: actions are disabled and say why", async ({
  page,
  request,
}) => {
  await waitForCatalogEntity(
    request,
    'component',
    `local.${ns}.iris-classifier`,
  );
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/iris-classifier`);
  await expect(page.getByText('2 ready of 2')).toBeVisible();
  for (const name of ['Scale', 'Switch model', 'Restart', 'Delete']) {
    await expect(
      page.getByRole('button', { name, exact: true }),
    ).toBeDisabled();
  }
  await page.getByLabel('Scale (not allowed: only owners may scale)').hover();
  await expect(page.getByRole('tooltip')).toContainText(
    'You may not scale this model server; its owners may.',
  );
  await screenshot(page, 'not-allowed');
});

test('the GPU view and the catalog entity tab', async ({ page }) => {
  await signInAsGuest(page);
  await page.goto('/model-hosting');
  await page.getByRole('tab', { name: 'GPUs' }).click();
  await expect(page.getByText('GPUs on local')).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'GPU nodes of local' }),
  ).toContainText('gpu-t4-shared-0');
  await expect(
    page.getByRole('table', { name: 'GPU nodes of local' }),
  ).toContainText('Time-sliced');
  await screenshot(page, 'gpus');

  await page.goto(
    `/catalog/default/component/local.${ns}.ollama-chat/model-server`,
  );
  await expect(page.getByText('3 ready of 3')).toBeVisible({ timeout: 60_000 });
  await screenshot(page, 'entity-model-server');
});

test('the Ollama template offers the clusters and GPU products of the portal', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/create');
  await page.getByRole('button', { name: 'Choose' }).first().waitFor();
  await page
    .getByText('Deploy an Ollama model server')
    .locator('..')
    .locator('..')
    .getByRole('button', { name: 'Choose' })
    .click();
  await expect(page.getByText(/^local — \d+ of \d+ gpu free/)).toBeVisible();
  await page
    .getByRole('textbox', { name: 'Name', exact: true })
    .fill('e2e-ollama');
  await page
    .getByRole('textbox', { name: 'Owner' })
    .fill('group:default/ml-platform');
  await page.keyboard.press('Escape');
  await screenshot(page, 'template');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText(/^Tesla-T4-SHARED — \d+ of 32 free \(time-sliced\)/),
  ).toBeVisible();
  await screenshot(page, 'template-gpus');
});
