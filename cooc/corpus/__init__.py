"""Text to token ids: vocabulary, tokenisation, the TokenCorpus store, its parallel build, and sources."""

from __future__ import annotations

from .._core.lazy import lazy_exports

_LAZY = {
    "Vocabulary": "vocab",
    "Tokenizer": "tokenize",
    "TokenCorpus": "store",
    "CorpusWriter": "store",
    "build_corpus": "build",
    "open_source": "sources",
}
__all__ = list(_LAZY)
__getattr__, __dir__ = lazy_exports(globals(), _LAZY)
