from __future__ import annotations

import pytest

from ..corpora import write_text_tree


@pytest.fixture(scope="session")
def wiki_docs() -> list[str]:
    """The plain text of the articles in gensim's shortened Wikipedia dump (106 articles, ~480k tokens)."""
    from cooc.corpus.sources import WikiXMLSource
    from cooc.data import wiki_sample_path

    return list(WikiXMLSource(wiki_sample_path()).documents())


@pytest.fixture
def text_tree(tmp_path, rng):
    """Three text files (plain, gzip, bzip2 in a subfolder) and the documents they hold, in read order."""
    return tmp_path / "texts", write_text_tree(tmp_path / "texts", rng)
