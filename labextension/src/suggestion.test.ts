import { describe, expect, it } from 'vitest';
import { insideString, nextLine, nextWord, inBlock, remainder, wantsFreshLine } from './suggestion';

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

describe('wantsFreshLine', () => {
  it('wants the new line after a block opener, at the end of the cell too', () => {
    expect(wantsFreshLine('def mean_price(df):\n    ', '')).toBe(true);
    expect(wantsFreshLine('for x in xs:\n\t', '\nprint(1)')).toBe(true);
  });

  it('wants a new line in the middle of a cell, even unindented', () => {
    expect(wantsFreshLine('import pandas as pd\n', '\ndf = pd.read_csv("a.csv")')).toBe(true);
  });

  it('not on a blank top-level line at the end of a cell, in a string, or mid-line', () => {
    expect(wantsFreshLine('x = 1\n', '')).toBe(false);
    expect(wantsFreshLine('x = 1\n', '  \n')).toBe(false);
    expect(wantsFreshLine('def f():\n    """Doc\n    ', '')).toBe(false);
    expect(wantsFreshLine('x = (1 +\n    ', '2)')).toBe(false);
    expect(wantsFreshLine('x = 1', '')).toBe(false);
    expect(wantsFreshLine('\n\n    ', '')).toBe(false);
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
