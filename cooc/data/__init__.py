"""Paths to the real data the project uses offline.

gensim's package ships a shortened English Wikipedia XML dump, Mikolov's analogy
questions, WordSim353 and SimLex-999; cooc uses them so that tests, benchmarks and the
demo never download anything.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from importlib.abc import Traversable
from pathlib import Path

from .._core.errors import MissingDependencyError
from .._core.paths import user_cache_dir

WIKI_SAMPLE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
QUESTIONS_WORDS = "questions-words.txt"
WORDSIM353 = "wordsim353.tsv"
SIMLEX999 = "simlex999.txt"


def shipped(*parts: str) -> Traversable:
    """A file or folder shipped inside the package (``cooc/data/...``), found the same way from a
    source checkout and from an installed wheel."""
    resource = importlib.resources.files(__name__)
    for part in parts:
        resource = resource / part
    return resource


def gensim_data(name: str) -> Path:
    """Path of a file in gensim's ``test_data`` folder."""
    # Found without importing gensim, which takes seconds (it imports scipy.stats).
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("gensim is needed for its shipped data: pip install gensim")
    path = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data" / name
    if not path.exists():
        raise MissingDependencyError(
            f"gensim's package lacks {name!r}; reinstall gensim (pip install --force-reinstall gensim)."
        )
    return path


def wiki_sample_path() -> Path:
    """The shortened English Wikipedia XML dump (bz2) shipped with gensim."""
    return gensim_data(WIKI_SAMPLE)


def questions_words_path() -> Path:
    """Mikolov's analogy questions (14 families)."""
    return gensim_data(QUESTIONS_WORDS)


def wordsim353_path() -> Path:
    return gensim_data(WORDSIM353)


def simlex999_path() -> Path:
    return gensim_data(SIMLEX999)


def cache_dir() -> Path:
    """Where derived data (extracted samples, WordNet's lexnames) is cached: see :func:`user_cache_dir`."""
    return user_cache_dir()
