// The walk a platform engineer's users take on a production install: signed in by oauth2-proxy
// (emulated by the headers it sets on every request), the fleet from the cluster named in
// modelHosting.clusters, a model deployed from a template with the person's own token, scaled
// from its page, audited in PostgreSQL. Runs once per way of reaching the cluster (the projects).
import { Browser, expect, Page, test } from '@playwright/test';
import { execFileSync } from 'child_process';
import path from 'path';
import { repo } from './setup';

const ns = 'ml-serving';

const kubeconfig = () =>
  path.join(
    process.env.MH_TEST_STATE_DIR ?? path.join(repo, '.local/test-cluster'),
    `${process.env.MH_TEST_CLUSTER ?? 'mh-test'}.kubeconfig`,
  );
const k8sBin = execFileSync(
  'bash',
  ['-c', `. ${repo}/scripts/cluster/versions.sh && echo $K8S_BIN`],
  { encoding: 'utf8' },
).trim();
const kubectl = (...args: string[]) =>
  execFileSync(
    path.join(k8sBin, 'kubectl'),
    ['--kubeconfig', kubeconfig(), ...args],
    {
      encoding: 'utf8',
    },
  );

/** A browser session behind oauth2-proxy, which forwards every request with the person's name. */
async function signedInAs(browser: Browser, baseURL: string, user: string) {
  const context = await browser.newContext({
    baseURL,
    extraHTTPHeaders: { 'X-Forwarded-User': user },
    viewport: { width: 1440, height: 900 },
  });
  return context.newPage();
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: path.join(repo, '.local/screenshots', `production-${name}.png`),
    fullPage: true,
  });
}

test.describe.configure({ mode: 'serial' });

test.describe('the production bundle', () => {
  let cluster: string;
  let name: string;
  let baseURL: string;
  test.beforeAll(async ({}, info) => {
    cluster = info.project.metadata.cluster;
    baseURL = info.project.use.baseURL!;
    name = `prod-${info.project.name}`;
    kubectl('delete', 'md', name, '-n', ns, '--ignore-not-found', '--wait');
  });
  test.afterAll(() => {
    kubectl('delete', 'md', name, '-n', ns, '--ignore-not-found');
  });

  test('signs people in through oauth2-proxy only: no guest, nobody without the proxy', async ({
    page,
    request,
    browser,
  }) => {
    // Straight to the backend, past the proxy: the page says why and shows nothing else.
    await page.goto('/');
    await expect(
      page.getByText('You do not appear to be signed in.', { exact: false }),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: 'Enter' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Model Hosting' })).toHaveCount(
      0,
    );
    // The guest provider of app-config.yaml refuses outside development.
    const guest = await request.get('/api/auth/guest/refresh');
    expect(guest.status()).toBe(403);
    expect(await guest.json()).toMatchObject({
      error: {
        name: 'NotAllowedError',
        message: expect.stringMatching(
          /cannot be used outside of a development environment/,
        ),
      },
    });

    const alice = await signedInAs(browser, baseURL, 'alice');
    await alice.goto('/');
    await expect(
      alice.getByRole('link', { name: 'Model Hosting' }),
    ).toBeVisible();
    const identity = await (
      await alice.request.get('/api/auth/oauth2Proxy/refresh')
    ).json();
    expect(identity.backstageIdentity.identity).toMatchObject({
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: expect.arrayContaining([
        'group:default/ml-platform',
      ]),
    });
    await alice.context().close();
  });

  test('shows the fleet of the cluster configured in modelHosting.clusters', async ({
    browser,
  }) => {
    const page = await signedInAs(browser, baseURL, 'alice');
    await page.goto('/model-hosting');
    await expect(
      page.getByRole('link', { name: 'vllm-instruct' }),
    ).toBeVisible();
    await page.getByRole('tab', { name: 'GPUs' }).click();
    await expect(page.getByText(`GPUs on ${cluster}`)).toBeVisible();
    await screenshot(page, `${cluster}-gpus`);
    await page.context().close();
  });

  test('deploys from a template with the signed-in person, scales from the page, audits in PostgreSQL', async ({
    browser,
  }) => {
    const page = await signedInAs(browser, baseURL, 'alice');
    await page.goto('/create');
    await page
      .getByText('Deploy an Ollama model server')
      .locator('..')
      .locator('..')
      .getByRole('button', { name: 'Choose' })
      .click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
    await page
      .getByRole('textbox', { name: 'Owner' })
      .fill('group:default/ml-platform');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: /Cluster/ }).click();
    await page
      .getByRole('option', { name: new RegExp(`^${cluster} — \\d+ of \\d+`) })
      .click();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(
      page.getByText(/^Tesla-T4-SHARED — \d+ of 32 free \(time-sliced\)/),
    ).toBeVisible();
    await page.getByRole('button', { name: 'Next' }).click();
    // The models are kept on a claim of the template's default size.
    await expect(
      page.getByRole('textbox', { name: /Model cache size/ }),
    ).toHaveValue('100Gi');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    // The action waits until the model server is ready.
    await expect(
      page.getByRole('link', { name: 'Open the model server' }),
    ).toBeVisible({ timeout: 120_000 });
    await screenshot(page, `${cluster}-template-done`);
    expect(
      kubectl('get', 'md', name, '-n', ns, '-o', 'jsonpath={.spec.owner}'),
    ).toBe('group:default/ml-platform');

    await page.goto(`/model-hosting/deployments/${cluster}/${ns}/${name}`);
    await expect(page.getByText('1 ready of 1')).toBeVisible();
    await expect(
      page.getByText(
        `claim ${name}-models (100Gi, default class, ReadWriteOnce, deleted with the deployment)`,
      ),
    ).toBeVisible();
    await page.getByRole('button', { name: 'Scale' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Replicas').fill('2');
    await dialog.getByRole('button', { name: 'Scale' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('2 ready of 2')).toBeVisible();
    expect(
      kubectl(
        'get',
        'deployment',
        name,
        '-n',
        ns,
        '-o',
        'jsonpath={.status.readyReplicas}',
      ),
    ).toBe('2');
    await screenshot(page, `${cluster}-scaled`);

    // Both actions are audited as alice, in this backend's PostgreSQL database.
    const url = new URL(process.env.MH_PROD_E2E_PG_URL!);
    url.pathname = `/mh_prod_${test
      .info()
      .project.name.replace('-', '_')}_model-hosting`;
    const rows = execFileSync(
      'psql',
      [
        url.toString(),
        '-Atc',
        `select actor, action, outcome from model_hosting_audit_log where name = '${name}' order by id`,
      ],
      { encoding: 'utf8' },
    );
    expect(rows.trim().split('\n')).toEqual([
      'user:default/alice|deploy|succeeded',
      'user:default/alice|scale|succeeded',
    ]);
    await page.context().close();
  });
});
