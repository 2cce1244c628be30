"""Every tunable of the engine, named once, with its default and what it trades."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Characters per token assumed by ``estimate_tokens``. Measured with SmolLM2's tokenizer on
# this package's own source in 600-character pieces (2,268 of them): 3.53 characters per token
# overall, and 3 per token counts fewer tokens than the tokenizer in 9% of the pieces (3.2 in
# 19%). A budget counted with it should err high (a prompt that overflows is cut at the left).
ESTIMATE_CHARS_PER_TOKEN = 3


def estimate_tokens(text: str) -> int:
    """The one stand-in for a tokenizer (a remote model's, the prompt builder's default, the
    project index's block sizes), ``ESTIMATE_CHARS_PER_TOKEN`` characters a token."""
    return len(text) // ESTIMATE_CHARS_PER_TOKEN + 1


# The most tokens one request may ask to generate (``max_tokens`` of the websocket, REST, CLI
# and ``jupyter spark serve`` requests, the JupyterLab setting's maximum, llama.cpp's
# ``n_predict``): far past any completion worth showing; the time budget ends most before.
MAX_TOKENS_LIMIT = 1024


def default_threads() -> int:
    """Cores this process may run on, capped: past ~8 threads a 135M model only waits on RAM."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


@dataclass(frozen=True)
class EngineConfig:
    """Knobs of the warm engine. The server and the CLI expose these; nothing else hard-codes."""

    # onnxruntime intra-op threads. All cores: a keystroke's one-token step is latency-bound.
    threads: int = 0  # 0 = default_threads()
    # Back the weights onnxruntime prepacks at load with 2 MB pages (Linux transparent huge
    # pages; see engine/hugepages.py): a step streams all of them, and 4 KB pages cost 10-13 %
    # of a step on the benchmarks' 2-core CPU. False keeps the system's page size.
    huge_pages: bool = True
    # Tokens each KV slot holds (prompt + completion). Memory per slot is
    # layers * 2 * kv_heads * head_dim * 4 bytes * this: 70 MB for SmolLM2-135M at 1536.
    max_context: int = 1536
    # KV slots kept warm (LRU). Two cover "typing in one cell, glancing at another".
    kv_slots: int = 2
    # Tokens prefilled per forward call when a prompt is new; bounds one step's latency.
    prefill_chunk: int = 512
    # The same for warming (prefilling ahead of the next keystroke, see Engine.warm): smaller,
    # so a keystroke that cancels a warm waits at most one such chunk (~0.1 s at 64 on 2 cores).
    warm_chunk: int = 64
    # When a prompt must be cut at the left, cut on a multiple of this many tokens so the
    # start stays put (and the KV prefix stays valid) while the user types.
    trim_granularity: int = 256
    # Generation limits per mode (a request's max_tokens overrides them, up to MAX_TOKENS_LIMIT;
    # the JupyterLab setting's default is max_tokens_line, checked by tests/test_knobs.py).
    max_tokens_line: int = 48
    max_tokens_block: int = 160
    # A run of this many identical generated tokens is a loop, not code (the small model's
    # "1000000000..." or ")))))"): generation stops and the completion falls back to what the
    # grounded choice spelled (or nothing). 12 is past any real literal run of one token.
    # 0 disables; "raw" mode (serving) never applies it.
    repeat_limit: int = 12
    # A request asked "only if confident" (a fresh top-level line at the end of a cell, where
    # the user may be done) shows its text only if the mean log-probability of its tokens is
    # at least this (-0.5: the model's picks had a geometric-mean probability of ~0.6) and
    # its text parses as Python statements.
    confident_logprob: float = -0.5
    # Wall-time budget of one completion (ms); a late suggestion is worth nothing.
    time_budget_ms: float = 2000.0
    # Re-generate the last prompt token(s) constrained to their text ("token healing"), so a
    # prompt ending mid-identifier or in spaces completes as the model would have tokenized it.
    token_healing: bool = True
    # Reuse the KV cache of the longest common token prefix. False gives the naive pipeline
    # (full prefill per request) that the latency benchmark compares against.
    prefix_reuse: bool = True
    # Answer a keystroke that types the start of the last suggestion with the rest of that
    # suggestion, without running the model (what an editor does with ghost text).
    typed_through: bool = True
    # Run one tiny completion at load so the first real request finds warm caches.
    warmup: bool = True

    def resolved_threads(self) -> int:
        return self.threads or default_threads()
