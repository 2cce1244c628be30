"""How often our tokenizer gives llama.cpp's token ids, per pre-tokenizer: the table for README.

For each pre-tokenizer tests/test_tokenizer_llamacpp.py checks (``--all``: every
``tokenizer.ggml.pre`` name our table and llama.cpp both know), a vocabulary is trained on the
test corpus, written as a vocabulary-only GGUF and tokenized by ours and by llama.cpp
(llama-cpp-python in .venv-llamacpp); ``--real`` adds the default model's own GGUF (SmolLM2).
Columns: texts in the corpus; share with the same ids with special tokens parsed (what the
engine does) and without; share whose decode gives the text back; share whose decode equals
llama.cpp's detokenize of its own ids.

    .venv/bin/python benchmarks/tokenizer_agreement.py [--all] [--real] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import REPO_ROOT, RESULTS_DIR, table, write_json

sys.path.insert(0, str(REPO_ROOT / "tests"))
from labserver import REAL_DATA_DIR, default_gguf, llama_cpp_available
from test_tokenizer_llamacpp import (
    CHAT_SPECIALS,
    FAMILIES,
    LLAMA_CPP_KNOWS,
    OTHER_FAMILIES,
    Agreement,
    Family,
    compare,
    write_family_gguf,
)


def families(every: bool) -> list[Family]:
    """The families the test checks, then (``every``) each other name llama.cpp knows."""
    tested = [*FAMILIES, *OTHER_FAMILIES]
    names = {f.pre for f in tested}
    extra = [Family(p, tuple(CHAT_SPECIALS)) for p in sorted(LLAMA_CPP_KNOWS - names)]
    return [*tested, *(extra if every else [])]


def _pct(n: int, of: int) -> str:
    return f"{100 * n / of:.1f} %"


def run(every: bool, real: bool) -> list[Agreement]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for fam in families(every):
            try:
                path = write_family_gguf(Path(tmp) / f"{fam.pre}.gguf", fam)
                results.append(compare(path, fam.pre))
            except RuntimeError as e:  # llama.cpp refuses a name (older or newer than ours)
                print(f"{fam.pre}: llama.cpp failed: {str(e).splitlines()[-1]}", file=sys.stderr)
    if real:
        results.append(compare(default_gguf(REAL_DATA_DIR / "gguf"), "SmolLM2-135M (real GGUF)"))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--all", action="store_true", help="every pre-tokenizer name we know")
    ap.add_argument("--real", action="store_true", help="also the default model's GGUF")
    ap.add_argument("--json", action="store_true", help="write results/tokenizer_agreement.json")
    args = ap.parse_args()
    if not llama_cpp_available():
        sys.exit("llama-cpp-python is not installed in .venv-llamacpp (see .ci/run)")
    results = run(args.all, args.real)
    headers = ["pre-tokenizer", "texts", "same ids", "same ids, no specials", "round trip",
               "decode = llama.cpp"]  # fmt: skip
    rows = [
        [a.name, str(a.texts), _pct(a.same_ids, a.texts), _pct(a.same_plain_ids, a.texts),
         _pct(a.round_trips, a.texts), _pct(a.same_decode, a.texts)]
        for a in results
    ]  # fmt: skip
    print(table(headers, rows))
    for a in results:
        for text, ours, want in a.mismatches[:3]:
            print(f"\n{a.name}: {text!r}\n  ours      {ours}\n  llama.cpp {want}")
    if args.json:
        data = {a.name: {k: v for k, v in vars(a).items() if k != "mismatches"} for a in results}
        write_json(RESULTS_DIR / "tokenizer_agreement.json", data)


if __name__ == "__main__":
    main()
