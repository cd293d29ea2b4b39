import { expect, test } from '@playwright/test';
import { screenshot, signInAsGuest } from './helpers';

test('a guest signs in, follows the sidebar to Model Hosting and sees the example model servers', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.getByRole('link', { name: 'Model Hosting' }).click();
  await expect(page).toHaveURL(/\/model-hosting$/);
  await expect(
    page.getByRole('heading', { name: 'Model Hosting' }),
  ).toBeVisible();

  const rows = page.getByRole('table').getByRole('row');
  const row = (name: string) =>
    rows.filter({ has: page.getByRole('cell', { name, exact: true }) }).first();
  await expect(row('ollama-chat')).toContainText('1 × Tesla-T4-SHARED');
  await expect(row('ollama-chat')).toContainText('3 / 3');
  await expect(row('ollama-chat')).toContainText('Ready');
  await expect(row('vllm-instruct')).toContainText(
    'meta-llama/Llama-3.1-8B-Instruct',
  );
  await expect(row('vllm-instruct')).toContainText('1 × NVIDIA-A100-SXM4-80GB');
  await expect(row('vllm-instruct')).toContainText('local / ml-serving');
  await expect(row('iris-classifier')).toContainText('CPU only');
  await expect(page.getByText(/Model servers \(\d+\)/)).toBeVisible();
  await screenshot(page, 'fleet');
});
