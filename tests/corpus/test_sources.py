"""Every source on small local files, and gensim's shipped Wikipedia dump."""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.corpus.sources import (
    HFDatasetSource,
    JSONLSource,
    ParquetSource,
    TextSource,
    WikiXMLSource,
    detect_format,
    open_source,
)

ROWS = [
    {
        "id": str(i),
        "url": f"https://en.wikipedia.org/wiki?curid={i}",
        "title": f"T{i}",
        "text": f"Article {i} says hello world number {i}.",
    }
    for i in range(7)
]


@pytest.fixture
def text_dir(tmp_path):
    d = tmp_path / "texts"
    d.mkdir()
    (d / "a.txt").write_text("first doc\n\nsecond doc\nstill second\n")
    with gzip.open(d / "b.txt.gz", "wt") as fh:
        fh.write("third doc\n")
    with bz2.open(d / "c.txt.bz2", "wt") as fh:
        fh.write("fourth doc\n")
    return d


def test_text_lines_and_compression(text_dir):
    docs = list(TextSource(text_dir).documents())
    assert [d.strip() for d in docs] == ["first doc", "second doc", "still second", "third doc", "fourth doc"]


def test_text_paragraphs(text_dir):
    docs = list(TextSource(text_dir / "a.txt", mode="paragraph").documents())
    assert docs == ["first doc\n", "second doc\nstill second\n"]


def test_text_glob_and_skip(text_dir):
    src = TextSource(str(text_dir / "*.txt*"))
    assert list(src.iter_raw(skip=3)) == list(src.iter_raw())[3:]


def test_binary_file_refused(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"abc\x00\x01\x02" * 10)
    with pytest.raises(InputDataError, match="binary"):
        list(TextSource(tmp_path / "x.bin").documents())


def test_cooc_outputs_are_not_text_to_build_from(tmp_path):
    import numpy as np

    from cooc import Cooccurrence, Embedding
    from cooc.corpus.build import build_corpus
    from cooc.count import count_cooccurrences

    (tmp_path / "t.txt").write_text("the cat sat\nthe dog sat\n")
    corpus = build_corpus(tmp_path / "t.txt", tmp_path / "corpus", progress=False)
    count_cooccurrences(corpus, window=2, progress=False).save(tmp_path / "counts")
    Embedding(np.eye(4), list(corpus.vocab.words)).save(tmp_path / "emb")
    with pytest.raises(InputDataError, match=r"is a corpus already \(cooc corpus build\), not text .* cooc count"):
        open_source(tmp_path / "corpus")
    for name, what in (
        ("counts", "a co-occurrence file"),
        ("counts.npz", "a co-occurrence file"),
        ("emb.json", "an embedding"),
    ):
        with pytest.raises(InputDataError, match=f"is {what}.*, not text to build a corpus from"):
            open_source(tmp_path / name)
    assert Cooccurrence.load(tmp_path / "counts").shape == (4, 4)
    assert [d.strip() for d in open_source(tmp_path / "t.txt").documents()] == ["the cat sat", "the dog sat"]


def test_undecodable_bytes_replaced_with_warning(warned, tmp_path):
    (tmp_path / "latin.txt").write_bytes("caf\xe9 ok\nplain\n".encode("latin-1"))
    with warned("1 lines"):
        docs = list(TextSource(tmp_path / "latin.txt").documents())
    assert docs[0] == "caf\ufffd ok\n" and docs[1] == "plain\n"


def test_missing_input():
    with pytest.raises(InputDataError, match="no input files"):
        TextSource("/nonexistent/*.txt")


def test_jsonl(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    assert list(JSONLSource(path).documents()) == [r["text"] for r in ROWS]
    assert list(JSONLSource(path).iter_raw(skip=5)) == [r["text"] for r in ROWS[5:]]
    with pytest.raises(
        InputDataError, match=r"no field 'body' \(has \['id', 'text', .*\]\); choose one with --text-field"
    ):
        list(JSONLSource(path, text_field="body").documents())
    path.write_text("not json\n")
    with pytest.raises(InputDataError, match="line 1 is not JSON"):
        list(JSONLSource(path).documents())


def test_a_text_field_that_is_not_text_is_refused_by_every_tabular_source(tmp_path):
    """A number or a list in the text field would be counted as the words "5" or "['a', 'b']": refused,
    naming the file and line (row); a null is an empty document."""
    rows = [{"text": "one two"}, {"text": None}, {"text": 5}, {"text": "three"}]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert list(itertools.islice(JSONLSource(jsonl).iter_raw(), 2)) == ["one two", ""]
    with pytest.raises(InputDataError, match=r"d.jsonl' line 3: the field 'text' holds int 5, not text"):
        list(JSONLSource(jsonl).iter_raw())
    assert list(JSONLSource(jsonl).iter_raw(skip=3)) == ["three"]
    lists = tmp_path / "l.parquet"
    pq.write_table(pa.Table.from_pylist([{"text": ["a", "b"]}, {"text": ["c"]}]), lists)
    with pytest.raises(InputDataError, match=r"l.parquet' row 1: the field 'text' holds list \['a', 'b'\]"):
        list(ParquetSource(lists).iter_raw())
    numbers = tmp_path / "n.jsonl"
    numbers.write_text('{"text": 1.5}\n')
    with pytest.raises(InputDataError, match=r"dataset 'json': the field 'text' holds float 1.5, not text"):
        list(HFDatasetSource("json", None, data_files=[str(numbers)]).iter_raw())


@pytest.fixture
def parquet_file(tmp_path):
    path = tmp_path / "wiki-00000.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path, row_group_size=3)
    return path


def test_parquet(parquet_file):
    src = ParquetSource(parquet_file, batch_size=2)
    assert list(src.documents()) == [r["text"] for r in ROWS]
    assert list(src.iter_raw(skip=4)) == [r["text"] for r in ROWS[4:]]


def test_parquet_missing_column(parquet_file):
    with pytest.raises(InputDataError, match="no column 'body'"):
        ParquetSource(parquet_file, column="body")


def test_parquet_not_parquet(tmp_path):
    (tmp_path / "fake.parquet").write_text("hello")
    with pytest.raises(InputDataError, match="not a readable Parquet"):
        ParquetSource(tmp_path / "fake.parquet")


@pytest.mark.parametrize("streaming", [True, False])
def test_hf_datasets_on_local_parquet(parquet_file, streaming):
    """The wikimedia/wikipedia loading code, pointed at local files of the same schema."""
    src = HFDatasetSource("parquet", None, data_files=[str(parquet_file)], streaming=streaming)
    assert list(src.documents()) == [r["text"] for r in ROWS]
    assert list(src.iter_raw(skip=2)) == [r["text"] for r in ROWS[2:]]


def test_hf_datasets_on_local_jsonl(tmp_path):
    path = tmp_path / "wiki.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    src = open_source(str(path), format="hf")  # 'hf' format with a builder path
    assert isinstance(src, HFDatasetSource)
    src = HFDatasetSource("json", None, data_files=[str(path)])
    assert list(src.documents()) == [r["text"] for r in ROWS]
    with pytest.raises(InputDataError, match="no field 'body' .*; choose one with --text-field"):
        list(HFDatasetSource("json", None, data_files=[str(path)], text_field="body").documents())


def test_hf_spec_parsing():
    src = open_source("hf:wikimedia/wikipedia:20231101.en")
    assert (src.path, src.name, src.split) == ("wikimedia/wikipedia", "20231101.en", "train")
    with pytest.raises(InputDataError):
        open_source("hf:")


def test_wikipedia_dump(wiki_docs):
    src = WikiXMLSource(_dump())
    assert len(wiki_docs) == 106  # articles of namespace 0, redirects skipped
    assert not any(d.lstrip().lower().startswith("#redirect") for d in wiki_docs)
    assert "[[" not in wiki_docs[0] and "{{" not in wiki_docs[0]
    assert "anarchism" in wiki_docs[0].lower()
    assert next(src.iter_raw(skip=105)) == list(src.iter_raw())[105]


def _dump():
    from cooc.data import wiki_sample_path

    return wiki_sample_path()


def test_detect_format(tmp_path, parquet_file):
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    assert detect_format(str(tmp_path / "x.jsonl.gz")) == "jsonl"
    assert detect_format(str(parquet_file)) == "parquet"
    assert detect_format(str(_dump())) == "wikixml"
    assert detect_format("hf:wikimedia/wikipedia") == "hf"
    with pytest.raises(InvalidParameterError, match="format"):
        open_source(str(parquet_file), format="csv")


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 22])
def test_iter_lines_in_blocks_equals_line_iteration(warned, tmp_path, block):
    from cooc.corpus.sources.text import iter_lines

    raw = "a\nb\r\nc\x0bd\u2028e\n\n  \nlast caf\xe9".encode("utf-8") + b"\nbad \xff byte\nend"
    (tmp_path / "t.txt").write_bytes(raw)
    expected = [line.decode("utf-8", errors="replace") for line in open(tmp_path / "t.txt", "rb")]
    with warned("1 lines"):
        assert list(iter_lines(tmp_path / "t.txt", block=block)) == expected


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_line_blocks_of_plain_files_are_spans_the_workers_read(tmp_path, rng, size):
    """A line-mode build's blocks: spans of whole lines for plain files (the main process reads only the
    bytes around each cut), bytes for compressed ones; after ``skip`` lines, together they are the rest of
    every file, line for line (blank lines, a last line without a newline, a skip that ends mid-block)."""
    from cooc.corpus.sources.base import FileSpan
    from cooc.corpus.sources.text import TextSource

    lines = ["".join(rng.choice(list("ab c"), size=int(rng.integers(0, 30)))) for _ in range(120)]
    (tmp_path / "a.txt").write_text("\n".join(lines[:70]) + "\n")
    (tmp_path / "b.txt").write_text("\n".join(lines[70:100]))  # no newline at the end
    with gzip.open(tmp_path / "c.txt.gz", "wt") as fh:
        fh.write("\n".join(lines[100:]) + "\n")
    source = TextSource(sorted(tmp_path.glob("*")))
    for skip in (0, 1, 33, 69, 70, 75, 110):
        blocks = list(source.line_blocks(skip=skip, size=size))
        kinds = {Path(label).name: type(block) for label, block in blocks}
        assert kinds.get("a.txt", FileSpan) is FileSpan and kinds.get("c.txt.gz") in (None, bytes)
        data = [block.read() if isinstance(block, FileSpan) else block for _, block in blocks]
        names = [Path(label).name for label, _ in blocks]
        ends = [k for k in range(len(data)) if k + 1 == len(data) or names[k + 1] != names[k]]
        assert all(data) and all(d.endswith(b"\n") for k, d in enumerate(data) if k not in ends)  # whole lines
        text = b"".join(d if d.endswith(b"\n") else d + b"\n" for d in data).decode()
        assert text.split("\n")[:-1] == lines[skip:], skip
    with pytest.raises(InputDataError, match="changed"):
        FileSpan(str(tmp_path / "a.txt"), 0, 10**6).read()


def test_folder_skips_files_inside_hidden_folders(tmp_path):
    """A folder's hidden files and everything inside its hidden folders (git, Jupyter checkpoints) stay out;
    a folder given that is itself inside a hidden one is read."""
    data = tmp_path / ".cache" / "data"
    (data / ".ipynb_checkpoints").mkdir(parents=True)
    (data / ".git" / "hooks").mkdir(parents=True)
    (data / "sub").mkdir()
    (data / "notes.txt").write_text("the cat sat\n")
    (data / "sub" / "more.txt").write_text("the dog ran\n")
    (data / ".ipynb_checkpoints" / "notes-checkpoint.txt").write_text("the cat sat\n")
    (data / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (data / ".git" / "hooks" / "pre-commit.sample").write_text("#!/bin/sh\n")
    (data / ".hidden.txt").write_text("hidden\n")
    src = TextSource(data)
    assert [p.relative_to(data).as_posix() for p in src.paths] == ["notes.txt", "sub/more.txt"]
    assert [d.strip() for d in src.documents()] == ["the cat sat", "the dog ran"]
    rows = tmp_path / "rows"
    (rows / ".ipynb_checkpoints").mkdir(parents=True)
    (rows / "a.jsonl").write_text('{"text": "a"}\n')
    (rows / ".ipynb_checkpoints" / "a-checkpoint.jsonl").write_text('{"text": "a"}\n')
    assert list(open_source(rows).documents()) == ["a"]


_MEDIAWIKI = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">\n'


def _compress(path: Path, text: str) -> None:
    import lzma

    data = text.encode()
    opener = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}.get(path.suffix.lower())
    path.write_bytes(opener(data) if opener else data)


def test_jsonl_folder_reads_every_name_detection_takes_for_jsonl(tmp_path):
    from cooc.corpus.sources.base import SUFFIXES

    names = ["a.jsonl", "b.json.gz", "c.jsonl.xz", "d.ndjson.gz", "e.json.bz2", "f.ndjson.xz", "g.JSONL", "h.Json.GZ"]
    for k, name in enumerate(names):
        _compress(tmp_path / name, json.dumps({"text": f"doc {k}"}) + "\n")
    assert detect_format(str(tmp_path)) == "jsonl"
    src = open_source(tmp_path)
    assert isinstance(src, JSONLSource) and [p.name for p in src.paths] == names
    assert list(src.documents()) == [f"doc {k}" for k in range(len(names))]
    # every suffix detection takes for JSONL is read from a folder, compressed or not
    for suffix in SUFFIXES["jsonl"]:
        one = tmp_path / suffix.strip(".").replace(".", "_")
        one.mkdir()
        _compress(one / f"x{suffix}", '{"text": "x"}\n')
        assert detect_format(str(one)) == "jsonl", suffix
        assert list(JSONLSource(one).documents()) == ["x"], suffix


def test_wikixml_folder_reads_xz_dumps_and_leaves_out_the_index(tmp_path):
    from ..corpora import wiki_page

    xml = f"{_MEDIAWIKI}{wiki_page('Cat', 1, 'The cat sat.')}</mediawiki>"
    _compress(tmp_path / "enwiki-test-pages-articles.xml.xz", xml)
    _compress(tmp_path / "enwiki-test-pages-articles-multistream-index.txt.bz2", "600:1:Cat\n")
    assert detect_format(str(tmp_path)) == "wikixml"
    src = open_source(tmp_path)
    assert [p.name for p in src.paths] == ["enwiki-test-pages-articles.xml.xz"]
    assert [d.strip() for d in src.documents()] == ["The cat sat."]
    assert [p.name for p in WikiXMLSource(str(tmp_path / "enwiki-test-*")).paths] == [
        "enwiki-test-pages-articles.xml.xz"
    ]


def test_wikixml_folder_reads_the_parts_of_any_split_dump(tmp_path):
    from ..corpora import wiki_page

    # the parts of a pages-meta-current dump are the same MediaWiki XML (read from a folder before 76c452c)
    for k, title in enumerate(("Cat", "Dog"), start=1):
        xml = f"{_MEDIAWIKI}{wiki_page(title, k, f'The {title.lower()} sat.')}</mediawiki>"
        _compress(tmp_path / f"enwiki-test-pages-meta-current{k}.xml-p{k}p{k + 9}.bz2", xml)
    assert detect_format(str(tmp_path)) == "wikixml"
    assert [d.strip() for d in WikiXMLSource(str(tmp_path)).documents()] == ["The cat sat.", "The dog sat."]


def test_detect_format_ignores_side_files_and_refuses_a_mix(warned, tmp_path, parquet_file):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "train.JSONL").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (ds / "README.md").write_text("# My dataset\n")
    (ds / "LICENSE").write_text("CC BY-SA\n")
    (ds / "dataset_info.json").write_text('{\n  "features": {}\n}\n')
    assert detect_format(str(ds)) == "jsonl"
    assert list(open_source(ds).documents()) == [r["text"] for r in ROWS]  # keys and urls are not words
    (ds / "notes.txt").write_text("some notes\n")
    with warned(r"leaving out 1 \.txt file\(s\) \(notes\.txt\)"):
        assert detect_format(str(ds)) == "jsonl"
    # side files with no data beside them are the data: a folder of .txt files (and a README) is text
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "a.txt").write_text("first\n")
    (texts / "README.md").write_text("# notes\n")
    assert detect_format(str(texts)) == "text"
    assert len(open_source(texts).paths) == 2
    (ds / "wiki-00000.parquet").write_bytes(parquet_file.read_bytes())
    with pytest.raises(InputDataError, match=r"several formats: jsonl \(train\.JSONL\); parquet .* --format"):
        detect_format(str(ds))
    with pytest.raises(InputDataError, match="several formats"):
        open_source(str(ds / "*"))
    assert list(open_source(ds, format="parquet").documents()) == [r["text"] for r in ROWS]
    assert len(list(open_source(ds, format="jsonl").documents())) == len(ROWS)


def test_jsonl_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "the cat sat"}\r\n{"text": "the dog ran"}\r\n')
    assert list(JSONLSource(path).documents()) == ["the cat sat", "the dog ran"]
    assert list(JSONLSource(path).iter_raw(skip=1)) == ["the dog ran"]
    path.write_bytes(b'{"text": "a"}\n\xef\xbb\xbf{"text": "b"}\n')  # only at the start of a file
    with pytest.raises(InputDataError, match="line 2 is not JSON"):
        list(JSONLSource(path).documents())


@pytest.mark.parametrize("case", ["truncated", "not xml", "other xml", "index"])
def test_broken_wikipedia_dump_is_an_input_error(tmp_path, case):
    import xml.etree.ElementTree as ET

    from ..corpora import wiki_page

    xml = _MEDIAWIKI + wiki_page("Cat", 1, "The cat sat.") + wiki_page("Dog", 2, "A dog ran.") + "</mediawiki>"
    path = tmp_path / "enwiki-test-pages-articles.xml"
    if case == "truncated":
        path.write_text(xml[: xml.index("A dog")])
    elif case == "not xml":
        path.write_text("this is not xml at all\n")
    elif case == "other xml":
        path.write_text("<html><body>a web page</body></html>\n")
    else:
        path = tmp_path / "enwiki-test-pages-articles-multistream-index.txt.bz2"
        path.write_bytes(bz2.compress(b"600:1:Cat\n600:2:Dog\n"))
    with pytest.raises(InputDataError, match=rf"cannot read '.*{path.name}': it is not a Wikipedia XML dump") as info:
        list(WikiXMLSource(path).documents())
    assert isinstance(info.value.__cause__, ValueError if case == "other xml" else ET.ParseError)
    damaged = tmp_path / "enwiki-cut-pages-articles.xml.bz2"  # a damaged compressed file keeps its own message
    damaged.write_bytes(bz2.compress(xml.encode())[:-20])
    with pytest.raises(InputDataError, match="the bzip2 file is truncated or damaged") as info:
        list(WikiXMLSource(damaged).documents())
    assert "not a Wikipedia XML dump" not in str(info.value)


def test_broken_wikipedia_dump_is_one_error_line_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from cooc.cli import app

    dump = tmp_path / "enwiki-cut-pages-articles.xml"
    dump.write_text(_MEDIAWIKI + "<page><title>Cat</title><ns>0")
    args = ["corpus", "build", str(dump), "-o", str(tmp_path / "out"), "--no-progress", "--threads", "1"]
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith("error: cannot read") and "not a Wikipedia XML dump" in lines[0], result.output
