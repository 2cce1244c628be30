"""llama.cpp's pre-tokenizers: for each ``tokenizer.ggml.pre`` name, the regex list llama.cpp
splits text with before BPE, written as HF ``tokenizers`` pre-tokenizer JSON, and the two
per-family defaults that go with it (ignore_merges, add_bos).

Apart from tokenizer.py because it is data that tracks llama.cpp's llama-vocab.cpp (new names
are added here and nowhere else) and because metadata.py reads add_bos from it without the
tokenizer (which imports metadata.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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
