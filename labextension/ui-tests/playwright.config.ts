/**
 * End-to-end tests in a real browser: Debian's chromium (browser downloads are not possible
 * here), headless, against a `jupyter lab` that tests/test_ui_e2e.py starts with the real
 * default model. That pytest test passes the server URL, token and artifacts dir by env.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  // The browser benchmark (benchmarks/browser.py) selects latency.bench.ts instead.
  testMatch: process.env.SPARK_TEST_MATCH ?? '*.spec.ts',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.SPARK_ARTIFACTS ?? 'test-results',
  use: {
    baseURL: process.env.SPARK_LAB_URL ?? 'http://127.0.0.1:8888/',
    headless: true,
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  }
});
