"""The warm engine: prompt -> tokens -> (reused KV prefix + prefill) -> greedy decode -> text.

One Engine per model, shared by every caller of the process. ``complete()`` returns a
``Completion`` that yields the whole completion text so far each time it grows (what
JupyterLab's inline completer wants) and carries the final ``CompletionResult`` once done.
Generation holds one lock: onnxruntime releases the GIL, so other threads (the server's IO loop)
keep running, and a newer request waits at most one step if the caller cancels the older one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from ..models.errors import InvalidModelFile
from ..models.metadata import DEFAULT_FIM_ORDER, ModelMetadata, assemble_prompt
from .ahead import Ahead
from .backend import EMBEDDED_STATUS, Backend
from .completion import Cancelled, Completion, CompletionResult, Recall, Stream
from .config import EngineConfig
from .encoding import PromptEncoder
from .grounded import Choices, GroundedDecoder
from .healing import Healer
from .session import DecoderSession, KVSlot
from .stops import StopRules, is_statement

MODES = ("line", "block")
# "raw": no stop rules (EOS and max tokens only): what `jupyter spark serve` gives OpenAI
# clients, whose own post-processing (ours, in a remote backend) decides where to stop.
ALL_MODES = (*MODES, "raw")


@dataclass(frozen=True)
class ModelSpecials:
    """The special tokens as the generation loop looks them up (sets, per step), taken from
    ModelMetadata, the one place that knows them."""

    stop: frozenset[int]
    fim: tuple[int, int, int] | None  # prefix, suffix, middle
    all_special: frozenset[int]
    bos: tuple[int, ...] = ()  # every prompt's first tokens: (bos,) when the model expects BOS
    fim_order: str = DEFAULT_FIM_ORDER

    @classmethod
    def of(cls, meta: ModelMetadata) -> ModelSpecials:
        return cls(
            stop=frozenset(meta.stop_ids),
            fim=meta.fim_ids,
            all_special=frozenset(meta.special_ids),
            bos=meta.bos_prefix,
            fim_order=meta.fim_order,
        )


class Engine(Backend):
    """A model loaded once and held warm; thread-safe."""

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        tokenizer_path: Path,
        name: str,
        config: EngineConfig | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.name = name
        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:
            raise InvalidModelFile(tokenizer_path, f"not a tokenizers tokenizer.json ({e})") from e
        self.session = DecoderSession(onnx_path, self.config)
        self.metadata = ModelMetadata.load(model_dir)
        self.specials = ModelSpecials.of(self.metadata)
        self.healer = Healer(self.tokenizer, set(self.specials.all_special))
        self.grounder = GroundedDecoder(self.healer)  # constrained starts (grounded.py)
        self.prompts = PromptEncoder(self.tokenizer)  # re-encodes only what a keystroke changed
        self._lock = threading.Lock()
        self._slots: list[KVSlot] = []
        self._score_slot: KVSlot | None = None  # for score(), apart from the completion slots
        # The last finished completion, for keystrokes that type into it (see _typed_through).
        self._recall = Recall()
        # The continuation generated after the last accepted suggestion (ahead.py).
        self._ahead: Ahead | None = None
        if self.config.warmup:
            self.complete("import os\n", max_tokens=2).wait()

    @classmethod
    def load(
        cls,
        model: str | Path | None = None,
        config: EngineConfig | None = None,
        progress: bool = True,
    ) -> Engine:
        """Resolve ``model`` (None: the default, pulled on first use) and load it warm."""
        from ..models import resolve_model

        info = resolve_model(model, progress=progress)
        return cls(info.path, info.onnx_path, info.tokenizer_path, info.name, config)

    # -- prompt ---------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def count_tokens(self, text: str) -> int:
        """Exact: the model's own tokenizer (the context budget counts what the model sees)."""
        return len(self.encode(text))

    def status(self) -> dict[str, Any]:
        return dict(EMBEDDED_STATUS)

    def _prompt_ids(self, prefix: str, suffix: str, budget: int) -> list[int]:
        """Token ids of the prompt, cut at the left on a stable boundary to fit ``budget``.

        BOS first when the model expects it; with a suffix and FIM tokens, the FIM layout
        of the model's order (the suffix capped at a quarter of the budget).
        """
        sp = self.specials
        fim = sp.fim if suffix.strip() else None
        sfx = self.encode(suffix)[: budget // 4] if fim is not None else None
        budget -= len(sp.bos) + (len(sfx) + 3 if sfx is not None else 0)
        ids = self.prompts.encode(prefix) or ([] if fim else self.encode("\n"))
        if len(ids) > budget:
            g = max(1, self.config.trim_granularity)
            cut = len(ids) - max(1, budget)
            rounded = -(-cut // g) * g  # round up to the granularity (a stable left edge)
            # ...unless that leaves nothing (a budget under the granularity: a small context)
            ids = ids[rounded:] if rounded < len(ids) else ids[cut:]
        # PSM keeps the suffix last so typing in the prefix keeps <fim_prefix>... warm.
        return assemble_prompt(ids, sfx, bos=sp.bos, fim=fim, order=sp.fim_order)

    # -- KV slots -------------------------------------------------------------------------

    def _pick_slot(self, ids: list[int]) -> tuple[KVSlot, int]:
        """The slot sharing the longest token prefix with ``ids`` (LRU-evicting if none)."""
        best, best_len = None, -1
        for slot in self._slots:
            n = _common_prefix(slot.tokens, ids)
            if n > best_len or (n == best_len and best and slot.last_used > best.last_used):
                best, best_len = slot, n
        if best is None or (best_len == 0 and len(self._slots) < self.config.kv_slots):
            best, best_len = self.session.new_slot(), 0
            self._slots.append(best)
        elif best_len == 0:
            best = min(self._slots, key=lambda s: s.last_used)
        return best, max(0, best_len)

    # -- generation -----------------------------------------------------------------------

    def complete(
        self,
        prefix: str,
        suffix: str = "",
        mode: str = "line",
        max_tokens: int | None = None,
        choices: Choices | None = None,
        confident: bool = False,
    ) -> Completion:
        """Start a completion of the text at the cursor (``prefix`` | ``suffix``).

        ``choices``: where the continuation is a known set (a column after ``df['``), the
        completion starts with one of them, picked by the model (see grounded.py).
        ``confident``: show it only if the model is sure of it (``confident_logprob``); its
        text then comes whole at the end (stop_reason "unsure" and no text if not).
        """
        limit = self._limit(mode, max_tokens)
        completion = Completion(iter(()))
        follower = self._follow(completion, prefix, suffix, mode, limit, choices, confident)
        if follower is not None:
            completion._gen = follower
            return completion
        self._drop_ahead()
        reused = (
            None if confident else self._typed_through(completion, prefix, suffix, mode, choices)
        )
        completion._gen = reused or self._generate(
            completion, prefix, suffix, mode, limit, choices, confident=confident
        )
        return completion

    def _follow(
        self,
        c: Completion,
        prefix: str,
        suffix: str,
        mode: str,
        limit: int,
        choices: Choices | None,
        confident: bool,
    ) -> Iterator[str] | None:
        """The request streamed from the continuation generated ahead, if it can follow it
        (its prompt is that one, or that one plus text the continuation starts with, and it
        was judged the same way: ``confident`` or not); else None."""
        ahead = self._ahead
        if ahead is None or ahead.confident != confident:
            return None
        if choices is not None and choices.texts:
            return None  # a grounded site picks from its own set
        typed = ahead.typed(prefix, suffix)
        if typed is None:
            return None
        c.follows = ahead.completion

        def fallback() -> Iterator[str]:
            return self._generate(c, prefix, suffix, mode, limit, choices, confident=confident)

        def gen() -> Iterator[str]:
            rules = StopRules(mode, prefix, suffix)
            budget_s = self.config.time_budget_ms / 1000
            yield from ahead.follow(c, typed, rules, self.name, fallback, budget_s)
            r = c.result
            if r is not None and r.stop_reason == "ahead":
                self._recall.keep(prefix, suffix, mode, r.text)  # typed-through from here on

        return gen()

    def _drop_ahead(self) -> None:
        """A request that does not follow the continuation generated ahead makes it moot."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.running:
            ahead.completion.cancel()

    def score(self, text: str, max_tokens: int = 512) -> float:
        """Mean log-probability per token of ``text`` under the model (higher: more likely).

        What the fixes service ranks close candidates by. Every token after the first is
        scored, so texts compare fairly; it runs on a KV slot of its own (created on first use)
        so the completion slots keep their cached prompts.
        """
        ids = [*self.specials.bos, *self.encode(text)][:max_tokens]
        if len(ids) < 2:
            return 0.0
        with self._lock:
            if self._score_slot is None:
                self._score_slot = self.session.new_slot()
            slot = self._score_slot
            self.session.truncate(slot, 0)
            keep = min(len(ids), self.config.prefill_chunk)
            head = ids[: len(ids) - keep]
            step = max(1, self.config.prefill_chunk)
            for i in range(0, len(head), step):
                self.session.forward(slot, head[i : i + step])
            rows = self.session.forward(slot, ids[len(ids) - keep :], keep=keep)
            logits = np.asarray(rows, dtype=np.float64).reshape(keep, -1)[:-1]
        targets = ids[len(ids) - keep + 1 :]
        m = logits.max(axis=1, keepdims=True)
        logz = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
        picked = logits[np.arange(len(targets)), targets]
        return float(np.mean(picked - logz))

    def _typed_through(
        self, c: Completion, prefix: str, suffix: str, mode: str, choices: Choices | None
    ) -> Iterator[str] | None:
        if not self.config.typed_through:
            return None
        return self._recall.answer(c, prefix, suffix, mode, self.name, choices)

    def warm(
        self,
        prefix: str,
        suffix: str = "",
        mode: str = "line",
        max_tokens: int | None = None,
        ahead: bool = False,
        confident: bool = False,
    ) -> Completion:
        """Prefill the KV cache for the prompt ``complete()`` would get, without generating.

        For the moments the context changed but nobody is typing yet (a cell was run and the
        kernel's variables changed, the cursor moved to another cell): the next keystroke then
        finds its prompt cached and pays for a token or two instead of the whole prefix. It
        runs in small chunks (``warm_chunk``) so a keystroke's request that cancels it waits
        little, and whatever it prefilled before the cancel is kept for that request.
        Iterating yields nothing; the result's stop_reason is "warm" (or "cancelled").

        ``ahead``: the prompt is the one the user is about to ask at (a suggestion was just
        accepted, and the client added the line break and indent Enter will add): once
        prefilled, generate its completion (in ``mode``; ``confident`` as in complete()) for
        that request to stream from (ahead.py).
        """
        limit = self._limit(mode, max_tokens)
        completion = Completion(iter(()))
        self._drop_ahead()
        if ahead:
            self._ahead = Ahead(prefix, suffix, completion, confident)
            completion._gen = self._generate_ahead(completion, self._ahead, mode, limit)
        else:
            completion._gen = self._warm(completion, prefix, suffix, limit)
        return completion

    def _generate_ahead(self, c: Completion, ahead: Ahead, mode: str, limit: int) -> Iterator[str]:
        """Run the continuation into ``ahead`` (its followers read it as it grows); the warm
        itself streams nothing and reports "warm"."""
        t0 = time.perf_counter()
        final: str | None = None
        try:
            gen = self._generate(
                c, ahead.prefix, ahead.suffix, mode, limit, confident=ahead.confident
            )
            for text in gen:
                ahead.grow(text)
            r = c.result
            if r is not None and r.stop_reason != "cancelled":
                final, ahead.logprob = r.text, r.logprob
        finally:
            ahead.finish(final)
        r = c.result
        reason = "warm" if final is not None else "cancelled"
        cached, prompt, tokens = (r.cached_tokens, r.prompt_tokens, r.tokens) if r else (0, 0, 0)
        c.result = self._warmed(t0, reason, cached, prompt, tokens)
        yield from ()

    def _warmed(
        self, t0: float, reason: str, cached: int, prompt: int, tokens: int = 0
    ) -> CompletionResult:
        """A warm's result (no text), ``t0`` its start: what it found cached of its prompt of
        ``prompt`` tokens, and the ``tokens`` it generated ahead."""
        ms = round((time.perf_counter() - t0) * 1000, 3)
        return CompletionResult("", tokens, 0.0, ms, cached, prompt, reason, self.name)

    def _limit(self, mode: str, max_tokens: int | None) -> int:
        if mode not in ALL_MODES:
            raise ValueError(f"mode must be one of {ALL_MODES}, not {mode!r}")
        limit = max_tokens or (
            self.config.max_tokens_line if mode == "line" else self.config.max_tokens_block
        )
        return max(1, int(limit))

    def _prepare(
        self, prefix: str, suffix: str, max_tokens: int
    ) -> tuple[list[int], int, str, KVSlot, int]:
        """Prompt ids, healed tail (count, text), the slot and how many of its tokens to keep.

        Shared by generation and warming so both see the same tokens (same budget, same left
        cut, same healing): what a warm call caches is what the next request reuses. Called
        with the lock held; the slot is truncated to the reused prefix.
        """
        budget = self.session.max_context - max_tokens - 1
        ids = self._prompt_ids(prefix, suffix, budget)
        heal_n, heal_text = self.healer.rollback(ids) if self.config.token_healing else (0, "")
        slot, reuse = self._pick_slot(ids)
        if not self.config.prefix_reuse:
            reuse = 0
        # Run >= 1 token so the healed tail gets fresh logits; the token before the tail runs
        # again unless its logits are remembered (the last keystroke kept them).
        tail = len(ids) - heal_n
        known = heal_n > 0 and reuse >= tail and tail in slot.logits
        reuse = min(reuse, tail if known else tail - 1)
        self.session.truncate(slot, reuse)
        return ids, heal_n, heal_text, slot, reuse

    def _warm(self, c: Completion, prefix: str, suffix: str, max_tokens: int) -> Iterator[str]:
        t0 = time.perf_counter()
        reason = "warm"
        with self._lock:
            ids, heal_n, _, slot, reuse = self._prepare(prefix, suffix, max_tokens)
            todo = ids[reuse : len(ids) - heal_n]  # the healed tail is re-run by the request
            step = max(1, self.config.warm_chunk)
            try:
                for i in range(0, len(todo), step):
                    if c.cancelled:
                        raise Cancelled
                    # the last row is what the request's healed tail needs first (_prepare)
                    last = i + step >= len(todo)
                    self.session.forward(slot, todo[i : i + step], remember=last)
            except Cancelled:
                reason = "cancelled"
        c.result = self._warmed(t0, reason, reuse, len(ids))
        yield from ()

    def _generate(
        self,
        c: Completion,
        prefix: str,
        suffix: str,
        mode: str,
        max_tokens: int,
        choices: Choices | None = None,
        confident: bool = False,
    ) -> Iterator[str]:
        """Greedy decoding of the completion at ``prefix`` | ``suffix``; ``confident``: see
        complete()."""
        out = Stream(prefix, suffix, mode)
        deadline = out.t0 + self.config.time_budget_ms / 1000
        with self._lock:
            ids, heal_n, heal_text, slot, reuse = self._prepare(prefix, suffix, max_tokens)
            base = len(ids) - heal_n  # tokens before the healed tail
            out_ids: list[int] = []
            walk = None
            run, grounded_text = 0, ""
            logps: list[float] = []  # per token, when ``confident`` asks for them
            loop_limit = self.config.repeat_limit if mode != "raw" else 0
            try:
                # The healed tail is fed with the prompt and its logits kept: when the model
                # re-picks the same tokens (the usual case) their KV is already in place and
                # the next logits come free, so healing costs no extra step.
                free = self._prefill(slot, ids[reuse:], heal_n + 1, c)
                tail, confirmed = ids[base:], 0
                logits = free[0]
                remaining = heal_text
                # Grounded: the choices (behind the healed tail) constrain the first tokens;
                # they re-spell the tail themselves, so plain healing stands aside.
                walk = self.grounder.start(choices, heal_text) if choices is not None else None
                if walk is not None:
                    remaining = ""
                for _ in range(max_tokens + heal_n):
                    constrained = walk is not None and not walk.free
                    spelling = constrained and not walk.complete  # still inside a choice
                    if constrained:
                        allowed = walk.allowed(self.specials.stop)
                        scores = logits[allowed]
                        bonus = walk.bias(allowed)
                        if bonus is not None:
                            scores = scores + bonus
                        tok = int(allowed[np.argmax(scores)])
                        walk.advance(
                            None if tok in self.specials.stop else self.healer.id_to_string.get(tok)
                        )
                    elif remaining:
                        allowed = self.healer.allowed(remaining)
                        tok = (
                            int(allowed[np.argmax(logits[allowed])])
                            if len(allowed)
                            else int(np.argmax(logits))
                        )
                        s = self.healer.id_to_string.get(tok, "")
                        remaining = remaining[len(s) :] if s.startswith(remaining[: len(s)]) else ""
                    else:
                        tok = int(np.argmax(logits))
                    out.first_token()
                    if confident:
                        logps.append(_log_softmax_at(logits, tok))
                    if tok in self.specials.stop:
                        out.reason = "eos"
                        break
                    # (a choice being spelled is the kernel's text, never a loop)
                    run = run + 1 if not constrained and out_ids and tok == out_ids[-1] else 1
                    if 0 < loop_limit <= run:
                        out.reason = "repetition"
                        break
                    out_ids.append(tok)
                    text = self._visible(out_ids, heal_text)
                    if spelling:
                        grounded_text = text  # what the kernel's choice spelled, so far
                    if remaining:  # still re-spelling the healed tail: no rules, nothing shown
                        out.text = text
                    elif out.grow(text):
                        break
                    held = loop_limit and run > 1  # a repeated token may start a loop
                    if not (remaining or held or confident) and (new := out.fresh()) is not None:
                        yield new
                    if c.cancelled:
                        raise Cancelled
                    if time.perf_counter() > deadline:
                        out.reason = "time"
                        break
                    if len(out_ids) >= max_tokens + heal_n:
                        break
                    if confirmed < len(tail) and tok == tail[confirmed]:
                        confirmed += 1  # its KV is already cached: next logits for free
                        logits = free[confirmed]
                        continue
                    if confirmed < len(tail):  # diverged from the prompt's tail: drop its KV
                        self.session.truncate(slot, base + confirmed)
                        tail = []
                    if len(slot.tokens) + 1 >= self.session.max_context:
                        out.reason = "context"
                        break
                    # remembered: a keystroke that types part of this suggestion, then
                    # something else, finds the logits before its healed tail here
                    logits = self.session.forward(slot, [tok], remember=True)
            except Cancelled:
                out.reason = "cancelled"
            if out.reason == "repetition":
                out.text = grounded_text
            rest = out.settle()
            logprob = round(float(np.mean(logps)), 4) if logps else None
            if confident and out.reason != "cancelled" and not self._sure(logprob, out.text):
                out.text, rest, out.reason = "", None, "unsure"
            if rest is not None:
                yield rest
            self._recall.kept(out, prefix, suffix)
            c.result = out.result(
                self.name,
                tokens=len(out_ids),
                prompt_tokens=len(ids),
                cached_tokens=reuse,
                grounded=choices.site if walk is not None else "",
                logprob=logprob if confident else None,
            )

    def _sure(self, logprob: float | None, text: str) -> bool:
        """Whether a ``confident`` request keeps ``text``: the model was sure of its tokens
        and it is whole Python statements."""
        if logprob is None or logprob < self.config.confident_logprob:
            return False
        return is_statement(text)

    def _prefill(self, slot: KVSlot, new_ids: list[int], keep: int, c: Completion) -> np.ndarray:
        """Feed the uncached prompt tokens in bounded chunks; return the last ``keep`` logits.

        The last chunk carries the kept positions, so a keystroke's few new tokens and its
        first token's logits are one forward call (a step reads all the weights, whether it
        runs one token or three).
        """
        known = keep - len(new_ids)  # leading rows remembered by the slot (see _prepare)
        if known > 0:
            remembered = slot.logits[len(slot.tokens)]
            keep = len(new_ids)
        step = max(1, self.config.prefill_chunk)
        start = 0
        while len(new_ids) - start > step and len(new_ids) - start - step >= keep:
            if c.cancelled:
                raise Cancelled
            self.session.forward(slot, new_ids[start : start + step])
            start += step
        if c.cancelled:
            raise Cancelled
        rows = self.session.forward(slot, new_ids[start:], keep=keep, remember=True)
        rows = rows.reshape(keep, -1)
        if known > 0:
            return np.vstack([remembered[None, :], rows])
        return rows.copy() if keep > 1 else rows

    def _visible(self, out_ids: list[int], heal_text: str) -> str:
        """Decoded completion minus the healed text, holding back a split UTF-8 character."""
        text = self.tokenizer.decode(out_ids, skip_special_tokens=False)
        if heal_text:
            healed = bytes(_byte(ch) for ch in heal_text).decode("utf-8", errors="replace")
            if healed.startswith(text):  # still re-spelling the healed prompt tail
                return ""
            text = text[len(healed) :] if text.startswith(healed) else text
        return text.rstrip("\ufffd")


def _log_softmax_at(logits: np.ndarray, tok: int) -> float:
    """log p(tok) under the logits (one row): ~50 us at a 49k vocabulary."""
    m = float(logits.max())
    return float(logits[tok]) - m - float(np.log(np.exp(logits - m).sum()))


def _byte(ch: str) -> int:
    from ..models.tokenizer_bytes import BYTE_DECODER

    return BYTE_DECODER[ch]


def _common_prefix(a: list[int], b: list[int]) -> int:
    """Length of the common prefix of two token lists (numpy: ~1 us per 1k tokens)."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    x, y = np.asarray(a[:n]), np.asarray(b[:n])
    diff = np.flatnonzero(x != y)
    return int(diff[0]) if len(diff) else n
