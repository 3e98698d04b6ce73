"""Files cooc writes: atomic, readable as the umask allows, strict JSON."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.io import atomic_save_npz, atomic_write_json, atomic_write_text, current_umask, json_text


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    from cooc import Cooccurrence, Embedding
    from cooc.corpus.vocab import Vocabulary

    old = os.umask(umask)
    try:
        assert current_umask() == umask
        atomic_write_text(tmp_path / "a.txt", "x")
        atomic_write_json(tmp_path / "b.json", {"a": 1})
        atomic_save_npz(tmp_path / "c.npz", x=np.zeros(3))
        Cooccurrence(sp.csr_matrix(np.eye(2)), Vocabulary(["a", "b"], [1, 1])).save(tmp_path / "counts")
        Embedding(np.eye(2), ["a", "b"]).save(tmp_path / "emb")
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name


def test_json_is_strict():
    text = json_text(
        {
            "nan": float("nan"),
            "inf": np.float64(math.inf),
            "ok": np.float32(0.5),
            "n": np.int64(3),
            "a": np.array([1.0, np.nan]),
            "t": (1, 2),
        }
    )
    assert json.loads(text) == {"nan": None, "inf": None, "ok": 0.5, "n": 3, "a": [1.0, None], "t": [1, 2]}
    assert "NaN" not in text and "Infinity" not in text


def test_json_of_long_plain_lists_is_one_line():
    """Lists of exact str or int items skip the item-by-item conversion; a list of more than
    ONE_LINE_LIST scalars is written on one line, everything else as ``json.dumps(indent=2)``."""
    from cooc._core.io import ONE_LINE_LIST, jsonable

    words = [f"w{i}" for i in range(1000)] + ["é", 'a"b']
    mixed = [1, True, np.int64(2), 3.5, float("nan"), "x", None]
    obj = {"words": words, "counts": list(range(1000)), "bools": [True, False], "mixed": mixed, "empty": []}
    converted = jsonable(obj)
    assert converted["words"] == words and converted["words"] is not words  # a copy, never the caller's list
    assert [type(v) for v in converted["mixed"]] == [int, bool, int, float, type(None), str, type(None)]
    assert converted["bools"] == [True, False] and type(converted["bools"][0]) is bool
    expected = (
        '{\n  "words": ' + json.dumps(words) + ",\n"
        '  "counts": ' + json.dumps(list(range(1000))) + ",\n"
        '  "bools": [\n    true,\n    false\n  ],\n'
        '  "mixed": [\n    1,\n    true,\n    2,\n    3.5,\n    null,\n    "x",\n    null\n  ],\n'
        '  "empty": []\n}'
    )
    assert json_text(obj) == expected
    # at the threshold and below it, and lists holding containers: the standard library's layout
    nested = {
        "short": list(range(ONE_LINE_LIST)),
        "pairs": [[i, i + 1] for i in range(40)],
        "deep": {"a": {}, "b": [{"c": [1.5, None, False, "é"]}], "d": [[]]},
        "mixed_long": [1, "a", 2.5, None, True] * 4,
    }
    text = json_text(nested)
    assert json.loads(text) == nested
    standard = json.dumps({k: v for k, v in nested.items() if k != "mixed_long"}, indent=2)
    assert json_text({k: v for k, v in nested.items() if k != "mixed_long"}) == standard
    assert '  "mixed_long": ' + json.dumps(nested["mixed_long"]) + "\n}" in text
    assert json_text(nested, indent=None) == json.dumps(nested)


@pytest.mark.parametrize("n", [0, 1, 9, 40])
def test_nonfinite_rows_across_blocks(n):
    from cooc._core.io import nonfinite_rows

    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, 3)).astype(np.float32)
    bad = np.sort(rng.choice(n, size=min(n, 6), replace=False)) if n else np.zeros(0, dtype=np.int64)
    a[bad, rng.integers(0, 3, bad.size)] = rng.choice([np.nan, np.inf, -np.inf], size=bad.size)
    for block in (1, 4, 7, 1 << 16):  # rows checked a block at a time: the same rows at every block size
        np.testing.assert_array_equal(nonfinite_rows(a, block=block), bad)


def test_text_files_that_are_not_utf8_are_named_with_the_line_of_the_bad_byte(tmp_path):
    """--family, --edges and --substitutions files in Latin-1 gave the codec's message without the file."""
    import pytest
    from typer.testing import CliRunner

    from cooc._core.errors import InputDataError
    from cooc.cli import app
    from cooc.corpus.tokenize import load_substitutions
    from cooc.geometry.families import load_family
    from cooc.geometry.wordnet import read_edges

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("zurich\ncaf\xe9\tcafe\n".encode("latin-1"))
    for read, what in (
        (load_substitutions, "substitution table"),
        (load_family, "family file"),
        (read_edges, "edge list"),
    ):
        with pytest.raises(InputDataError, match=rf"{what} '.*latin1.txt' is not UTF-8 text \(byte 0xe9 on line 2\)"):
            read(bad)
    res = CliRunner().invoke(app, ["corpus", "build", str(bad), "-o", str(tmp_path / "c"), "--substitutions", str(bad)])
    assert res.exit_code == 1 and "substitution table" in res.output and "latin1.txt" in res.output, res.output
    good = tmp_path / "windows.txt"  # a byte-order mark and CRLF line ends, as Windows editors write
    good.write_bytes("\ufeffnew york\r\nlos angeles\tLA\r\n".encode())
    assert load_substitutions(good) == {"new york": "new-york", "los angeles": "LA"}
    good.write_bytes(b"new york\rlos angeles\tLA\r")  # old Mac line ends, which open() reads as lines too
    assert load_substitutions(good) == {"new york": "new-york", "los angeles": "LA"}


def test_bad_byte_after_a_byte_order_mark_is_named_with_its_own_line(tmp_path):
    """With utf-8-sig the codec counts from after the 3-byte BOM: the message named the byte 3 places earlier."""
    import pytest

    from cooc._core.errors import InputDataError
    from cooc._core.io import read_utf8

    bad = tmp_path / "bom.tsv"
    bad.write_bytes(b"\xef\xbb\xbfab\tx\n\n\xff\n")
    with pytest.raises(InputDataError, match=r"table '.*bom.tsv' is not UTF-8 text \(byte 0xff on line 3\)"):
        read_utf8(bad, "table", encoding="utf-8-sig")
    bad.write_bytes(b"\xef\xbb\xbf\xe9")  # the bad byte right after the BOM
    with pytest.raises(InputDataError, match=r"\(byte 0xe9 on line 1\)"):
        read_utf8(bad, "table", encoding="utf-8-sig")
    bad.write_bytes(b"ab\tx\n\n\xff\n")  # no BOM: unchanged
    with pytest.raises(InputDataError, match=r"\(byte 0xff on line 3\)"):
        read_utf8(bad, "table", encoding="utf-8-sig")


def test_read_utf8_reads_a_file_inside_a_zip(tmp_path):
    """importlib.resources gives a zipfile.Path when cooc is imported from a zip: Path(...) of it failed."""
    import zipfile

    import pytest

    from cooc._core.errors import InputDataError
    from cooc._core.io import read_utf8
    from cooc.geometry.families import _parse_family_file

    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/months.txt", "# kind: cyclic\njanuary\t1\nfebruary\t2\n")
        zf.writestr("data/bad.txt", b"ok\n\xe9\n")
    good = zipfile.Path(archive, "data/months.txt")
    assert read_utf8(good, "family file") == "# kind: cyclic\njanuary\t1\nfebruary\t2\n"
    assert list(_parse_family_file(good).words) == ["january", "february"]
    with pytest.raises(
        InputDataError, match=r"family file '.*pkg.zip/data/bad.txt' is not UTF-8 text \(byte 0xe9 on line 2\)"
    ):
        read_utf8(zipfile.Path(archive, "data/bad.txt"), "family file")
