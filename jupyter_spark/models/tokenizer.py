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
from jupyter_spark.models.pretokenizers import pre_tokenizer_spec

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
