import { expect, test } from '@playwright/test';
import { screenshot, signInAsGuest } from './helpers';
import { kubectl } from './kube';

// Issue 15 in the portal: edit with a reviewed dry run, autoscaling reviewed and cancelled, a
// health check on demand, the pool card, a readable events table, another team's disabled
// actions, and the fleet's model filter and "Deploy a model" entry.
const ns = 'ml-serving';
const mdField = (name: string, path: string) =>
  kubectl('get', 'md', name, '-n', ns, '-o', `jsonpath={${path}}`);

test.describe.configure({ mode: 'serial' });

test('edit: the review shows what changes, and Apply writes exactly that', async ({
  page,
}) => {
  // A value the spec does not hold yet (a second run on the same cluster finds the first's).
  const interval =
    mdField('vllm-instruct', '.spec.healthCheck.intervalSeconds') === '45'
      ? '50'
      : '45';
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  await page.getByRole('tab', { name: 'Health and probes' }).click();
  await page.getByLabel('Check every (s)').fill(interval);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByRole('table', { name: 'Changes to the spec' }),
  ).toContainText('spec.healthCheck.intervalSeconds');
  // Health checks are the backend's: no object of the cluster changes.
  await expect(
    page.getByText("Nothing changes in the cluster's objects."),
  ).toBeVisible();
  await screenshot(page, 'edit-review');
  expect(
    mdField('vllm-instruct', '.spec.healthCheck.intervalSeconds'),
  ).not.toBe(interval);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('dialog')).toBeHidden();
  expect(mdField('vllm-instruct', '.spec.healthCheck.intervalSeconds')).toBe(
    interval,
  );
});

test('autoscaling: a reviewed change that is cancelled writes nothing', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  const before = mdField('vllm-instruct', '.spec.autoscaling.maxReplicas');
  await page.getByRole('button', { name: 'Autoscaling' }).click();
  await page.getByLabel('Maximum replicas').fill('3');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByRole('table', { name: 'Changes to the spec' }),
  ).toContainText('spec.autoscaling.maxReplicas');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toBeHidden();
  expect(mdField('vllm-instruct', '.spec.autoscaling.maxReplicas')).toBe(
    before,
  );
});

test('check health now: one check through the proxy, its result and latency', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  await page.getByRole('button', { name: 'Check health now' }).click();
  const result = page.getByRole('region', { name: 'Health check result' });
  await expect(result).toContainText('Healthy');
  await expect(result).toContainText('Answered in');
  await screenshot(page, 'health-check-now');
});

test('the models card shows the active model; the events table reads on one line per header at 1440 px', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/vllm-instruct`);
  const active = mdField('vllm-instruct', '.status.activeModel');
  const models = page.getByRole('table', { name: 'Models' });
  await expect(models).toContainText(active);
  await expect(models).toContainText('Active');
  const headers = page
    .getByRole('table', { name: 'Events' })
    .getByRole('columnheader');
  await expect(headers.first()).toBeVisible();
  for (const header of await headers.all()) {
    const box = await header.boundingBox();
    expect(box!.height).toBeLessThan(40);
  }
  await screenshot(page, 'models-and-events');
});

test("another team's model server: edit, autoscaling and health check are disabled and say why", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto(`/model-hosting/deployments/local/${ns}/iris-classifier`);
  for (const name of ['Edit', 'Autoscaling', 'Check health now']) {
    await expect(
      page.getByRole('button', { name, exact: true }),
    ).toBeDisabled();
  }
  await page.getByLabel('Edit (not allowed: only owners may edit)').hover();
  await expect(page.getByRole('tooltip')).toContainText(
    'You may not edit this model server; its owners may.',
  );
});

test('the fleet filters by model, and "Deploy a model" leads to the templates', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/model-hosting');
  const filters = page.getByRole('group', { name: 'Filters' });
  await filters.getByLabel('Model').click();
  await page.getByRole('option', { name: 'iris-classifier' }).click();
  await expect(page.getByText('Model servers (1)')).toBeVisible();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Deploy a model' }).first().click();
  // The scaffolder moves /create to /create/templates and keeps the filters.
  await expect(page).toHaveURL(
    /\/create(\/templates)?\?.*tags%5D=model-hosting/,
  );
  await expect(page.getByText('Deploy an Ollama model server')).toBeVisible();
});
