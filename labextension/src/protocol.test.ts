import { describe, expect, it } from 'vitest';
import { backoffDelay, diffCells, ICell, parseServerMessage } from './protocol';
import { lineDiff } from './diff';
import schema from '../schema/plugin.json';
import { readSettings, DEFAULT_SETTINGS, LIMITS } from './settings';
import { statusText } from './status-text';

const cell = (id: string, source: string, cell_type: ICell['cell_type'] = 'code'): ICell => ({
  id,
  source,
  cell_type
});

describe('parseServerMessage', () => {
  it('accepts the v1 messages', () => {
    expect(parseServerMessage('{"type":"chunk","id":"r1","text":"ab"}')).toEqual({
      type: 'chunk',
      id: 'r1',
      text: 'ab'
    });
    const done = parseServerMessage('{"type":"done","id":"r1","text":"abc","cancelled":false}');
    expect(done).toEqual({ type: 'done', id: 'r1', text: 'abc', cancelled: false, stats: {} });
    expect(parseServerMessage('{"type":"error","code":"too_large","message":"m"}')).toMatchObject(
      { type: 'error', code: 'too_large' }
    );
    const fixes = parseServerMessage(
      JSON.stringify({
        type: 'fixes',
        id: 'r2',
        fixes: [{ title: 't', explanation: 'e', kind: 'error', new_source: 'x', edits: [], confidence: 1 }]
      })
    );
    expect(fixes && fixes.type === 'fixes' && fixes.fixes[0].new_source).toBe('x');
    const item = { message: 'Undefined name `nope`', code: 'F821', start: [0, 6], end: [0, 10] };
    expect(
      parseServerMessage(JSON.stringify({ type: 'diagnostics', id: 'd1', items: [{ ...item, fixes: [] }] }))
    ).toEqual({ type: 'diagnostics', id: 'd1', items: [{ ...item, fixes: [] }] });
    // `fixes` left out: none.
    const bare = parseServerMessage(JSON.stringify({ type: 'diagnostics', id: 'd2', items: [item] }));
    expect(bare && bare.type === 'diagnostics' && bare.items[0].fixes).toEqual([]);
    // who found it travels with the item
    const kernel = parseServerMessage(
      JSON.stringify({ type: 'diagnostics', id: 'd3', items: [{ ...item, source: 'kernel' }] })
    );
    expect(kernel && kernel.type === 'diagnostics' && kernel.items[0].source).toBe('kernel');
  });

  it('rejects malformed frames instead of throwing', () => {
    for (const bad of [
      'not json',
      '42',
      'null',
      '{"type":"chunk","id":1,"text":"a"}',
      '{"type":"done","id":"r"}',
      '{"type":"fixes","id":"r","fixes":[{"title":1}]}',
      '{"type":"diagnostics","id":"d","items":{}}',
      '{"type":"diagnostics","id":"d","items":[{"message":"m","code":"F821","start":[0],"end":[0,1]}]}',
      '{"type":"diagnostics","id":"d","items":[{"message":"m","code":"F821","start":[0,-1],"end":[0,1]}]}',
      '{"type":"diagnostics","id":"d","items":[{"message":"m","code":"F821","start":[0,0],"end":[0,1],"fixes":[{}]}]}',
      '{"type":"mystery","id":"r"}'
    ]) {
      expect(parseServerMessage(bad)).toBeNull();
    }
    expect(parseServerMessage(new ArrayBuffer(2))).toBeNull();
  });
});

describe('diffCells', () => {
  it('sends the whole notebook first, then only changes', () => {
    const first = diffCells('a.ipynb', undefined, [cell('c1', 'x = 1'), cell('c2', 'y')]);
    expect(first.message).toEqual({
      type: 'sync',
      path: 'a.ipynb',
      cells: [cell('c1', 'x = 1'), cell('c2', 'y')]
    });
    const same = diffCells('a.ipynb', first.state, [cell('c1', 'x = 1'), cell('c2', 'y')]);
    expect(same.message).toBeNull();
    const edited = diffCells('a.ipynb', first.state, [cell('c1', 'x = 2'), cell('c2', 'y')]);
    expect(edited.message).toEqual({
      type: 'sync',
      path: 'a.ipynb',
      changes: [{ id: 'c1', source: 'x = 2', cell_type: 'code' }]
    });
  });

  it('reports deletions, insertions, moves and type changes', () => {
    const { state } = diffCells('a', undefined, [cell('c1', 'a'), cell('c2', 'b'), cell('c3', 'c')]);
    const next = diffCells('a', state, [cell('c3', 'c'), cell('c4', 'new'), cell('c1', 'a', 'markdown')]);
    expect(next.message).toEqual({
      type: 'sync',
      path: 'a',
      changes: [
        { id: 'c4', source: 'new', cell_type: 'code' },
        { id: 'c1', source: 'a', cell_type: 'markdown' },
        { id: 'c2', deleted: true }
      ],
      order: ['c3', 'c4', 'c1']
    });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped and jittered within [ceiling/2, ceiling]', () => {
    expect(backoffDelay(0, 250, 10_000, () => 0)).toBe(125);
    expect(backoffDelay(0, 250, 10_000, () => 1)).toBe(250);
    expect(backoffDelay(3, 250, 10_000, () => 1)).toBe(2000);
    expect(backoffDelay(50, 250, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(50, 250, 10_000, () => 0)).toBe(5000);
  });
});

describe('lineDiff', () => {
  it('marks the changed line only', () => {
    expect(lineDiff('a\nprint(dff)\nc', 'a\nprint(df)\nc')).toEqual([
      { op: '=', text: 'a' },
      { op: '-', text: 'print(dff)' },
      { op: '+', text: 'print(df)' },
      { op: '=', text: 'c' }
    ]);
  });

  it('handles insertions, deletions and identical text', () => {
    expect(lineDiff('x', 'import numpy as np\nx')).toEqual([
      { op: '+', text: 'import numpy as np' },
      { op: '=', text: 'x' }
    ]);
    expect(lineDiff('a\nb\nc', 'a\nc')).toEqual([
      { op: '=', text: 'a' },
      { op: '-', text: 'b' },
      { op: '=', text: 'c' }
    ]);
    expect(lineDiff('same', 'same')).toEqual([{ op: '=', text: 'same' }]);
  });

  it('falls back to remove-all/add-all past the size limit', () => {
    const out = lineDiff('a\nb', 'c\nd', 4);
    expect(out.map(l => l.op)).toEqual(['-', '-', '+', '+']);
  });
});

describe('readSettings', () => {
  it('defaults to what the settings schema says (the one place they are written)', () => {
    const defaults = Object.fromEntries(
      Object.entries(schema.properties).map(([key, prop]) => [key, (prop as { default: unknown }).default])
    );
    expect(defaults).toEqual(DEFAULT_SETTINGS);
  });

  it('bounds numbers as the schema does (the server checks the same bounds)', () => {
    for (const [key, limits] of Object.entries(LIMITS)) {
      const prop = schema.properties[key as keyof typeof schema.properties] as {
        minimum?: number;
        maximum?: number;
      };
      expect({ minimum: prop.minimum, maximum: prop.maximum }).toEqual(limits);
    }
    expect(readSettings({ maxTokens: 1025 }).maxTokens).toBe(DEFAULT_SETTINGS.maxTokens);
    expect(readSettings({ maxTokens: 1024 }).maxTokens).toBe(1024);
    expect(readSettings({ contextBudget: 32769 }).contextBudget).toBeNull();
  });

  it('keeps valid values and falls back per field', () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(
      readSettings({ enabled: false, triggerDelay: -5, mode: 'block', maxTokens: 1.5, fixes: 'yes' })
    ).toEqual({ ...DEFAULT_SETTINGS, enabled: false, mode: 'block' });
    expect(readSettings({ contextBudget: 512 }).contextBudget).toBe(512);
    expect(readSettings({ contextBudget: 10 }).contextBudget).toBeNull();
    expect(DEFAULT_SETTINGS).toMatchObject({ diagnostics: true, diagnosticsDelay: 300 });
    expect(readSettings({ diagnostics: false, diagnosticsDelay: 50 })).toMatchObject({
      diagnostics: false,
      diagnosticsDelay: 50
    });
    expect(readSettings({ diagnostics: 1, diagnosticsDelay: -1 })).toMatchObject({
      diagnostics: true,
      diagnosticsDelay: 300
    });
  });
});

describe('statusText', () => {
  const status = (state: string, percent = 0) =>
    ({ state, percent, model: 'm', error: null }) as any;
  it('says what the model is doing', () => {
    expect(statusText(null, null)).toBe('Spark: …');
    expect(statusText(status('pulling', 41.6), null)).toBe('Spark: pulling 42%');
    expect(statusText(status('loading'), null)).toBe('Spark: loading');
    expect(statusText(status('ready'), { firstChunkMs: 12.4 })).toBe('Spark ✓ 12 ms');
    expect(statusText(status('error'), null)).toBe('Spark: error');
  });
});
