"""Our tokenizer (tokenizer.json rebuilt from a GGUF) gives llama.cpp's token ids for that GGUF.

For each pre-tokenizer family a vocabulary is trained here on the corpus itself with no
pre-tokenization, so its merges cross every boundary a pre-tokenizer could draw (digits into
words, spaces into newlines, punctuation into letters): a wrong split shows up as different ids.
The GGUFs carry only a vocabulary and the hyper-parameters llama.cpp needs to load them with
``vocab_only=True``. The real default model (SmolLM2) is checked the same way.

llama.cpp runs in its own venv (tests/llamacpp_ref.py): one subprocess per GGUF tokenizes the
whole corpus with and without special-token parsing and detokenizes its ids.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import gguf
import pytest
from llamacpp_ref import require_llama_cpp, run_llama_cpp
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from jupyter_spark.models.pretokenizers import PRE_TOKENIZERS
from jupyter_spark.models.tokenizer import build_tokenizer_json

# Vocabulary size of the trained tokenizers: big enough that words, number runs and whitespace
# runs become single tokens, small enough to train in well under a second.
VOCAB_SIZE = 3000
CORPUS_SEED = 20261204  # the random part of the corpus
N_RANDOM = 300  # random texts, on top of the hand-written ones

# Special tokens of each family, in front of the vocabulary: (text, GGUF token type).
CONTROL, USER, NORMAL = gguf.TokenType.CONTROL, gguf.TokenType.USER_DEFINED, gguf.TokenType.NORMAL
CHAT_SPECIALS = [("<|endoftext|>", CONTROL), ("<|im_start|>", CONTROL), ("<|im_end|>", CONTROL)]
_QWEN = [
    *CHAT_SPECIALS,
    *((f"<|fim_{n}|>", CONTROL) for n in ("prefix", "middle", "suffix", "pad")),
    ("<|repo_name|>", CONTROL),
    ("<|file_sep|>", CONTROL),
]
_STARCODER = [
    *CHAT_SPECIALS,
    *((f"<fim_{n}>", CONTROL) for n in ("prefix", "middle", "suffix", "pad")),
    ("<reponame>", CONTROL),
    ("<file_sep>", CONTROL),
    ("<jupyter_code>", CONTROL),
    ("<tag>", USER),  # user-defined: matched whole even without special-token parsing
]
_LLAMA3 = [("<|begin_of_text|>", CONTROL), ("<|end_of_text|>", CONTROL), ("<|eot_id|>", CONTROL)]
# A control-looking name typed NORMAL: llama.cpp makes it control by its name.
_ODD = [*CHAT_SPECIALS, ("<|eot_id|>", NORMAL), ("<tag>", USER)]


@dataclass(frozen=True)
class Family:
    """A pre-tokenizer name as GGUFs spell it, and the special tokens such models have."""

    pre: str
    specials: tuple[tuple[str, int], ...]
    arch: str = "llama"


FAMILIES = (
    Family("qwen2", tuple(_QWEN), "qwen2"),
    Family("llama-bpe", tuple(_LLAMA3)),
    Family("starcoder", tuple(_STARCODER), "starcoder2"),
    Family("smollm", tuple(_STARCODER)),
    Family("gpt-2", tuple(CHAT_SPECIALS), "gpt2"),
    Family("default", tuple(_ODD)),
)


def _other_specs() -> list[str]:
    """One name for each pre-tokenizer of our table the families above do not use (the same
    spec splits alike whatever the name; which name maps to which spec is checked too)."""
    seen = {id(PRE_TOKENIZERS[f.pre]) for f in FAMILIES}
    names = []
    for name in sorted(PRE_TOKENIZERS):
        spec = PRE_TOKENIZERS[name]
        if id(spec) not in seen and name in LLAMA_CPP_KNOWS:
            seen.add(id(spec))
            names.append(name)
    return names


# Names our table accepts that llama.cpp refuses ("gpt2" is a spelling some converters used).
LLAMA_CPP_KNOWS = frozenset(PRE_TOKENIZERS) - {"gpt2"}
OTHER_FAMILIES = tuple(Family(p, tuple(CHAT_SPECIALS)) for p in _other_specs())

# ---------------------------------------------------------------------------------------------
# the corpus

_HANDWRITTEN = [
    "import numpy as np\nimport pandas as pd\n\ndf = pd.read_csv('data.csv')\ndf.head()\n",
    "def forward(self, x):\n    return self.linear(x) + 1\n",
    "class Model(nn.Module):\n\tdef __init__(self):\n\t\tsuper().__init__()\n",
    'for i in range(10):\n    print(f"{i:>4d} {i**2:,}")\r\n',
    "if a!=b and c<=d or e>=f: x += 1; y -= 2; z //= 3\n",
    "x = [1, 2, 3]  # a list\n\n\n\n# %%\n",
    "    \n  \n\t\n   x\n",
    "a  b   c    d     e\t\tf\t \tg",
    "line1\r\nline2\r\n\r\nline3\r",
    "1 12 123 1234 12345 123456 1234567",
    "3.14159 2.5e-10 0x1F 1_000_000 10000000000",
    "v1.2.3 and 99 problems, 007",
    "I'm sure you're right, we'll see, they've gone, he'd know, it's hers, don't",
    "I'M SURE YOU'RE RIGHT, WE'LL SEE, IT'S, DON'T 'S 'T",
    "'s 're 've 'm 'll 'd",
    "it'ſ (long s) 'ſ 'K 'İ 'ǅ",
    "café déjà vu naïve Zürich façade Ærø",
    "cafe\u0301 e\u0301te\u0301 n\u0303 a\u0308\u0323 (combining marks)",
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "def 関数(引数):\n    return 引数 * 2  # コメント\n",
    "Привет, мир! Γειά σου κόσμε! مرحبا بالعالم שלום עולם",
    "हिन्दी ภาษาไทย ქართული Հայերեն",
    "emoji 🙂🚀 👩‍💻 🇫🇷 👍🏽 ❤️ 🏳️‍🌈 \U0001f600\U0001f601",
    "math ∑∫√∞≠≤≥ ± × ÷ ½ ¾ ² ³ ¹ ٣ Ⅻ ①",
    "\u00a0nbsp\u3000ideographic\u2003em\u2009thin\u200bzwsp\u202fnnbsp",
    "tabs\tand\t\ttabs\t\t\tend\t",
    "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more text<|endoftext|><|endoftext|>",
    "<fim_prefix>def f(x):\n    <fim_suffix>\n    return y<fim_middle>",
    "<|fim_prefix|>a = 1<|fim_suffix|>\nprint(a)<|fim_middle|>",
    "<reponame>repo<file_sep>a.py\nimport os<|repo_name|>r<|file_sep|>b.py",
    "<|begin_of_text|>Hello<|eot_id|> <|end_of_text|>",
    "half <|im and _start|> and <jupyter and <|eot_id| and < | >",
    "a <tag> b<tag>c <tag>",
    "<jupyter_code>x = 1<jupyter_code>",
    "  leading and trailing spaces  ",
    "\n\n\nleading newlines",
    "trailing newlines\n\n\n",
    "",
    " ",
    "\n",
    "\t",
    "x",
    "!!!??? ... --- === +++ *** ### @@@ $$$ %%% ^^^ &&& ||| ~~~ ``` \\\\ //",
    "https://example.com/path?q=1&r=2#frag user@example.com",
    '<html><body><p class="x">Hi</p></body></html>',
    '{"key": [1, 2.5, true, null], "nested": {"a": "b"}}',
    "SELECT * FROM t WHERE id IN (1, 2, 3) ORDER BY name DESC;",
    "λx. x + 1 → ∀y ∈ ℝ",
    "αβγ ΑΒΓ ǅ ǈ ǋ ß ẞ İ ı ſ",
    "ABCdefGHI camelCase snake_case SCREAMING_CASE kebab-case",
    "x\u2028y\u2029z\u0085w\u000bv\u000cu",
]

# Pieces for random texts: code, whitespace runs, digits, contractions, scripts, specials.
_PIECES = [
    "def", " f", "(x)", ":", "return", " np", ".zeros", "_", "__init__", "self.", " ", "  ",
    "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", "\u00a0", "\u3000", "0",
    "7", "42", "123", "2024", "98765", "1234567", "3.14", "'s", "'S", "'ll", "'re", "'ſ", "'", '"',
    "`", "#", "->", "==", "!=", "{}", "[]", "é", "e\u0301", "ß", "日本", "中文", "한국",
    "Привет", "مرحبا", "🙂", "👩‍💻", "🇫🇷", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
    "<fim_prefix>", "<|fim_suffix|>", "<tag>", "<|eot_id|>", "<", "|>", "A", "Zz", "µ",
]  # fmt: skip


@lru_cache(maxsize=1)
def corpus() -> tuple[str, ...]:
    """The hand-written texts, then random mixes of pieces and of arbitrary code points."""
    rng = random.Random(CORPUS_SEED)
    texts = list(_HANDWRITTEN)
    for i in range(N_RANDOM):
        if i % 3 == 2:  # arbitrary printable code points, a few of them wide
            n = rng.randint(1, 12)
            texts.append("".join(_random_char(rng) for _ in range(n)))
        else:
            texts.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 25))))
    return tuple(texts)


# Code point ranges drawn from equally: ASCII, the BMP's scripts and symbols, CJK and beyond,
# the supplementary planes' emoji and rarer scripts.
_CHAR_RANGES = ((0x20, 0x7E), (0xA0, 0x2FFF), (0x3000, 0xFFFD), (0x10000, 0x1FAFF))


def _random_char(rng: random.Random) -> str:
    """A printable character from all of Unicode, never a control byte or a surrogate (not
    every vocabulary has tokens for C0 bytes; surrogates are not text)."""
    while True:
        lo, hi = rng.choice(_CHAR_RANGES)
        c = chr(rng.randint(lo, hi))
        if c.isprintable() or c.isspace():
            return c


# ---------------------------------------------------------------------------------------------
# vocabularies and GGUFs


def train_vocab(family: Family) -> tuple[list[str], list[int], list[str]]:
    """(tokens, types, merges) of a byte-level BPE trained on the corpus without splitting."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=[t for t, _ in family.specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Every family's special tokens out of the training text: a vocabulary that held another
    # family's FIM name as a merged plain token would leave llama.cpp's choice between it and
    # its own FIM token to hash-map order.
    texts = [t for t in corpus() for t in [_strip_specials(t)] if t]
    tok.train_from_iterator(texts * 2, trainer)
    model = json.loads(tok.to_str())["model"]
    tokens = [t for t, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1])]
    kinds = dict(family.specials)
    types = [kinds.get(t, NORMAL) for t in tokens]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return tokens, types, merges


def _strip_specials(text: str) -> str:
    for f in FAMILIES:
        for t, _ in f.specials:
            text = text.replace(t, "")
    return text


def write_family_gguf(path: Path, family: Family, pre: str | None = None) -> Path:
    """A vocabulary-only GGUF llama.cpp can load with vocab_only=True (``pre``: another
    pre-tokenizer name than the family's)."""
    tokens, types, merges = train_vocab(family)
    w = gguf.GGUFWriter(str(path), family.arch)
    w.add_name(f"vocab-{family.pre}")
    w.add_block_count(1)
    w.add_context_length(256)
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(4)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_layer_norm_eps(1e-5)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre or family.pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_add_bos_token(False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


# ---------------------------------------------------------------------------------------------
# comparing


_LLAMA_SCRIPT = r"""
import json, sys
from llama_cpp import Llama
job = json.load(sys.stdin)
llm = Llama(model_path=job["gguf"], vocab_only=True, verbose=False)
out = []
for text in job["texts"]:
    b = text.encode("utf-8")
    ids = llm.tokenize(b, add_bos=False, special=True)
    plain = llm.tokenize(b, add_bos=False, special=False)
    back = llm.detokenize(ids, special=True).decode("utf-8", errors="replace")
    out.append([ids, plain, back])
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Agreement:
    """How one GGUF's tokenization compares with llama.cpp's over the corpus."""

    name: str
    texts: int
    same_ids: int  # special tokens parsed (what the engine does)
    same_plain_ids: int  # special-token parsing off
    round_trips: int  # our decode(encode(text)) == text
    same_decode: int  # our decode == llama.cpp's detokenize of its own ids
    mismatches: tuple[tuple[str, list[int], list[int]], ...]  # (text, ours, llama.cpp's)

    @property
    def share(self) -> float:
        return self.same_ids / self.texts


def compare(gguf_path: Path, name: str, texts: tuple[str, ...] = ()) -> Agreement:
    """Tokenize ``texts`` (the corpus by default) with ours and with llama.cpp; count agreement."""
    texts = texts or corpus()
    reader = gguf.GGUFReader(str(gguf_path))
    ours = Tokenizer.from_str(build_tokenizer_json(reader, gguf_path))
    plain = Tokenizer.from_str(ours.to_str())
    plain.encode_special_tokens = True  # llama.cpp's special=False: control tokens are text
    ref = run_llama_cpp(_LLAMA_SCRIPT, {"gguf": str(gguf_path), "texts": list(texts)})
    same = same_plain = round_trips = same_decode = 0
    bad = []
    for text, (ids, plain_ids, back) in zip(texts, ref, strict=True):
        got = ours.encode(text, add_special_tokens=False).ids
        same += got == ids
        if got != ids:
            bad.append((text, got, ids))
        same_plain += plain.encode(text, add_special_tokens=False).ids == plain_ids
        decoded = ours.decode(got, skip_special_tokens=False)
        round_trips += decoded == text
        same_decode += decoded == back
    return Agreement(name, len(texts), same, same_plain, round_trips, same_decode, tuple(bad))


@cache
def family_agreement(pre: str, tmp_dir: Path) -> Agreement:
    family = next(f for f in (*FAMILIES, *OTHER_FAMILIES) if f.pre == pre)
    return compare(write_family_gguf(tmp_dir / f"{pre}.gguf", family), pre)


@pytest.fixture(scope="module")
def gguf_dir(tmp_path_factory) -> Path:
    require_llama_cpp()
    return tmp_path_factory.mktemp("llamacpp_vocab")


def _report(a: Agreement) -> str:
    lines = [f"{a.name}: {a.same_ids}/{a.texts} texts tokenize the same"]
    for text, got, want in a.mismatches[:5]:
        lines.append(f"  {text!r}\n    ours      {got}\n    llama.cpp {want}")
    return "\n".join(lines)


@pytest.mark.parametrize("pre", [f.pre for f in FAMILIES])
def test_ids_agree_with_llama_cpp(pre, gguf_dir):
    a = family_agreement(pre, gguf_dir)
    assert a.same_ids == a.texts, _report(a)


@pytest.mark.parametrize("pre", [f.pre for f in OTHER_FAMILIES])
def test_other_pre_tokenizers_agree_with_llama_cpp(pre, gguf_dir):
    a = family_agreement(pre, gguf_dir)
    assert (a.same_ids, a.same_plain_ids, a.round_trips) == (a.texts,) * 3, _report(a)


@pytest.mark.parametrize("pre", [f.pre for f in FAMILIES])
def test_ids_agree_without_special_token_parsing(pre, gguf_dir):
    a = family_agreement(pre, gguf_dir)
    assert a.same_plain_ids == a.texts


@pytest.mark.parametrize("pre", [f.pre for f in FAMILIES])
def test_decode_round_trips(pre, gguf_dir):
    a = family_agreement(pre, gguf_dir)
    assert a.round_trips == a.texts


def test_trained_vocab_is_sensitive_to_the_split(tmp_path):
    """The check can fail: one vocabulary under another pre-tokenizer gives other ids for a
    good share of the corpus, so a regex that splits wrongly shows up as a disagreement."""
    family = next(f for f in FAMILIES if f.pre == "qwen2")
    toks = {
        pre: Tokenizer.from_str(build_tokenizer_json(gguf.GGUFReader(str(p)), p))
        for pre in ("qwen2", "llama-bpe", "gpt-2")
        for p in [write_family_gguf(tmp_path / f"{pre}.gguf", family, pre)]
    }
    for other in ("llama-bpe", "gpt-2"):
        differ = sum(toks["qwen2"].encode(t).ids != toks[other].encode(t).ids for t in corpus())
        assert differ > len(corpus()) // 10, other


@pytest.mark.real_model
def test_real_default_model_agrees_with_llama_cpp(default_gguf_path):
    require_llama_cpp()
    a = compare(Path(default_gguf_path), "SmolLM2 (real)")
    assert a.same_ids == a.texts, _report(a)
    assert a.same_plain_ids == a.texts and a.round_trips == a.texts
