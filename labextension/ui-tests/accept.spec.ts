/**
 * A suggestion on a fresh line, and a suggestion taken word by word, line by line, then whole:
 * in a notebook, a plain .py file and a console.
 *
 * The notebook (written by tests/test_ui_e2e.py) holds: [0] a cell that builds a DataFrame,
 * then empty cells [1], [2], [3].
 */
import { expect, Page, test } from '@playwright/test';
import * as path from 'path';
import { afterEnter, nextLine, nextWord } from '../src/suggestion';
import { cell, cellText, openNotebook, runCell, token } from './helpers';

const notebook = process.env.SPARK_ACCEPT_NOTEBOOK ?? 'accept.ipynb';
const script = process.env.SPARK_SCRIPT ?? 'script.py';
const shots = process.env.SPARK_ARTIFACTS ?? 'test-results';

/** The ghost text of cell `index` once its stream has ended. */
async function settledGhost(page: Page, index: number): Promise<string> {
  const ghost = cell(page, index).locator('.jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(cell(page, index).locator('.jp-GhostText-streamingIndicator')).toHaveCount(0);
  await expect(ghost).not.toHaveText('');
  // Its lines are <br>-separated (innerText); lines past the fourth are folded away.
  return ghost.innerText();
}

interface ISent {
  type: string;
  id: string;
  prefix: string;
  ahead?: boolean;
  confident?: boolean;
}

/** The `complete` and `warm` requests the page sends over spark/ws, and the `done` replies. */
function watchRequests(page: Page): {
  n: number;
  sent: ISent[];
  warms: ISent[];
  done: Map<string, { text: string; stats: { stop_reason: string } }>;
} {
  const counter = { n: 0, sent: [] as ISent[], warms: [] as ISent[], done: new Map() };
  const text = (payload: string | Buffer) => (typeof payload === 'string' ? payload : payload.toString());
  page.on('websocket', ws => {
    if (ws.url().includes('spark/ws')) {
      ws.on('framesent', frame => {
        const data = text(frame.payload);
        if (data.includes('"type":"complete"')) {
          counter.n += 1;
          counter.sent.push(JSON.parse(data));
        } else if (data.includes('"type":"warm"')) {
          counter.warms.push(JSON.parse(data));
        }
      });
      ws.on('framereceived', frame => {
        const msg = JSON.parse(text(frame.payload));
        if (msg.type === 'done') {
          counter.done.set(msg.id, msg);
        }
      });
    }
  });
  return counter;
}

test('a fresh line after `def ...:` and Enter gets a suggestion without Alt-\\', async ({ page }) => {
  const requests = watchRequests(page);
  await openNotebook(page, notebook);
  // The first test of the run: the kernel's state and the notebook's prompt are new to the
  // server; typing the header at a human pace lets it prefill them (as it does for a user).
  await runCell(page, 0);
  const target = cell(page, 1);
  await target.locator('.cm-content').click();
  await page.keyboard.type('def mean_price(df):', { delay: 80 });
  await page.keyboard.press('Enter'); // (Escape would leave the editor, in a notebook)
  const header = 'def mean_price(df):\n    ';
  await expect.poll(() => cellText(page, 1)).toBe(header);
  const suggestion = await settledGhost(page, 1);
  expect(suggestion.trim().length).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(shots, 'fresh-line.png') });
  await page.keyboard.press('Tab');
  await expect.poll(() => cellText(page, 1)).toContain(header + suggestion.split('\n')[0]);

  // A blank top-level line at the end of a cell: asked for only if the model is sure of it,
  // and shown only then.
  const other = cell(page, 3);
  await other.locator('.cm-content').click();
  await page.keyboard.type('x = 1', { delay: 30 });
  await page.keyboard.press('Enter');
  await expect.poll(() => cellText(page, 3)).toBe('x = 1\n');
  const asked = () => requests.sent.find(r => r.prefix === 'x = 1\n');
  await expect.poll(() => asked()?.confident).toBe(true);
  await expect.poll(() => requests.done.has(asked()!.id), { timeout: 10_000 }).toBe(true);
  const done = requests.done.get(asked()!.id)!;
  await page.waitForTimeout(500);
  if (done.stats.stop_reason === 'unsure') {
    const shown = async () => (await other.locator('.jp-GhostText').allInnerTexts()).join('').trim();
    expect(await shown()).toBe('');
  } else {
    await expect(other.locator('.jp-GhostText')).toHaveText(done.text, { useInnerText: true });
  }
});

test('accept the next word, then the next line, then the rest with Tab', async ({ page }) => {
  const completes = watchRequests(page);
  await openNotebook(page, notebook);
  const target = cell(page, 2);
  await target.locator('.cm-content').click();
  await page.keyboard.type('def total_sales(df):', { delay: 30 });
  await page.keyboard.press('Enter');
  await page.keyboard.type('total = 0', { delay: 30 });
  await page.keyboard.press('Enter');
  const start = 'def total_sales(df):\n    total = 0\n    ';
  await expect.poll(() => cellText(page, 2)).toBe(start);
  const suggestion = await settledGhost(page, 2);
  // The body the model proposes here runs over several lines (a loop, then the return).
  expect(suggestion).toContain('\n');
  const asked = completes.n;

  const word = nextWord(suggestion);
  await page.keyboard.press('Control+ArrowRight');
  await expect.poll(() => cellText(page, 2)).toBe(start + word);
  // The rest stays on screen.
  const rest = suggestion.slice(word.length);
  await expect(target.locator('.jp-GhostText')).toHaveText(rest, { useInnerText: true });
  await page.screenshot({ path: path.join(shots, 'accept-word.png') });

  const line = nextLine(rest);
  await page.keyboard.press('Control+ArrowDown');
  await expect.poll(() => cellText(page, 2)).toBe(start + word + line);
  const after = rest.slice(line.length);
  await expect(target.locator('.jp-GhostText')).toHaveText(after, { useInnerText: true });

  // Word and line came from the suggestion on screen: no request went to the server.
  expect(completes.n).toBe(asked);

  // (typing the header may already have taken a short suggestion whole, e.g. " =": those
  // prepared lines are not the Tab's)
  const aheadBefore = completes.warms.filter(w => w.ahead).length;
  await page.keyboard.press('Tab');
  await expect.poll(() => cellText(page, 2)).toContain(start + suggestion);
  // Taken whole: no request for the finished line; the server is asked to generate the
  // suggestion of the fresh line Enter will open.
  const taken = await cellText(page, 2);
  const aheadAfterTab = () =>
    completes.warms
      .filter(w => w.ahead)
      .slice(aheadBefore)
      .map(w => w.prefix);
  await expect.poll(aheadAfterTab).toEqual([afterEnter(taken)]);
  expect(completes.n).toBe(asked);
  // One keystroke after the accept, the next line has its suggestion, streamed from that.
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await expect(target.locator('.jp-GhostText')).toBeVisible({ timeout: 10_000 });
  await expect.poll(() => cellText(page, 2)).toBe(afterEnter(taken));
  const next = () => completes.sent.find(r => r.prefix === afterEnter(taken));
  await expect.poll(() => completes.done.get(next()?.id ?? '')?.stats.stop_reason).toBe('ahead');
});

test('in a plain .py file: a fresh line gets a suggestion, and its first word is accepted', async ({ page }) => {
  await page.goto(`lab/tree/${script}?token=${token}`);
  const editor = page.locator('.jp-FileEditor:visible .cm-content');
  await expect(editor).toBeVisible();
  await expect(page.locator('.jp-spark-status')).toHaveAttribute('data-state', 'ready');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('def circle_area(r):', { delay: 30 });
  await page.keyboard.press('Enter');
  const before = await editor.evaluate(e => (e as any).cmView.view.state.doc.toString());
  expect(before.endsWith('def circle_area(r):\n    ')).toBe(true);
  const ghost = page.locator('.jp-FileEditor:visible .jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(page.locator('.jp-FileEditor:visible .jp-GhostText-streamingIndicator')).toHaveCount(0);
  const suggestion = await ghost.innerText();
  await page.keyboard.press('Alt+ArrowRight');
  await expect
    .poll(() => editor.evaluate(e => (e as any).cmView.view.state.doc.toString()))
    .toBe(before + nextWord(suggestion));
});

test('in a console: a fresh line gets a suggestion, its first word is accepted, diagnostics know the session', async ({ page }) => {
  await page.goto(`lab?reset&token=${token}`); // a fresh workspace shows the launcher
  await page.locator('.jp-LauncherCard[data-category="Console"]').first().click();
  const prompt = page.locator('.jp-CodeConsole-promptCell .cm-content');
  await expect(prompt).toBeVisible({ timeout: 120_000 });
  await expect(page.locator('.jp-spark-status')).toHaveAttribute('data-state', 'ready');
  await prompt.click();
  await page.keyboard.type('def circle_area(r):', { delay: 30 });
  // In a console Enter runs complete code; after an open block it starts the next line.
  await page.keyboard.press('Enter');
  const text = () => prompt.evaluate(e => (e as any).cmView.view.state.doc.toString());
  await expect.poll(text, { timeout: 30_000 }).toBe('def circle_area(r):\n    ');
  const ghost = page.locator('.jp-CodeConsole-promptCell .jp-GhostText');
  await expect(ghost).toBeVisible();
  await expect(page.locator('.jp-CodeConsole-promptCell .jp-GhostText-streamingIndicator')).toHaveCount(0);
  const suggestion = await ghost.innerText();
  expect(suggestion.trim().length).toBeGreaterThan(0);
  await page.keyboard.press('Control+ArrowRight');
  await expect.poll(text).toBe('def circle_area(r):\n    ' + nextWord(suggestion));

  // Diagnostics in the prompt know what the session defined (the console's kernel holds it).
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.type('area_unit = 2', { delay: 20 });
  await page.keyboard.press('Shift+Enter');
  await expect(page.locator('.jp-CodeConsole-content .jp-InputArea-prompt', { hasText: '[1]' })).toBeVisible();
  await prompt.click();
  await page.keyboard.type('print(area_unit * radius_cm)', { delay: 20 });
  const cell = page.locator('.jp-CodeConsole-promptCell');
  await expect(cell.locator('.cm-lintRange', { hasText: 'radius_cm' })).toHaveCount(1);
  await expect(cell.locator('.cm-lintRange', { hasText: 'area_unit' })).toHaveCount(0);
});
