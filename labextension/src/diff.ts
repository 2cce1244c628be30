/**
 * A line diff (longest common subsequence) for showing a fix as old vs new cell source.
 * Cells are short, so the quadratic table is cheap; past `maxCells` it degrades to
 * "all removed, all added" rather than freezing the tab.
 */

export type DiffOp = '=' | '-' | '+';

export interface IDiffLine {
  op: DiffOp;
  text: string;
}

export function lineDiff(oldText: string, newText: string, maxCells = 4_000_000): IDiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Common head and tail are cheap to strip and keep the table small for one-line fixes.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const out: IDiffLine[] = a.slice(0, head).map(text => ({ op: '=', text }));
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  out.push(...diffMiddle(midA, midB, maxCells));
  out.push(...a.slice(a.length - tail).map(text => ({ op: '=' as DiffOp, text })));
  return out;
}

function diffMiddle(a: string[], b: string[], maxCells: number): IDiffLine[] {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > maxCells) {
    return [
      ...a.map(text => ({ op: '-' as DiffOp, text })),
      ...b.map(text => ({ op: '+' as DiffOp, text }))
    ];
  }
  // lcs[i][j]: LCS length of a[i:] and b[j:]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: '=', text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', text: a[i++] });
    } else {
      out.push({ op: '+', text: b[j++] });
    }
  }
  while (i < n) {
    out.push({ op: '-', text: a[i++] });
  }
  while (j < m) {
    out.push({ op: '+', text: b[j++] });
  }
  return out;
}
