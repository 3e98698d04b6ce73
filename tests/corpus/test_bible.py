"""The King James Bible source (Debian's bible-kjv-text; skipped where it is not installed)."""

from __future__ import annotations

import pytest

from cooc._core.errors import InputDataError, InvalidParameterError, MissingDependencyError
from cooc.corpus.sources import open_source
from cooc.corpus.sources.bible import BibleSource, kjv_available, kjv_verses

needs_kjv = pytest.mark.skipif(not kjv_available(), reason="apt-get install bible-kjv-text")


@needs_kjv
def test_verses_books_and_chapters():
    verses = list(kjv_verses())
    assert len(verses) == 31102
    assert verses[0] == ("Ge", 1, 1, "In the beginning God created the heaven and the earth.")
    assert verses[-1][:3] == ("Rev", 22, 21)
    books = list(BibleSource("book").iter_raw())
    chapters = list(BibleSource("chapter").iter_raw())
    assert len(books) == 66 and len(chapters) == 1189
    assert chapters[0].startswith("In the beginning God created") and chapters[1].startswith("Thus the heavens")
    assert list(BibleSource("book").iter_raw(skip=65))[0].startswith("The Revelation of Jesus Christ")
    assert isinstance(open_source("bible:kjv:book"), BibleSource) and open_source("bible:kjv").unit == "chapter"


def test_bad_specs_and_a_missing_program():
    with pytest.raises(InvalidParameterError, match="parameter 'unit' must be one of"):
        BibleSource("page")
    with pytest.raises(InputDataError, match="expected bible:kjv"):
        open_source("bible:nrsv")
    with pytest.raises(MissingDependencyError, match="apt-get install bible-kjv bible-kjv-text"):
        list(BibleSource(program="no-such-bible-program").iter_raw())
