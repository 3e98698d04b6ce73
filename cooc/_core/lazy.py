"""Lazily imported public names: a package lists ``name -> module`` and imports on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], names: Mapping[str, str], eager: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for a package.

    ``names`` maps each public name to the module defining it, absolute (``"cooc.corpus.vocab"``)
    or relative to the package (``"rhm"``). A name is imported on first access and cached
    in ``namespace`` (the package's ``globals()``). ``eager`` lists names already defined.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = names[name] if names[name].startswith("cooc") else f"{package}.{names[name]}"
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*eager, *names])

    return __getattr__, __dir__
