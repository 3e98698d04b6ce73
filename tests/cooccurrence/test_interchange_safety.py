"""GloVe interchange keeps every word on its row: vocabulary files as GloVe writes and reads them,
and the symmetry of imported counts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc import Cooccurrence
from cooc._core.errors import CorruptFileError, InputDataError
from cooc.cooccurrence.interchange import export_counts, import_glove, read_glove_vocab, write_glove_vocab
from cooc.corpus.vocab import Vocabulary


@pytest.mark.parametrize("bad", ["new york", "line\nbreak", "tab\there", "cr\rhere", "ff\x0chere", "vt\x0bhere", ""])
def test_the_glove_vocabulary_refuses_words_holding_ascii_whitespace(tmp_path, bad):
    words = ["the", bad, "of"]
    c = Cooccurrence.from_scipy(sp.csr_matrix(np.ones((3, 3), dtype=np.int64)), words, unigram=np.array([9, 8, 7]))
    with pytest.raises(InputDataError, match="GloVe vocabulary") as err:
        export_counts(c, tmp_path / "g", "glove")
    assert repr(bad) in str(err.value)
    assert not (tmp_path / "g.vocab.txt").exists() and not (tmp_path / "g.bin").exists()


def test_the_glove_vocabulary_names_a_few_of_many_bad_words(tmp_path):
    words = [f"w {i}" for i in range(10)]
    with pytest.raises(InputDataError, match=r"10 words hold") as err:
        write_glove_vocab(Vocabulary(words), np.zeros(10), tmp_path / "v.txt")
    assert "'w 0', 'w 1', 'w 2'" in str(err.value) and "'w 5'" not in str(err.value)


def test_unicode_spaces_are_words_in_a_glove_vocabulary(tmp_path):
    odd = ["\u00a0", "\u3000", "\x1c", "\x85", "a\u2028b", "x\u00a0y"]
    (tmp_path / "vocab.txt").write_bytes("".join(f"{w} {i + 1}\n" for i, w in enumerate(["the", *odd])).encode())
    v = read_glove_vocab(tmp_path / "vocab.txt")
    assert v.words == ["the", *odd] and v.counts.tolist() == list(range(1, len(odd) + 2))


def test_glove_vocabulary_lines_as_glove_writes_them_and_a_word_per_line(tmp_path):
    # vocab_count splits tokens on ' ', '\t' and '\n' only: a '\r' inside a token is part of the word
    (tmp_path / "v.txt").write_bytes(b"the 12\r\ncat\t4\nsat  2 \n\nmat\nc\rr 5\n")
    v = read_glove_vocab(tmp_path / "v.txt")
    assert v.words == ["the", "cat", "sat", "mat", "c\rr"] and v.counts.tolist() == [12, 4, 2, 0, 5]
    for bad in (b"a b 3\n", b"a x\n", b"a 3 4\n", b"a \xd9\xa1\n"):  # three fields, a non-number, an Arabic digit
        (tmp_path / "b.txt").write_bytes(bad)
        with pytest.raises(CorruptFileError, match="line 1 is not 'word count'"):
            read_glove_vocab(tmp_path / "b.txt")


def test_a_glove_export_of_unicode_space_words_reads_back(tmp_path):
    words = ["the", "\u00a0", "\u3000"]
    c = Cooccurrence.from_scipy(sp.csr_matrix(np.array([[0, 2, 1], [2, 0, 3], [1, 3, 0]])), words, np.array([5, 4, 3]))
    data, vocab = export_counts(c, tmp_path / "g", "glove")
    back = import_glove(data, vocab)
    assert back.vocab.words == words and back.unigram.tolist() == [5, 4, 3]
    assert (back.counts != c.counts).nnz == 0


def test_glove_imports_record_their_symmetry(tmp_path):
    sym = sp.csr_matrix(np.array([[0, 3, 2], [3, 0, 4], [2, 4, 1]]))
    c = Cooccurrence.from_scipy(sym, ["a", "b", "c"], np.array([5, 5, 5]), settings={"symmetric": True})
    data, vocab = export_counts(c, tmp_path / "g", "glove")
    for back in (import_glove(data, vocab), Cooccurrence.from_glove(data, read_glove_vocab(vocab))):
        assert back.settings == {"source": "glove", "file": str(data), "symmetric": True}
        assert back.top_pairs(3) == c.top_pairs(3) == [("b", "c", 4), ("a", "b", 3), ("a", "c", 2)]
    directed = sym.tolil()
    directed[0, 1] = 1  # one entry differs from its transpose: not symmetric
    c = Cooccurrence.from_scipy(directed.tocsr(), ["a", "b", "c"], np.array([5, 5, 5]))
    data, vocab = export_counts(c, tmp_path / "d", "glove")
    back = import_glove(data, vocab)
    assert back.settings == {"source": "glove", "file": str(data), "symmetric": False}
    assert back.top_pairs(2) == [("b", "c", 4.0), ("c", "b", 4.0)]
    # settings given by the caller are taken as they are
    assert import_glove(data, vocab, settings={"window": 5}).settings == {"window": 5}


def test_export_from_python_never_writes_over_a_saved_output(tmp_path):
    """``export_counts(c, "counts", "npz")`` would replace the ``counts.npz`` of saved counts (its ``.json`` then
    names data it no longer has): refused, also through a link and for an embedding's file; the output still loads."""
    from cooc import Embedding
    from cooc._core.errors import InvalidParameterError

    rng = np.random.default_rng(0)
    c = Cooccurrence.from_scipy(sp.csr_matrix(rng.integers(0, 5, (4, 4))), ["a", "b", "c", "d"], unigram=np.ones(4))
    c.save(tmp_path / "counts")
    Embedding(rng.standard_normal((4, 2)), ["a", "b", "c", "d"]).save(tmp_path / "emb")
    (tmp_path / "link.npz").symlink_to(tmp_path / "counts.npz")
    for out in ("counts", "counts.npz", "link", "emb"):
        with pytest.raises(InvalidParameterError, match="file of the saved cooc output"):
            export_counts(c, tmp_path / out, "npz")
    # and nothing inside a blocked output's folder
    from cooc.cooccurrence.blocked import save_blocked

    save_blocked(c, tmp_path / "big", n_blocks=2)
    with pytest.raises(InvalidParameterError, match="file of the saved cooc output"):
        export_counts(c, tmp_path / "big.blocks" / "b00000.data", "npz")
    assert (Cooccurrence.load(tmp_path / "counts").counts != c.counts).nnz == 0
    Embedding.load(tmp_path / "emb")
    # other names and formats beside them are fine
    paths = export_counts(c, tmp_path / "counts", "glove") + export_counts(c, tmp_path / "other", "npz")
    assert [p.name for p in paths] == ["counts.bin", "counts.vocab.txt", "other.npz", "other.vocab.txt"]
    assert (sp.load_npz(tmp_path / "other.npz") != c.counts).nnz == 0
