"""What the engine and ``jupyter spark model info`` need to know about a model, in one type.

A model's special tokens (BOS and whether prompts start with it, EOS and every other token that
ends generation, the fill-in-the-middle tokens and their order, repository/file separators...)
come from three places: a GGUF's metadata, the ``spark_model.json`` our conversion writes next
to the ONNX graph, or, for a bring-your-own ONNX directory, its ``tokenizer.json`` and
``config.json``/``generation_config.json``. ``ModelMetadata`` reads all three, and this module is
the only one that knows the GGUF keys and the token names involved (llama.cpp's own lists, so a
GGUF behaves here as it does in llama.cpp).

``spark_model.json`` files written before this module existed (``special_tokens`` and ``config``
keys only) load to the same values they always meant.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import InvalidModelFile
from .pretokenizers import pre_tokenizer_defaults  # the per-pre table lives with the regexes

SPARK_MODEL_JSON = "spark_model.json"
# Version of the "metadata" object inside spark_model.json (not of the file: convert owns that).
METADATA_VERSION = 1

FIM_ORDERS = ("psm", "spm")
# Prefix-suffix-middle: <pre> prefix <suf> suffix <mid>, what almost every FIM model was trained
# on (StarCoder, Qwen2.5-Coder, DeepSeek-Coder, CodeLlama).
DEFAULT_FIM_ORDER = "psm"

# ---------------------------------------------------------------------------------------------
# GGUF keys (spelled out rather than taken from gguf.Keys: older gguf releases lack some)

KEY_ARCH = "general.architecture"
KEY_NAME = "general.name"
KEY_MODEL = "tokenizer.ggml.model"
KEY_PRE = "tokenizer.ggml.pre"
KEY_TOKENS = "tokenizer.ggml.tokens"
KEY_TOKEN_TYPE = "tokenizer.ggml.token_type"
KEY_BOS = "tokenizer.ggml.bos_token_id"
KEY_EOS = "tokenizer.ggml.eos_token_id"
KEY_EOT = "tokenizer.ggml.eot_token_id"
KEY_EOM = "tokenizer.ggml.eom_token_id"
KEY_PAD = "tokenizer.ggml.padding_token_id"
KEY_ADD_BOS = "tokenizer.ggml.add_bos_token"
# Fill-in-the-middle ids; the second key of each pair is the deprecated spelling.
KEYS_FIM_PRE = ("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id")
KEYS_FIM_SUF = ("tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id")
KEYS_FIM_MID = ("tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id")
KEY_FIM_PAD = "tokenizer.ggml.fim_pad_token_id"
KEY_FIM_REP = "tokenizer.ggml.fim_rep_token_id"
KEY_FIM_SEP = "tokenizer.ggml.fim_sep_token_id"
# "{arch}.<suffix>" hyper-parameters shown by `model info`.
ARCH_KEY_CONTEXT = "context_length"
ARCH_KEY_LAYERS = "block_count"
ARCH_KEY_HIDDEN = "embedding_length"

# GGUF token types (gguf.TokenType values; numbers so this module needs no gguf import).
TYPE_NORMAL = 1
TYPE_UNKNOWN = 2
TYPE_CONTROL = 3
TYPE_USER_DEFINED = 4
# Types llama.cpp matches verbatim in the input before BPE, and of those the special ones
# (skipped on decode, never ordinary text).
ADDED_TYPES = frozenset({TYPE_UNKNOWN, TYPE_CONTROL, TYPE_USER_DEFINED})
SPECIAL_TYPES = frozenset({TYPE_UNKNOWN, TYPE_CONTROL})

# ---------------------------------------------------------------------------------------------
# token names (llama.cpp's, src/llama-vocab.cpp, plus the few our completions also stop on)

# llama.cpp's end-of-generation names; it also makes these control tokens whatever their type.
LLAMA_CPP_EOG_NAMES = (
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
    "[e~[",
)
# Of those, the ones a byte-level BPE may also hold as plain merged text ('</s>' is HTML
# strikethrough): they only end generation when the vocabulary types them special.
STOP_NAMES_IF_SPECIAL = ("</s>",)
EOG_NAMES = tuple(n for n in LLAMA_CPP_EOG_NAMES if n not in STOP_NAMES_IF_SPECIAL)
# Stops of ours: the end of a notebook cell's code (StarCoder/SmolLM's Jupyter tokens) or of a
# file. Completing code in a cell must end there.
EXTRA_STOP_NAMES = ("<file_sep>", "<jupyter_output>", "<|file_separator|>")
# FIM tokens by name, for GGUFs and tokenizers without FIM metadata (llama.cpp's lists).
FIM_PRE_NAMES = (
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<fim_prefix>",
    "<｜fim▁begin｜>",
    "<PRE>",
    "▁<PRE>",
    "<|code_prefix|>",
    "<|prefix|>",
)
FIM_SUF_NAMES = (
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<fim_suffix>",
    "<｜fim▁hole｜>",
    "<SUF>",
    "▁<SUF>",
    "<|code_suffix|>",
    "<|suffix|>",
)
FIM_MID_NAMES = (
    "<|fim_middle|>",
    "<fim-middle>",
    "<fim_middle>",
    "<｜fim▁end｜>",
    "<MID>",
    "▁<MID>",
    "<|code_middle|>",
    "<|middle|>",
)
FIM_PAD_NAMES = ("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]")
# Repository-name and file-separator tokens of repository-level FIM prompts (Qwen2.5-Coder
# <|repo_name|>/<|file_sep|>, StarCoder <reponame>/<file_sep>). llama.cpp ends generation on them
# (its file-separator name is Qwen's only; StarCoder's is one of our extra stops).
REPO_NAME_NAMES = ("<|repo_name|>", "<|fim_repo|>", "<fim-repo>", "<REPO>", "<reponame>")
LLAMA_CPP_FILE_SEP_NAMES = ("<|file_sep|>",)
FILE_SEP_NAMES = (*LLAMA_CPP_FILE_SEP_NAMES, "<file_sep>")
# FIM tokens of models trained suffix-first (Mistral's Codestral: [SUFFIX] suffix [PREFIX] prefix).
SPM_FIM_NAMES = {"prefix": ("[PREFIX]",), "suffix": ("[SUFFIX]",), "middle": ("[MIDDLE]",)}
# The roles llama.cpp looks up by name when the GGUF has no key for them: (keys, names).
_LLAMA_CPP_ROLES = (
    (KEYS_FIM_PRE, FIM_PRE_NAMES),
    (KEYS_FIM_SUF, FIM_SUF_NAMES),
    (KEYS_FIM_MID, FIM_MID_NAMES),
    ((KEY_FIM_PAD,), FIM_PAD_NAMES),
    ((KEY_FIM_REP,), REPO_NAME_NAMES),
    ((KEY_FIM_SEP,), LLAMA_CPP_FILE_SEP_NAMES),
)


def _first_ids(tokens: Iterable[str]) -> dict[str, int]:
    """token -> id; a repeated token keeps its first id."""
    ids: dict[str, int] = {}
    for i, t in enumerate(tokens):
        ids.setdefault(t, i)
    return ids


def _pick(ids: Mapping[str, int], types: list[int], names: Iterable[str]) -> int | None:
    """The token a role's names find: the first one typed special, else the first present.

    llama.cpp takes whichever its hash map yields first; a vocabulary with two candidates of
    which one is already a control token (Qwen's <|fim_prefix|> next to a plain <fim_prefix>)
    behaves as if it took that one, which is what preferring it reproduces.
    """
    found = [ids[n] for n in names if n in ids]
    return next((i for i in found if types[i] in SPECIAL_TYPES), found[0] if found else None)


def llama_cpp_control_ids(reader: Any) -> set[int]:
    """Ids llama.cpp makes control tokens by their text, whatever their GGUF type.

    Every end-of-generation name, and the FIM/repository/file-separator token each role's
    names find when the GGUF has no key for the role. With ``parse_special`` llama.cpp then
    matches them whole in the input; the tokenizer does the same to split text like it.
    """
    vals = _GGUFValues(reader)
    tokens = [str(t) for t in vals.get(KEY_TOKENS) or []]
    return _forced_control(vals, tokens, _types(vals, len(tokens)))


def _forced_control(vals: _GGUFValues, tokens: list[str], types: list[int]) -> set[int]:
    ids = _first_ids(tokens)
    forced = {ids[n] for n in LLAMA_CPP_EOG_NAMES if n in ids}
    for keys, names in _LLAMA_CPP_ROLES:
        if vals.token_id(keys, len(tokens)) is None:
            found = _pick(ids, types, names)
            forced |= set() if found is None else {found}
    return forced


def _types(vals: _GGUFValues, n_tokens: int) -> list[int]:
    """Token types; llama.cpp treats every token as NORMAL when the GGUF has none."""
    types = vals.get(KEY_TOKEN_TYPE)
    return (
        [int(t) for t in types] if types is not None and len(types) == n_tokens else [1] * n_tokens
    )


def assemble_prompt(
    prefix: list[int],
    suffix: list[int] | None,
    *,
    bos: tuple[int, ...] = (),
    fim: tuple[int, int, int] | None = None,
    order: str = DEFAULT_FIM_ORDER,
) -> list[int]:
    """A prompt from token ids: ``bos`` + ``prefix``, or with ``fim`` and a ``suffix`` the FIM
    layout of ``order``.

    PSM: <pre> prefix <suf> suffix <mid>; SPM: <suf> suffix <pre> prefix <mid> (llama.cpp's
    spm_infill layout). BOS is a constant first token, so prompts still share their KV prefix.
    """
    if fim is None or suffix is None:
        return [*bos, *prefix]
    pre, suf, mid = fim
    if order == "spm":
        return [*bos, suf, *suffix, pre, *prefix, mid]
    return [*bos, pre, *prefix, suf, *suffix, mid]


# ---------------------------------------------------------------------------------------------
# the type


@dataclass(frozen=True)
class ModelMetadata:
    """A model's identity, sizes and special tokens; None where the model has no such thing.

    Build it with ``from_gguf``, ``load`` (a model directory: spark_model.json, else the
    tokenizer and config files of a bring-your-own ONNX export) or ``from_json``.
    """

    architecture: str  # general.architecture / config.json model_type ("" if unknown)
    name: str
    context_length: int | None  # tokens the model was trained for
    vocab_size: int
    tokenizer_model: str | None  # tokenizer.ggml.model: "gpt2" is byte-level BPE
    pre_tokenizer: str | None  # tokenizer.ggml.pre
    bos_id: int | None
    add_bos: bool  # prompts start with bos_id
    eos_id: int | None
    stop_ids: tuple[int, ...]  # every id that ends generation (eos first)
    fim_prefix_id: int | None
    fim_suffix_id: int | None
    fim_middle_id: int | None
    fim_order: str  # "psm" or "spm" (see fim_prompt)
    repo_name_id: int | None
    file_sep_id: int | None
    pad_id: int | None
    special_ids: tuple[int, ...]  # control/unknown tokens: never text, skipped on decode
    n_layers: int | None = None
    hidden_size: int | None = None
    n_params: int | None = None  # elements over all tensors (GGUF only)
    # tensor type name ("Q4_1", "F32"...) -> number of tensors of that type (GGUF only)
    tensor_types: dict[str, int] = field(default_factory=dict, hash=False)
    file_size: int | None = None  # bytes of the GGUF

    def __post_init__(self) -> None:
        if self.fim_order not in FIM_ORDERS:
            raise ValueError(f"fim_order must be one of {FIM_ORDERS}, not {self.fim_order!r}")

    # -- derived -----------------------------------------------------------------------------

    @property
    def fim_ids(self) -> tuple[int, int, int] | None:
        """(prefix, suffix, middle) when the model has all three FIM tokens, else None."""
        ids = (self.fim_prefix_id, self.fim_suffix_id, self.fim_middle_id)
        return None if None in ids else ids  # type: ignore[return-value]

    @property
    def bos_prefix(self) -> tuple[int, ...]:
        """What every prompt starts with: (bos_id,) when the model expects BOS, else ()."""
        return (self.bos_id,) if self.add_bos and self.bos_id is not None else ()

    def fim_prompt(self, prefix: list[int], suffix: list[int]) -> list[int]:
        """The FIM prompt for token ids ``prefix`` | ``suffix`` in the model's order, BOS first.

        Raises ValueError for a model without FIM tokens.
        """
        if self.fim_ids is None:
            raise ValueError(f"{self.name}: the model has no fill-in-the-middle tokens")
        return assemble_prompt(
            prefix, suffix, bos=self.bos_prefix, fim=self.fim_ids, order=self.fim_order
        )

    # -- JSON --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists); ``from_json`` reads it back equal."""
        d = asdict(self)
        d["metadata_version"] = METADATA_VERSION
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ModelMetadata:
        """From ``to_json`` output; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        for k in ("stop_ids", "special_ids"):
            kw[k] = tuple(int(i) for i in kw.get(k) or ())
        kw["tensor_types"] = dict(kw.get("tensor_types") or {})
        kw.setdefault("fim_order", DEFAULT_FIM_ORDER)
        return cls(**kw)

    def legacy_special_tokens(self) -> dict[str, Any]:
        """The ``special_tokens`` object of format-1 spark_model.json, for older readers."""
        return {
            "bos": self.bos_id,
            "eos": self.eos_id,
            "stop": list(self.stop_ids),
            "fim_prefix": self.fim_prefix_id,
            "fim_suffix": self.fim_suffix_id,
            "fim_middle": self.fim_middle_id,
            "add_bos": self.add_bos,
        }

    def write(self, model_dir: str | Path, extra: Mapping[str, Any] | None = None) -> Path:
        """Write ``model_dir/spark_model.json``: ``extra`` (the converter's own keys), this
        metadata under "metadata", and the format-1 ``special_tokens`` copy of it."""
        info = {
            **(extra or {}),
            "metadata": self.to_json(),
            "special_tokens": self.legacy_special_tokens(),
        }
        path = Path(model_dir) / SPARK_MODEL_JSON
        path.write_text(json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, model_dir: str | Path) -> ModelMetadata:
        """The metadata of a model directory.

        Its spark_model.json "metadata" if there is one; else what tokenizer.json and the HF
        config files say, with a format-1 spark_model.json's ``special_tokens`` and ``config``
        on top (the values it always meant). Raises InvalidModelFile for unreadable JSON.
        """
        model_dir = Path(model_dir)
        info = read_spark_json(model_dir)
        if isinstance(info.get("metadata"), dict):
            try:
                return cls.from_json(info["metadata"])
            except (TypeError, ValueError) as e:
                raise InvalidModelFile(model_dir / SPARK_MODEL_JSON, f"bad 'metadata' ({e})") from e
        try:
            derived = cls.from_hf_dir(model_dir)
        except (KeyError, TypeError, ValueError) as e:  # ids missing or not numbers
            raise InvalidModelFile(
                model_dir, f"unreadable tokenizer or config files ({e!r})"
            ) from e
        return _apply_format1(derived, info) if info else derived

    # -- sources -----------------------------------------------------------------------------

    @classmethod
    def from_gguf(cls, reader_or_path: Any, source: str | Path | None = None) -> ModelMetadata:
        """Read a GGUF (a path, or an open ``gguf.GGUFReader``); works for any GGUF, supported
        or not, so ``model info`` can describe what it refuses to run.

        Raises ModelNotFound / InvalidModelFile for a missing or unreadable file.
        """
        reader = _open_gguf(reader_or_path)
        given = source or (None if reader is reader_or_path else reader_or_path)
        path = Path(given) if given else None
        vals = _GGUFValues(reader)
        arch = str(vals.get(KEY_ARCH) or "")
        tokens = [str(t) for t in vals.get(KEY_TOKENS) or []]
        n = len(tokens)
        types = _types(vals, n)
        vocab = _Vocab(tokens, types, _forced_control(vals, tokens, types))
        eos = vals.token_id(KEY_EOS, n)
        stop_keyed = [eos, *(vals.token_id(k, n) for k in (KEY_EOT, KEY_EOM))]
        stop_keyed += [vals.token_id(k, n) for k in (KEY_FIM_PAD, KEY_FIM_REP, KEY_FIM_SEP)]
        fim = {
            "prefix": vals.token_id(KEYS_FIM_PRE, n),
            "suffix": vals.token_id(KEYS_FIM_SUF, n),
            "middle": vals.token_id(KEYS_FIM_MID, n),
        }
        tensors = list(getattr(reader, "tensors", []))
        file_size = _file_size(reader, path)

        def hparam(suffix: str) -> int | None:
            v = vals.get(f"{arch}.{suffix}")
            return int(v) if isinstance(v, int) else None

        return vocab.metadata(
            architecture=arch,
            name=str(vals.get(KEY_NAME) or (path.stem if path else "")),
            context_length=hparam(ARCH_KEY_CONTEXT),
            tokenizer_model=_str_or_none(vals.get(KEY_MODEL)),
            pre_tokenizer=_str_or_none(vals.get(KEY_PRE)),
            bos_id=vals.token_id(KEY_BOS, n),
            add_bos=_gguf_add_bos(vals),
            eos_id=eos,
            keyed_stops=stop_keyed,
            keyed_fim=fim,
            repo_name_id=vals.token_id(KEY_FIM_REP, n),
            file_sep_id=vals.token_id(KEY_FIM_SEP, n),
            pad_id=vals.token_id(KEY_PAD, n),
            n_layers=hparam(ARCH_KEY_LAYERS),
            hidden_size=hparam(ARCH_KEY_HIDDEN),
            n_params=sum(int(t.n_elements) for t in tensors) if tensors else None,
            tensor_types=dict(Counter(t.tensor_type.name for t in tensors)),
            file_size=file_size,
        )

    @classmethod
    def from_hf_dir(cls, model_dir: str | Path) -> ModelMetadata:
        """Derive it for a bring-your-own ONNX export: tokenizer.json (vocab, added tokens,
        the post-processor's BOS), tokenizer_config.json (add_bos_token), config.json and
        generation_config.json (bos/eos/pad ids, context length, model type)."""
        model_dir = Path(model_dir)
        tok = _read_json(model_dir / "tokenizer.json")
        cfg = _read_json(model_dir / "config.json")
        gen = _read_json(model_dir / "generation_config.json")
        tok_cfg = _read_json(model_dir / "tokenizer_config.json")
        model = tok.get("model") or {}
        vocab_map: dict[str, int] = (
            dict(model.get("vocab") or {}) if isinstance(model, dict) else {}
        )
        added = [a for a in tok.get("added_tokens") or [] if isinstance(a, dict)]
        for a in added:
            vocab_map[str(a.get("content"))] = int(a["id"])
        n = max(vocab_map.values(), default=-1) + 1
        tokens = [""] * n
        for t, i in sorted(vocab_map.items(), key=lambda kv: -kv[1]):
            tokens[i] = t
        types = [TYPE_NORMAL] * n
        for a in added:
            types[int(a["id"])] = TYPE_CONTROL if a.get("special") else TYPE_USER_DEFINED
        vocab = _Vocab(tokens, types, set())

        def first_id(*values: Any) -> int | None:
            for v in values:
                v = v[0] if isinstance(v, list) and v else v
                if isinstance(v, int) and 0 <= v < n:
                    return v
            return None

        def all_ids(*values: Any) -> list[int | None]:
            out: list[int | None] = []
            for v in values:
                out += v if isinstance(v, list) else [v]
            return [i if isinstance(i, int) and 0 <= i < n else None for i in out]

        post_bos = _post_processor_bos(tok.get("post_processor"), vocab_map)
        bos = first_id(gen.get("bos_token_id"), cfg.get("bos_token_id"), post_bos)
        add_bos = tok_cfg.get("add_bos_token")
        if not isinstance(add_bos, bool):
            add_bos = post_bos is not None
        eos_sources = (gen.get("eos_token_id"), cfg.get("eos_token_id"))
        ctx = cfg.get("max_position_embeddings") or cfg.get("n_positions")
        return vocab.metadata(
            architecture=str(cfg.get("model_type") or ""),
            name=model_dir.name,
            context_length=int(ctx) if isinstance(ctx, int) else None,
            tokenizer_model=_hf_tokenizer_model(tok),
            pre_tokenizer=None,
            bos_id=bos,
            add_bos=bool(add_bos) and bos is not None,
            eos_id=first_id(*eos_sources),
            keyed_stops=all_ids(*eos_sources),
            keyed_fim={},
            repo_name_id=None,
            file_sep_id=None,
            pad_id=first_id(gen.get("pad_token_id"), cfg.get("pad_token_id")),
            n_layers=_int_or_none(cfg.get("num_hidden_layers")),
            hidden_size=_int_or_none(cfg.get("hidden_size")),
        )


# ---------------------------------------------------------------------------------------------
# helpers


@dataclass(frozen=True)
class _Vocab:
    """Tokens, their GGUF types and the ids forced to control: the name-based lookups."""

    tokens: list[str]
    types: list[int]
    forced_control: set[int]

    def is_special(self, i: int) -> bool:
        return self.types[i] in SPECIAL_TYPES or i in self.forced_control

    def metadata(
        self,
        *,
        keyed_stops: list[int | None],
        keyed_fim: Mapping[str, int | None],
        repo_name_id: int | None,
        file_sep_id: int | None,
        **kw: Any,
    ) -> ModelMetadata:
        """The ModelMetadata of this vocab: ids from metadata keys first, then by name."""
        ids = _first_ids(self.tokens)

        def named(names: Iterable[str]) -> int | None:
            return _pick(ids, self.types, names)

        fim = {k: keyed_fim.get(k) for k in ("prefix", "suffix", "middle")}
        order = DEFAULT_FIM_ORDER
        if None in fim.values():
            fim_names = {"prefix": FIM_PRE_NAMES, "suffix": FIM_SUF_NAMES, "middle": FIM_MID_NAMES}
            by_name = {k: fim[k] if fim[k] is not None else named(v) for k, v in fim_names.items()}
            spm = {k: named(v) for k, v in SPM_FIM_NAMES.items()}
            if None in by_name.values() and None not in spm.values():
                by_name, order = spm, "spm"
            fim = by_name
        repo = repo_name_id if repo_name_id is not None else named(REPO_NAME_NAMES)
        sep = file_sep_id if file_sep_id is not None else named(FILE_SEP_NAMES)
        stops = [*keyed_stops, named(FIM_PAD_NAMES), repo, sep]
        stops += [ids.get(name) for name in (*EOG_NAMES, *EXTRA_STOP_NAMES)]
        # ('</s>' by its GGUF type: llama.cpp's forcing it to control says nothing of its use)
        plain_ok = [ids[n] for n in STOP_NAMES_IF_SPECIAL if n in ids]
        stops += [i for i in plain_ok if self.types[i] in SPECIAL_TYPES]
        special = tuple(i for i in range(len(self.tokens)) if self.is_special(i))
        return ModelMetadata(
            vocab_size=len(self.tokens),
            stop_ids=tuple(dict.fromkeys(i for i in stops if i is not None)),
            fim_prefix_id=fim["prefix"],
            fim_suffix_id=fim["suffix"],
            fim_middle_id=fim["middle"],
            fim_order=order,
            repo_name_id=repo,
            file_sep_id=sep,
            special_ids=special,
            **kw,
        )


class _GGUFValues:
    """Decoded GGUF metadata values by key (None when absent)."""

    def __init__(self, reader: Any) -> None:
        self._fields = reader.fields

    def get(self, key: str) -> Any:
        fld = self._fields.get(key)
        return None if fld is None else fld.contents()

    def token_id(self, keys: tuple[str, ...] | str, n_tokens: int) -> int | None:
        """The first of ``keys`` present with an id inside the vocabulary (GGUFs use -1)."""
        for key in (keys,) if isinstance(keys, str) else keys:
            value = self.get(key)
            if isinstance(value, int) and 0 <= value < n_tokens:
                return value
        return None


def _gguf_add_bos(vals: _GGUFValues) -> bool:
    """tokenizer.ggml.add_bos_token, else llama.cpp's default for the tokenizer type."""
    value = vals.get(KEY_ADD_BOS)
    if value is not None:
        return bool(value)
    model = vals.get(KEY_MODEL)
    if model != "gpt2":
        return model in ("llama", "bert")  # SentencePiece and WordPiece models start with BOS
    return pre_tokenizer_defaults(vals.get(KEY_PRE)).add_bos


def _open_gguf(reader_or_path: Any) -> Any:
    if hasattr(reader_or_path, "fields"):
        return reader_or_path
    from .errors import ModelNotFound

    path = Path(reader_or_path)
    if not path.is_file():
        raise ModelNotFound(path, "no such GGUF file")
    import gguf

    try:
        return gguf.GGUFReader(str(path))
    except Exception as e:  # gguf raises ValueError/struct.error/IndexError on bad files
        raise InvalidModelFile(path, f"not a readable GGUF file ({e})") from e


def _file_size(reader: Any, path: Path | None) -> int | None:
    """The GGUF's size in bytes: the file's, else that of the reader's memory map of it."""
    if path is not None and path.is_file():
        return path.stat().st_size
    data = getattr(reader, "data", None)
    return int(data.nbytes) if data is not None else None


def _str_or_none(v: Any) -> str | None:
    return str(v) if v else None


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object file's content, {} when the file is absent."""
    if not path.is_file():
        return {}
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidModelFile(path, f"not readable JSON ({e})") from e
    if not isinstance(d, dict):
        raise InvalidModelFile(path, "not a JSON object")
    return d


def read_spark_json(model_dir: str | Path) -> dict[str, Any]:
    """``model_dir/spark_model.json`` as a dict ({} for a model we did not convert)."""
    return _read_json(Path(model_dir) / SPARK_MODEL_JSON)


def _post_processor_bos(post: Any, vocab: Mapping[str, int]) -> int | None:
    """The id a TemplateProcessing post-processor puts first in a single sequence, if any."""
    if not isinstance(post, dict):
        return None
    if post.get("type") == "Sequence":
        for p in post.get("processors") or []:
            found = _post_processor_bos(p, vocab)
            if found is not None:
                return found
        return None
    single = post.get("single") if post.get("type") == "TemplateProcessing" else None
    if not single or "SpecialToken" not in single[0]:
        return None
    name = single[0]["SpecialToken"].get("id")
    ids = ((post.get("special_tokens") or {}).get(name) or {}).get("ids") or []
    return int(ids[0]) if ids else vocab.get(name)


def _hf_tokenizer_model(tok: Mapping[str, Any]) -> str | None:
    """tokenizer.json's model as the GGUF name ("gpt2" for byte-level BPE)."""
    model = tok.get("model")
    if not isinstance(model, dict):
        return None
    typ = model.get("type")
    if typ == "BPE":
        return "llama" if model.get("byte_fallback") else "gpt2"
    return {"WordPiece": "bert", "Unigram": "t5"}.get(str(typ), str(typ) if typ else None)


def _apply_format1(m: ModelMetadata, info: Mapping[str, Any]) -> ModelMetadata:
    """A format-1 spark_model.json (``special_tokens``, ``config``, ``quantization``) over
    what the directory's tokenizer says: the old file's ids win, its stop list joins the
    name-based one (the engine always added both)."""
    from dataclasses import replace

    sp = info.get("special_tokens") or {}
    cfg = info.get("config") or {}
    kw: dict[str, Any] = {}

    def set_id(key: str, attr: str) -> None:
        if key in sp:
            kw[attr] = sp[key] if isinstance(sp[key], int) else None

    for key, attr in (
        ("bos", "bos_id"),
        ("eos", "eos_id"),
        ("fim_prefix", "fim_prefix_id"),
        ("fim_suffix", "fim_suffix_id"),
        ("fim_middle", "fim_middle_id"),
    ):
        set_id(key, attr)
    if "add_bos" in sp:
        kw["add_bos"] = bool(sp["add_bos"])
    eos = kw.get("eos_id", m.eos_id)
    old_stop = [int(i) for i in sp.get("stop") or [] if isinstance(i, int)]
    kw["stop_ids"] = tuple(
        dict.fromkeys([*([eos] if eos is not None else []), *old_stop, *m.stop_ids])
    )
    if "fim_prefix" in sp:
        kw["fim_order"] = DEFAULT_FIM_ORDER
    for key, attr in (
        ("architecture", "architecture"),
        ("name", "name"),
        ("context_length", "context_length"),
        ("num_layers", "n_layers"),
        ("hidden", "hidden_size"),
    ):
        if cfg.get(key) is not None:
            kw[attr] = cfg[key]
    if isinstance(info.get("quantization"), dict):
        kw["tensor_types"] = dict(info["quantization"])
    return replace(m, **kw)
