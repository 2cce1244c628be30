"""One onnxruntime decoder session and its KV-cache slots.

Two cache layouts, read off the graph:

- "shared" (our GGUF conversions, GroupQueryAttention): each layer's past is a preallocated
  (1, kv_heads, max_context, head_dim) buffer bound as both past input and present output, so a
  step writes its new keys in place and copies nothing. Reusing a prompt prefix is free: tokens
  past the common prefix are simply overwritten.
- "concat" (Optimum / onnxruntime-genai exports): present = past + new; the slot keeps the
  present OrtValues to feed back as the next past, and slices them when a prefix is reused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..models.errors import InvalidModelFile
from ..models.metadata import ModelMetadata, read_spark_json
from . import hugepages
from .config import EngineConfig

_ORT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


@dataclass
class KVSlot:
    """A KV cache and the tokens whose keys/values it holds (positions 0..len(tokens)-1)."""

    past: dict[str, ort.OrtValue]
    tokens: list[int] = field(default_factory=list)
    last_used: float = 0.0
    # Shared layout: the binding with this slot's KV buffers already bound as past and present.
    # Binding 2 x layers buffers costs ~3 ms of Python per step; reused, only the ids, mask and
    # logits are bound per step.
    binding: ort.IOBinding | None = None
    # Logits rows a ``remember`` forward kept, by how many tokens they follow: the row after
    # the token before a healed tail lets the next keystroke run only the tail (one position:
    # a 2-position step costs ~1.4 ms more at 1k tokens, in attention). Valid while the slot
    # keeps that many tokens (truncate drops the rest); at most REMEMBERED_ROWS are held.
    logits: dict[int, np.ndarray] = field(default_factory=dict)


# Logits rows a slot remembers (~200 KB each for a 49k vocabulary, copied in ~10 us; 6 MB a
# slot at 32): the prompt's kept rows and the first ~30 tokens of the last suggestion (a line
# completion's p50 is 11 on the latency trace), so a keystroke that types into it and then
# differs finds the row it needs; past them it runs one position more (~1.4 ms at 1k).
REMEMBERED_ROWS = 32


class DecoderSession:
    """The warm InferenceSession plus what the generation loop needs to drive it."""

    def __init__(self, onnx_path: Path, cfg: EngineConfig) -> None:
        self.onnx_path = Path(onnx_path)
        so = ort.SessionOptions()
        so.intra_op_num_threads = cfg.resolved_threads()
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        before = hugepages.snapshot() if cfg.huge_pages else None
        try:
            self.sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph/NoSuchFile types
            raise InvalidModelFile(onnx_path, f"onnxruntime cannot load it ({e})") from e
        # What the load wrote is the session's prepacked weights (the KV slots come later).
        self.huge_pages = hugepages.collapse_new(before) if cfg.huge_pages else None
        inputs = {i.name: i for i in self.sess.get_inputs()}
        self.past_names = sorted(
            (n for n in inputs if n.startswith("past_key_values.")),
            key=lambda n: (int(n.split(".")[1]), n),
        )
        if "input_ids" not in inputs or not self.past_names:
            raise InvalidModelFile(onnx_path, "not a decoder with a KV cache (no past inputs)")
        first = inputs[self.past_names[0]]
        self.kv_dtype = _ORT_DTYPES.get(first.type, np.float32)
        self.kv_heads, self.head_dim = int(first.shape[1]), int(first.shape[3])
        self.has_position_ids = "position_ids" in inputs
        self.has_logits_to_keep = "logits_to_keep" in inputs
        model_dir = Path(onnx_path).parent
        self.shared_kv = read_spark_json(model_dir).get("kv_layout") == "shared"
        self.max_context = cfg.max_context
        if self.shared_kv:  # our conversion: the buffer need not outgrow what the model knows
            ctx = ModelMetadata.load(model_dir).context_length
            self.max_context = min(cfg.max_context, ctx or cfg.max_context)
        self.vocab = int(self.sess.get_outputs()[0].shape[-1] or 0)
        # One-token logits land in this array: the OrtValue wraps its memory (CPU values are
        # not copied), so a step reads them without OrtValue.numpy()'s 200 KB copy.
        self._logits_np: np.ndarray | None = None
        self._logits_buf: ort.OrtValue | None = None
        if self.vocab and self.has_logits_to_keep:
            self._logits_np = np.zeros((1, 1, self.vocab), np.float32)
            self._logits_buf = ort.OrtValue.ortvalue_from_numpy(self._logits_np)
        # attention_mask is all ones; steps bind a prefix view instead of allocating one.
        self._ones = np.ones((1, self.max_context), np.int64)

    def new_slot(self) -> KVSlot:
        """A fresh, empty cache (preallocated to max_context for the shared layout)."""
        n = self.max_context if self.shared_kv else 0
        shape = (1, self.kv_heads, n, self.head_dim)
        past = {
            name: ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, self.kv_dtype))
            for name in self.past_names
        }
        return KVSlot(past=past)

    def truncate(self, slot: KVSlot, keep: int) -> None:
        """Forget cached tokens after the first ``keep`` (the reused common prefix)."""
        for n in [n for n in slot.logits if n > keep]:
            del slot.logits[n]
        if keep >= len(slot.tokens):
            return
        if not self.shared_kv:
            for name, v in slot.past.items():
                arr = np.ascontiguousarray(v.numpy()[:, :, :keep])
                slot.past[name] = ort.OrtValue.ortvalue_from_numpy(arr)
        del slot.tokens[keep:]

    def forward(
        self, slot: KVSlot, new_ids: list[int], keep: int = 1, remember: bool = False
    ) -> np.ndarray:
        """Run ``new_ids`` after the slot's tokens; return the last position's logits (vocab,),
        or with ``keep`` > 1 the last ``keep`` positions' logits (keep, vocab).

        The array may be a view of a reused output buffer: valid until the next call.
        ``remember`` keeps a copy of the returned rows in ``slot.logits``.
        """
        past_len = len(slot.tokens)
        total = past_len + len(new_ids)
        if self.shared_kv and total > self.max_context:
            raise ValueError(f"{total} tokens exceed the KV buffer of {self.max_context}")
        if self.shared_kv:
            if slot.binding is None:
                slot.binding = self.sess.io_binding()
                for name, value in slot.past.items():
                    slot.binding.bind_ortvalue_input(name, value)
                    slot.binding.bind_ortvalue_output(_present(name), value)
            b = slot.binding
        else:
            b = self.sess.io_binding()
            for name, value in slot.past.items():
                b.bind_ortvalue_input(name, value)
                b.bind_output(_present(name))
        b.bind_cpu_input("input_ids", np.array([new_ids], dtype=np.int64))
        mask = (
            self._ones[:, :total] if total <= self._ones.shape[1] else np.ones((1, total), np.int64)
        )
        b.bind_cpu_input("attention_mask", mask)
        if self.has_position_ids:
            pos = np.arange(past_len, total, dtype=np.int64)[None, :]
            b.bind_cpu_input("position_ids", pos)
        if self.has_logits_to_keep:
            b.bind_cpu_input("logits_to_keep", np.array([keep], dtype=np.int64))
        # Logits go to memory we own (the reused buffer, or one sized for `keep` rows), so no
        # output order has to be guessed; only an export with an unknown vocab size lets
        # onnxruntime allocate them (bound last, so they are the last output).
        logits_val: ort.OrtValue | None = None
        if keep == 1 and self._logits_buf is not None:
            logits_val = self._logits_buf
        elif self.vocab:
            rows = keep if self.has_logits_to_keep else len(new_ids)
            logits_val = ort.OrtValue.ortvalue_from_numpy(
                np.empty((1, rows, self.vocab), np.float32)
            )
        if logits_val is not None:
            b.bind_ortvalue_output("logits", logits_val)
        else:
            b.bind_output("logits")
        self.sess.run_with_iobinding(b)
        if not self.shared_kv:  # a fresh binding: presents in slot order, then logits
            outs = b.get_outputs()
            for i, name in enumerate(slot.past):
                slot.past[name] = outs[i]
            if logits_val is None:
                logits_val = outs[-1]
        slot.tokens.extend(new_ids)
        slot.last_used = time.monotonic()
        out = self._logits_np if logits_val is self._logits_buf else logits_val.numpy()
        rows_out = out[0, -keep:]
        if remember:
            end = len(slot.tokens)
            for i, row in enumerate(rows_out):
                slot.logits[end - len(rows_out) + 1 + i] = row.copy()
            while len(slot.logits) > REMEMBERED_ROWS:
                del slot.logits[min(slot.logits)]
        return rows_out[-1] if keep == 1 else rows_out


def _present(past_name: str) -> str:
    """past_key_values.3.key -> present.3.key"""
    return "present" + past_name[len("past_key_values") :]
