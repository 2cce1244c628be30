/**
 * Notebook 7 (the `notebook` package, on the same server): no status bar there, so the model's
 * state and last latency sit in the notebook's toolbar; ghost text and partial accept work as
 * in JupyterLab. The notebook (written by tests/test_ui_e2e.py) holds a setup cell and two
 * empty cells.
 */
import { expect, test } from '@playwright/test';
import * as path from 'path';
import { cell, cellText, token } from './helpers';
import { nextWord } from '../src/suggestion';

const notebook = process.env.SPARK_N7_NOTEBOOK ?? 'n7.ipynb';
const shots = process.env.SPARK_ARTIFACTS ?? 'test-results';

test('Notebook 7: the model state in the toolbar, ghost text, accept word', async ({ page }) => {
  await page.goto(`notebooks/${notebook}?token=${token}`);
  await expect(cell(page, 0)).toBeVisible({ timeout: 120_000 });
  // Notebook 7 has no status bar: the state is in the notebook's toolbar.
  await expect(page.locator('.jp-StatusBar')).toHaveCount(0);
  const state = page.locator('.jp-NotebookPanel-toolbar .jp-spark-status');
  await expect(state).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  await expect(state).toHaveText('Spark ✓');

  const target = cell(page, 1);
  await target.locator('.cm-content').click();
  const prefix = 'summary = sales_df';
  await page.keyboard.type(prefix, { delay: 60 });
  const ghost = target.locator('.jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(target.locator('.jp-GhostText-streamingIndicator')).toHaveCount(0);
  const suggestion = await ghost.innerText();
  expect(suggestion.trim().length).toBeGreaterThan(0);
  // The last keystroke-to-suggestion time is shown next to the state.
  await expect(state).toHaveText(/^Spark ✓ \d+ ms$/);
  await page.screenshot({ path: path.join(shots, 'notebook7.png') });

  await page.keyboard.press('Control+ArrowRight');
  await expect.poll(() => cellText(page, 1)).toBe(prefix + nextWord(suggestion));
});

test('Notebook 7: a problem to act on is told once, as a notification with what to do', async ({ page }) => {
  // The model failed to load: every status poll says so; the notification comes once.
  await page.route('**/spark/status*', async route => {
    const response = await route.fetch();
    const status = { ...(await response.json()), state: 'error', error: 'no model at /models/missing.gguf' };
    await route.fulfill({ response, json: status });
  });
  await page.goto(`notebooks/${notebook}?token=${token}`);
  await expect(cell(page, 0)).toBeVisible({ timeout: 120_000 });
  const state = page.locator('.jp-NotebookPanel-toolbar .jp-spark-status');
  await expect(state).toHaveAttribute('data-state', 'error');
  await expect(state).toHaveText('Spark: error');
  const toasts = page.locator('.Toastify__toast');
  await expect(toasts.filter({ hasText: 'no model at /models/missing.gguf' })).toHaveCount(1);

  // The server extension stops answering: after a few failed polls (1 s apart while not
  // ready), one notification says what to check; more failures add none.
  await page.unroute('**/spark/status*');
  await page.route('**/spark/status*', route => route.fulfill({ status: 503, body: 'unavailable' }));
  const down = toasts.filter({ hasText: 'the server extension does not answer' });
  await expect(down).toHaveCount(1, { timeout: 60_000 });
  await expect(down).toContainText('Check that jupyter-spark-assist is installed'); // what to do
  await page.waitForTimeout(4000);
  await expect(down).toHaveCount(1);
});
