/**
 * Every timing of the frontend, named once with what it trades (the user's own delays,
 * `triggerDelay` and `diagnosticsDelay`, are settings: schema/plugin.json).
 */

/** How long a fix or diagnose request may take before it fails with `timeout`: past the
 * server's own budgets (ruff 5 s, a model rewrite 2 s, a kernel read 2 s) with room to spare. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Reconnect delay after the first failed attempt, and its cap (doubling in between). */
export const RECONNECT_BASE_MS = 250;
export const RECONNECT_MAX_MS = 10_000;

/**
 * Quiet time after the active cell changes before warming its prompt: Run All moves through
 * every cell, and only the cell the user stays in is worth a prefill.
 */
export const WARM_DELAY_MS = 150;

/** JupyterLab's limit on one inline completion, streaming included (its `timeout`). */
export const COMPLETION_TIMEOUT_MS = 15_000;

/** How long a finished suggestion's stream stays known, for the completer's last pull. */
export const STREAM_LINGER_MS = 1000;

/** Status poll interval while the model is not ready yet, and once it is. */
export const POLL_BUSY_MS = 1000;
export const POLL_READY_MS = 15_000;

/** How long a notification stays: an error or a warning (to be read), a plain "nothing". */
export const NOTICE_MS = 5000;
export const INFO_MS = 3000;
