"""The examples in the public API's docstrings run, and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

import cooc

#: The modules that define the names ``cooc`` exports.
PUBLIC_MODULES = sorted({getattr(cooc, name).__module__ for name in cooc.__all__ if name != "__version__"})


def test_the_public_api_has_examples():
    with_examples = [m for m in PUBLIC_MODULES if doctest.DocTestFinder().find(importlib.import_module(m))]
    found = [t for m in with_examples for t in doctest.DocTestFinder().find(importlib.import_module(m)) if t.examples]
    assert len(found) >= 8, [t.name for t in found]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {module}"
