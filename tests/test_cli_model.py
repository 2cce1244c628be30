"""`jupyter spark model pull | list | info`, in-process through main() and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_spark.cli import ERROR_EXIT, main
from jupyter_spark.models import cache_root, model_info
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
        "NAME", "SIZE", "MB", "QUANTIZATION", "SOURCE", "CONVERTER", "CREATED", "STATUS"
    ]  # fmt: skip
    row = lines[1].split()
    assert row[0] == pulled
    assert float(row[1]) > 0
    assert row[2].startswith("Q4_1/")
    assert row[3:5] == ["gguf-file", str(model_info(pulled).manifest["source"]["ref"])]
    assert row[5] == CONVERTER_VERSION
    assert row[-1] == "ok"

    assert main(["model", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["name"] == pulled and entry["stale"] is None

    assert main(["model", "info", pulled]) == 0
    out = capsys.readouterr().out
    assert f"name: {pulled}" in out
    assert f"converter_version: {CONVERTER_VERSION}" in out
    assert "kind: gguf-file" in out

    assert main(["model", "info", pulled, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["manifest"] == model_info(pulled).manifest
    assert Path(info["onnx_path"]).is_file()


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
