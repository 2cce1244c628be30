"""A HuggingFace ``tokenizers`` tokenizer built from the vocabulary inside a GGUF file.

A GGUF file carries its tokenizer as metadata (tokens, token types, BPE merges, a pre-tokenizer
name), not as a ``tokenizer.json``. We rebuild the ``tokenizer.json`` text from that metadata so
the fast Rust tokenizer does the per-keystroke work, and we make it split text the way llama.cpp
does for the same GGUF, because that is how GGUF models are meant to be run (and, for the
pre-tokenizers llama.cpp copies from HF, how the model was trained).

Only byte-level BPE vocabularies (``tokenizer.ggml.model == "gpt2"``) are supported: GPT-2,
SmolLM, StarCoder, Llama 3, Qwen 2, DeepSeek and friends. SentencePiece vocabularies (``"llama"``)
store scores instead of merges, and an approximation of llama.cpp's SentencePiece merge loop would
tokenize some inputs differently from the model's own tokenizer, so they are refused with
``UnsupportedModel`` rather than run subtly wrong.

The tokenizer adds no BOS/EOS itself (no post-processor): ``decode(encode(text))`` gives back
``text`` exactly, and the engine prepends BOS when the model expects it (``ModelMetadata``,
which also has the special tokens).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gguf

from jupyter_spark.models.errors import InvalidModelFile, UnsupportedModel
from jupyter_spark.models.metadata import (
    ADDED_TYPES,
    KEY_MODEL,
    KEY_PRE,
    KEY_TOKEN_TYPE,
    KEY_TOKENS,
    SPECIAL_TYPES,
    llama_cpp_control_ids,
)

log = logging.getLogger(__name__)

# Tokenizer GGUF keys; the special-token keys and names live in metadata.py.
KEY_MERGES = "tokenizer.ggml.merges"

BYTE_LEVEL_BPE = "gpt2"  # tokenizer.ggml.model value of byte-level BPE vocabularies

# Names of the tokenizer models we cannot run, for the error message.
_OTHER_MODELS = {
    "llama": "a SentencePiece vocabulary",
    "bert": "a WordPiece vocabulary",
    "t5": "a Unigram (T5) vocabulary",
    "rwkv": "an RWKV world vocabulary",
    "plamo2": "a PLaMo-2 vocabulary",
    "no_vocab": "no vocabulary",
    "none": "no vocabulary",
}


# ---------------------------------------------------------------------------------------------
# pre-tokenizers: llama.cpp's regex lists for each tokenizer.ggml.pre, as HF pre-tokenizer JSON

# GPT-2's split, as llama.cpp writes it (HF's ByteLevel adds a trailing "|\s+", which only names
# the whitespace this leaves unmatched; both keep it as its own piece).
GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"
# Contractions as llama.cpp matches them: ASCII letters in either case. (The originals'
# "(?i:'s|...)" would also take the long s, "'ſ", which folds to "s".)
_CONTRACTIONS = r"'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]"
# The next three are llama.cpp's spelling of the models' tokenizer.json regexes (it runs the
# first two in hand-written code that splits alike: tests/test_tokenizer_llamacpp.py).
LLAMA3_REGEX = (
    rf"(?:{_CONTRACTIONS})|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}{{1,3}}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_REGEX = (
    rf"(?:{_CONTRACTIONS})|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SEED_CODER_REGEX = (
    rf"(?:{_CONTRACTIONS})|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}{{1}}"
    r"| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# llama.cpp's rewrites of the GPT-4o and Tekken regexes (its std::regex cannot run the
# originals), which we follow rather than the originals: an upper-case letter is a letter not
# in a-z, a lower-case one a letter not in A-Z (so any non-ASCII letter is both), combining
# marks are not letters (the originals count \p{M} as both), contractions are ASCII-only.
_UPPER = r"(?:(?=\p{L})[^a-z])"
_LOWER = r"(?:(?=\p{L})[^A-Z])"
_CONTRACTION = rf"(?:{_CONTRACTIONS})?"
TEKKEN_REGEX = (
    rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT4O_REGEX = (
    rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+{_CONTRACTION}"
    rf"|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*{_CONTRACTION}"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# DeepSeek-Coder's CJK range (U+0800-U+4E00 included) also spans spaces such as U+3000, which
# llama.cpp never sees there: it turns non-ASCII whitespace into \v before such a regex.
_CJK = "(?:(?!\\s)[一-龥ࠀ-一가-퟿])+"
DEEPSEEK_CODER_REGEXES = (r"[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", _CJK, r"\p{N}")
DEEPSEEK3_REGEXES = (
    r"\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
    r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
)
FALCON_REGEXES = (r"[\p{P}\$\+<=>\^~\|`]+", GPT2_REGEX, r"[0-9][0-9][0-9]")
# llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT (pre "default", or no pre at all).
DEFAULT_REGEXES = (r"[\p{P}\$\+<=>\^~\|]+", GPT2_REGEX, r"\p{N}+", r"[0-9][0-9][0-9]")


def _split(regex: str) -> dict[str, Any]:
    """A pre-tokenizer that cuts each piece into regex matches and the text between them.

    This is what llama.cpp's unicode_regex_split does with each regex of its list in turn.
    """
    return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}


def _byte_level(use_regex: bool) -> dict[str, Any]:
    """The byte -> printable-char mapping of byte-level BPE, optionally with the GPT-2 split."""
    return {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": True,
        "use_regex": use_regex,
    }


_INDIVIDUAL_DIGITS = {"type": "Digits", "individual_digits": True}


@dataclass(frozen=True)
class PreTokenizerSpec:
    """How llama.cpp prepares text for BPE for one family of ``tokenizer.ggml.pre`` names."""

    pre_tokenizers: tuple[dict[str, Any], ...]
    # llama.cpp's ignore_merges: a piece that is itself in the vocab is taken whole.
    ignore_merges: bool = False
    # llama.cpp's add_bos when the GGUF has no tokenizer.ggml.add_bos_token.
    add_bos: bool = False
    names: tuple[str, ...] = field(default=(), compare=False)


def _regexes(*regexes: str) -> tuple[dict[str, Any], ...]:
    """llama.cpp's list of regexes applied one after the other, then the byte mapping."""
    return (*(_split(r) for r in regexes), _byte_level(use_regex=False))


_SPECS = (
    # SmolLM's own tokenizer.json: Digits(individual) then ByteLevel with the GPT-2 regex.
    PreTokenizerSpec(
        (_INDIVIDUAL_DIGITS, _byte_level(use_regex=True)),
        names=("smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"),
    ),
    PreTokenizerSpec(
        (_byte_level(use_regex=True),),
        names=(
            "gpt-2",
            "gpt2",
            "phi-2",
            "mpt",
            "olmo",
            "jais",
            "exaone4",
            "trillion",
            "granite-docling",
            "mellum",
            "gigachat",
            "a.x-4.0",
        ),
    ),
    PreTokenizerSpec(_regexes(*DEFAULT_REGEXES), names=("default",)),
    PreTokenizerSpec(
        _regexes(LLAMA3_REGEX),
        ignore_merges=True,
        add_bos=True,
        names=(
            "llama3",
            "llama-v3",
            "llama-bpe",
            "falcon3",
            "falcon-h1",
            "pixtral",
            "midm-2.0",
            "lfm2",
        ),
    ),
    PreTokenizerSpec(_regexes(LLAMA3_REGEX), names=("dbrx", "smaug-bpe", "chatglm-bpe", "glm4")),
    PreTokenizerSpec(
        _regexes(QWEN2_REGEX),
        names=(
            "qwen2",
            "deepseek-r1-qwen",
            "megrez",
            "stablelm2",
            "hunyuan",
            "kormo",
            "grok-2",
        ),
    ),
    PreTokenizerSpec(_regexes(SEED_CODER_REGEX), names=("seed-coder",)),
    PreTokenizerSpec(_regexes(*DEEPSEEK_CODER_REGEXES), names=("deepseek-coder",)),
    PreTokenizerSpec(_regexes(*DEEPSEEK3_REGEXES), names=("deepseek-v3", "hunyuan-dense")),
    PreTokenizerSpec(_regexes(*FALCON_REGEXES), names=("falcon",)),
    PreTokenizerSpec(_regexes(TEKKEN_REGEX), ignore_merges=True, add_bos=True, names=("tekken",)),
    PreTokenizerSpec(_regexes(GPT4O_REGEX), names=("gpt-4o", "llama4", "kanana2", "minimax-m2")),
)
PRE_TOKENIZERS: dict[str, PreTokenizerSpec] = {name: s for s in _SPECS for name in s.names}
_GPT2_SPEC = PRE_TOKENIZERS["gpt-2"]


def pre_tokenizer_spec(pre: str | None, source: str | Path) -> PreTokenizerSpec:
    """The spec for ``tokenizer.ggml.pre``; unknown names fall back to GPT-2 with a warning.

    llama.cpp refuses unknown names; we run them with the plain GPT-2 split instead, which
    tokenizes validly (round-trips) but may split differently from how the model was trained.
    """
    if not pre:
        log.warning("%s: no tokenizer.ggml.pre; using llama.cpp's 'default' pre-tokenizer", source)
        return PRE_TOKENIZERS["default"]
    spec = PRE_TOKENIZERS.get(pre)
    if spec is None:
        log.warning(
            "%s: unknown pre-tokenizer %r; splitting text like GPT-2, which may not match "
            "how the model was trained",
            source,
            pre,
        )
        return _GPT2_SPEC
    return spec


def pre_tokenizer_defaults(pre: str | None) -> PreTokenizerSpec:
    """``pre_tokenizer_spec`` without the warnings, for reading defaults such as add_bos."""
    return PRE_TOKENIZERS.get(pre or "default", _GPT2_SPEC)


# ---------------------------------------------------------------------------------------------
# reading the GGUF metadata


def _value(reader: gguf.GGUFReader, key: str) -> Any:
    """The decoded value of a metadata field, or None when the GGUF does not have it."""
    fld = reader.fields.get(key)
    return None if fld is None else fld.contents()


def _tokens(reader: gguf.GGUFReader, source: str | Path) -> list[str]:
    tokens = _value(reader, KEY_TOKENS)
    if not tokens:
        raise InvalidModelFile(source, f"the tokenizer has no vocabulary ({KEY_TOKENS} is missing)")
    return tokens


def _token_types(reader: gguf.GGUFReader, n_tokens: int) -> list[int]:
    """Token types; llama.cpp treats every token as NORMAL when the GGUF has none."""
    types = _value(reader, KEY_TOKEN_TYPE)
    if types is None or len(types) != n_tokens:
        return [gguf.TokenType.NORMAL] * n_tokens
    return types


# ---------------------------------------------------------------------------------------------
# tokenizer.json


def _byte_decoder() -> dict[str, int]:
    """Byte-level char -> byte, the map HF's ByteLevel decoder applies to every token."""
    # GPT-2's table: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    chars = {b: chr(b) for b in printable}
    extra = (b for b in range(256) if b not in chars)
    for n, b in enumerate(extra):
        chars[b] = chr(256 + n)
    return {c: b for b, c in chars.items()}


_BYTE_OF_CHAR = _byte_decoder()
# Bytes that never occur in UTF-8 text (overlong leads 0xC0/0xC1, leads past U+10FFFF): a
# vocabulary may well lack them.
_NOT_UTF8 = frozenset({0xC0, 0xC1, *range(0xF5, 0x100)})


def _vocab(tokens: list[str], source: str | Path) -> dict[str, int]:
    """token -> id. A repeated token keeps its first id (the later ids cannot be encoded to)."""
    vocab: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        vocab.setdefault(tok, i)
    if len(vocab) != len(tokens):
        log.warning(
            "%s: %d tokens appear more than once in the vocabulary; each encodes to its first id",
            source,
            len(tokens) - len(vocab),
        )
    missing = [b for c, b in _BYTE_OF_CHAR.items() if c not in vocab and b not in _NOT_UTF8]
    if missing:
        # Both llama.cpp and HF's BPE drop text they have no token for: it cannot round-trip.
        # Info, not warning: SmolLM2 itself lacks a few control characters (0x04, 0x06...).
        log.info(
            "%s: the vocabulary has no token for bytes %s; text containing them is dropped",
            source,
            " ".join(f"{b:#04x}" for b in sorted(missing)),
        )
    return vocab


def _merge_pair(merge: str) -> tuple[str, str] | None:
    """A GGUF merge "a b" as (a, b), split like llama.cpp: at the first space after char 0.

    None when HF's "a b" merge syntax could not say it (a half containing a space); byte-level
    tokens never hold a literal space, so such a merge can never apply anyway.
    """
    cut = merge.find(" ", 1)
    if cut < 0:
        return None
    left, right = merge[:cut], merge[cut + 1 :]
    return None if " " in left or " " in right else (left, right)


def _merges(merges: list[str], vocab: dict[str, int], source: str | Path) -> list[str]:
    """The merges HF's BPE can load: both halves and their join must be tokens.

    llama.cpp skips such a merge when encoding; HF refuses to load the whole tokenizer.
    """
    kept: list[str] = []
    for merge in merges:
        pair = _merge_pair(merge)
        if pair and pair[0] in vocab and pair[1] in vocab and pair[0] + pair[1] in vocab:
            kept.append(merge)
    if len(kept) != len(merges):
        log.warning(
            "%s: ignoring %d BPE merges that do not join two tokens into a token",
            source,
            len(merges) - len(kept),
        )
    return kept


def _decodes_verbatim(text: str) -> bool:
    """Whether HF's ByteLevel decoder gives back ``text`` for an added token with that text.

    The decoder byte-maps a token whose characters are all in the byte-level alphabet and copies
    any other token as is: fine for ASCII like '<|im_end|>', wrong for e.g. 'é'.
    """
    if all(c in _BYTE_OF_CHAR for c in text):
        return bytes(_BYTE_OF_CHAR[c] for c in text) == text.encode()
    return True


def _added_tokens(
    tokens: list[str], types: list[int], forced: set[int], source: str | Path
) -> list[dict[str, Any]]:
    """Control, user-defined and unknown tokens: matched whole in the text, never split.

    ``forced``: the ids llama.cpp makes control by their name (metadata.llama_cpp_control_ids),
    whatever their GGUF type, so both split text containing them alike.
    """
    added = []
    for i, (tok, typ) in enumerate(zip(tokens, types, strict=True)):
        if i in forced:
            typ = gguf.TokenType.CONTROL
        if typ not in ADDED_TYPES or not tok:
            continue
        if not _decodes_verbatim(tok):
            log.warning("%s: added token %d %r will not decode to its own text", source, i, tok)
        added.append(
            {
                "id": i,
                "content": tok,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": typ in SPECIAL_TYPES,
            }
        )
    return added


def _check_model(reader: gguf.GGUFReader, source: str | Path) -> None:
    """Raise UnsupportedModel unless the GGUF holds a byte-level BPE tokenizer."""
    model = _value(reader, KEY_MODEL)
    if model == BYTE_LEVEL_BPE:
        return
    if model is None:
        raise UnsupportedModel(source, f"the model has no tokenizer ({KEY_MODEL} is missing)")
    what = _OTHER_MODELS.get(model, "a tokenizer type we do not know")
    raise UnsupportedModel(
        source,
        f"tokenizer model {model!r} ({what}) is not supported; "
        f"only byte-level BPE ({BYTE_LEVEL_BPE!r}) tokenizers are",
    )


def build_tokenizer_json(reader: gguf.GGUFReader, source: str | Path) -> str:
    """Return the tokenizer.json text (HF tokenizers format) for the GGUF's vocab.

    Load it with ``tokenizers.Tokenizer.from_str``. ``source`` names the file in errors and
    warnings. Raises UnsupportedModel for anything but a byte-level BPE vocabulary, and
    InvalidModelFile when the vocabulary or merges are missing.
    """
    _check_model(reader, source)
    spec = pre_tokenizer_spec(_value(reader, KEY_PRE), source)
    tokens = _tokens(reader, source)
    types = _token_types(reader, len(tokens))
    raw_merges = _value(reader, KEY_MERGES)
    if not raw_merges:
        raise InvalidModelFile(source, f"the BPE tokenizer has no merges ({KEY_MERGES} is missing)")
    vocab = _vocab(tokens, source)
    pre = spec.pre_tokenizers
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": _added_tokens(tokens, types, llama_cpp_control_ids(reader), source),
        "normalizer": None,  # llama.cpp normalizes nothing; NFC would also break round-trips
        "pre_tokenizer": pre[0] if len(pre) == 1 else {"type": "Sequence", "pretokenizers": pre},
        "post_processor": None,  # BOS is the engine's job (ModelMetadata.add_bos)
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": spec.ignore_merges,
            "vocab": vocab,
            "merges": _merges(raw_merges, vocab, source),
        },
    }
    return json.dumps(tokenizer, ensure_ascii=False)
