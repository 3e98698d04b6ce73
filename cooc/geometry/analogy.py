"""Word-analogy evaluation: gensim's protocol, the papers' all-pairs protocol, and accuracy against K.

Protocol A (``protocol="gensim"``) reproduces gensim's ``KeyedVectors.evaluate_word_analogies``:
each listed question ``a : b :: c : d`` whose four words are among the first
``restrict_vocab`` words is answered by 3CosAdd on unit vectors (the three query words
excluded); questions with an unknown word are skipped and counted.

Protocol B (``protocol="pairs"``, arXiv 2505.18651) collects, per family, the distinct
in-vocabulary pairs ``(a, b)`` and asks every ordered pair of distinct pairs: ``a : b ::
a' : ?`` is right when the top-1 of the normalised embedding matrix times
``w_b - w_a + w_a'`` is ``b'``. The query vectors are raw (``query="raw"``, the papers) or
unit (``"unit"``, 3CosAdd); the query words are excluded or, with
``exclude_query=False``, compete.

3CosMul (Levy & Goldberg 2014) is available in both protocols. Scoring is batched: the
dot products between the distinct query words and every candidate are formed once
(``R``, shape (n_words, V)); each question's scores are rows of ``R`` combined, divided by
the candidates' norms, masked and arg-maxed on whole blocks of questions, with numpy or
cupy. Accuracy against K reuses one decomposition: ``R`` and the norms are accumulated
over the columns of ``W = U |Lambda|^p`` as K grows.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from .._core.device import get_xp, to_numpy
from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, OneOf, validate
from ..embedding import COSMUL_EPS, Embedding, as_embedding
from .lookup import RESTRICT_VOCAB, WordLookup

PROTOCOLS = ("gensim", "pairs")
METHODS = ("add", "mul")
QUERIES = ("raw", "unit")

_constraints = {
    "protocol": OneOf(PROTOCOLS),
    "method": OneOf(METHODS),
    "query": OneOf(QUERIES, allow_none=True),
    "restrict_vocab": RESTRICT_VOCAB,
    "device": OneOf(("cpu", "cuda", "auto")),
    "dtype": OneOf(("float64", "float32")),
    "max_block": Interval(int, 1, None, allow_none=True),
}

Questions = Mapping[str, Sequence[tuple[str, str, str, str]]]
Pairs = Mapping[str, Sequence[tuple[str, str]]]


# -- question files --------------------------------------------------------------------------
def load_questions(path: str | os.PathLike | None = None) -> dict[str, list[tuple[str, str, str, str]]]:
    """Read an analogy file in ``questions-words.txt`` format (``: family`` headers, 4 words a line).

    Parameters
    ----------
    path : path, optional
        Default: Mikolov's ``questions-words.txt`` shipped with gensim.

    Returns
    -------
    dict of family name to list of (a, b, c, d), in file order. Lines without exactly
    four words are skipped, as gensim does.
    """
    if path is None:
        from ..data import questions_words_path

        path = questions_words_path()
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"analogy questions file {str(path)!r} does not exist.")
    families: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    skipped: list[int] = []
    lines, undecoded = read_word_file(path)
    for lineno, line in enumerate(lines, 1):
        if line.startswith(": "):
            current = line[2:].strip()
            families.setdefault(current, [])
            continue
        words = line.split()
        if not words:
            continue
        if current is None:
            raise InputDataError(f"{str(path)!r} line {lineno}: a question comes before any ': family' header.")
        if len(words) == 4:
            families[current].append(tuple(words))  # type: ignore[arg-type]
        else:
            skipped.append(lineno)
    if not any(families.values()):
        raise InputDataError(f"{str(path)!r} holds no analogy questions.")
    skipped_lines_warning(path, skipped, "are not four words", undecoded)
    return families


def read_word_file(path: Path) -> tuple[list[str], int]:
    """The lines of a word file as gensim reads them (UTF-8, bytes that are not UTF-8 replaced by U+FFFD,
    universal newlines), and how many lines held such bytes (a U+FFFD written in the file is no such byte)."""
    data = path.read_bytes()
    try:
        text, undecoded = data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        undecoded = sum(not _is_utf8(line) for line in data.splitlines())
    return io.StringIO(text, newline=None).readlines(), undecoded


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def skipped_lines_warning(path: Path, skipped: Sequence[int], why: str, undecoded: int = 0) -> None:
    """Say what a reader of a word file left out (as gensim does, without a word) or read with U+FFFD."""
    from .._core.logs import log

    if skipped:
        log.warning(
            "%s: %d line(s) that %s were skipped (the first: line %d).", path, len(skipped), why, skipped[0]
        )  # fmt: skip
    if undecoded:
        log.warning("%s: %d line(s) hold bytes that are not UTF-8, read as U+FFFD.", path, undecoded)


def family_pairs(questions: Questions) -> dict[str, list[tuple[str, str]]]:
    """The distinct word pairs of each family, in order of first appearance: (a, b) and (c, d) of every line."""
    out = {}
    for name, lines in questions.items():
        seen: dict[tuple[str, str], None] = {}
        for a, b, c, d in lines:
            seen.setdefault((a, b))
            seen.setdefault((c, d))
        out[name] = list(seen)
    return out


def _as_questions_or_pairs(data: Any) -> tuple[str, Mapping[str, Sequence[tuple[str, ...]]]]:
    if data is None or isinstance(data, (str, os.PathLike)):
        return "questions", load_questions(data)
    if not isinstance(data, Mapping):
        raise InvalidParameterError(
            "analogy questions must be a path, a dict of family -> (a, b, c, d) questions, "
            f"or a dict of family -> (a, b) pairs; got {type(data).__name__}."
        )
    sizes = {len(item) for items in data.values() for item in items}
    if sizes == {4}:
        return "questions", data
    if sizes == {2}:
        return "pairs", data
    raise InvalidParameterError(
        f"analogy families must hold 4-word questions or 2-word pairs, got sizes {sorted(sizes)}."
    )


# -- question sets -------------------------------------------------------------------------------
@dataclass
class _QuestionSet:
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    family: np.ndarray
    names: list[str]
    listed: np.ndarray  # questions (A) or pairs (B) listed per family
    usable: np.ndarray  # questions (A) or pairs (B) in vocabulary per family

    def __len__(self) -> int:
        return int(self.a.size)


def _gensim_set(questions: Questions, lookup: WordLookup) -> _QuestionSet:
    names = list(questions)
    rows, fam, listed, usable = [], [], [], []
    for f, name in enumerate(names):
        ids = [[lookup.get(w) for w in q] for q in questions[name]]
        ok = [r for r in ids if min(r) >= 0]
        rows += ok
        fam += [f] * len(ok)
        listed.append(len(ids))
        usable.append(len(ok))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return _QuestionSet(
        arr[:, 0],
        arr[:, 1],
        arr[:, 2],
        arr[:, 3],
        np.array(fam, dtype=np.int64),
        names,
        np.array(listed),
        np.array(usable),
    )


def _pairs_set(pairs: Pairs, lookup: WordLookup) -> _QuestionSet:
    names = list(pairs)
    parts, fam, listed, usable = [], [], [], []
    for f, name in enumerate(names):
        distinct: dict[tuple[str, str], None] = {}
        for a, b in pairs[name]:
            distinct.setdefault((lookup.fold(a), lookup.fold(b)))
        ids = np.array([(lookup.get(a), lookup.get(b)) for a, b in distinct], dtype=np.int64).reshape(-1, 2)
        ids = ids[(ids >= 0).all(axis=1)]
        n = len(ids)
        first, second = np.nonzero(~np.eye(n, dtype=bool))  # all ordered pairs of distinct pairs
        parts.append(np.column_stack([ids[first, 0], ids[first, 1], ids[second, 0], ids[second, 1]]))
        fam.append(np.full(first.size, f, dtype=np.int64))
        listed.append(len(distinct))
        usable.append(n)
    arr = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
    return _QuestionSet(
        arr[:, 0],
        arr[:, 1],
        arr[:, 2],
        arr[:, 3],
        np.concatenate(fam) if fam else np.zeros(0, dtype=np.int64),
        names,
        np.array(listed),
        np.array(usable),
    )


# -- results -------------------------------------------------------------------------------------
@dataclass
class FamilyResult:
    """One family's score. For protocol B, ``listed``/``usable`` count pairs; for A, questions.

    ``answer_in_query`` counts the evaluated questions whose answer is one of their three query
    words (in protocol B, two pairs sharing a word: two cities of one state); with the query words
    excluded from the answers (``exclude_query``) none of them can be answered.
    """

    name: str
    correct: int
    total: int
    listed: int
    usable: int
    answer_in_query: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")


@dataclass
class AnalogyResult:
    """Per-family and overall analogy accuracy.

    Attributes
    ----------
    protocol : {"gensim", "pairs"}
    families : list of FamilyResult
    settings : dict
        method, query, exclude_query, restrict_vocab, case_insensitive, dim.
    """

    protocol: str
    families: list[FamilyResult]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> int:
        return sum(f.correct for f in self.families)

    @property
    def total(self) -> int:
        """Questions evaluated."""
        return sum(f.total for f in self.families)

    @property
    def skipped(self) -> int:
        """Protocol A: listed questions with a word out of vocabulary (as gensim counts them)."""
        return sum(f.listed - f.usable for f in self.families) if self.protocol == "gensim" else 0

    @property
    def listed(self) -> int:
        return sum(f.listed for f in self.families)

    @property
    def usable(self) -> int:
        return sum(f.usable for f in self.families)

    @property
    def answer_in_query(self) -> int:
        """Evaluated questions whose answer is one of their query words (see :class:`FamilyResult`)."""
        return sum(f.answer_in_query for f in self.families)

    @property
    def accuracy(self) -> float:
        """Correct over evaluated questions, all families pooled (gensim's "Total accuracy")."""
        return self.correct / self.total if self.total else float("nan")

    @property
    def mean_family_accuracy(self) -> float:
        """Unweighted mean over the families that have at least one question."""
        accs = [f.accuracy for f in self.families if f.total]
        return float(np.mean(accs)) if accs else float("nan")

    def family(self, name: str) -> FamilyResult:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(f"no analogy family {name!r}; families are {[f.name for f in self.families]}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "settings": self.settings,
            "accuracy": self.accuracy,
            "mean_family_accuracy": self.mean_family_accuracy,
            "correct": self.correct,
            "total": self.total,
            "listed": self.listed,
            "usable": self.usable,
            "answer_in_query": self.answer_in_query,
            "families": [
                {
                    "name": f.name,
                    "correct": f.correct,
                    "total": f.total,
                    "listed": f.listed,
                    "usable": f.usable,
                    "answer_in_query": f.answer_in_query,
                    "accuracy": f.accuracy,
                }
                for f in self.families
            ],
        }

    def summary(self) -> str:
        unit = "questions" if self.protocol == "gensim" else "pairs"
        text = (
            f"protocol {self.protocol}: {self.correct}/{self.total} correct ({100 * self.accuracy:.1f}%); "
            f"{self.usable}/{self.listed} listed {unit} in vocabulary"
        )
        if self.answer_in_query and self.settings.get("exclude_query", True):
            text += (
                f"; {self.answer_in_query} of the questions have their answer among their query words "
                f"(they share a word) and cannot be answered with the query words excluded"
            )
        return text


# -- the batched scorer ----------------------------------------------------------------------------
class _Scorer:
    """Answers a question set from prefix dot products of the embedding's columns.

    ``advance(k)`` adds columns up to ``k`` to ``R`` (query words x candidates) and to the
    candidates' squared norms; ``correct()`` answers every question with the first ``k``
    columns.
    """

    def __init__(
        self,
        W: Any,
        qs: _QuestionSet,
        lookup: WordLookup,
        method: str,
        query: str,
        exclude_query: bool,
        device: str,
        dtype: str,
        max_block: int | None,
        words: Sequence[str],
        owner: str,
        eps: float = COSMUL_EPS,
    ):
        self.xp = xp = get_xp(device)
        self.qs, self.method, self.query, self.exclude = qs, method, query, exclude_query
        self.eps, self.lookup = eps, lookup
        self.max_block = max_block or (1 << 16 if xp is np else 1 << 24)
        self.words, inverse = np.unique(np.concatenate([qs.a, qs.b, qs.c]), return_inverse=True)
        n = len(qs)
        self.ra, self.rb, self.rc = (xp.asarray(inverse[i * n : (i + 1) * n]) for i in range(3))
        with np.errstate(over="ignore"):  # a value float32 cannot hold: refused just below, with its word
            self.W = xp.asarray(np.asarray(W[: lookup.n]), dtype=dtype)
        _refuse_nonfinite(xp, self.W, words, dtype, owner)
        self.Wq = self.W[xp.asarray(self.words)]
        self.R = xp.zeros((self.words.size, lookup.n), dtype=dtype)
        self.norm2 = xp.zeros(lookup.n, dtype=dtype)
        self.k = 0
        self.canon = xp.asarray(lookup.canon)
        self.qa, self.qb, self.qc, self.qd = (xp.asarray(v) for v in (qs.a, qs.b, qs.c, qs.d))

    def advance(self, k: int) -> None:
        if k > self.k:
            cols = slice(self.k, k)
            self.R += self.Wq[:, cols] @ self.W[:, cols].T
            self.norm2 += (self.W[:, cols] ** 2).sum(axis=1)
            self.k = k

    def correct(self) -> np.ndarray:
        """Boolean per question, shape (n_questions,)."""
        xp, n = self.xp, len(self.qs)
        out = np.zeros(n, dtype=bool)
        if n == 0:
            return out
        norms = xp.sqrt(self.norm2)
        safe = xp.where(norms > 0, norms, 1.0)
        qnorm = safe[xp.asarray(self.words)]
        step = max(1, self.max_block // max(self.lookup.n, 1))
        for start in range(0, n, step):
            sl = slice(start, min(start + step, n))
            scores = self._scores(sl, safe, qnorm)
            if self.exclude:
                self._mask(scores, sl)
            best = xp.argmax(scores, axis=1)
            out[sl] = to_numpy(self.canon[best] == self.qd[sl])
        return out

    def _scores(self, sl: slice, safe: Any, qnorm: Any) -> Any:
        ra, rb, rc = self.ra[sl], self.rb[sl], self.rc[sl]
        R = self.R
        if self.method == "mul":
            cos = [(R[r] / (safe[None, :] * qnorm[r][:, None]) + 1.0) / 2.0 for r in (ra, rb, rc)]
            return cos[1] * cos[2] / (cos[0] + self.eps)
        if self.query == "unit":
            combined = R[rb] / qnorm[rb][:, None]
            combined -= R[ra] / qnorm[ra][:, None]
            combined += R[rc] / qnorm[rc][:, None]
        else:  # in place: fresh temporaries cost more than the arithmetic
            combined = R[rb]
            combined -= R[ra]
            combined += R[rc]
        combined /= safe[None, :]
        return combined

    def _mask(self, scores: Any, sl: slice) -> None:
        xp = self.xp
        rows = xp.arange(scores.shape[0])
        qa, qb, qc = self.qa[sl], self.qb[sl], self.qc[sl]
        for q in (qa, qb, qc):
            scores[rows, q] = -xp.inf
        for v in self.lookup.variants:  # other spellings of a query word (case-insensitive lookup)
            c = int(self.lookup.canon[v])
            hit = (qa == c) | (qb == c) | (qc == c)
            scores[:, int(v)] = xp.where(hit, -xp.inf, scores[:, int(v)])  # no mixed bool/int indexing (CuPy)


def _refuse_nonfinite(xp: Any, W: Any, words: Sequence[str], dtype: str, owner: str) -> None:
    """Refuse candidate vectors holding NaN or an infinity (in ``dtype``): argmax would pick such a row for
    every question (NaN) or no other (+inf), and score the embedding as if its geometry were to blame."""
    if bool(xp.isfinite(W).all()):  # one pass, the usual case
        return
    bad = np.flatnonzero(~to_numpy(xp.isfinite(W).all(axis=1)))
    cast_note = f" once cast to {dtype}" if dtype != "float64" else ""
    raise InputDataError(
        f"{owner}: the embedding holds NaN or infinite values{cast_note} in {bad.size:,} of {W.shape[0]:,} vectors "
        f"searched (the first: {words[int(bad[0])]!r}); every answer would be wrong."
    )


def _aggregate(correct: np.ndarray, qs: _QuestionSet, protocol: str, settings: dict[str, Any]) -> AnalogyResult:
    n_fam = len(qs.names)
    right = np.bincount(qs.family, weights=correct, minlength=n_fam).astype(np.int64)
    total = np.bincount(qs.family, minlength=n_fam)
    in_query = np.bincount(qs.family[(qs.d == qs.a) | (qs.d == qs.b) | (qs.d == qs.c)], minlength=n_fam)
    fams = [
        FamilyResult(name, int(right[f]), int(total[f]), int(qs.listed[f]), int(qs.usable[f]), int(in_query[f]))
        for f, name in enumerate(qs.names)
    ]
    return AnalogyResult(protocol, fams, settings)


def _prepare(
    words: Sequence[str],
    questions: Any,
    protocol: str,
    restrict_vocab: int | None,
    case_insensitive: bool,
    owner: str,
) -> tuple[_QuestionSet, WordLookup]:
    kind, data = _as_questions_or_pairs(questions)
    lookup = WordLookup(words, restrict_vocab, case_insensitive, owner)
    # The casts are safe: ``kind`` is "questions" only when every item has 4 words, "pairs" when 2.
    if protocol == "gensim":
        if kind != "questions":
            raise InvalidParameterError("protocol 'gensim' needs 4-word questions; pairs only suit protocol 'pairs'.")
        return _gensim_set(cast(Questions, data), lookup), lookup
    return _pairs_set(cast(Pairs, data) if kind == "pairs" else family_pairs(cast(Questions, data)), lookup), lookup


def _defaults(protocol: str, query: str | None, restrict_vocab: int | None) -> tuple[str, int | None]:
    if query is None:
        query = "unit" if protocol == "gensim" else "raw"
    if restrict_vocab is None and protocol == "gensim":
        restrict_vocab = 300_000  # gensim's default
    return query, restrict_vocab


# -- public API ------------------------------------------------------------------------------------
def evaluate_analogies(
    embedding: Embedding | str | os.PathLike,
    questions: Any = None,
    *,
    protocol: str = "gensim",
    method: str = "add",
    query: str | None = None,
    exclude_query: bool = True,
    restrict_vocab: int | None = None,
    case_insensitive: bool = True,
    device: str = "cpu",
    dtype: str = "float64",
    max_block: int | None = None,
) -> AnalogyResult:
    """Analogy accuracy of an embedding, per family and overall.

    Parameters
    ----------
    embedding : Embedding or path
        Vectors of shape (V, d), or the path of an embedding saved by cooc.
    questions : path or dict, optional
        A ``questions-words.txt``-style file (default: gensim's copy), a dict of family ->
        4-word questions, or (protocol ``"pairs"`` only) a dict of family -> word pairs.
    protocol : {"gensim", "pairs"}
        A: gensim's listed questions; B: all ordered pairs of in-vocabulary pairs.
    method : {"add", "mul"}
        3CosAdd or 3CosMul.
    query : {"raw", "unit"}, optional
        3CosAdd query from raw or unit vectors (default: unit for A, raw for B).
    exclude_query : bool
        Exclude the three query words from the answers (protocol A always does).
    restrict_vocab : int, optional
        Only the first words are candidates (default 300,000 for A as in gensim, all for B).
    case_insensitive : bool
        Fold case as gensim does (the most frequent spelling represents a word).
    device : {"cpu", "cuda", "auto"}
        numpy or cupy for the scoring.
    dtype : {"float64", "float32"}
    max_block : int, optional
        Scores held at once (questions x candidates): 2^16 on CPU (cache-sized blocks ran
        3-6x faster than 2^23 on a 2-core machine), 2^24 on a GPU.

    Returns
    -------
    AnalogyResult
    """
    embedding = as_embedding(embedding, "evaluate_analogies")
    validate(
        {
            "protocol": protocol,
            "method": method,
            "query": query,
            "restrict_vocab": restrict_vocab,
            "device": device,
            "dtype": dtype,
            "max_block": max_block,
        },
        _constraints,
        owner="evaluate_analogies",
    )
    qs, scorer, settings = _scoring(
        embedding, questions, protocol, method, query, exclude_query, restrict_vocab, case_insensitive,
        device, dtype, max_block, "evaluate_analogies",
    )  # fmt: skip
    scorer.advance(embedding.dim)
    return _aggregate(scorer.correct(), qs, protocol, {**settings, "dim": embedding.dim})


def _scoring(
    embedding: Embedding,
    questions: Any,
    protocol: str,
    method: str,
    query: str | None,
    exclude_query: bool,
    restrict_vocab: int | None,
    case_insensitive: bool,
    device: str,
    dtype: str,
    max_block: int | None,
    owner: str,
) -> tuple[_QuestionSet, _Scorer, dict[str, Any]]:
    """The questions, their scorer and the settings a result records (but its ``dim``), after the protocol's
    defaults: shared by :func:`evaluate_analogies` and :func:`accuracy_vs_k`."""
    query, restrict_vocab = _defaults(protocol, query, restrict_vocab)
    exclude_query = True if protocol == "gensim" else exclude_query
    qs, lookup = _prepare(embedding.index_to_key, questions, protocol, restrict_vocab, case_insensitive, owner)
    scorer = _Scorer(
        embedding.vectors, qs, lookup, method, query, exclude_query, device, dtype, max_block,
        words=embedding.index_to_key, owner=owner,
    )  # fmt: skip
    settings = {
        "method": method,
        "query": None if method == "mul" else query,  # 3CosMul scores cosines: the query vectors' choice plays no part
        "exclude_query": exclude_query,
        "restrict_vocab": restrict_vocab,
        "case_insensitive": case_insensitive,
    }
    return qs, scorer, settings


@dataclass
class AccuracyCurve:
    """Analogy accuracy against the number K of leading embedding columns (eigenpairs).

    Attributes
    ----------
    ks : ndarray of shape (n,)
    accuracy : ndarray of shape (n,)
        Pooled accuracy at each K.
    per_family : dict of str to ndarray of shape (n,)
    results : list of AnalogyResult, one per K
    label : str
    """

    ks: np.ndarray
    results: list[AnalogyResult]
    label: str = ""

    @property
    def accuracy(self) -> np.ndarray:
        return np.array([r.accuracy for r in self.results])

    @property
    def per_family(self) -> dict[str, np.ndarray]:
        names = [f.name for f in self.results[0].families] if self.results else []
        return {n: np.array([r.family(n).accuracy for r in self.results]) for n in names}

    @property
    def best(self) -> tuple[int, float]:
        """(K, accuracy) at the maximum (first K on a tie)."""
        i = int(np.nanargmax(self.accuracy))
        return int(self.ks[i]), float(self.accuracy[i])

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "ks": self.ks.tolist(),
            "accuracy": self.accuracy.tolist(),
            "per_family": {k: v.tolist() for k, v in self.per_family.items()},
            "questions": self.results[0].total if self.results else 0,
            "settings": self.results[0].settings if self.results else {},
        }


def accuracy_vs_k(
    source: Any,
    ks: Iterable[int],
    questions: Any = None,
    *,
    protocol: str = "pairs",
    p: float | None = None,
    method: str = "add",
    query: str | None = None,
    exclude_query: bool = True,
    restrict_vocab: int | None = None,
    case_insensitive: bool = True,
    device: str = "cpu",
    dtype: str = "float64",
    max_block: int | None = None,
    label: str | None = None,
) -> AccuracyCurve:
    """Analogy accuracy using the first K columns, for every K in ``ks``, from one decomposition.

    Parameters
    ----------
    source : SpectralEmbedding (fitted), Embedding, or the path of an embedding saved by cooc
        Columns must be ordered by importance (eigenpairs are). For a SpectralEmbedding,
        ``p`` overrides its eigenvalue weighting.
    ks : iterable of int
        Values of K, each between 1 and the number of columns.
    Other parameters as in :func:`evaluate_analogies`.

    Returns
    -------
    AccuracyCurve
    """
    validate(
        {
            "protocol": protocol,
            "method": method,
            "query": query,
            "restrict_vocab": restrict_vocab,
            "device": device,
            "dtype": dtype,
            "max_block": max_block,
        },
        _constraints,
        owner="accuracy_vs_k",
    )
    embedding = source.embedding(p=p) if hasattr(source, "eigenpairs_") else source
    if isinstance(embedding, (str, os.PathLike)):
        embedding = as_embedding(embedding, "accuracy_vs_k")
    if not isinstance(embedding, Embedding):
        raise InvalidParameterError(
            f"accuracy_vs_k: 'source' must be a fitted SpectralEmbedding, an Embedding or its path, got "
            f"{type(source).__name__}."
        )
    ks = np.array(sorted(set(int(k) for k in ks)), dtype=np.int64)
    if ks.size == 0 or ks[0] < 1 or ks[-1] > embedding.dim:
        raise InvalidParameterError(f"accuracy_vs_k: every K must lie in [1, {embedding.dim}], got {ks.tolist()}.")
    qs, scorer, settings = _scoring(
        embedding, questions, protocol, method, query, exclude_query, restrict_vocab, case_insensitive,
        device, dtype, max_block, "accuracy_vs_k",
    )  # fmt: skip
    results = []
    for k in ks:
        scorer.advance(int(k))
        results.append(_aggregate(scorer.correct(), qs, protocol, {**settings, "dim": int(k)}))
    if label is None:
        label = str(embedding.meta.get("target", ""))
    return AccuracyCurve(ks, results, label)


def question_coverage(
    words: Sequence[str],
    questions: Any = None,
    protocol: str = "gensim",
    restrict_vocab: int | None = None,
    case_insensitive: bool = True,
) -> dict[str, int]:
    """How much of a question set a vocabulary can score, before any embedding is made.

    Returns ``listed`` and ``usable`` (questions for protocol ``"gensim"``, word pairs for
    ``"pairs"``, as :class:`AnalogyResult` counts them), ``questions`` (how many would be
    scored) and ``vocabulary`` (the words searched: gensim's protocol reads the first 300,000).
    """
    _, restrict_vocab = _defaults(protocol, None, restrict_vocab)
    qs, _ = _prepare(
        words,
        load_questions() if questions is None else questions,
        protocol,
        restrict_vocab,
        case_insensitive,
        "question_coverage",
    )
    searched = len(words) if restrict_vocab is None else min(len(words), restrict_vocab)
    return {
        "listed": int(qs.listed.sum()),
        "usable": int(qs.usable.sum()),
        "questions": len(qs),
        "vocabulary": searched,
    }
