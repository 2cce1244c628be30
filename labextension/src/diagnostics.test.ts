import { describe, expect, it, vi } from 'vitest';

// The registry is JupyterLab's (a browser module); the logic under test needs none of it.
vi.mock('@jupyterlab/codemirror', () => ({
  EditorExtensionRegistry: { createImmutableExtension: (e: unknown) => e }
}));

import { EditorState, Text, TransactionSpec } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import {
  AnswerGate,
  applyFix,
  fixChanges,
  middleChange,
  severityOf,
  toLintDiagnostics,
  toOffset
} from './diagnostics';
import type { IDiagnosticItem, IFix } from './protocol';

const doc = (text: string) => Text.of(text.split('\n'));

/** What the server answers for `x = 1\nif x == None:\n    pass` (see tests/test_fixes.py). */
const NONE_SOURCE = 'x = 1\nif x == None:\n    pass';
const NONE_FIX: IFix = {
  title: 'Replace with `cond is None`',
  explanation: 'Comparison to `None` should be `cond is None`',
  kind: 'diagnostic',
  new_source: 'x = 1\nif x is None:\n    pass',
  edits: [{ start: [1, 5], end: [1, 7], text: 'is' }],
  confidence: 0.5
};
const NONE_ITEM: IDiagnosticItem = {
  message: 'Comparison to `None` should be `cond is None`',
  code: 'E711',
  start: [1, 8],
  end: [1, 12],
  fixes: [NONE_FIX]
};

/** Enough of an EditorView for a fix: its state, and dispatch applying the transaction. */
function fakeView(text: string) {
  const view = {
    state: EditorState.create({ doc: text }),
    dispatch(spec: TransactionSpec) {
      view.state = view.state.update(spec).state;
    }
  };
  return view;
}

describe('toOffset', () => {
  it('maps 0-based [line, column] to a document offset', () => {
    const d = doc(NONE_SOURCE);
    expect(toOffset(d, [0, 0])).toBe(0);
    expect(toOffset(d, [1, 8])).toBe(6 + 8);
    expect(d.sliceString(toOffset(d, [1, 8]), toOffset(d, [1, 12]))).toBe('None');
    expect(toOffset(d, [2, 4])).toBe(NONE_SOURCE.indexOf('pass'));
  });

  it('counts columns in code points, as the server does', () => {
    // ruff reports `None` at columns 19..23 of this line: each emoji is one column.
    const line = 's = "😀😀"; y = s == None';
    const d = doc(line);
    expect(d.sliceString(toOffset(d, [0, 19]), toOffset(d, [0, 23]))).toBe('None');
    expect(toOffset(d, [0, 23])).toBe(line.length);
  });

  it('clamps positions past the end of a line or of the document', () => {
    const d = doc('ab\ncd');
    expect(toOffset(d, [0, 99])).toBe(2);
    expect(toOffset(d, [2, 0])).toBe(d.length);
    expect(toOffset(d, [7, 3])).toBe(d.length);
  });
});

describe('toLintDiagnostics', () => {
  it('gives each item an underline, a severity, the message and code, and its fixes', () => {
    const d = doc(NONE_SOURCE + '\ny = nope');
    const undefinedName: IDiagnosticItem = {
      message: 'Undefined name `nope`',
      code: 'F821',
      start: [3, 4],
      end: [3, 8],
      fixes: []
    };
    const out = toLintDiagnostics([NONE_ITEM, undefinedName], d);
    expect(out.map(x => d.sliceString(x.from, x.to))).toEqual(['None', 'nope']);
    expect(out.map(x => x.severity)).toEqual(['warning', 'error']);
    expect(out[0]).toMatchObject({ message: NONE_ITEM.message, source: 'ruff E711' });
    const [kernel] = toLintDiagnostics([{ ...NONE_ITEM, code: 'missing-key', source: 'kernel' }], d);
    expect(kernel.source).toBe('kernel missing-key');
    expect(out[0].actions?.map(a => a.name)).toEqual(['Fix: Replace with `cond is None`']);
    expect(out[1].actions).toEqual([]);
  });

  it('keeps an empty range (a syntax error at the end) and orders reversed ends', () => {
    const d = doc('x = (1,\n');
    const [eof] = toLintDiagnostics(
      [{ message: 'unexpected EOF', code: 'invalid-syntax', start: [1, 0], end: [1, 0], fixes: [] }],
      d
    );
    expect([eof.from, eof.to, eof.severity]).toEqual([d.length, d.length, 'error']);
    const [odd] = toLintDiagnostics(
      [{ message: 'm', code: 'B006', start: [0, 5], end: [0, 2], fixes: [] }],
      d
    );
    expect([odd.from, odd.to]).toEqual([2, 5]);
  });

  it('applies a quick fix through the editor, as one undo step of its own', () => {
    const view = fakeView(NONE_SOURCE);
    const undo = { stopCapturing: vi.fn() };
    const [diagnostic] = toLintDiagnostics([NONE_ITEM], view.state.doc, undo);
    diagnostic.actions![0].apply(view as unknown as EditorView, diagnostic.from, diagnostic.to);
    expect(view.state.doc.toString()).toBe(NONE_FIX.new_source);
    expect(undo.stopCapturing).toHaveBeenCalledTimes(2);
  });
});

describe('applyFix', () => {
  it('does nothing when the text changed since the check', () => {
    const view = fakeView(NONE_SOURCE + '\n# more');
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    expect(applyFix(view as unknown as EditorView, NONE_SOURCE, NONE_FIX)).toBe(false);
    expect(view.state.doc.toString()).toBe(NONE_SOURCE + '\n# more');
    debug.mockRestore();
  });
});

describe('fixChanges', () => {
  const fix = (new_source: string, edits: IFix['edits']): IFix => ({ ...NONE_FIX, new_source, edits });

  it('uses the edits when they give the new source, in any order', () => {
    const d = doc('a = 1\nb = 2');
    const f = fix('A = 1\nb = 22', [
      { start: [1, 5], end: [1, 5], text: '2' },
      { start: [0, 0], end: [0, 1], text: 'A' }
    ]);
    expect(fixChanges(d, f)).toEqual([
      { from: 0, to: 1, insert: 'A' },
      { from: 11, to: 11, insert: '2' }
    ]);
  });

  it('falls back to the changed middle when the edits are missing, wrong or overlap', () => {
    const d = doc('x == None');
    const expected = [{ from: 2, to: 4, insert: 'is' }];
    expect(fixChanges(d, fix('x is None', []))).toEqual(expected);
    expect(fixChanges(d, fix('x is None', [{ start: [0, 0], end: [0, 1], text: 'y' }]))).toEqual(
      expected
    );
    const overlapping = fix('x is None', [
      { start: [0, 2], end: [0, 4], text: 'is' },
      { start: [0, 3], end: [0, 5], text: '' }
    ]);
    expect(fixChanges(d, overlapping)).toEqual(expected);
  });

  it('middleChange keeps the common head and tail', () => {
    expect(middleChange('abc', 'abc')).toEqual({ from: 3, to: 3, insert: '' });
    expect(middleChange('def f(a=[]):', 'def f(a=None):')).toEqual({
      from: 8,
      to: 10,
      insert: 'None'
    });
    expect(middleChange('aa', 'aaa')).toEqual({ from: 2, to: 2, insert: 'a' });
  });
});

describe('AnswerGate', () => {
  it('accepts only the newest answer, for the text it was asked about', () => {
    const gate = new AnswerGate();
    const first = gate.begin('x = 1');
    const second = gate.begin('x = 12');
    expect(gate.accepts(first, 'x = 12')).toBe(false); // superseded
    expect(gate.accepts(second, 'x = 123')).toBe(false); // typed on since
    expect(gate.accepts(second, 'x = 12')).toBe(true);
    gate.invalidate();
    expect(gate.accepts(second, 'x = 12')).toBe(false);
  });
});

describe('severityOf', () => {
  it('makes what stops the cell from running an error', () => {
    expect(['invalid-syntax', 'syntax-error', 'E999', 'F821'].map(severityOf)).toEqual([
      'error',
      'error',
      'error',
      'error'
    ]);
    expect(['E711', 'B006', 'W605', 'F632'].map(severityOf)).toEqual([
      'warning',
      'warning',
      'warning',
      'warning'
    ]);
  });
});
