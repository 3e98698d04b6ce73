"""Word-similarity benchmarks: Spearman (and Pearson) correlation of cosine similarity with human scores.

The scoring follows gensim's ``KeyedVectors.evaluate_word_pairs``: ``#`` lines are
comments, a line is ``word1<TAB>word2<TAB>score`` (or, without a tab, three fields separated by
spaces, which gensim skips), words are looked up among the first
``restrict_vocab`` words (case-folded by default), and pairs with an unknown word are
skipped and counted. WordSim353 and SimLex-999 come from gensim's package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from ..embedding import Embedding, as_embedding
from .analogy import read_word_file, skipped_lines_warning
from .lookup import WordLookup

BENCHMARKS = ("wordsim353", "simlex999")


def benchmark_path(name: str) -> Path:
    """Path of a shipped benchmark: ``"wordsim353"`` or ``"simlex999"``."""
    from .. import data as datasets

    paths = {"wordsim353": datasets.wordsim353_path, "simlex999": datasets.simlex999_path}
    if name not in paths:
        raise InputDataError(f"unknown similarity benchmark {name!r}; shipped ones are {BENCHMARKS} (or give a path).")
    return paths[name]()


def load_word_pairs(path: str | os.PathLike, delimiter: str = "\t") -> list[tuple[str, str, float]]:
    """Read ``word1<TAB>word2<TAB>score`` lines; ``#`` comments and malformed lines are skipped (as gensim does).

    A line without the delimiter that splits on white space into three fields is read too
    (space-separated files such as MEN's, which gensim would skip whole). A file of which no line
    can be read is refused, naming its first line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"word-pair file {str(path)!r} does not exist.")
    out = []
    first_bad: tuple[int, str] | None = None
    skipped: list[int] = []
    lines, undecoded = read_word_file(path)
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text = line.rstrip("\n")
        parts = text.split(delimiter) if delimiter in text else text.split()
        try:
            if len(parts) != 3 or not np.isfinite(score := float(parts[2])):  # a NaN score made Spearman NaN
                raise ValueError
            out.append((parts[0], parts[1], score))
        except ValueError:
            first_bad = first_bad or (number, text)
            skipped.append(number)
    if not out:
        shown = "it holds no line" if first_bad is None else f"line {first_bad[0]} is {first_bad[1][:60]!r}"
        raise InputDataError(f"{str(path)!r} holds no 'word1<TAB>word2<TAB>score' lines ({shown}).")
    skipped_lines_warning(path, skipped, "are not two words and a finite score", undecoded)
    return out


@dataclass
class SimilarityResult:
    """Correlation of an embedding's cosine similarities with human judgements.

    ``listed`` pairs were read, ``evaluated`` had both words in the vocabulary, ``oov`` did not.
    """

    name: str
    spearman: float
    spearman_pvalue: float
    pearson: float
    pearson_pvalue: float
    listed: int
    evaluated: int

    @property
    def oov(self) -> int:
        return self.listed - self.evaluated

    @property
    def oov_ratio(self) -> float:
        """Percentage of listed pairs skipped (gensim's ``oov_ratio``)."""
        return 100.0 * self.oov / self.listed if self.listed else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "oov": self.oov, "oov_ratio": self.oov_ratio}

    def summary(self) -> str:
        return (
            f"{self.name}: Spearman {self.spearman:.3f}, Pearson {self.pearson:.3f} on "
            f"{self.evaluated}/{self.listed} pairs ({self.oov} with a word out of vocabulary)"
        )


def evaluate_similarity(
    embedding: Embedding | str | os.PathLike,
    pairs: str | os.PathLike | Sequence[tuple[str, str, float]] = "wordsim353",
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    name: str | None = None,
) -> SimilarityResult:
    """Spearman and Pearson correlation between cosine similarity and human scores.

    Parameters
    ----------
    embedding : Embedding or path (of an embedding saved by cooc)
    pairs : {"wordsim353", "simlex999"}, path, or sequence of (word1, word2, score)
    restrict_vocab : int, optional
        Only the first words count as known (gensim's default 300,000); None: all of them.
    case_insensitive : bool
        Fold case as gensim does.
    name : str, optional
        Label for the result (default: the benchmark or file name).

    Returns
    -------
    SimilarityResult
        Correlations are nan when fewer than two pairs are in the vocabulary.

    Raises
    ------
    InputDataError
        When a word of an evaluated pair has a vector holding NaN or an infinity (its cosine
        would be NaN, and so would the correlations).
    """
    from scipy import stats

    embedding = as_embedding(embedding, "evaluate_similarity")
    if isinstance(pairs, str) and pairs in BENCHMARKS:
        name = name or pairs
        pairs = load_word_pairs(benchmark_path(pairs))
    elif isinstance(pairs, (str, os.PathLike)):
        if isinstance(pairs, str) and not Path(pairs).exists() and not any(c in pairs for c in "/\\."):
            raise InputDataError(
                f"unknown similarity benchmark {pairs!r}; shipped ones are {', '.join(BENCHMARKS)} "
                "(or give a word-pair file)."
            )
        name = name or Path(pairs).stem
        pairs = load_word_pairs(pairs)
    pairs = list(pairs)
    lookup = WordLookup(embedding.index_to_key, restrict_vocab, case_insensitive, "evaluate_similarity")
    ids = np.array([(lookup.get(a), lookup.get(b)) for a, b, _ in pairs], dtype=np.int64).reshape(-1, 2)
    known = (ids >= 0).all(axis=1)
    gold = np.array([s for _, _, s in pairs], dtype=np.float64)[known]
    unit = embedding.unit_vectors_of([embedding.index_to_key[i] for i in ids[known].ravel()]).reshape(
        -1, 2, embedding.dim
    )
    finite = np.isfinite(unit).all(axis=(1, 2))
    if not finite.all():
        first = ids[known][np.argmin(finite)]
        word = next(embedding.index_to_key[i] for i in first if not np.isfinite(embedding.vectors[i]).all())
        raise InputDataError(
            f"evaluate_similarity: the embedding holds NaN or infinite values in the vectors of "
            f"{int((~finite).sum()):,} of {finite.size:,} pairs evaluated (the first word: {word!r})."
        )
    model = np.einsum("nd,nd->n", unit[:, 0], unit[:, 1])
    if known.sum() >= 2:
        sp, spp = stats.spearmanr(gold, model)
        pe, pep = stats.pearsonr(gold, model)
    else:
        sp = spp = pe = pep = float("nan")
    return SimilarityResult(name or "pairs", float(sp), float(spp), float(pe), float(pep), len(pairs), int(known.sum()))


def evaluate_similarities(
    embedding: Embedding | str | os.PathLike, benchmarks: Sequence[str] = BENCHMARKS, **kwargs: Any
) -> dict[str, SimilarityResult]:
    """:func:`evaluate_similarity` on each named benchmark (default WordSim353 and SimLex-999)."""
    embedding = as_embedding(embedding, "evaluate_similarities")  # loaded once for all of them
    return {b: evaluate_similarity(embedding, b, **kwargs) for b in benchmarks}
