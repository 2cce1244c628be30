"""The package's layers, lowest first: a module imports only from layers below its own (or its
own subpackage). Data flows one way (frontend -> websocket -> context -> engine -> back), so
an import the other way is a design error, not a style question: this test names it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_spark"
# Subpackages (and top-level modules) by layer; within a layer, none imports another.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kernel", "models"),  # the in-kernel probe and its types (stdlib only); model files
    ("engine",),  # onnxruntime sessions, remote backends
    ("context",),  # notebooks, kernel snapshots, prompt building
    ("grounding",),  # sites and candidate sets
    ("project",),  # the project index
    ("fixes",),  # rules, ruff, kernel checks
    ("ipython", "server"),  # the two front doors: magics in a kernel, the Jupyter extension
    ("serve",),  # `jupyter spark serve` (reuses the server's protocol)
    ("cli", "__init__", "__main__"),
)
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _imported(path: Path, package: Path = PACKAGE) -> set[str]:
    """The subpackages of jupyter_spark that the module at ``path`` imports (any depth: a lazy
    import inside a function counts as much as one at the top)."""
    rel = path.relative_to(package).parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(rel[:-1])[: len(rel) - node.level] if node.level > 1 else list(rel[:-1])
            full = base + (node.module.split(".") if node.module else [])
            if full:
                out.add(full[0])
            else:  # ``from . import x`` at the top: x is a subpackage or module
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jupyter_spark."):
            out.add(node.module.split(".")[1])  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            out.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("jupyter_spark.")
            )
    return out


def test_no_module_imports_a_layer_above_or_beside_its_own():
    wrong = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        rel = path.relative_to(PACKAGE).parts
        own = rel[0] if len(rel) > 1 else rel[0][:-3]
        assert own in RANK, f"{own}: a new subpackage must be given a layer here"
        for target in _imported(path) - {own}:
            if target in RANK and RANK[target] >= RANK[own]:
                wrong.append(f"{'/'.join(rel)} imports {target}")
    assert wrong == [], "\n".join(wrong)


def test_the_walk_finds_every_form_of_upward_import(tmp_path):
    """The check above can fail: relative (one or two dots, ``from . import``), absolute and
    function-level imports are all seen, and a sibling module is not taken for a subpackage."""
    pkg = tmp_path / "jupyter_spark"
    (pkg / "engine").mkdir(parents=True)
    module = pkg / "engine" / "x.py"
    module.write_text(
        "from . import config\n"
        "from .remote import RemoteBackend\n"
        "from ..kernel import probe\n"
        "import jupyter_spark.fixes.rules\n"
        "def later():\n"
        "    from ..server.protocol import parse\n"
        "    from jupyter_spark.ipython import magics\n"
    )
    found = _imported(module, pkg)
    assert found == {"engine", "kernel", "fixes", "server", "ipython"}
    above = {t for t in found - {"engine"} if RANK[t] >= RANK["engine"]}
    assert above == {"fixes", "server", "ipython"}
