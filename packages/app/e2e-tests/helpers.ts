import { APIRequestContext, expect, Page } from '@playwright/test';
import path from 'path';

/** Screenshots for people to look at, under the gitignored .local folder. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: path.resolve(__dirname, '../../../.local/screenshots', `${name}.png`),
    fullPage: true,
  });
}

/** Signs in with the guest provider, as a person does on the sign-in page. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Model Hosting' })).toBeVisible();
}

/** Waits until the catalog serves an entity (the model-hosting provider adds them a moment after start). */
export async function waitForCatalogEntity(
  request: APIRequestContext,
  kind: string,
  name: string,
) {
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `http://localhost:7100/api/catalog/entities/by-name/${kind}/default/${name}`,
            {
              headers: { Authorization: 'Bearer e2e-static-token-0123456789' },
            },
          )
        ).status(),
      { timeout: 60_000 },
    )
    .toBe(200);
}
