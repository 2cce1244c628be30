"""The project index: the other files of the project, for grounding and for the prompt.

Entry point: ``ProjectIndex(root, ProjectConfig(...)).start()``; then

    index.module("geo_utils", near="analysis")  -> its symbols (grounding's SymbolSource)
    project_block(index, ...)                   -> the prompt's block of related code

    files.py   which files may be read (root, .gitignore, hidden, symlinks, sizes, binaries)
    extract.py one file -> symbols (functions, classes, constants, __all__) and chunks
    index.py   the store: builds, applies changes, resolves imports, retrieves (BM25)
    watch.py   changes on disk (watchfiles, else polling)
    prompt.py  the retrieved chunks as the prompt's project block
"""

from .config import DEFAULT_PROJECT, ProjectConfig
from .index import ProjectIndex

__all__ = ["DEFAULT_PROJECT", "ProjectConfig", "ProjectIndex"]
