import { describe, expect, it } from 'vitest';
import {
  insideString,
  nextLine,
  nextWord,
  inBlock,
  afterEnter,
  remainder,
  freshLineAsk
} from './suggestion';

describe('remainder', () => {
  const shown = { prefix: 'x = df', suffix: '', text: '.mean(axis=1)' };

  it('is the rest of the suggestion once its start is typed', () => {
    expect(remainder(shown, 'x = df.me', '')).toBe('an(axis=1)');
  });

  it('is null when nothing, something else or all of it was typed, or the suffix changed', () => {
    expect(remainder(shown, 'x = df', '')).toBeNull();
    expect(remainder(shown, 'x = df.su', '')).toBeNull();
    expect(remainder(shown, 'x = df.mean(axis=1)', '')).toBeNull();
    expect(remainder(shown, 'x = df.me', ')')).toBeNull();
    expect(remainder(shown, 'y = df.me', '')).toBeNull();
    expect(remainder(null, 'x = df.me', '')).toBeNull();
  });
});

describe('nextWord', () => {
  it('takes a name with the punctuation before it, white space first', () => {
    const parts: string[] = [];
    let rest = 'df.mean(axis=1)';
    while (rest) {
      const w = nextWord(rest);
      parts.push(w);
      rest = rest.slice(w.length);
    }
    expect(parts).toEqual(['df', '.mean', '(axis', '=1', ')']);
    expect(nextWord(' return x')).toBe(' return');
    expect(nextWord('\n    return x')).toBe('\n    return');
  });

  it('takes trailing white space whole', () => {
    expect(nextWord('  ')).toBe('  ');
  });
});

describe('nextLine', () => {
  it('takes the line with its line break, or all of a one-line rest', () => {
    expect(nextLine('return df\n    y = 2')).toBe('return df\n');
    expect(nextLine('\n    total = 0\n    for')).toBe('\n    total = 0\n');
    expect(nextLine('mean()')).toBe('mean()');
    expect(nextLine('\n\n')).toBe('\n\n');
  });
});

describe('insideString', () => {
  it('sees an open triple-quoted string across lines, and one-line strings end with the line', () => {
    expect(insideString('def f():\n    """Mean of\n')).toBe(true);
    expect(insideString('def f():\n    """Mean."""\n')).toBe(false);
    expect(insideString("x = 'a\n")).toBe(false);
    expect(insideString("x = 'it\\'s")).toBe(true);
    expect(insideString('# don\'t\nx = 1\n')).toBe(false);
    expect(insideString("s = '''\nabc ''' + '''\n")).toBe(true);
  });
});

describe('freshLineAsk', () => {
  it('asks on the new line after a block opener, at the end of the cell too', () => {
    expect(freshLineAsk('def mean_price(df):\n    ', '')).toBe('always');
    expect(freshLineAsk('for x in xs:\n\t', '\nprint(1)')).toBe('always');
  });

  it('asks on a new line in the middle of a cell, even unindented', () => {
    expect(freshLineAsk('import pandas as pd\n', '\ndf = pd.read_csv("a.csv")')).toBe('always');
  });

  it('asks only if the model is sure on a blank top-level line at the end of a cell', () => {
    expect(freshLineAsk('x = 1\n', '')).toBe('confident');
    expect(freshLineAsk('x = 1\n', '  \n')).toBe('confident');
  });

  it('not in a string, mid-line, on the first line or under blank lines only', () => {
    expect(freshLineAsk('def f():\n    """Doc\n    ', '')).toBeNull();
    expect(freshLineAsk('x = (1 +\n    ', '2)')).toBeNull();
    expect(freshLineAsk('x = 1', '')).toBeNull();
    expect(freshLineAsk('\n\n    ', '')).toBeNull();
  });
});

describe('inBlock', () => {
  it('is whether the cursor line is indented', () => {
    expect(inBlock('def f(df):\n    ')).toBe(true);
    expect(inBlock('if x:\n\tif y:\n\t\t')).toBe(true);
    expect(inBlock('x = 1\n')).toBe(false);
    expect(inBlock('')).toBe(false);
  });
});

describe('afterEnter', () => {
  it('adds the line break and the indent the editor adds', () => {
    expect(afterEnter('def f(df):\n    total = df.sum()')).toBe('def f(df):\n    total = df.sum()\n    ');
    expect(afterEnter('x = 1\nfor row in rows:')).toBe('x = 1\nfor row in rows:\n    ');
    expect(afterEnter('if a:\n\tif b:')).toBe('if a:\n\tif b:\n\t\t');
    expect(afterEnter('df = load()')).toBe('df = load()\n');
  });
});
