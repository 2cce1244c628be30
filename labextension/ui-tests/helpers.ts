/** Shared steps of the browser tests and the browser benchmark. */
import { expect, Page } from '@playwright/test';

export const token = process.env.SPARK_TOKEN ?? '';

export function cell(page: Page, index: number) {
  return page.locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell').nth(index);
}

/** Open a notebook and wait for its kernel (idle) and the model (status bar: ready). */
export async function openNotebook(page: Page, path: string) {
  await page.goto(`lab/tree/${path}?token=${token}`);
  await expect(cell(page, 0)).toBeVisible({ timeout: 120_000 });
  await expect(page.locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator')).toHaveAttribute(
    'data-status',
    'idle',
    { timeout: 120_000 }
  );
  await expect(page.locator('.jp-spark-status')).toHaveAttribute('data-state', 'ready');
}

/**
 * Run a cell with Shift+Enter once its editor has focus. A fresh JupyterLab can drop the very
 * first key press while it settles, so an unexecuted cell ("[ ]:") gets the key again.
 */
export async function runCell(page: Page, index: number) {
  const c = cell(page, index);
  for (let attempt = 0; attempt < 3; attempt++) {
    await c.locator('.cm-content').click();
    await expect(c.locator('.cm-editor')).toHaveClass(/cm-focused/);
    await page.keyboard.press('Shift+Enter');
    try {
      await expect(c.locator('.jp-InputArea-prompt')).toHaveText(/\[(\d+|\*)\]:/, { timeout: 15_000 });
      await expect(c.locator('.jp-InputArea-prompt')).toHaveText(/\[\d+\]:/);
      return;
    } catch {
      // not run yet: try again
    }
  }
  throw new Error(`cell ${index} did not run`);
}

/** The cell's text as the editor holds it: one .cm-line per line, ghost text left out. */
export async function cellText(page: Page, index: number): Promise<string> {
  return cell(page, index)
    .locator('.cm-content')
    .evaluate(content =>
      [...content.querySelectorAll('.cm-line')]
        .map(line => {
          const copy = line.cloneNode(true) as HTMLElement;
          copy.querySelectorAll('.jp-GhostText').forEach(g => g.remove());
          return copy.textContent ?? '';
        })
        .join('\n')
    );
}
