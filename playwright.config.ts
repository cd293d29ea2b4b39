import { defineConfig } from '@playwright/test';
import path from 'path';

// End-to-end tests: the real backend and frontend (dev servers on their own ports, in-memory
// SQLite) against the local simulated cluster, driven in Debian's Chromium.
const { up } = require('./packages/integration-tests/testCluster');

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ports = { app: 3100, backend: 7100 };

// The config is also loaded by workers; only the main process starts the cluster.
if (!process.env.TEST_WORKER_INDEX) {
  const cluster = up();
  process.env.MH_TEST_APP_CONFIG = cluster.appConfig;
  if (cluster.started) process.env.MH_E2E_STOPS_CLUSTER = '1';
}

const configArgs = [
  path.resolve('app-config.yaml'),
  path.resolve('packages/app/e2e-tests/app-config.e2e.yaml'),
  process.env.MH_TEST_APP_CONFIG!,
]
  .map(file => `--config ${file}`)
  .join(' ');
const yarn = `node ${path.resolve('.yarn/releases/yarn-4.13.0.cjs')}`;

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: '.local/e2e-report' }],
  ],
  outputDir: '.local/e2e-results',
  globalTeardown: require.resolve('./packages/app/e2e-tests/globalTeardown'),
  use: {
    baseURL: `http://localhost:${ports.app}`,
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
  webServer: [
    {
      command: `${yarn} workspace backend start ${configArgs}`,
      url: `http://localhost:${ports.backend}/.backstage/health/v1/readiness`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `${yarn} workspace app start ${configArgs}`,
      url: `http://localhost:${ports.app}`,
      reuseExistingServer: false,
      timeout: 300_000,
    },
  ],
});
