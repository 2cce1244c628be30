/**
 * The user's settings (schema/plugin.json is the single place their defaults and meanings
 * are written; this mirrors it for the type checker).
 */
import type { Mode } from './protocol';

export interface ISparkSettings {
  /** Show ghost-text suggestions while typing. */
  enabled: boolean;
  /** Ask for a suggestion on a fresh line after Enter (JupyterLab asks on none by itself). */
  freshLine: boolean;
  /** When a suggestion is taken whole, have the server generate what follows it. */
  prefetch: boolean;
  /** Milliseconds of quiet after a keystroke before asking the server. */
  triggerDelay: number;
  /** `line`: the rest of the line; `block`: whole lines to the end of the block. */
  mode: Mode;
  /** Upper bound on generated tokens per suggestion. */
  maxTokens: number;
  /** Prompt tokens of context per request; null: the server's own budget. */
  contextBudget: number | null;
  /** Start suggestions with a name the kernel, the cells or the project know, where one is known. */
  grounding: boolean;
  /** Use the project's other files (the modules a cell imports, related definitions). */
  projectContext: boolean;
  /** Offer "Fix" on cells that end in an error. */
  fixes: boolean;
  /** Underline ruff's findings in the cell being edited, with quick fixes. */
  diagnostics: boolean;
  /** Milliseconds of quiet after an edit before asking for the cell's diagnostics. */
  diagnosticsDelay: number;
}

export const DEFAULT_SETTINGS: ISparkSettings = {
  enabled: true,
  freshLine: true,
  prefetch: true,
  triggerDelay: 20,
  mode: 'line',
  maxTokens: 48,
  contextBudget: null,
  grounding: true,
  projectContext: true,
  fixes: true,
  diagnostics: true,
  diagnosticsDelay: 300
};

/**
 * The bounds of the numeric settings the server checks too (`max_tokens`, `context_budget`:
 * a value outside them is a `bad_field` error). The schema repeats them for the settings
 * editor; protocol.test.ts holds them to it and tests/test_knobs.py the schema to the server.
 */
export const LIMITS = {
  maxTokens: { minimum: 1, maximum: 1024 },
  contextBudget: { minimum: 64, maximum: 32768 }
} as const;

const within = (v: unknown, { minimum, maximum }: { minimum: number; maximum: number }) =>
  Number.isInteger(v) && (v as number) >= minimum && (v as number) <= maximum;

/** Settings from the registry's composite value, falling back field by field. */
export function readSettings(composite: Record<string, unknown>): ISparkSettings {
  const pick = <K extends keyof ISparkSettings>(key: K, ok: (v: unknown) => boolean) =>
    ok(composite[key]) ? (composite[key] as ISparkSettings[K]) : DEFAULT_SETTINGS[key];
  return {
    enabled: pick('enabled', v => typeof v === 'boolean'),
    freshLine: pick('freshLine', v => typeof v === 'boolean'),
    prefetch: pick('prefetch', v => typeof v === 'boolean'),
    triggerDelay: pick('triggerDelay', v => typeof v === 'number' && v >= 0),
    mode: pick('mode', v => v === 'line' || v === 'block'),
    maxTokens: pick('maxTokens', v => within(v, LIMITS.maxTokens)),
    contextBudget: pick('contextBudget', v => v === null || within(v, LIMITS.contextBudget)),
    grounding: pick('grounding', v => typeof v === 'boolean'),
    projectContext: pick('projectContext', v => typeof v === 'boolean'),
    fixes: pick('fixes', v => typeof v === 'boolean'),
    diagnostics: pick('diagnostics', v => typeof v === 'boolean'),
    diagnosticsDelay: pick('diagnosticsDelay', v => typeof v === 'number' && v >= 0)
  };
}
