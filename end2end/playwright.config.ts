import { defineConfig } from '@playwright/test';
import path from 'node:path';

// The server under test: the release binary cargo-leptos built (`make build-release`), on its own port with a fresh
// SQLite database in .tmp/ (wiped at every run), serving the site cargo-leptos wrote.
const port = process.env.E2E_PORT ?? '3107';
const root = path.resolve(__dirname, '..');
const bin = process.env.LEADLINE_BIN ?? path.join(root, 'target/release/leadline');
const dataDir = path.join(__dirname, '.tmp', 'data');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `rm -rf "${dataDir}" && exec "${bin}" serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEADLINE_ADDR: `127.0.0.1:${port}`,
      LEADLINE_DATA_DIR: dataDir,
      LEADLINE_DATABASE_URL: '',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(root, 'target/site'),
      LEPTOS_OUTPUT_NAME: 'leadline',
    },
  },
});
