"""IPython extension: ``%load_ext jupyter_spark`` gives the ``%spark`` magics (and ``%jspark``).

Entry points: :func:`load` / :func:`unload` (called by ``jupyter_spark.load_ipython_extension``).
magics.py has the magics, session.py the lazily loaded warm model, autosuggest.py the terminal
ghost text.
"""

from __future__ import annotations

from typing import Any

from .magics import PRIMARY_NAME, SECOND_NAME, SparkMagics

_STATE: dict[int, SparkMagics] = {}


def load(ip: Any) -> None:
    if id(ip) in _STATE:
        return
    magics = SparkMagics(shell=ip)
    taken = {kind: ip.magics_manager.magics[kind].get(PRIMARY_NAME) for kind in ("line", "cell")}
    clash = any(
        fn is not None and getattr(fn, "__self__", None).__class__ is not SparkMagics
        for fn in taken.values()
    )
    for kind in ("line", "cell"):
        ip.register_magic_function(magics.spark, kind, SECOND_NAME)
        if not clash:
            ip.register_magic_function(magics.spark, kind, PRIMARY_NAME)
    if clash:
        magics.name = SECOND_NAME
        print(
            f"jupyter_spark: another extension (sparkmagic?) owns %{PRIMARY_NAME}; "
            f"these magics are %{SECOND_NAME} and %%{SECOND_NAME}."
        )
    ip.events.register("post_run_cell", magics.record)
    _STATE[id(ip)] = magics
    if magics.autosuggest:
        from .autosuggest import install

        if install(ip, magics.session):
            magics.session.ensure_loading()


def unload(ip: Any) -> None:
    magics = _STATE.pop(id(ip), None)
    if magics is None:
        return
    ip.events.unregister("post_run_cell", magics.record)
    for kind in ("line", "cell"):
        for name in (PRIMARY_NAME, SECOND_NAME):
            fn = ip.magics_manager.magics[kind].get(name)
            if getattr(fn, "__self__", None) is magics:
                del ip.magics_manager.magics[kind][name]
    if magics.autosuggest:
        from .autosuggest import uninstall

        uninstall(ip)
    magics.session.close()


__all__ = ["SparkMagics", "load", "unload"]
