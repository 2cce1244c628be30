/**
 * What the user sees: ghost text from the local model in a notebook, accepted with Tab; a
 * failed cell that offers Fix, whose accepted diff makes the cell run cleanly; and diagnostics
 * as you type, underlined in the cell with a quick fix in their tooltip.
 *
 * The notebook (written by tests/test_ui_e2e.py) holds: [0] a cell that builds a DataFrame,
 * [1] an empty cell, [2] a cell that uses a typo'd name of that DataFrame, [3] an empty cell.
 */
import { expect, test } from '@playwright/test';
import * as path from 'path';
import { cell, cellText, openNotebook, runCell, token } from './helpers';

const script = process.env.SPARK_SCRIPT ?? 'script.py';
const notebook = process.env.SPARK_NOTEBOOK ?? 'e2e.ipynb';
const shots = process.env.SPARK_ARTIFACTS ?? 'test-results';

test('ghost text from the model appears while typing and Tab accepts it', async ({ page }) => {
  await openNotebook(page, notebook);
  await runCell(page, 0);

  // No brackets or quotes: the editor would auto-close them and add a suffix.
  const prefix = 'summary = sales_df';
  await cell(page, 1).locator('.cm-content').click();
  await page.keyboard.type(prefix, { delay: 60 });
  const ghost = cell(page, 1).locator('.jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(ghost).not.toHaveText('');
  // Let the stream finish so the text we compare is the text Tab inserts.
  await expect(cell(page, 1).locator('.jp-GhostText-streamingIndicator')).toHaveCount(0);
  const suggestion = (await ghost.innerText()).split('\n')[0];
  await page.screenshot({ path: path.join(shots, 'ghost-text.png') });

  await page.keyboard.press('Tab');
  // The cell now holds what was shown (a new suggestion may appear after it at once).
  await expect.poll(() => cellText(page, 1)).toContain(prefix + suggestion);
  expect((await cellText(page, 1)).startsWith(prefix + suggestion)).toBe(true);
  expect(suggestion.trim().length).toBeGreaterThan(0);
});

test('a failed cell offers Fix; Accept applies it and the cell then runs', async ({ page }) => {
  await openNotebook(page, notebook);
  await runCell(page, 0);

  await runCell(page, 2);
  const failed = cell(page, 2);
  await expect(failed.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).toContainText(
    'NameError'
  );
  const button = failed.locator('.jp-spark-fix-button');
  await expect(button).toBeVisible();
  await button.click();

  const dialog = page.locator('.jp-Dialog .jp-spark-fix-view');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('.jp-spark-diff-add')).toContainText('sales_df');
  await page.screenshot({ path: path.join(shots, 'fix-diff.png') });
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  expect(await cellText(page, 2)).toBe('print(sales_df.shape)');
  await runCell(page, 2);
  await expect(failed.locator('.jp-OutputArea-output')).toHaveText('(2, 2)');
  await expect(failed.locator('.jp-spark-fix-button')).toHaveCount(0);
});

test('diagnostics underline findings as you type, not names other cells define; the quick fix applies', async ({
  page
}) => {
  await openNotebook(page, notebook);
  const target = cell(page, 3);
  await target.locator('.cm-content').click();
  // `sales_df` is defined by cell 0 (never run: the server knows it from the synced notebook);
  // `undefined_total` is defined nowhere; `== None` is ruff's E711, which has a fix. The
  // comment keeps the cursor, and so any ghost text, away from the underlines.
  const typed = 'flag = sales_df == None or undefined_total  # check';
  await page.keyboard.type(typed, { delay: 30 });
  const ranges = target.locator('.cm-lintRange');
  await expect(ranges).toHaveCount(2);
  expect(await ranges.allTextContents()).toEqual(['None', 'undefined_total']);
  await expect(target.locator('.cm-lintRange', { hasText: 'sales_df' })).toHaveCount(0);

  await ranges.filter({ hasText: 'None' }).hover();
  const tooltip = page.locator('.cm-tooltip-lint');
  await expect(tooltip).toContainText('Comparison to `None` should be `cond is None`');
  await expect(tooltip).toContainText('ruff E711');
  const quickFix = tooltip.locator('.cm-diagnosticAction', { hasText: 'Fix: Replace with `cond is None`' });
  await expect(quickFix).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'diagnostics.png') });
  await quickFix.click();

  const fixed = 'flag = sales_df is None or undefined_total  # check';
  await expect.poll(() => cellText(page, 3)).toBe(fixed);
  // The next check finds only the undefined name.
  await expect(ranges).toHaveCount(1);
  await expect(ranges).toHaveText('undefined_total');
  // The fix was an edit in the editor: Ctrl-Z takes it back.
  await expect(target.locator('.cm-editor')).toHaveClass(/cm-focused/);
  await page.keyboard.press('Control+z');
  await expect.poll(() => cellText(page, 3)).toBe(typed);
});

test('a column the kernel does not have is underlined before the cell runs; its quick fix applies', async ({
  page
}) => {
  await openNotebook(page, notebook);
  await runCell(page, 0);
  // The server reads the kernel's variables (its silent probe) shortly after a run.
  await page.waitForTimeout(2000);
  const target = cell(page, 3);
  await target.locator('.cm-content').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  // `sales_df` has the columns city and sales; the cell is never run.
  const typed = "total = sales_df['sale'].sum()  # check";
  await page.keyboard.type(typed, { delay: 30 });
  await expect.poll(() => cellText(page, 3)).toBe(typed);
  const range = target.locator('.cm-lintRange', { hasText: "'sale'" });
  await expect(range).toHaveCount(1, { timeout: 15000 });
  await range.hover();
  const tooltip = page.locator('.cm-tooltip-lint');
  await expect(tooltip).toContainText("has no key 'sale'");
  await expect(tooltip).toContainText('kernel missing-key');
  const quickFix = tooltip.locator('.cm-diagnosticAction', { hasText: "Use the key 'sales'" });
  await expect(quickFix).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'kernel-diagnostic.png') });
  await quickFix.click();
  await expect.poll(() => cellText(page, 3)).toBe("total = sales_df['sales'].sum()  # check");
  await expect(target.locator('.cm-lintRange', { hasText: "'sale'" })).toHaveCount(0);
});

test('ghost text works in a plain .py file in the editor (no kernel)', async ({ page }) => {
  await page.goto(`lab/tree/${script}?token=${token}`);
  const editor = page.locator('.jp-FileEditor:visible .cm-content');
  await expect(editor).toBeVisible();
  await expect(page.locator('.jp-spark-status')).toHaveAttribute('data-state', 'ready');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('area = math', { delay: 60 });
  const ghost = page.locator('.jp-FileEditor:visible .jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(page.locator('.jp-FileEditor:visible .jp-GhostText-streamingIndicator')).toHaveCount(0);
  const suggestion = (await ghost.innerText()).split('\n')[0];
  expect(suggestion.trim().length).toBeGreaterThan(0);
  await page.keyboard.press('Tab');
  await expect(editor).toContainText('area = math' + suggestion);
});

test('diagnostics work in a plain .py file too', async ({ page }) => {
  await page.goto(`lab/tree/${script}?token=${token}`);
  const editor = page.locator('.jp-FileEditor:visible .cm-content');
  await expect(editor).toBeVisible();
  await editor.click();
  await page.keyboard.press('Control+End');
  // `math` and `radius` are defined earlier in the file; `== None` is ruff's E711.
  await page.keyboard.type('check = math.pi * radius == None  # E711', { delay: 30 });
  const ranges = page.locator('.jp-FileEditor:visible .cm-lintRange');
  await expect(ranges).toHaveCount(1);
  await expect(ranges).toHaveText('None');
});
