/**
 * Browser benchmark of the fresh-line suggestion and of the suggestion after an accept (run
 * by benchmarks/browser.py, not by the tests). Per block header, in its own cell: type it,
 * press Enter and time Enter -> ghost text on the new line (no Alt-\); let that suggestion
 * finish, accept it with Tab, press Enter again and time Enter -> the next suggestion. With
 * the `prefetch` setting on and off in turn (a new page reads the setting), so the continuation
 * the server generates after an accept is measured against none in the same run; each result
 * says whether the suggestion after the accept was streamed from it.
 * Results go to $SPARK_ACCEPT_OUT as JSON.
 */
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { cell, openNotebook, runCell } from './helpers';

const notebook = process.env.SPARK_NOTEBOOK ?? 'bench.ipynb';
const out = process.env.SPARK_ACCEPT_OUT ?? 'accept-latency.json';
const settingsDir = process.env.JUPYTERLAB_SETTINGS_DIR ?? 'lab-settings';
const headers: string[] = JSON.parse(process.env.SPARK_BENCH_HEADERS ?? '["def mean(values):"]');
/** The cells of the accept benchmark start after the setup cell and the keystroke cells. */
const firstCell = Number(process.env.SPARK_ACCEPT_FIRST_CELL ?? '1');
/** No ghost text this long after Enter counts as "no suggestion". */
const GIVE_UP_MS = 3000;
/** Time a finished suggestion stays on screen before Tab: a reading pause. */
const READ_MS = 400;

/** In the page: time each Enter to the first ghost text that was not on screen at keydown. */
async function instrument(page: Page) {
  await page.locator('.jp-NotebookPanel:visible .jp-Notebook').evaluate((content: HTMLElement) => {
    const w = window as any;
    w.__enter = { start: null as number | null, before: null as Element | null, ms: null };
    const ghost = () => {
      const g = content.querySelector('.jp-GhostText');
      return g !== null && (g.textContent ?? '').trim().length > 0 ? g : null;
    };
    content.addEventListener(
      'keydown',
      ev => {
        if (ev.key === 'Enter') {
          w.__enter = { start: performance.now(), before: ghost(), ms: null };
        }
      },
      true
    );
    const check = () => {
      const st = w.__enter;
      const g = ghost();
      if (st.start !== null && g !== null && g !== st.before) {
        st.ms = performance.now() - st.start;
        st.start = null;
      }
    };
    new MutationObserver(check).observe(content, { subtree: true, childList: true, characterData: true });
    const tick = () => {
      check();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Press Enter; ms to ghost text on the new line, or null after GIVE_UP_MS. */
async function enterToGhost(page: Page): Promise<number | null> {
  await page.keyboard.press('Enter');
  const deadline = Date.now() + GIVE_UP_MS;
  while (Date.now() < deadline) {
    const ms = await page.evaluate(() => (window as any).__enter.ms as number | null);
    if (ms !== null) {
      return ms;
    }
    await page.waitForTimeout(25);
  }
  return null;
}

/**
 * Set the `prefetch` setting for the pages opened next: written where the server reads user
 * settings from (JUPYTERLAB_SETTINGS_DIR), as the Settings Editor would save it.
 */
function setPrefetch(on: boolean) {
  const dir = path.join(settingsDir, 'jupyter-spark-assist');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'plugin.jupyterlab-settings'), JSON.stringify({ prefetch: on }));
}

test('fresh line and the suggestion after an accept', async ({ browser }) => {
  const results: object[] = [];
  // ABBA: on, off, off, on, each header once per setting, so what drifts over the run (the
  // first page's cold caches, the cells filling up) weighs on both settings alike.
  const half = Math.ceil(headers.length / 2);
  const phases = [
    { prefetch: true, headers: headers.slice(0, half) },
    { prefetch: false, headers: headers.slice(0, half) },
    { prefetch: false, headers: headers.slice(half) },
    { prefetch: true, headers: headers.slice(half) }
  ];
  let index = firstCell;
  for (const [n, phase] of phases.entries()) {
    setPrefetch(phase.prefetch);
    const page = await browser.newPage();
    // Replies streamed from the continuation generated after an accept (engine/ahead.py).
    const fromAhead = { n: 0 };
    page.on('websocket', ws => {
      ws.on('framereceived', frame => {
        const data = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString();
        if (data.includes('"stop_reason": "ahead"') || data.includes('"stop_reason":"ahead"')) {
          fromAhead.n += 1;
        }
      });
    });
    await openNotebook(page, notebook);
    if (n === 0) {
      await runCell(page, 0);
    }
    await instrument(page);
    for (const header of phase.headers) {
      const target = cell(page, index++);
      await target.locator('.cm-content').click();
      await page.keyboard.type(header, { delay: 40 });
      await page.waitForTimeout(600);
      const freshMs = await enterToGhost(page);
      let afterAcceptMs: number | null = null;
      let accepted = false;
      let streamedAhead = false;
      if (freshMs !== null) {
        await expect(target.locator('.jp-GhostText-streamingIndicator')).toHaveCount(0, { timeout: 10_000 });
        await page.waitForTimeout(READ_MS);
        await page.keyboard.press('Tab');
        accepted = true;
        await page.waitForTimeout(100);
        const before = fromAhead.n;
        afterAcceptMs = await enterToGhost(page);
        await page.waitForTimeout(200); // its done frame
        streamedAhead = fromAhead.n > before;
      }
      results.push({ prefetch: phase.prefetch, header, freshMs, accepted, afterAcceptMs, streamedAhead });
    }
    await page.close({ runBeforeUnload: false });
  }
  fs.writeFileSync(out, JSON.stringify({ headers, readMs: READ_MS, results }));
});
