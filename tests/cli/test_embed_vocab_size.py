"""`cooc embed --vocab-size`: a positive number of words is kept; 0 or a negative value is refused up front, in
one line that names the option."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.embedding import Embedding
from cooc.grammars.attributes import BinaryAttributeModel

runner = CliRunner()


@pytest.fixture
def counts(tmp_path):
    BinaryAttributeModel(4, p=[0.5, 0.4, 0.3, 0.6], s=0.3).to_cooccurrence().save(tmp_path / "counts")
    return tmp_path / "counts"


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_vocab_size_below_one_is_refused(counts, tmp_path, size):
    res = runner.invoke(app, ["embed", str(counts), "-o", str(tmp_path / "e"), "--dim", "2", "--vocab-size", size])
    assert res.exit_code == 1, res.output
    assert re.fullmatch(rf"error: --vocab-size must be at least 1 \(the most frequent words kept\), got {size}\.\n",
                        res.output), res.output  # fmt: skip
    assert not list(tmp_path.glob("e*"))


def test_a_positive_vocab_size_keeps_the_most_frequent_words(counts, tmp_path):
    res = runner.invoke(app, ["embed", str(counts), "-o", str(tmp_path / "e"), "--dim", "2", "--vocab-size", "5"])
    assert res.exit_code == 0, res.output
    assert len(Embedding.load(tmp_path / "e")) == 5
