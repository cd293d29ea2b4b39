import { defineConfig } from '@playwright/test';
import { VARIANTS } from './packages/app/e2e-production/setup';

// The end-to-end walk against the production path (packages/app/e2e-production/setup.ts): the
// bundle built and laid out as the image is, served by the backend with the production config,
// PostgreSQL, oauth2-proxy sign-in, and the cluster reached through modelHosting.clusters, once
// with a kubeconfig and once in-cluster. Run with `yarn test:e2e:production`.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'packages/app/e2e-production',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: '.local/e2e-production-report' }],
  ],
  outputDir: '.local/e2e-production-results',
  globalSetup: require.resolve('./packages/app/e2e-production/setup'),
  globalTeardown: require.resolve('./packages/app/e2e-production/teardown'),
  use: {
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
  },
  projects: Object.entries(VARIANTS).map(([name, { port, cluster }]) => ({
    name,
    metadata: { cluster },
    use: { baseURL: `http://localhost:${port}` },
  })),
});
