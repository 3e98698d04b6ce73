"""Folders written by Hugging Face's ``save_to_disk`` are read as datasets, whole or by split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cooc._core.errors import InputDataError
from cooc.corpus.build import build_corpus
from cooc.corpus.sources import HFDatasetSource, detect_format, open_source

datasets = pytest.importorskip("datasets")

TEXTS = [f"document {i} holds words {' '.join(f'w{(i * 7 + j) % 11}' for j in range(i + 3))}." for i in range(9)]


@pytest.fixture
def saved(tmp_path):
    """One Dataset and one DatasetDict (train = TEXTS, test = reversed) saved with save_to_disk."""
    rows = {"id": [str(i) for i in range(len(TEXTS))], "text": TEXTS}
    whole = datasets.Dataset.from_dict(rows)
    whole.save_to_disk(str(tmp_path / "one"))
    reverse = datasets.Dataset.from_dict({"id": rows["id"], "text": TEXTS[::-1]})
    datasets.DatasetDict({"train": whole, "test": reverse}).save_to_disk(str(tmp_path / "dict"))
    return tmp_path


def test_a_saved_folder_is_detected_and_read_in_order(saved):
    for folder in ("one", "dict"):
        assert detect_format(str(saved / folder)) == "hf"
    assert list(open_source(str(saved / "one")).documents()) == TEXTS
    assert list(open_source(str(saved / "dict")).documents()) == TEXTS  # train by default
    assert list(open_source(f"hf:{saved / 'dict'}::test").documents()) == TEXTS[::-1]
    assert list(HFDatasetSource(str(saved / "one"), None).iter_raw(skip=4)) == TEXTS[4:]


def test_a_missing_split_or_field_is_named(saved):
    with pytest.raises(InputDataError, match=r"no split 'valid' \(splits: \['test', 'train'\]\)"):
        list(open_source(f"hf:{saved / 'dict'}::valid").documents())
    with pytest.raises(InputDataError, match="no field 'body'"):
        list(open_source(str(saved / "one"), text_field="body").documents())


def test_the_corpus_equals_one_built_from_the_same_rows_as_jsonl(saved, tmp_path):
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    a = build_corpus(str(saved / "one"), tmp_path / "a", progress=False)
    b = build_corpus(str(jsonl), tmp_path / "b", progress=False)
    assert a.vocab.words == b.vocab.words and a.n_docs == b.n_docs == len(TEXTS)
    for doc_a, doc_b in zip(a.documents(), b.documents(), strict=True):
        np.testing.assert_array_equal(doc_a, doc_b)
