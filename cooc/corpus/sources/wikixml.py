"""Wikipedia XML dumps (``*-pages-articles*.xml.bz2``), markup stripped.

Pages are read with gensim's streaming XML parser (articles only, namespace 0;
redirects skipped); the wiki markup is stripped in the worker processes with gensim's
``filter_wiki`` (templates, links, tables, references), which the papers' pipeline
then normalises like any other text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree.ElementTree import ParseError

from ..._core.errors import InputDataError
from .base import Source, expand_paths, file_fingerprint, open_compressed

_REDIRECT = re.compile(r"^\s*#redirect", re.IGNORECASE)


def strip_wiki_markup(raw: str) -> str:
    """Plain text of a page's wikitext."""
    from gensim.corpora.wikicorpus import filter_wiki

    return filter_wiki(raw)


class WikiXMLSource(Source):
    """Articles of one or more Wikipedia XML dumps (plain or compressed).

    A folder is read for its dumps: ``.xml`` files (also ``.gz``, ``.bz2``, ``.xz``; any case)
    and the parts of a split dump (``...-pages-articles1.xml-p1p41242.bz2``), not the index of
    a multistream dump. A file that is not XML, or is cut short, raises :class:`InputDataError`
    naming it.
    """

    kind = "wikixml"
    prepare = staticmethod(strip_wiki_markup)

    def __init__(self, paths: Any):
        self.paths = expand_paths(paths, kind="wikixml")

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        return self.iter_raw_resumable(skip)[0]

    def iter_raw_resumable(
        self, skip: int = 0, resume: dict[str, Any] | None = None
    ) -> tuple[Iterator[str], Callable[[], Any]]:
        """Pages from ``skip`` on; the resume token names the dump file being read and the
        pages before it, so a restart opens that file directly instead of parsing every
        earlier dump again (English Wikipedia comes as dozens of multi-GB files)."""
        position = {"file": 0, "before": 0}  # file being read, pages in the files before it
        state = resume.get("state") if resume else None
        if state and 0 <= state.get("file", -1) < len(self.paths) and state.get("before", skip + 1) <= skip:
            position = {"file": int(state["file"]), "before": int(state["before"])}
        return self._pages(skip, position), lambda: dict(position)

    def _pages(self, skip: int, position: dict[str, int]) -> Iterator[str]:
        from gensim.corpora.wikicorpus import extract_pages

        seen = position["before"]
        for index in range(position["file"], len(self.paths)):
            position.update(file=index, before=seen)
            path = self.paths[index]
            with open_compressed(path) as fh:
                try:
                    for _title, text, _pageid in extract_pages(fh, filter_namespaces=("0",)):
                        if not text or _REDIRECT.match(text):
                            continue
                        if seen >= skip:
                            yield text
                        seen += 1
                except InputDataError:  # a damaged compressed file, said already
                    raise
                except (ParseError, ValueError) as exc:  # ParseError is a SyntaxError: a traceback, not a line
                    raise InputDataError(
                        f"cannot read {str(path)!r}: it is not a Wikipedia XML dump, or it is truncated ({exc})."
                    ) from exc

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "files": file_fingerprint(self.paths)}
