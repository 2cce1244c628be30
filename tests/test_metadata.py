"""ModelMetadata: one answer to "which tokens are special" from a GGUF, spark_model.json or an
ONNX export's HF files, and spark_model.json files of older versions still read the same."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gguf
import pytest
from test_tokenizer import write_vocab_gguf
from tinymodel import tiny_vocab, write_tiny_gguf

from jupyter_spark.models.errors import InvalidModelFile, ModelNotFound
from jupyter_spark.models.metadata import SPARK_MODEL_JSON, ModelMetadata, llama_cpp_control_ids
from jupyter_spark.models.tokenizer import build_tokenizer_json

N = len(tiny_vocab()[0])  # the first id after the tiny vocab


def _with(tmp_path: Path, *extra: str, name: str = "v.gguf", **keys) -> Path:
    """The tiny vocab plus ``extra`` control tokens (ids N, N+1, ...) as a tokenizer GGUF."""
    tokens, types, _ = tiny_vocab()
    return write_vocab_gguf(
        tmp_path / name,
        tokens=[*tokens, *extra],
        types=[*types, *[gguf.TokenType.CONTROL] * len(extra)],
        **keys,
    )


@pytest.fixture(scope="module")
def tiny_meta(tmp_path_factory) -> tuple[Path, ModelMetadata]:
    path = write_tiny_gguf(tmp_path_factory.mktemp("meta") / "tiny.gguf")
    return path, ModelMetadata.from_gguf(path)


def test_from_gguf_tiny(tiny_meta):
    path, m = tiny_meta
    assert (m.architecture, m.name, m.context_length) == ("llama", "tiny-test-llama", 256)
    assert (m.vocab_size, m.tokenizer_model, m.pre_tokenizer) == (N, "gpt2", "smollm")
    assert (m.bos_id, m.add_bos, m.eos_id) == (1, False, 0)
    assert m.stop_ids == (0, 2)  # eos <|endoftext|>, then <|im_end|>
    assert m.special_ids == (0, 1, 2, 3)
    assert m.fim_ids is None and m.repo_name_id is None and m.file_sep_id is None
    assert m.fim_order == "psm" and m.pad_id is None
    assert m.tensor_types == {"F32": 5, "Q4_1": 14, "Q8_0": 1}
    assert m.file_size == os.stat(path).st_size
    assert (m.n_layers, m.hidden_size) == (2, 64)
    assert m.n_params and m.n_params > N * 64
    assert m.bos_prefix == ()


def test_from_gguf_accepts_an_open_reader(tiny_meta):
    path, m = tiny_meta
    assert ModelMetadata.from_gguf(gguf.GGUFReader(str(path))) == m


def test_write_then_load_is_equal(tiny_meta, tmp_path):
    _, m = tiny_meta
    m.write(tmp_path, extra={"kv_layout": "shared", "format": 1})
    info = json.loads((tmp_path / SPARK_MODEL_JSON).read_text())
    assert info["kv_layout"] == "shared"
    assert info["special_tokens"] == {  # the format-1 keys, for older readers
        "bos": 1,
        "eos": 0,
        "stop": [0, 2],
        "fim_prefix": None,
        "fim_suffix": None,
        "fim_middle": None,
        "add_bos": False,
    }
    assert ModelMetadata.load(tmp_path) == m


def test_format1_spark_model_json_loads_to_the_same_values(tiny_meta, tmp_path):
    """A cache converted before ModelMetadata: special_tokens + config + quantization only."""
    path, m = tiny_meta
    reader = gguf.GGUFReader(str(path))
    (tmp_path / "tokenizer.json").write_text(build_tokenizer_json(reader, path))
    old = {
        "format": 1,
        "kv_layout": "shared",
        "config": {"architecture": "llama", "name": "tiny-test-llama", "context_length": 256,
                   "num_layers": 2, "hidden": 64, "vocab_size": N},
        "special_tokens": {"bos": 1, "eos": 0, "stop": [0, 2], "fim_prefix": None,
                           "fim_suffix": None, "fim_middle": None, "add_bos": False},
        "quantization": {"F32": 5, "Q4_1": 14, "Q8_0": 1},
    }  # fmt: skip
    (tmp_path / SPARK_MODEL_JSON).write_text(json.dumps(old))
    got = ModelMetadata.load(tmp_path)
    same = ("architecture", "name", "context_length", "bos_id", "add_bos", "eos_id", "stop_ids",
            "fim_prefix_id", "special_ids", "tensor_types", "n_layers", "hidden_size")  # fmt: skip
    for f in same:
        assert getattr(got, f) == getattr(m, f), f


def test_format1_ids_win_over_the_tokenizer(tmp_path):
    """Old files with add_bos true and a FIM triple: the engine must keep using those."""
    path = _with(tmp_path, "<fim_prefix>", "<fim_suffix>", "<fim_middle>")
    (tmp_path / "tokenizer.json").write_text(build_tokenizer_json(gguf.GGUFReader(str(path)), path))
    sp = {"bos": 1, "eos": 2, "stop": [2, 7], "fim_prefix": N + 2, "fim_suffix": N + 1,
          "fim_middle": N, "add_bos": True}  # fmt: skip
    (tmp_path / SPARK_MODEL_JSON).write_text(json.dumps({"special_tokens": sp}))
    m = ModelMetadata.load(tmp_path)
    assert (m.bos_id, m.add_bos, m.eos_id) == (1, True, 2)
    assert m.stop_ids[:2] == (2, 7) and 0 in m.stop_ids
    assert m.fim_ids == (N + 2, N + 1, N)


def test_qwen_coder_tokens(tmp_path):
    names = ("<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
             "<|repo_name|>", "<|file_sep|>")  # fmt: skip
    m = ModelMetadata.from_gguf(_with(tmp_path, *names, pre="qwen2"))
    assert m.fim_ids == (N, N + 2, N + 1)
    assert (m.repo_name_id, m.file_sep_id) == (N + 4, N + 5)
    assert {N + 3, N + 4, N + 5} <= set(m.stop_ids)  # llama.cpp ends generation on these
    assert {N, N + 1, N + 2} & set(m.stop_ids) == set()


def test_starcoder_tokens(tmp_path):
    names = ("<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<reponame>",
             "<file_sep>")  # fmt: skip
    m = ModelMetadata.from_gguf(_with(tmp_path, *names, pre="starcoder"))
    assert m.fim_ids == (N, N + 2, N + 1)
    assert (m.repo_name_id, m.file_sep_id) == (N + 4, N + 5)
    assert {N + 3, N + 4, N + 5} <= set(m.stop_ids)


def test_fim_and_separator_keys_win_over_names(tmp_path):
    path = _with(
        tmp_path,
        "<fim_prefix>",
        "<A>",
        "<B>",
        tokenizer_ggml_fim_pre_token_id=N + 1,
        tokenizer_ggml_fim_sep_token_id=N + 2,
    )
    m = ModelMetadata.from_gguf(path)
    assert m.fim_prefix_id == N + 1 and m.file_sep_id == N + 2 and N + 2 in m.stop_ids


def test_fim_prompt_orders(tmp_path):
    m = ModelMetadata.from_gguf(_with(tmp_path, "<PRE>", "<SUF>", "<MID>", "<s>",
                                      tokenizer_ggml_bos_token_id=N + 3,
                                      tokenizer_ggml_add_bos_token=True))  # fmt: skip
    assert m.fim_order == "psm" and m.bos_prefix == (N + 3,)
    assert m.fim_prompt([10, 11], [20]) == [N + 3, N, 10, 11, N + 1, 20, N + 2]
    spm = ModelMetadata.from_gguf(_with(tmp_path, "[PREFIX]", "[SUFFIX]", "[MIDDLE]", name="s"))
    assert spm.fim_order == "spm" and spm.bos_prefix == ()
    assert spm.fim_prompt([10, 11], [20]) == [N + 1, 20, N, 10, 11, N + 2]


def test_fim_prompt_without_fim_tokens_is_a_clear_error(tiny_meta):
    with pytest.raises(ValueError, match="fill-in-the-middle"):
        tiny_meta[1].fim_prompt([1], [2])


def test_add_bos_defaults_like_llama_cpp(tmp_path):
    assert ModelMetadata.from_gguf(_with(tmp_path, pre="llama-bpe", name="a")).add_bos is True
    assert ModelMetadata.from_gguf(_with(tmp_path, pre="qwen2", name="b")).add_bos is False
    path = _with(tmp_path, pre="llama-bpe", name="c", tokenizer_ggml_add_bos_token=False)
    assert ModelMetadata.from_gguf(path).add_bos is False


def test_normal_typed_end_token_is_special_like_in_llama_cpp(tmp_path):
    """llama.cpp forces EOG/FIM-named tokens to control, whatever their GGUF type."""
    tokens, types, _ = tiny_vocab()
    path = write_vocab_gguf(
        tmp_path / "n.gguf",
        tokens=[*tokens, "<|eot_id|>", "</s>"],
        types=[*types, gguf.TokenType.NORMAL, gguf.TokenType.NORMAL],
    )
    m = ModelMetadata.from_gguf(path)
    assert N in m.special_ids and N in m.stop_ids
    assert N + 1 not in m.stop_ids  # '</s>' as plain text is HTML, not an end


def test_fim_names_are_forced_to_control_only_when_no_control_token_has_the_role(tmp_path):
    """llama.cpp forces the FIM token its names find to control: a plain-typed <fim_prefix> is
    forced when alone, left alone next to Qwen's control <|fim_prefix|>; a key names it."""
    tokens, types, _ = tiny_vocab()

    def gguf_with(*extra: tuple[str, int], **keys) -> gguf.GGUFReader:
        path = write_vocab_gguf(
            tmp_path / f"f{len(list(tmp_path.iterdir()))}.gguf",
            tokens=[*tokens, *(t for t, _ in extra)],
            types=[*types, *(k for _, k in extra)],
            **keys,
        )
        return gguf.GGUFReader(str(path))

    plain, control = gguf.TokenType.NORMAL, gguf.TokenType.CONTROL
    assert N in llama_cpp_control_ids(gguf_with(("<fim_prefix>", plain)))
    both = gguf_with(("<fim_prefix>", plain), ("<|fim_prefix|>", control))
    assert N not in llama_cpp_control_ids(both)
    assert ModelMetadata.from_gguf(both).fim_prefix_id == N + 1
    keyed = gguf_with(("<fim_prefix>", plain), tokenizer_ggml_fim_pre_token_id=5)
    assert N not in llama_cpp_control_ids(keyed)


def test_unsupported_gguf_still_described(tmp_path):
    path = write_vocab_gguf(tmp_path / "spm.gguf", model="llama", pre=None, arch="gemma")
    m = ModelMetadata.from_gguf(path)
    assert (m.architecture, m.tokenizer_model, m.add_bos) == ("gemma", "llama", True)


def test_bad_inputs(tmp_path):
    with pytest.raises(ModelNotFound):
        ModelMetadata.from_gguf(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"GGUF but not really" * 3)
    with pytest.raises(InvalidModelFile, match=r"junk\.gguf"):
        ModelMetadata.from_gguf(junk)
    (tmp_path / SPARK_MODEL_JSON).write_text("{not json")
    with pytest.raises(InvalidModelFile, match=SPARK_MODEL_JSON):
        ModelMetadata.load(tmp_path)
    (tmp_path / SPARK_MODEL_JSON).write_text(json.dumps({"metadata": {"fim_order": "xyz"}}))
    with pytest.raises(InvalidModelFile, match="metadata"):
        ModelMetadata.load(tmp_path)


# ---------------------------------------------------------------------------------------------
# bring-your-own ONNX export (HF files only)


def _hf_dir(tmp_path: Path, post_bos: bool, **configs: dict) -> Path:
    vocab = {"a": 0, "b": 1, "ab": 2}
    added = [
        {"id": 3, "content": "<|begin_of_text|>", "special": True},
        {"id": 4, "content": "<|end_of_text|>", "special": True},
        {"id": 5, "content": "<|eot_id|>", "special": True},
        {"id": 6, "content": "<tag>", "special": False},
    ]
    tok: dict = {"model": {"type": "BPE", "vocab": vocab, "merges": ["a b"]}, "added_tokens": added}
    if post_bos:
        tok["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [3]}},
        }  # fmt: skip
    (tmp_path / "tokenizer.json").write_text(json.dumps(tok))
    for name, content in configs.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
    return tmp_path


def test_hf_dir_llama3_style(tmp_path):
    d = _hf_dir(
        tmp_path,
        post_bos=True,
        config={"model_type": "llama", "max_position_embeddings": 8192, "bos_token_id": 3,
                "eos_token_id": 4, "num_hidden_layers": 16},
        generation_config={"eos_token_id": [4, 5]},
    )  # fmt: skip
    m = ModelMetadata.load(d)
    assert (m.architecture, m.name, m.context_length, m.n_layers) == ("llama", d.name, 8192, 16)
    assert (m.bos_id, m.add_bos, m.eos_id) == (3, True, 4)
    assert m.stop_ids[:2] == (4, 5)
    assert m.special_ids == (3, 4, 5)  # <tag> is added but not special
    assert m.tokenizer_model == "gpt2" and m.bos_prefix == (3,)


def test_hf_dir_without_bos_template_adds_no_bos(tmp_path):
    d = _hf_dir(tmp_path, post_bos=False, config={"bos_token_id": 3, "eos_token_id": 4})
    m = ModelMetadata.load(d)
    assert (m.bos_id, m.add_bos) == (3, False)
    (d / "tokenizer_config.json").write_text(json.dumps({"add_bos_token": True}))
    assert ModelMetadata.load(d).add_bos is True


# ---------------------------------------------------------------------------------------------
# the engine follows the metadata: BOS, FIM order, stops


@pytest.fixture
def bos_model_dir(tiny_model_dir, tmp_path) -> Path:
    """The tiny conversion, but saying prompts start with BOS (id 1), as Llama 3's do."""
    import shutil

    d = tmp_path / "bos"
    shutil.copytree(tiny_model_dir, d)
    info = json.loads((d / SPARK_MODEL_JSON).read_text())
    info["metadata"]["add_bos"] = True
    (d / SPARK_MODEL_JSON).write_text(json.dumps(info))
    return d


def test_engine_reads_the_converted_metadata(tiny_model_dir):
    from conftest import make_engine

    eng = make_engine(tiny_model_dir, warmup=False)
    assert eng.metadata == ModelMetadata.load(tiny_model_dir)
    assert eng.specials.stop == {0, 2} and eng.specials.all_special == {0, 1, 2, 3}
    assert eng.specials.bos == () and eng._prompt_ids("x = 1", "", 200) == eng.encode("x = 1")


def test_engine_starts_prompts_with_bos_and_still_reuses_the_kv_prefix(bos_model_dir):
    from conftest import make_engine

    eng = make_engine(bos_model_dir, warmup=False, typed_through=False, token_healing=False)
    assert eng._prompt_ids("x = 1", "", 200) == [1, *eng.encode("x = 1")]
    assert eng._prompt_ids("", "", 200) == [1, *eng.encode("\n")]
    first = eng.complete("import numpy as np\nx = np.", max_tokens=2).wait()
    again = eng.complete("import numpy as np\nx = np.zeros(", max_tokens=2).wait()
    assert first.prompt_tokens == len(eng.encode("import numpy as np\nx = np.")) + 1
    assert again.cached_tokens >= len(eng.encode("import numpy as np\n")) + 1  # BOS included


def test_engine_fim_prompt_follows_the_model_order(bos_model_dir):
    from dataclasses import replace

    from conftest import make_engine

    eng = make_engine(bos_model_dir, warmup=False)
    pre, suf, mid = 0, 2, 3  # stand-ins: the tiny vocabulary has no FIM tokens of its own
    p, s = eng.encode("x = f("), eng.encode(")\nprint(x)")
    eng.specials = replace(eng.specials, fim=(pre, suf, mid))
    assert eng._prompt_ids("x = f(", ")\nprint(x)", 200) == [1, pre, *p, suf, *s, mid]
    eng.specials = replace(eng.specials, fim_order="spm")
    assert eng._prompt_ids("x = f(", ")\nprint(x)", 200) == [1, suf, *s, pre, *p, mid]
    ids = eng._prompt_ids("x = f(" * 100, ")\nprint(x)", 60)  # trimmed to the budget
    assert len(ids) <= 60 and ids[:2] == [1, suf] and ids[-1] == mid


def test_bring_your_own_dir_with_broken_added_tokens_is_a_typed_error(tmp_path):
    tok = {"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"content": "<x>"}]}
    (tmp_path / "tokenizer.json").write_text(json.dumps(tok))
    with pytest.raises(InvalidModelFile, match="tokenizer or config"):
        ModelMetadata.load(tmp_path)


def test_reader_without_a_path_names_nothing_odd(tiny_meta):
    path, m = tiny_meta
    reader = gguf.GGUFReader(str(path))
    assert ModelMetadata.from_gguf(reader).file_size == m.file_size
