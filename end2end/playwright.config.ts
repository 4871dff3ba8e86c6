import { defineConfig } from '@playwright/test';
import path from 'node:path';

// The server under test: LEADLINE_BIN (`make test-e2e` gives the binary the Rust tests built,
// serving the release site from inside it), on its own port with a fresh database: SQLite in
// .tmp/ (wiped at every run), or, with E2E_POSTGRES_URL, a fresh schema in that PostgreSQL
// database.
const port = process.env.E2E_PORT ?? '3107';
const root = path.resolve(__dirname, '..');
const bin = process.env.LEADLINE_BIN ?? path.join(root, 'target/release/leadline');
const dataDir = path.join(__dirname, '.tmp', 'data');
const postgres = process.env.E2E_POSTGRES_URL ?? '';
const schema = 'leadline_e2e';
const freshDatabase = postgres
  ? `psql -q -v ON_ERROR_STOP=1 "${postgres}" -c 'DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}'`
  : `rm -rf "${dataDir}"`;

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
    command: `${freshDatabase} && exec "${bin}" serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEADLINE_ADDR: `127.0.0.1:${port}`,
      LEADLINE_DATA_DIR: dataDir,
      LEADLINE_DATABASE_URL: postgres,
      LEADLINE_DATABASE_SCHEMA: postgres ? schema : '',
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(root, 'target/site'),
      LEPTOS_OUTPUT_NAME: 'leadline',
    },
  },
});
