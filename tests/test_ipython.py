"""The IPython extension: %spark magics in a real InteractiveShell and a real ipykernel, and
ghost-text suggestions in terminal IPython driven through a pty."""

from __future__ import annotations

import os
import sys
import time

import pytest

from jupyter_spark.ipython import SparkMagics


@pytest.fixture(scope="module")
def ip():
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "jupyter_spark")
    yield shell
    shell.run_line_magic("unload_ext", "jupyter_spark")


def magics(ip) -> SparkMagics:
    return ip.magics_manager.magics["line"]["jspark"].__self__


def use_model(ip, path) -> None:
    ip.run_line_magic("spark", f"model {path}")
    assert magics(ip).session.wait_ready(60), magics(ip).session.status()


def test_complete_cell_magic_status_and_usage(ip, tiny_model_dir, capsys):
    use_model(ip, tiny_model_dir)
    ip.run_cell("values = [1, 2, 3]")
    capsys.readouterr()
    ip.run_line_magic("spark", "complete total = sum(val")
    out = capsys.readouterr().out
    assert out.startswith("total = sum(val")
    ip.run_cell_magic("spark", "-i", "def add(a, b):\n    return a")
    assert ip.rl_next_input.startswith("def add(a, b):\n    return a")
    ip.run_line_magic("spark", "status")
    out = capsys.readouterr().out
    assert "(ready)" in out and "completions" in out
    ip.run_line_magic("spark", "frobnicate")
    out = capsys.readouterr().out
    assert "Unknown subcommand 'frobnicate'" in out and "complete CODE" in out
    ip.run_line_magic("spark", "complete")
    assert "Usage:" in capsys.readouterr().out


def test_complete_is_grounded_on_the_namespace(ip, tiny_model_dir, capsys):
    """The tiny model's guesses are noise: the key can only come from the live dict."""
    use_model(ip, tiny_model_dir)
    ip.run_cell("hyperparams = {'warmup_steps': 500, 'label_smoothing': 0.1}")
    session = magics(ip).session
    r = session.complete("x = hyperparams['", namespace=ip.user_ns, max_tokens=40)
    assert r.grounded == "key"
    assert r.text.startswith(("warmup_steps'", "label_smoothing'")), r.text
    ip.run_cell("assert 'x' not in dir()")  # nothing was added to the namespace


def test_check_finds_what_the_namespace_shows_before_the_cell_runs(ip, capsys):
    ip.run_cell("import pandas as pd\nsales = pd.DataFrame({'revenue': [1.0], 'units': [2]})")
    capsys.readouterr()
    ip.run_cell_magic("spark", "check", "total = sales['revenu'].sum()")
    out = capsys.readouterr().out
    assert "line 1:" in out and "[missing-key]" in out, out
    assert "+total = sales['revenue'].sum()" in out
    ip.run_line_magic("spark", "check total = sales['revenue'].sum()")
    assert "no problems found" in capsys.readouterr().out
    ip.run_cell("assert 'total' not in dir()")  # checked, never run


def test_fix_shows_a_diff_applies_and_leaves_the_error_state(ip, capsys):
    ip.run_cell("sales_df = {'a': 1}")
    ip.run_cell("print(sales_dff)")
    last = sys.last_value
    count = ip.execution_count
    capsys.readouterr()
    ip.run_line_magic("spark", "fix --apply -n 2")
    out = capsys.readouterr().out
    assert "Use `sales_df` instead of `sales_dff`" in out
    assert "-print(sales_dff)\n+print(sales_df)" in out
    assert ip.rl_next_input == "print(sales_df)"
    assert sys.last_value is last and ip.execution_count == count


def test_modernize_a_past_cell(ip, capsys):
    ip.run_cell("from typing import List\nxs: List[int] = []", store_history=True)
    n = ip.execution_count - 1
    capsys.readouterr()
    ip.run_line_magic("spark", f"modernize {n}")
    out = capsys.readouterr().out
    assert "+xs: list[int] = []" in out
    ip.run_line_magic("spark", "modernize 99999")
    assert "Usage:" in capsys.readouterr().out


def test_no_model_or_broken_model_is_a_clear_message(ip, tiny_model_dir, tmp_path, capsys):
    ip.run_line_magic("spark", f"model {tmp_path / 'missing.gguf'}")
    magics(ip).session.wait_ready(30)
    capsys.readouterr()
    ip.run_line_magic("spark", "complete x = ")
    out = capsys.readouterr().out
    assert out.startswith("Spark: the model failed to load:")
    ip.run_line_magic("spark", "status")
    assert "(error)" in capsys.readouterr().out
    assert ip.run_cell("1 + 1").result == 2  # the shell is fine
    use_model(ip, tiny_model_dir)


def test_no_previous_error(tiny_model_dir, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    m = SparkMagics(shell=InteractiveShell.instance())
    m.failures = []
    saved = [getattr(sys, n, None) for n in ("last_value", "last_traceback")]
    for n in ("last_value", "last_traceback"):
        if hasattr(sys, n):
            delattr(sys, n)
    try:
        m.spark("fix")
        assert "no failed cell" in capsys.readouterr().out
    finally:
        for n, v in zip(("last_value", "last_traceback"), saved, strict=True):
            if v is not None:
                setattr(sys, n, v)


def test_sparkmagic_clash_keeps_the_other_magic(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_spark.ipython import load, unload

    class Other(InteractiveShell):
        pass

    shell = Other()

    def sparkmagic(line, cell=None):
        return "sparkmagic"

    shell.register_magic_function(sparkmagic, "line_cell", "spark")
    load(shell)
    try:
        assert "owns %spark" in capsys.readouterr().out
        assert shell.run_line_magic("spark", "x") == "sparkmagic"
        assert shell.magics_manager.magics["line"]["jspark"].__self__.name == "jspark"
    finally:
        unload(shell)


async def test_magics_in_a_real_kernel(tiny_model_dir, tmp_path):
    from jupyter_client.manager import AsyncKernelManager

    # the magics index the kernel's working directory as the server indexes its root
    (tmp_path / "route_tools.py").write_text(
        "def plan_route_km(origin, destination, *, avoid_tolls=False):\n    return 0.0\n"
    )
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=str(tmp_path))
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)

        async def run(code: str) -> str:
            msg_id = client.execute(code)
            text = []
            while True:
                msg = await client.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    text.append(msg["content"]["text"])
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(text)

        await run(f"%load_ext jupyter_spark\n%spark model {tiny_model_dir}")
        out = ""
        for _ in range(60):
            out = await run("%spark status")
            if "(ready)" in out or "(error)" in out:
                break
            time.sleep(0.5)
        assert "(ready)" in out, out
        out = await run("%spark complete numbers = [1, 2")
        assert out.startswith("numbers = [1, 2")
        out = await run("%spark status")
        assert "project index of" in out and "ready, 1 files" in out, out
        # not imported in the kernel: only the index knows the module's names
        out = await run("%%spark\nimport route_tools\nd = route_tools.plan")
        assert "d = route_tools.plan_route_km" in out, out
        out = await run("%%spark\nimport route_tools\nd = route_tools.plan_route_km(a, b, avoid")
        assert "avoid_tolls=" in out, out
        await run("prnt('x')")
        out = await run("%spark fix")
        assert "Use `print` instead of `prnt`" in out
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)


@pytest.mark.real_model
def test_terminal_ghost_text_accepted_with_right(real_model, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "TERM": "xterm-256color", "IPYTHONDIR": str(tmp_path / "ipython")}
    project = tmp_path / "project"
    project.mkdir()
    child = pexpect.spawn(
        sys.executable,
        [
            "-m", "IPython", "--no-banner", "--colors=NoColor",
            "--InteractiveShellApp.extensions=['jupyter_spark']",
            "--SparkMagics.autosuggest=True", f"--SparkMagics.model={real_model.path}",
            "--HistoryManager.hist_file=:memory:",
        ],
        env=env, encoding="utf-8", timeout=120, dimensions=(40, 120),
        cwd=str(project),  # a user's folder: its project index is what the prompt may use
    )  # fmt: skip
    try:
        child.expect(r"In \[1\]")
        child.sendline("numbers = [1, 2, 3, 4]")
        child.expect(r"In \[2\]")
        for _ in range(120):  # the model loads in the background; typing works meanwhile
            child.sendline("%spark status")
            i = child.expect([r"\((ready|error)\)", r"\((loading|idle)\)"])
            if i == 0:
                break
            time.sleep(0.5)
        assert child.match.group(1) == "ready"
        child.expect(r"In \[\d+\]")
        child.send("total = sum(numb")
        # The suggestion is drawn in prompt_toolkit's auto-suggestion grey after the cursor.
        child.expect(r"\x1b\[0;38;5;241m([^\x1b]+)", timeout=60)
        shown = child.match.group(1)
        assert shown.strip()
        child.send("\x1b[C")  # Right: accept the whole suggestion
        child.send("\r")
        child.expect(r"In \[(\d+)\]")
        child.sendline("print('ACCEPTED:' + In[-2].upper())")
        child.expect(r"ACCEPTED:(TOTAL[^\r\n]*)")  # the output, not the echoed command
        accepted = child.match.group(1)
        assert accepted.startswith("TOTAL = SUM(NUMB")
        assert len(accepted) > len("TOTAL = SUM(NUMB")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
