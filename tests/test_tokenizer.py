"""The tokenizer rebuilt from a GGUF vocabulary splits like llama.cpp and round-trips any text."""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from functools import lru_cache
from pathlib import Path

import gguf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinymodel import SPECIAL_TOKENS, tiny_vocab, write_tiny_gguf
from tokenizers import Tokenizer

from jupyter_spark.engine.encoding import PromptEncoder
from jupyter_spark.models.errors import InvalidModelFile, UnsupportedModel
from jupyter_spark.models.metadata import ModelMetadata
from jupyter_spark.models.pretokenizers import PRE_TOKENIZERS
from jupyter_spark.models.tokenizer import build_tokenizer_json

# Pieces that stress the splitting: code, runs of whitespace, CRLF, digits, contractions,
# non-Latin scripts, emoji with joiners, special tokens and halves of them.
FRAGMENTS = [
    "def",
    " f",
    "(x)",
    ":",
    "return",
    " np",
    ".zeros",
    "import",
    "_",
    "__init__",
    "self.",
    " ",
    "  ",
    "    ",
    "\t",
    "\t\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u00a0",
    "\u3000",
    "\u200b",
    "0",
    "7",
    "42",
    "2024",
    "3.14",
    "1e-5",
    "¹",
    "٣",
    "Ⅻ",
    "'s",
    "'S",
    "'ll",
    "'ſ",
    "'",
    '"',
    "`",
    "#",
    "# comment",
    "->",
    "==",
    "!=",
    "{}",
    "[]",
    "é",
    "déjà",
    "ß",
    "İ",
    "日本語",
    "中文",
    "한국어",
    "Привет",
    "مرحبا",
    "हिन्दी",
    "🙂",
    "👩‍💻",
    "🇫🇷",
    "\U0001f600",
    *SPECIAL_TOKENS,
    "<|im",
    "_start|>",
    "<jupyter",
    "<",
    "|>",
]


def examples(n: int):
    """Hypothesis settings of these tests: n examples, no database, no deadline, fixtures ok."""
    return settings(
        max_examples=n,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


code_like = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
any_text = st.text(max_size=200)
mixed = st.lists(st.one_of(code_like, any_text), max_size=4).map("".join)


def write_vocab_gguf(
    path: Path,
    tokens: list[str] | None = None,
    types: list[int] | None = None,
    merges: list[str] | None = None,
    model: str | None = "gpt2",
    pre: str | None = "smollm",
    arch: str = "llama",
    **keys: int | bool | str,
) -> Path:
    """A GGUF holding only a tokenizer (the tiny vocab unless given); kwargs are metadata keys,
    written as uint32, bool or string by their Python type.

    ``tokenizer_ggml_fim_pre_token_id=3`` writes key ``tokenizer.ggml.fim_pre_token_id``.
    """
    tiny_tokens, tiny_types, tiny_merges = tiny_vocab()
    tokens = tiny_tokens if tokens is None else tokens
    writer = gguf.GGUFWriter(str(path), arch)
    if model is not None:
        writer.add_tokenizer_model(model)
    if pre is not None:
        writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(tiny_types if types is None else types)
    writer.add_token_merges(tiny_merges if merges is None else merges)
    for name, value in keys.items():
        key = name.replace("_", ".", 2)
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, str):
            writer.add_string(key, value)
        else:
            writer.add_uint32(key, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def special_token_ids(reader: gguf.GGUFReader) -> ModelMetadata:
    return ModelMetadata.from_gguf(reader)


def load(path: Path) -> Tokenizer:
    return Tokenizer.from_str(build_tokenizer_json(gguf.GGUFReader(str(path)), path))


def assert_round_trips(tok: Tokenizer, text: str) -> None:
    ids = tok.encode(text).ids
    assert tok.decode(ids, skip_special_tokens=False) == text, (text, ids)


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("tok") / "tiny.gguf")


@pytest.fixture(scope="module")
def tiny_tok(tiny_path) -> Tokenizer:
    return load(tiny_path)


# ---------------------------------------------------------------------------------------------
# tiny model


@settings(max_examples=400, deadline=None, database=None)
@given(text=mixed)
def test_tiny_round_trips_any_text(tiny_tok, text):
    assert_round_trips(tiny_tok, text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n",
        "import numpy as np\n\ndef f(x):\n\treturn x  # done\r\n",
        "        x = 1\n    \n",
        "a" * 5000,
        "\x00\x01\x7f\x80\xff",
        "<|endoftext|><|endoftext|>",
        "<|im_start|>user\nhi<|im_end|>\n",
    ],
)
def test_tiny_round_trips_edge_cases(tiny_tok, text):
    assert_round_trips(tiny_tok, text)


@pytest.mark.parametrize("name", SPECIAL_TOKENS)
def test_special_tokens_are_single_ids(tiny_tok, name):
    expected = SPECIAL_TOKENS.index(name)
    assert tiny_tok.encode(name).ids == [expected]
    ids = tiny_tok.encode(f"x = 1{name}\ny").ids
    assert ids.count(expected) == 1


def test_halves_of_special_tokens_are_plain_text(tiny_tok):
    ids = tiny_tok.encode("<|im_sta rt|> <jupyter_code").ids
    assert not set(ids) & set(range(len(SPECIAL_TOKENS)))


def test_digits_are_split_one_by_one(tiny_tok):
    enc = tiny_tok.encode("x = 12345")
    assert enc.tokens[-5:] == ["1", "2", "3", "4", "5"]
    assert tiny_tok.encode(" 2024").tokens == ["Ġ", "2", "0", "2", "4"]


def test_words_use_merges(tiny_tok):
    # the tiny vocab is trained on "import numpy as np": each word is one token
    assert tiny_tok.encode("import numpy as np").tokens == ["import", "Ġnumpy", "Ġas", "Ġnp"]


def test_no_bos_is_added(tiny_tok):
    assert tiny_tok.encode("x").ids == tiny_tok.encode("x", add_special_tokens=True).ids
    assert 1 not in tiny_tok.encode("x").ids


def test_tokenizer_json_shape(tiny_path):
    data = json.loads(build_tokenizer_json(gguf.GGUFReader(str(tiny_path)), tiny_path))
    assert data["normalizer"] is None
    assert data["post_processor"] is None
    assert data["decoder"]["type"] == "ByteLevel"
    assert data["model"]["type"] == "BPE"
    assert data["pre_tokenizer"] == {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {
                "type": "ByteLevel",
                "add_prefix_space": False,
                "trim_offsets": True,
                "use_regex": True,
            },
        ],
    }
    added = {t["content"]: (t["id"], t["special"]) for t in data["added_tokens"]}
    assert added == {name: (i, True) for i, name in enumerate(SPECIAL_TOKENS)}
    tokens, _, merges = tiny_vocab()
    assert len(data["model"]["vocab"]) == len(tokens)
    assert data["model"]["merges"] == merges


def test_special_token_ids_tiny(tiny_path):
    m = special_token_ids(gguf.GGUFReader(str(tiny_path)))
    assert (m.bos_id, m.eos_id, m.stop_ids, m.add_bos, m.fim_ids) == (1, 0, (0, 2), False, None)


# ---------------------------------------------------------------------------------------------
# other GGUF tokenizers


@pytest.mark.parametrize("pre", sorted(PRE_TOKENIZERS))
@examples(40)
@given(text=mixed)
def test_every_pre_tokenizer_loads_and_round_trips(pre, text, tmp_path_factory):
    assert_round_trips(_tok_with_pre(pre, tmp_path_factory), text)


_PRE_CACHE: dict[str, Tokenizer] = {}


def _tok_with_pre(pre: str, tmp_path_factory) -> Tokenizer:
    if pre not in _PRE_CACHE:
        path = tmp_path_factory.mktemp("pre") / "vocab.gguf"
        _PRE_CACHE[pre] = load(write_vocab_gguf(path, pre=pre))
    return _PRE_CACHE[pre]


@pytest.mark.parametrize(
    ("pre", "text", "pieces"),
    [
        ("smollm", "ab 12345", ["ab", "Ġ", "1", "2", "3", "4", "5"]),
        ("starcoder", "x1", ["x", "1"]),
        ("gpt-2", "ab 12345 's", ["ab", "Ġ12345", "Ġ'", "s"]),
        ("llama-bpe", "ab 12345", ["ab", "Ġ", "123", "45"]),
        ("llama-bpe", "it's\n\n  x", ["it", "'s", "ĊĊ", "Ġ", "Ġx"]),
        ("llama-bpe", "IT'S", ["IT", "'S"]),
        ("qwen2", "ab 12345", ["ab", "Ġ", "1", "2", "3", "4", "5"]),
        ("qwen2", "(x)\n", ["(x", ")Ċ"]),
        ("deepseek-coder", "ab\ncd 12", ["ab", "Ċ", "cd", "Ġ", "1", "2"]),
        ("default", "a+=12345", ["a", "+=", "123", "45"]),
        # llama.cpp's spellings (tests/test_tokenizer_llamacpp.py): a combining mark is no
        # letter for GPT-4o/Tekken, the long s is no contraction, U+3000 is no CJK character.
        ("gpt-4o", "cafe\u0301 IT'S", ["cafe", "Ìģ", "ĠIT'S"]),
        ("tekken", "e\u0301t\u00e9", ["e", "ÌģtÃ©"]),
        ("llama-bpe", "it'\u017f x", ["it", "'Å¿", "Ġx"]),
        ("deepseek-coder", "\u3000ideo \u3000", ["ãĢĢideo", "ĠãĢĢ"]),
    ],
)
def test_pre_tokenizer_splits_like_llama_cpp(pre, text, pieces, tmp_path_factory):
    tok = _tok_with_pre(pre, tmp_path_factory)
    assert [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(text)] == pieces


def test_llama3_takes_whole_words_and_adds_bos(tmp_path):
    path = write_vocab_gguf(tmp_path / "l3.gguf", pre="llama-bpe")
    reader = gguf.GGUFReader(str(path))
    assert json.loads(build_tokenizer_json(reader, path))["model"]["ignore_merges"] is True
    # no add_bos_token key: llama.cpp's default for Llama 3 is to add BOS
    assert special_token_ids(reader).add_bos is True


def test_unknown_pre_tokenizer_falls_back_to_gpt2_with_warning(tmp_path, caplog):
    path = write_vocab_gguf(tmp_path / "odd.gguf", pre="some-new-model")
    with caplog.at_level(logging.WARNING):
        tok = load(path)
    assert "some-new-model" in caplog.text
    assert [p for p, _ in tok.pre_tokenizer.pre_tokenize_str("a 123")] == ["a", "Ġ123"]
    assert_round_trips(tok, "x = 12345\n")


def test_missing_pre_tokenizer_uses_llama_cpp_default(tmp_path, caplog):
    path = write_vocab_gguf(tmp_path / "nopre.gguf", pre=None)
    with caplog.at_level(logging.WARNING):
        tok = load(path)
    assert "tokenizer.ggml.pre" in caplog.text
    assert [p for p, _ in tok.pre_tokenizer.pre_tokenize_str("12345")] == ["123", "45"]


@pytest.mark.parametrize(
    ("model", "words"),
    [("llama", "SentencePiece"), ("bert", "WordPiece"), ("t5", "Unigram"), ("mystery", "mystery")],
)
def test_unsupported_tokenizer_model(tmp_path, model, words):
    path = write_vocab_gguf(tmp_path / "spm.gguf", model=model)
    with pytest.raises(UnsupportedModel) as err:
        build_tokenizer_json(gguf.GGUFReader(str(path)), path)
    assert repr(model) in err.value.problem
    assert words in err.value.problem
    assert str(err.value).startswith(str(path))


def test_gguf_without_tokenizer(tmp_path):
    path = write_vocab_gguf(tmp_path / "none.gguf", model=None)
    with pytest.raises(UnsupportedModel, match=r"tokenizer\.ggml\.model"):
        build_tokenizer_json(gguf.GGUFReader(str(path)), path)


def test_bpe_without_merges(tmp_path):
    path = tmp_path / "nomerges.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tiny_vocab()[0])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(InvalidModelFile, match="merges"):
        build_tokenizer_json(gguf.GGUFReader(str(path)), path)


def test_bad_merges_are_dropped_not_fatal(tmp_path, caplog):
    merges = tiny_vocab()[2]
    path = write_vocab_gguf(tmp_path / "bad.gguf", merges=[*merges, "nosuch token", "x"])
    with caplog.at_level(logging.WARNING):
        tok = load(path)
    assert "2 BPE merges" in caplog.text
    assert_round_trips(tok, "import numpy as np")


def test_user_defined_tokens_are_added_but_not_special(tmp_path):
    tokens, types, merges = tiny_vocab()
    tokens = [*tokens, "    ", "<my_tag>"]
    types = [*types, gguf.TokenType.USER_DEFINED, gguf.TokenType.USER_DEFINED]
    path = write_vocab_gguf(tmp_path / "ud.gguf", tokens=tokens, types=types, merges=merges)
    tok = load(path)
    ids = tok.encode("if x:\n    y<my_tag>").ids
    assert len(tokens) - 2 in ids and len(tokens) - 1 in ids
    assert tok.decode(ids, skip_special_tokens=True) == "if x:\n    y<my_tag>"
    assert_round_trips(tok, "        z")


# ---------------------------------------------------------------------------------------------
# special token ids


def _vocab_with(*extra: str) -> tuple[list[str], list[int]]:
    tokens, types, _ = tiny_vocab()
    return [*tokens, *extra], [*types, *[gguf.TokenType.CONTROL] * len(extra)]


def test_fim_tokens_found_by_name(tmp_path):
    tokens, types = _vocab_with("<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>")
    n = len(tiny_vocab()[0])
    path = write_vocab_gguf(tmp_path / "fim.gguf", tokens=tokens, types=types)
    special = special_token_ids(gguf.GGUFReader(str(path)))
    assert (special.fim_prefix_id, special.fim_middle_id, special.fim_suffix_id) == (
        n,
        n + 1,
        n + 2,
    )
    assert n + 3 in special.stop_ids  # llama.cpp ends generation on FIM padding
    tok = load(path)
    prompt = "<fim_prefix>def f(x):\n    <fim_suffix>\n<fim_middle>"
    assert tok.encode(prompt).ids.count(n) == 1
    assert_round_trips(tok, prompt)


def test_fim_tokens_found_by_qwen_names(tmp_path):
    tokens, types = _vocab_with("<|fim_suffix|>", "<|fim_prefix|>", "<|fim_middle|>")
    n = len(tiny_vocab()[0])
    path = write_vocab_gguf(tmp_path / "qfim.gguf", tokens=tokens, types=types)
    special = special_token_ids(gguf.GGUFReader(str(path)))
    assert (special.fim_prefix_id, special.fim_suffix_id, special.fim_middle_id) == (
        n + 1,
        n,
        n + 2,
    )


def test_fim_metadata_wins_over_names(tmp_path):
    tokens, types = _vocab_with("<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<PRE>")
    n = len(tiny_vocab()[0])
    path = write_vocab_gguf(
        tmp_path / "fimkv.gguf",
        tokens=tokens,
        types=types,
        tokenizer_ggml_fim_pre_token_id=n + 3,
        tokenizer_ggml_suffix_token_id=n + 1,  # the deprecated spelling
    )
    special = special_token_ids(gguf.GGUFReader(str(path)))
    assert (special.fim_prefix_id, special.fim_suffix_id, special.fim_middle_id) == (
        n + 3,
        n + 1,
        n + 1,
    )


def test_stop_ids(tmp_path):
    tokens, types = _vocab_with("<|eot_id|>", "<|end|>", "</s>", "<eom>")
    n = len(tiny_vocab()[0])
    path = write_vocab_gguf(
        tmp_path / "stop.gguf",
        tokens=tokens,
        types=types,
        tokenizer_ggml_eos_token_id=n,
        tokenizer_ggml_eom_token_id=n + 3,
        tokenizer_ggml_bos_token_id=1,
    )
    special = special_token_ids(gguf.GGUFReader(str(path)))
    assert special.eos_id == n
    assert special.stop_ids[0] == n
    assert set(special.stop_ids) == {
        n,
        n + 3,
        0,
        2,
        n + 1,
        n + 2,
    }  # 0, 2: <|endoftext|>, <|im_end|>
    assert special.bos_id == 1
    assert special.add_bos is False  # gpt2 vocab without add_bos_token


def test_plain_text_end_tag_is_not_a_stop(tmp_path):
    tokens, types, merges = tiny_vocab()
    tokens, types = [*tokens, "</s>"], [*types, gguf.TokenType.NORMAL]
    path = write_vocab_gguf(tmp_path / "html.gguf", tokens=tokens, types=types, merges=merges)
    assert len(tokens) - 1 not in special_token_ids(gguf.GGUFReader(str(path))).stop_ids


def test_out_of_range_ids_are_none(tmp_path):
    path = write_vocab_gguf(tmp_path / "oor.gguf", tokenizer_ggml_bos_token_id=2**32 - 1)
    assert special_token_ids(gguf.GGUFReader(str(path))).bos_id is None


# ---------------------------------------------------------------------------------------------
# the real default model (SmolLM2-135M-Instruct)


@lru_cache(maxsize=2)
def _real(path: Path) -> tuple[Tokenizer, ModelMetadata]:
    reader = gguf.GGUFReader(str(path))
    return Tokenizer.from_str(build_tokenizer_json(reader, path)), special_token_ids(reader)


@pytest.fixture
def real_tok(request) -> tuple[Tokenizer, ModelMetadata]:
    """The real GGUF's tokenizer: from conftest's ``default_gguf_path``, else $SPARK_TEST_GGUF."""
    try:
        path = request.getfixturevalue("default_gguf_path")
    except pytest.FixtureLookupError:
        env = os.environ.get("SPARK_TEST_GGUF")
        if not env:
            pytest.skip("no real GGUF: needs the default_gguf_path fixture or $SPARK_TEST_GGUF")
        path = env
    return _real(Path(path))


# Ids SmolLM2's own (HF) tokenizer gives; they pin digits, spaces, punctuation and accents.
SMOLLM2_IDS = {
    "Hello, we can use": [19556, 28, 392, 416, 722],
    "The capital of France is": [504, 3575, 282, 4649, 314],
    "\n": [198],
    "Hello world! 123": [19556, 905, 17, 216, 33, 34, 35],
    "Café déjà vu.": [51, 1939, 2756, 32564, 90, 16739, 386, 101, 30],
    "  multiple   spaces": [216, 2701, 256, 5600],
}


@pytest.mark.real_model
@pytest.mark.parametrize("text", sorted(SMOLLM2_IDS))
def test_real_matches_reference_ids(real_tok, text):
    tok, _ = real_tok
    assert tok.encode(text).ids == SMOLLM2_IDS[text]


@pytest.mark.real_model
def test_real_obvious_tokenizations(real_tok):
    tok, _ = real_tok
    assert tok.encode("import numpy as np").tokens == ["import", "Ġnumpy", "Ġas", "Ġnp"]
    assert len(tok.encode(" the").ids) == 1
    assert tok.encode("12345").tokens == ["1", "2", "3", "4", "5"]
    assert tok.encode("<|im_start|>").ids == [1]
    assert tok.encode("<|im_start|>user\nhi<|im_end|>").ids[0] == 1
    assert tok.encode("<jupyter_code>").ids == [13]


@pytest.mark.real_model
def test_real_special_token_ids(real_tok):
    _, special = real_tok
    assert (special.bos_id, special.eos_id, special.add_bos) == (1, 2, False)
    assert special.stop_ids[0] == 2  # <|im_end|>
    assert 0 in special.stop_ids  # <|endoftext|>
    assert 1 not in special.stop_ids
    assert (special.fim_prefix_id, special.fim_suffix_id, special.fim_middle_id) == (
        None,
        None,
        None,
    )


def _encodable(tok: Tokenizer, text: str) -> str:
    """``text`` without the characters SmolLM2's vocab has no byte tokens for (e.g. \\x04).

    llama.cpp drops those too: no byte-level tokenizer for this vocab can round-trip them.
    """
    return "".join(c for c in text if tok.decode(tok.encode(c).ids) == c)


@pytest.mark.real_model
@examples(300)
@given(text=mixed)
def test_real_round_trips_any_text(real_tok, text):
    tok, _ = real_tok
    assert_round_trips(tok, _encodable(tok, text))


@pytest.mark.real_model
def test_real_encode_is_fast(real_tok):
    tok, _ = real_tok
    code = Path(__file__).read_text()[:4096]
    tok.encode(code)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        tok.encode(code)
        times.append(time.perf_counter() - start)
    # ~1 ms on a laptop core; generous so a busy CI box does not flake
    assert statistics.median(times) < 0.010


# ---------------------------------------------------------------------------------------------
# the engine's prompt encoder: only what changed since the last prompt is encoded

PROMPT = (
    "import numpy as np\nimport pandas as pd\n\n# %%\nsales = pd.read_csv('sales.csv')\n"
    "def revenue(df):\n    return (df['unit_price'] * df['quantity']).sum()\n\n# %%\n"
)
edits = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 6), mixed), min_size=1, max_size=10
)


def assert_prompt_encoder_matches(tok: Tokenizer, edit_list) -> int:
    """Apply the edits one by one; every incremental encode equals a whole one. Returns how
    many of the encodes reused tokens."""
    enc = PromptEncoder(tok)
    assert enc.incremental, "byte-level BPE splits at line starts"
    text, reused = PROMPT, 0
    for pos, cut, insert in [(-1, 0, ""), *edit_list]:
        pos = len(text) if pos < 0 else pos % (len(text) + 1)  # -1: at the end
        text = text[:pos] + insert + text[pos + cut :]
        assert enc.encode(text) == tok.encode(text, add_special_tokens=False).ids, repr(text)
        reused += enc.reused_tokens > 0
    return reused


@pytest.mark.parametrize("pre", sorted(PRE_TOKENIZERS))
@examples(40)
@given(edit_list=edits)
def test_prompt_encoder_equals_whole_encode_after_any_edits(pre, edit_list, tmp_path_factory):
    assert_prompt_encoder_matches(_tok_with_pre(pre, tmp_path_factory), edit_list)


def test_prompt_encoder_reuses_the_unchanged_lines_while_typing(tiny_tok):
    line = "total = revenue(sales) / len(sales)"
    typing = [(-1, 0, ch) for ch in line]  # each keystroke appends a character at the end
    assert assert_prompt_encoder_matches(tiny_tok, typing) == len(line)


@pytest.mark.parametrize("pre", sorted(PRE_TOKENIZERS))
def test_prompt_encoder_reencodes_only_the_line_typed_in_an_indented_body(pre, tmp_path_factory):
    """In a function body the last unindented line start is far back; where the tokenizer
    splits before an indent's last space, a keystroke re-encodes only its own line."""
    tok = _tok_with_pre(pre, tmp_path_factory)
    enc = PromptEncoder(tok)
    body = "def revenue(df):\n" + "".join(f"    x{i} = df['c{i}'] * {i}\n" for i in range(30))
    line = "    total = x1 + x2"
    for i in range(1, len(line) + 1):
        text = body + line[:i]
        ids = enc.encode(text)
        assert ids == tok.encode(text, add_special_tokens=False).ids, repr(text)
    whole = len(tok.encode(body, add_special_tokens=False).ids)
    if enc.indented:
        assert enc.reused_tokens >= whole - 12, "only the typed line is encoded again"
    else:
        assert enc.reused_tokens <= 20, "this tokenizer reuses only up to the def's line"


def test_prompt_encoder_falls_back_for_a_tokenizer_that_marks_each_encode():
    """A SentencePiece-style tokenizer prepends a marker to every encode: reusing a prefix's
    tokens would be wrong, so it encodes whole prompts."""
    from tokenizers import decoders, models, normalizers, pre_tokenizers

    vocab = {ch: i for i, ch in enumerate("▁\nabcdefghijklmnopqrstuvwxyz0123456789()=+.'#%:,_ []")}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="a", max_input_chars_per_word=1000))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁")])
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tok.decoder = decoders.WordPiece()
    enc = PromptEncoder(tok)
    assert not enc.incremental
    text = "x = 1\ny = 2\n"
    assert enc.encode(text) == tok.encode(text, add_special_tokens=False).ids
    assert enc.encode(text + "z") == tok.encode(text + "z", add_special_tokens=False).ids


@pytest.mark.real_model
@examples(150)
@given(edit_list=edits)
def test_real_prompt_encoder_equals_whole_encode(real_tok, edit_list):
    tok, _ = real_tok
    assert_prompt_encoder_matches(tok, [(p, c, _encodable(tok, s)) for p, c, s in edit_list])
