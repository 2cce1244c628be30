/**
 * The text logic of a suggestion on screen: what is left of it after the user typed (or
 * accepted) part of it, its next word and next line for partial accept, and whether a fresh
 * line should get a suggestion without being asked.
 *
 * Pure functions only, unit-tested without a browser; the provider and the commands use them.
 */

/** A suggestion as it was shown: the text around the cursor when it was asked, and its text. */
export interface IShownSuggestion {
  prefix: string;
  suffix: string;
  text: string;
}

/**
 * What is left of `shown` now that the text around the cursor is `prefix` | `suffix`: the
 * suggestion's rest when the user typed (or accepted) its start since, else `null` (nothing
 * typed, something else typed, the text after the cursor changed, or all of it typed).
 */
export function remainder(
  shown: IShownSuggestion | null,
  prefix: string,
  suffix: string
): string | null {
  if (!shown || suffix !== shown.suffix || !prefix.startsWith(shown.prefix)) {
    return null;
  }
  const typed = prefix.slice(shown.prefix.length);
  if (!typed || !shown.text.startsWith(typed) || typed.length >= shown.text.length) {
    return null;
  }
  return shown.text.slice(typed.length);
}

/**
 * The next word of `rest`, as editors accept it with Ctrl+Right: leading white space (line
 * breaks included), then punctuation, then a name or number. `df.mean(axis=1)` goes `df`,
 * `.mean`, `(axis`, `=1`, `)`.
 */
export function nextWord(rest: string): string {
  const m = /^\s*[^\w\s]*\w*/.exec(rest);
  const word = m ? m[0] : '';
  return word.trim() ? word : rest;
}

/**
 * The next line of `rest`: up to and with its line break, so the cursor lands at the start of
 * the line after with the rest of the suggestion shown from there. Line breaks the rest starts
 * with go along (the line accepted is the next one with text); without a break, all of `rest`.
 */
export function nextLine(rest: string): string {
  const start = rest.search(/[^\n]/);
  if (start === -1) {
    return rest;
  }
  const end = rest.indexOf('\n', start);
  return end === -1 ? rest : rest.slice(0, end + 1);
}

/**
 * Whether the end of `code` (Python) is inside a string literal: a quote opened and not closed
 * (a triple-quoted one across lines, a single-quoted one on its line), comments skipped.
 */
export function insideString(code: string): boolean {
  let i = 0;
  let quote: string | null = null; // the open string's delimiter: ', ", ''' or """
  while (i < code.length) {
    const ch = code[i];
    if (quote) {
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (code.startsWith(quote, i)) {
        i += quote.length;
        quote = null;
        continue;
      }
      if (ch === '\n' && quote.length === 1) {
        quote = null; // an unterminated one-line string ends with its line
      }
      i += 1;
      continue;
    }
    if (ch === '#') {
      const end = code.indexOf('\n', i);
      i = end === -1 ? code.length : end;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = code.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      i += quote.length;
      continue;
    }
    i += 1;
  }
  return quote !== null;
}

/**
 * Whether a fresh line asks for a suggestion by itself: `'always'`, `'confident'` (shown only
 * if the model is sure of it), or `null`. JupyterLab's inline completer never asks on a line
 * with nothing but indentation before the cursor, so the fresh-line trigger does, on a new
 * line with only indentation before the cursor, after a line above, not inside a string being
 * typed. At the end of the cell (nothing after the cursor but white space) a top-level line is
 * only `'confident'`: after finished top-level code the user may be about to run the cell or
 * stop, and a guess there is noise unless the model is sure.
 */
export type FreshLineAsk = 'always' | 'confident' | null;

export function freshLineAsk(prefix: string, suffix: string): FreshLineAsk {
  const lineStart = prefix.lastIndexOf('\n') + 1;
  if (lineStart === 0) {
    return null; // the first line: nothing above to go on
  }
  const indent = prefix.slice(lineStart);
  if (!/^[ \t]*$/.test(indent)) {
    return null;
  }
  const rightOfCursor = suffix.slice(0, (suffix + '\n').indexOf('\n'));
  if (rightOfCursor.trim()) {
    return null; // Enter split a line: the text after the cursor is what comes next
  }
  if (!prefix.slice(0, lineStart).trim()) {
    return null; // only blank lines above
  }
  if (insideString(prefix)) {
    return null;
  }
  return suffix.trim() !== '' || indent.length > 0 ? 'always' : 'confident';
}

/**
 * Whether the cursor's line is indented: a fresh line there is inside a block (a body just
 * opened, or one being written), where the rest of the block is worth suggesting, not a line.
 */
export function inBlock(prefix: string): boolean {
  return /^[ \t]+/.test(prefix.slice(prefix.lastIndexOf('\n') + 1));
}

/**
 * The text before the cursor once Enter is pressed at the end of `prefix`: the line break and
 * the indent CodeMirror's Python mode adds (the line's own, one unit more after a `:`).
 */
export function afterEnter(prefix: string): string {
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const indent = /^[ \t]*/.exec(line)![0];
  const unit = indent.startsWith('\t') ? '\t' : '    ';
  return prefix + '\n' + indent + (line.trimEnd().endsWith(':') ? unit : '');
}
