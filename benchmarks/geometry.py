"""Geometry benchmark: the fast paths of the symmetry and hypernymy tests against the obvious way.

Each row is checked before it is timed (same numbers as the reference):

- year probe (121 words, 100 splits, r = 1..30): exact leave-one-out ridge in one SVD per
  fit (``cooc.geometry.symmetry.year_probe``) against scikit-learn ``RidgeCV`` in the loop;
- a family's M* block: the lumped (n+1) x (n+1) co-occurrence (``target_block``) against
  building the V x V target and slicing it;
- hypernymy alignment: g(k) for many 15-node subtrees in one batched eigendecomposition
  (``alignment_curve`` on a stack) against one ``numpy.linalg.eigh`` pair per subtree;
- WordNet: the first extraction of the noun tables through nltk, and a cached reload
  (only where Debian's ``wordnet-base`` is installed).

    python benchmarks/geometry.py              # CPU (the work is CPU-side by design)

Needs numpy, scipy, scikit-learn, nltk; not gensim or typer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import append_results, markdown_table, timeit  # noqa: E402

from cooc.cooccurrence.matrix import Cooccurrence  # noqa: E402
from cooc.corpus.vocab import Vocabulary  # noqa: E402
from cooc.geometry import hypernymy as H  # noqa: E402
from cooc.geometry import symmetry as S  # noqa: E402
from cooc.spectral.blocks import target_block  # noqa: E402
from cooc.spectral.targets import target_matrix  # noqa: E402


def probe_with_sklearn(X: np.ndarray, y: np.ndarray, ranks, n_splits: int, n_train: int, seed: int) -> np.ndarray:
    """The year probe written the obvious way (the same splits, penalties and PCA as year_probe)."""
    from sklearn.linear_model import RidgeCV

    coords, _ = S.principal_coordinates(X, min(X.shape))
    rel = np.logspace(-6, 3, 19)
    rng = np.random.default_rng(seed)
    err = np.empty((n_splits, len(ranks)))
    for s in range(n_splits):
        order = rng.permutation(len(y))
        tr, te = order[:n_train], order[n_train:]
        for k, r in enumerate(ranks):
            Xtr = coords[tr, :r]
            scale = float(np.mean((Xtr - Xtr.mean(axis=0)) ** 2)) * n_train or 1.0
            model = RidgeCV(alphas=rel * scale).fit(Xtr, y[tr])
            err[s, k] = np.std(y[te] - model.predict(coords[te, :r])) / np.std(y[te])
    return err.mean(axis=0)


def bench_probe(rows: list, repeat: int) -> None:
    years = np.arange(1900, 2021, dtype=float)
    X = S.eigen_embed(np.exp(-np.abs(years[:, None] - years[None, :]) / 15), 60)
    ranks = np.arange(1, 31)
    fast = S.year_probe(X, years, ranks=ranks, n_splits=100, seed=0)
    ref = probe_with_sklearn(X, years, ranks, 100, 60, 0)
    assert np.allclose(fast.error, ref, rtol=1e-6, atol=1e-9), np.abs(fast.error - ref).max()
    t_fast = timeit(lambda: S.year_probe(X, years, ranks=ranks, n_splits=100, seed=0), repeat=repeat)
    t_ref = timeit(lambda: probe_with_sklearn(X, years, ranks, 100, 60, 0), repeat=max(1, repeat // 2), warmup=0)
    rows.append(
        [
            "year probe, 121 words x 100 splits x 30 r",
            "sklearn RidgeCV loop",
            t_ref[0],
            t_fast[0],
            f"x{t_ref[0] / t_fast[0]:.1f}",
            "errors equal to 1e-6",
        ]
    )


def random_cooccurrence(V: int, density: float, seed: int = 0) -> Cooccurrence:
    rng = np.random.default_rng(seed)
    A = sp.random(V, V, density=density, random_state=seed, data_rvs=lambda n: rng.integers(1, 50, n)).tocsr()
    counts = (A + A.T).astype(np.int64)
    return Cooccurrence(counts, Vocabulary([f"w{i}" for i in range(V)], rng.integers(1, 10_000, V)))


def bench_block(rows: list, V: int, repeat: int) -> None:
    cooc = random_cooccurrence(V, 0.02)
    words = [f"w{i}" for i in range(0, V, V // 12)][:12]
    ids = cooc.vocab.ids(words)
    fast = target_block(cooc, words)
    full = np.asarray(target_matrix(cooc, "mstar"))[np.ix_(ids, ids)]
    assert np.allclose(fast, full, rtol=0, atol=1e-12)
    t_fast = timeit(lambda: target_block(cooc, words), repeat=repeat)
    t_ref = timeit(
        lambda: np.asarray(target_matrix(cooc, "mstar"))[np.ix_(ids, ids)], repeat=max(1, repeat // 2), warmup=0
    )
    rows.append(
        [
            f"M* block of 12 words, V = {V:,}",
            "full V x V target, sliced",
            t_ref[0],
            t_fast[0],
            f"x{t_ref[0] / t_fast[0]:.0f}",
            "equal to 1e-12",
        ]
    )


def alignment_loop(grams: np.ndarray, K: np.ndarray) -> np.ndarray:
    return np.array([H.alignment_curve(G, K) for G in grams])


def bench_alignment(rows: list, n: int, repeat: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 15, 50))
    grams = np.einsum("sid,sjd->sij", X, X)
    K = H.tree_kernel(H.heap_distances(3), 1.0, 0.5)
    assert np.allclose(H.alignment_curve(grams, K), alignment_loop(grams, K), atol=1e-12)
    t_fast = timeit(lambda: H.alignment_curve(grams, K), repeat=repeat)
    t_ref = timeit(lambda: alignment_loop(grams, K), repeat=max(1, repeat // 2), warmup=0)
    rows.append(
        [
            f"g(k) of {n:,} subtrees",
            "one eigh pair per subtree",
            t_ref[0],
            t_fast[0],
            f"x{t_ref[0] / t_fast[0]:.1f}",
            "equal to 1e-12",
        ]
    )


def bench_wordnet(rows: list) -> None:
    from cooc.geometry import wordnet as W

    if not (W.DEBIAN_WORDNET / "data.noun").is_file():
        rows.append(["WordNet noun tables", "-", "", "", "", "skipped: apt-get install wordnet-base"])
        return
    with tempfile.TemporaryDirectory() as cache:
        first = timeit(lambda: W.noun_tables(cache=cache), repeat=1, warmup=0)
        again = timeit(lambda: W.wordnet_hierarchy(cache=cache), repeat=3)
        n = len(again[3])
    rows.append(["WordNet nouns: first extraction (nltk)", "-", first[0], "", "", f"{n:,} synsets"])
    rows.append(["WordNet nouns: cached tree (DAG -> tree, words)", "-", again[0], "", "", "from the TSV cache"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", type=int, default=4000, help="V of the target-block row")
    ap.add_argument("--subtrees", type=int, default=5000, help="subtrees in the alignment row")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-wordnet", action="store_true")
    args = ap.parse_args()
    rows: list = []
    bench_probe(rows, args.repeat)
    bench_block(rows, args.vocab, args.repeat)
    bench_alignment(rows, args.subtrees, args.repeat)
    if not args.no_wordnet:
        bench_wordnet(rows)
    table = markdown_table(["job", "reference", "reference s", "cooc s", "speed-up", "check"], rows)
    cmd = " ".join(["python benchmarks/geometry.py", *sys.argv[1:]])
    append_results(
        "Geometry: symmetry and hypernymy fast paths (cpu)",
        f"Medians of {args.repeat} runs (references: about half as many); each row checked against "
        f"its reference first.\n\n{table}\n\nCommand: `{cmd}`",
    )


if __name__ == "__main__":
    main()
