"""`jupyter spark model pull | list | info`, in-process through main() and as a real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_spark.cli import ERROR_EXIT, main
from jupyter_spark.models import InvalidModelFile, UnsupportedModel, cache_root, model_info
from jupyter_spark.models.convert import CONVERTER_VERSION

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pulled(tiny_gguf, capsys):
    """The tiny GGUF pulled into the (per-test) cache through the CLI; returns its cache name."""
    assert main(["model", "pull", str(tiny_gguf)]) == 0
    out = capsys.readouterr().out
    name = out.split(":", 1)[0]
    assert out.strip() == f"{name}: ready at {cache_root() / name}"
    return name


def test_pull_then_list_and_info(pulled, capsys):
    assert main(["model", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "NAME", "ARCH", "CONTEXT", "FIM", "SIZE", "MB", "QUANTIZATION", "SOURCE", "CONVERTER",
        "CREATED", "STATUS",
    ]  # fmt: skip
    row = lines[1].split()
    assert row[0] == pulled
    assert row[1:4] == ["llama", "256", "no"]  # the tiny model: 256 tokens, no FIM tokens
    assert float(row[4]) > 0
    assert row[5].startswith("Q4_1/")
    assert row[6:8] == ["gguf-file", str(model_info(pulled).manifest["source"]["ref"])]
    assert row[8] == CONVERTER_VERSION
    assert row[-1] == "ok"

    assert main(["model", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["name"] == pulled and entry["stale"] is None

    assert main(["model", "info", pulled]) == 0
    out = capsys.readouterr().out
    assert f"name: {pulled}" in out
    assert f"converter_version: {CONVERTER_VERSION}" in out
    assert "kind: gguf-file" in out
    for line in ("architecture: llama", "context_length: 256", "fim: no", "  Q4_1: 14"):
        assert line in out.splitlines()

    assert main(["model", "info", pulled, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["manifest"] == model_info(pulled).manifest
    assert Path(info["onnx_path"]).is_file()
    assert (info["architecture"], info["context_length"], info["fim"]) == ("llama", 256, False)
    assert info["quantization"] == info["manifest"]["quantization"]


def test_second_pull_and_force(pulled, tiny_gguf, capsys):
    manifest = cache_root() / pulled / "manifest.json"
    mtime = manifest.stat().st_mtime_ns
    assert main(["model", "pull", str(tiny_gguf)]) == 0
    assert manifest.stat().st_mtime_ns == mtime
    assert main(["model", "pull", pulled, "--force"]) == 0
    assert manifest.stat().st_mtime_ns != mtime
    assert capsys.readouterr().out.count("ready at") == 2


def test_stale_model_is_flagged(pulled, capsys):
    (cache_root() / pulled / "tokenizer.json").write_text("{}")
    assert main(["model", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "stale"
    assert main(["model", "info", pulled]) == 0
    assert "stale: tokenizer.json has 2 bytes" in capsys.readouterr().out


def test_empty_cache(capsys):
    assert main(["model", "list"]) == 0
    assert "no models in" in capsys.readouterr().out
    assert main(["model", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["model", "pull", "{tmp}/missing.gguf"], "{tmp}/missing.gguf: no such file"),
        (["model", "pull", "{tmp}/text.gguf"], "{tmp}/text.gguf: not a GGUF file"),
        (["model", "info", "no-such-model"], "no-such-model: no such model in the cache"),
        (["model", "info"], "not in the cache yet"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, expected):
    (tmp_path / "text.gguf").write_text("not a model\n")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == ERROR_EXIT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert expected.format(tmp=tmp_path) in captured.err
    assert len(captured.err.splitlines()) == 1


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["model"])
    assert exc.value.code == 2
    assert "usage: jupyter spark model" in capsys.readouterr().err


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m jupyter_spark.cli ...` as a separate process, with this test's data dir."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "jupyter_spark.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_real_process(pulled, tmp_path):
    proc = run_cli("model", "list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith(pulled + " ")

    proc = run_cli("model", "pull", str(tmp_path / "nope.gguf"))
    assert proc.returncode == ERROR_EXIT
    assert proc.stderr == f"error: {tmp_path / 'nope.gguf'}: no such file or directory\n"
    assert "Traceback" not in proc.stderr


def test_a_cache_that_cannot_be_written_is_one_clear_error(
    tmp_path, tiny_gguf, monkeypatch, capsys
):
    """The Jupyter data dir is not a writable directory (here a file stands where it should
    be; running as root, permission bits alone would not stop the test): one line, exit 2,
    and nothing is left half-built."""
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a directory\n")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(blocker / "jupyter"))
    assert main(["model", "pull", str(tiny_gguf)]) == ERROR_EXIT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert str(blocker / "jupyter") in err and "Not a directory" in err
    assert blocker.read_text() == "a file, not a directory\n"


def test_complete_is_grounded_on_the_code_itself(tiny_model_dir, capsys):
    """A dict literal's keys, from the prefix alone; --no-grounding and a jsonl line's field
    turn it off (the tiny model's own guesses are noise)."""
    prefix = "settings = {'warmup_steps': 3, 'lr_decay': 0.1}\nx = settings['"
    base = ["complete", "--model", str(tiny_model_dir), "--prefix", prefix, "--max-tokens", "40"]
    assert main([*base, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["grounded"] == "key" and out["text"].startswith(("warmup_steps'", "lr_decay'"))
    assert main([*base, "--json", "--no-grounding"]) == 0
    assert json.loads(capsys.readouterr().out)["grounded"] == ""


# -- a GGUF read in place, and the files we refuse ------------------------------------------


def _cache_files() -> list[str]:
    root = cache_root()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_info_reads_a_gguf_without_converting_it(tiny_gguf, capsys):
    assert main(["model", "info", str(tiny_gguf)]) == 0
    lines = capsys.readouterr().out.splitlines()
    for line in ("architecture: llama", "context_length: 256", "fim: no", "  Q4_1: 14",
                 f"size_bytes: {tiny_gguf.stat().st_size}", "supported: yes"):  # fmt: skip
        assert line in lines
    assert main(["model", "info", str(tiny_gguf), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["refused"] is None and d["quantization"] == {"Q4_1": 14, "F32": 5, "Q8_0": 1}
    assert _cache_files() == []  # nothing converted, nothing written


def _without_tokenizer(src: Path, dst: Path) -> Path:
    """A copy of the GGUF ``src`` with every tokenizer.* key left out."""
    import gguf
    import numpy as np

    r = gguf.GGUFReader(str(src))
    w = gguf.GGUFWriter(str(dst), r.fields["general.architecture"].contents())
    for name, f in r.fields.items():
        if name.startswith(("GGUF.", "tokenizer.")) or name == "general.architecture":
            continue
        sub = f.types[-1] if f.types[0] == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(name, f.contents(), f.types[0], sub)
    for t in r.tensors:
        w.add_tensor(t.name, np.asarray(t.data), raw_dtype=t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return dst


@pytest.fixture
def bad_models(tmp_path, tiny_gguf, tiny_model_dir) -> dict[str, tuple[Path, type, str]]:
    """name -> (path, the typed error, what its message says)."""
    from tinymodel import TinyConfig, write_tiny_gguf

    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[:3000])
    onnx_dir = tmp_path / "onnx-no-tokenizer"
    shutil.copytree(tiny_model_dir, onnx_dir)
    (onnx_dir / "tokenizer.json").unlink()
    return {
        "architecture": (
            write_tiny_gguf(tmp_path / "mamba.gguf", TinyConfig(arch="mamba")),
            UnsupportedModel,
            "architecture 'mamba' is not supported",
        ),
        "truncated": (truncated, InvalidModelFile, "GGUF"),
        "tokenizer": (
            _without_tokenizer(tiny_gguf, tmp_path / "no-tokenizer.gguf"),
            InvalidModelFile,
            "no tokenizer metadata",
        ),
        "onnx": (onnx_dir, InvalidModelFile, "tokenizer.json: no such file"),
    }


def test_models_we_cannot_run_are_refused_before_any_work(
    pulled, bad_models, tiny_model_dir, capsys
):
    """Each is one typed error naming the file and the reason; the cache is as it was, and a
    serve started on the cached model before goes on serving it."""
    from labserver import ServeProcess

    from jupyter_spark.models import resolve_model

    capsys.readouterr()
    before = _cache_files()
    serve = ServeProcess(pulled).start()
    try:
        for path, error, says in bad_models.values():
            with pytest.raises(error, match=re.escape(says)) as exc:
                resolve_model(path, progress=False)
            assert str(path) in str(exc.value)
            assert main(["model", "pull", str(path)]) == ERROR_EXIT
            err = capsys.readouterr().err
            assert err.startswith(f"error: {path}") and says in err
            assert len(err.splitlines()) == 1
            assert _cache_files() == before
            status, body = serve.request("POST", "/v1/completions", {"prompt": "import"})
            assert status == 200 and json.loads(body)["model"] == pulled
        # model info says why, after what it could read (exit 2); serve refuses to start.
        path, _, says = bad_models["architecture"]
        assert main(["model", "info", str(path)]) == ERROR_EXIT
        out, err = capsys.readouterr()
        assert "architecture: mamba" in out and f"supported: no ({says}" in out
        assert err.startswith(f"error: {path}: {says}")
        proc = run_cli("serve", "--model", str(path), "--port", "9")
        assert proc.returncode == ERROR_EXIT and proc.stderr.startswith(f"error: {path}: {says}")
    finally:
        serve.stop()
    assert _cache_files() == before
