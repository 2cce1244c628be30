"""What a model must be before we touch the cache or load it: a GGUF we can convert (header,
architecture, tensor types, tokenizer metadata), or an ONNX decoder export with its tokenizer
and a full KV-cache signature. Each check reads only headers, so it is fast on a multi-GB file
and fails before anything is hashed, converted or written."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InvalidModelFile, ModelNotFound

# GGUF header: magic, version (u32), tensor count (u64), metadata count (u64).
GGUF_MAGIC = b"GGUF"
GGUF_MIN_BYTES = 24

# ONNX files we look for in a user's export, best first: Optimum's merged decoder (one graph for
# prefill and decode), then onnxruntime-genai's and optimum's plain names.
ONNX_CANDIDATES = ("model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx")
ONNX_SUBDIRS = (".", "onnx")  # Hugging Face ONNX repos keep the graphs in an onnx/ subfolder

_PAST_RE = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
_PRESENT_RE = re.compile(r"^present\.(\d+)\.(key|value)$")


def check_gguf_header(path: Path) -> None:
    """Fail fast, naming the file, on what is obviously not a GGUF (before hashing 100 MB)."""
    if not path.is_file():
        raise ModelNotFound(path, "no such file")
    size = path.stat().st_size
    with open(path, "rb") as f:
        magic = f.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise InvalidModelFile(path, f"not a GGUF file (starts with {magic!r}, expected b'GGUF')")
    if size < GGUF_MIN_BYTES:
        raise InvalidModelFile(path, f"truncated GGUF file ({size} bytes, no complete header)")


def check_gguf_runnable(path: Path) -> None:
    """Raise the error converting ``path`` would raise (UnsupportedModel: its architecture or
    tensor types; InvalidModelFile: truncated, missing metadata or tokenizer), without
    converting: only the header and tensor directory are read (the data is memory-mapped).

    This is convert.check_gguf plus the tokenizer keys, on one reader: parsing a GGUF's
    metadata (its vocabulary) is the slow part (3.8 s for SmolLM2-135M on a loaded 2-core
    machine), so the file is read once for both checks, not in check_gguf and again here."""
    from .. import convert
    from ..metadata import KEY_MODEL, KEY_TOKENS

    reader = convert.read_gguf(path)
    convert.model_config(reader, path)
    missing = [k for k in (KEY_MODEL, KEY_TOKENS) if k not in reader.fields]
    if missing:
        raise InvalidModelFile(
            path, f"no tokenizer metadata ({', '.join(missing)}): the GGUF cannot be tokenized"
        )


def check_onnx_dir(d: Path, onnx_path: Path | None = None) -> tuple[Path, Path]:
    """The decoder graph and tokenizer.json of the ONNX export in ``d`` (``onnx_path`` if given,
    else the best of ONNX_CANDIDATES); InvalidModelFile if either is missing or the graph is
    not a decoder we can drive.

    The checks read only the graph's signature (``load_external_data=False``), so a multi-GB
    export is validated in milliseconds; onnxruntime reports anything deeper when it loads.
    """
    tokenizer = d / "tokenizer.json"
    if not tokenizer.is_file():
        raise InvalidModelFile(
            tokenizer, "no such file; an ONNX model directory must hold the model's tokenizer.json"
        )
    onnx_path = onnx_path or _pick_onnx(d)
    validate_decoder_onnx(onnx_path)
    return onnx_path, tokenizer


def _pick_onnx(d: Path) -> Path:
    """The export's decoder graph: the first of ONNX_CANDIDATES there, else its only .onnx."""
    for sub in ONNX_SUBDIRS:
        for cand in ONNX_CANDIDATES:
            p = d / sub / cand
            if p.is_file():
                return p.resolve()
    found = sorted(p for sub in ONNX_SUBDIRS for p in (d / sub).glob("*.onnx") if p.is_file())
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidModelFile(
            d, f"no ONNX decoder found (looked for {', '.join(ONNX_CANDIDATES)})"
        )
    raise InvalidModelFile(
        d,
        f"several ONNX files ({', '.join(p.name for p in found)}); pass the one to use as a path",
    )


def validate_decoder_onnx(path: Path) -> None:
    """Raise InvalidModelFile unless ``path`` is a decoder graph with a full KV-cache signature.

    Needed: inputs input_ids, attention_mask and past_key_values.N.key/value, outputs logits and
    present.N.key/value, for the same N = 0..L-1 everywhere, and every external data file the
    graph refers to.
    """
    import onnx
    from onnx.external_data_helper import uses_external_data

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf DecodeError, onnx's own errors, OSError
        raise InvalidModelFile(path, f"not an ONNX model ({type(e).__name__}: {e})") from e
    graph = model.graph
    if not graph.node or not graph.output:
        raise InvalidModelFile(path, "not an ONNX model (no graph)")
    inputs = {i.name: i for i in graph.input}
    outputs = {o.name for o in graph.output}
    missing = [n for n in ("input_ids", "attention_mask") if n not in inputs]
    missing += [n for n in ("logits",) if n not in outputs]
    if missing:
        raise InvalidModelFile(path, f"not a decoder export: missing {', '.join(missing)}")
    past = _layer_slots(inputs, _PAST_RE)
    if not past:
        raise InvalidModelFile(
            path,
            "no past_key_values.N.key/value inputs (export it with the KV cache, "
            "e.g. Optimum's decoder_model_merged / --task text-generation-with-past)",
        )
    present = _layer_slots(outputs, _PRESENT_RE)
    n_layers = 1 + max(layer for layer, _ in past | present)
    want = {(layer, kind) for layer in range(n_layers) for kind in ("key", "value")}
    for label, have in (("past_key_values", past), ("present", present)):
        absent = sorted(want - have)
        if absent:
            names = ", ".join(f"{label}.{n}.{k}" for n, k in absent[:4])
            more = f" and {len(absent) - 4} more" if len(absent) > 4 else ""
            raise InvalidModelFile(
                path, f"{n_layers} layers but missing {names}{more} (incomplete KV-cache signature)"
            )
    _check_kv_shapes(path, inputs, n_layers)
    for t in graph.initializer:
        if uses_external_data(t):
            loc = next((e.value for e in t.external_data if e.key == "location"), "")
            if not (path.parent / loc).is_file():
                raise InvalidModelFile(path.parent / loc, f"missing external data of {path.name}")


def _layer_slots(names, pattern: re.Pattern[str]) -> set[tuple[int, str]]:
    return {(int(m[1]), m[2]) for n in names if (m := pattern.match(n))}


def _check_kv_shapes(path: Path, inputs: dict, n_layers: int) -> None:
    """Every past input must be rank 4 with the same (static) heads and head_dim dims."""
    seen: dict[int, tuple[str, str]] = {}  # axis -> (first value, input it came from)
    for layer in range(n_layers):
        for kind in ("key", "value"):
            name = f"past_key_values.{layer}.{kind}"
            dims = inputs[name].type.tensor_type.shape.dim
            if len(dims) != 4:
                raise InvalidModelFile(path, f"{name} has rank {len(dims)}, expected 4")
            for axis in (1, 3):  # kv heads, head dim
                value = dims[axis].dim_param or str(dims[axis].dim_value)
                first = seen.setdefault(axis, (value, name))
                if first[0] != value:
                    raise InvalidModelFile(
                        path, f"{name} dim {axis} is {value}, but {first[1]} has {first[0]}"
                    )
