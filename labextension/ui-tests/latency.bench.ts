/**
 * Browser latency benchmark (run by benchmarks/browser.py, not by the tests): type a line into
 * a notebook cell at a human pace and measure, per keystroke, the time from the key event to
 * ghost text on screen. Results go to $SPARK_BENCH_OUT as JSON.
 */
import { test } from '@playwright/test';
import * as fs from 'fs';
import { cell, openNotebook, runCell } from './helpers';

const notebook = process.env.SPARK_NOTEBOOK ?? 'bench.ipynb';
const out = process.env.SPARK_BENCH_OUT ?? 'browser-latency.json';
/** One line per cell after the setup cell (the notebook has that many empty cells). */
const lines: string[] = JSON.parse(process.env.SPARK_BENCH_LINES ?? '["x = 1"]');
/** Pause between keystrokes: ~8 characters a second, a brisk typist. */
const KEY_INTERVAL_MS = 120;
/** A keystroke with no ghost text this long after it counts as "no suggestion". */
const GIVE_UP_MS = 1000;

test('keystroke to ghost text', async ({ page }) => {
  await openNotebook(page, notebook);
  await runCell(page, 0);

  // In the page: stamp each keydown, and the first frame after it that shows ghost text.
  await page.locator('.jp-NotebookPanel:visible .jp-Notebook').evaluate((content: HTMLElement) => {
    const w = window as any;
    // A sample: ms from keydown to ghost text (null: none within the next keystroke), and
    // whether ghost text was already showing at keydown (typing through a suggestion).
    w.__spark = { pending: null as number | null, before: false, samples: [] as object[] };
    const seen = () => {
      const g = content.querySelector('.jp-GhostText');
      return g !== null && (g.textContent ?? '').trim().length > 0;
    };
    content.addEventListener(
      'keydown',
      () => {
        const st = w.__spark;
        if (st.pending !== null) {
          st.samples.push({ ms: null, before: st.before });
        }
        st.before = seen();
        st.pending = performance.now();
      },
      true
    );
    const check = () => {
      const s = w.__spark;
      if (s.pending !== null && seen()) {
        s.samples.push({ ms: performance.now() - s.pending, before: s.before });
        s.pending = null;
      }
    };
    new MutationObserver(check).observe(content, {
      subtree: true,
      childList: true,
      characterData: true
    });
    const tick = () => {
      check();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const samples: object[] = [];
  for (const [i, line] of lines.entries()) {
    await cell(page, 1 + i).locator('.cm-content').click();
    await page.waitForTimeout(GIVE_UP_MS);
    await page.evaluate(() => {
      const st = (window as any).__spark;
      st.pending = null; // the click is not a keystroke
      st.samples.splice(0);
    });
    for (const ch of line) {
      await page.keyboard.type(ch);
      await page.waitForTimeout(KEY_INTERVAL_MS);
      samples.push(...(await page.evaluate(() => (window as any).__spark.samples.splice(0))));
    }
    await page.waitForTimeout(GIVE_UP_MS);
    samples.push(...(await page.evaluate(() => (window as any).__spark.samples.splice(0))));
    await page.keyboard.press('Escape');
  }
  fs.writeFileSync(out, JSON.stringify({ lines, keyIntervalMs: KEY_INTERVAL_MS, samples }));
});
