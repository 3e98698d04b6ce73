from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def wiki_docs() -> list[str]:
    """The plain text of the articles in gensim's shortened Wikipedia dump (106 articles, ~480k tokens)."""
    from cooc.datasets import wiki_sample_path
    from cooc.sources import WikiXMLSource
    return list(WikiXMLSource(wiki_sample_path()).documents())
