import { expect, Page } from '@playwright/test';
import path from 'path';

/** Screenshots for people to look at, under the gitignored .local folder. */
export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.resolve(__dirname, '../../../.local/screenshots', `${name}.png`), fullPage: true });
}

/** Signs in with the guest provider, as a person does on the sign-in page. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Model Hosting' })).toBeVisible();
}
