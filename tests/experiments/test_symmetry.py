"""Symmetry experiments on corpora with a known latent structure: the report, robustness, helper words."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InvalidParameterError
from cooc.experiments.symmetry import helper_experiment, robustness
from cooc.geometry import symmetry as S
from cooc.grammars.latent import LatentVariableModel
from cooc.spectral.blocks import target_block
from cooc.spectral.estimator import SpectralEmbedding

from ..latent import counted, latent_vectors

MONTHS = S.load_family("months")


def sqrt_kernel(sigma: float, n: int = 12):
    """Emission kernel whose self-convolution on the n-cycle is the periodic exponential."""
    d = np.arange(n)
    c = sum(np.exp(-np.abs(d - n * k) / sigma) for k in range(-60, 61))
    root = np.fft.ifft(np.sqrt(np.fft.fft(c).real)).real
    assert root.min() > 0
    return lambda dist: root[np.rint(dist).astype(int) % n]


def _p_value(score: float, vectors: np.ndarray, key: str, n: int = 300) -> float:
    rng = np.random.default_rng(7)
    draws = [
        S.recover_order(
            vectors, S.Family("m", MONTHS.words, rng.permutation(MONTHS.positions), "cyclic", 12), n_null=1
        ).scores[key]
        for _ in range(n)
    ]
    return float(np.mean(np.array(draws) >= score - 1e-12))


@pytest.fixture(scope="module")
def months_and_helpers():
    """Months at the even points of a 24-point circle, helper words at the odd points, plus fillers."""
    months = [f"m{i}" for i in range(12)]
    helpers = [f"h{i}" for i in range(12)]
    model = LatentVariableModel(
        24, "circle", scale=1.5, n_fillers=40, words=[w for p in zip(months, helpers) for w in p]
    )
    family = S.Family("months", tuple(months), np.arange(12.0), "cyclic", 12.0)
    return model.exact_cooccurrence(), family, helpers


def _circle_order(result):
    """The family's words in their order around the fitted circle, up to rotation and reflection."""
    c = result.coords - result.circle.center
    order = np.argsort(np.arctan2(c[:, 1], c[:, 0])).tolist()
    turns = [order[i:] + order[:i] for i in range(len(order))]
    return min(turns + [t[::-1] for t in turns])


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_latent_circle_gives_months_in_order_and_the_generating_sigma(sigma):
    model = LatentVariableModel(12, "circle", kernel=sqrt_kernel(sigma), n_fillers=50, words=MONTHS.words)
    cooc = model.exact_cooccurrence()
    # P_i is uniform on the circle, so M's block is the documents' kernel: amp * sum_n exp(-|x - 12n| / sigma).
    fit = S.fit_circular_kernel(target_block(cooc, MONTHS.words, "m"), MONTHS.positions, 12, offset=False)
    assert fit.params["sigma"] == pytest.approx(sigma, rel=1e-5)  # truncation at n = +-2 costs < exp(-24/sigma)
    mstar = target_block(cooc, MONTHS.words, "mstar")
    assert S.symmetry_residual(mstar, MONTHS.positions, "cyclic", 12).residual < 1e-10
    order = S.recover_order(latent_vectors(model, 10), MONTHS)
    assert order.scores["adjacency"] == 1.0 and order.scores["alignment"] > 0.999


def test_shuffled_tokens_send_every_score_to_null(tmp_path):
    model = LatentVariableModel(12, "circle", scale=1.0, n_fillers=50, words=MONTHS.words)
    results = {}
    for shuffle in (False, True):
        cooc = counted(model, shuffle, tmp_path)
        emb = SpectralEmbedding("mstar", dim=10).fit(cooc).embedding_
        vectors = emb[list(MONTHS.words)]
        block = target_block(cooc, MONTHS.words)
        results[shuffle] = (
            S.fit_circular_kernel(block, MONTHS.positions, 12),
            S.symmetry_residual(block, MONTHS.positions, "cyclic", 12),
            S.recover_order(vectors, MONTHS),
            vectors,
        )
    fit, res, order, _ = results[False]
    assert fit.r2 > 0.9 and res.residual < 0.1 and order.scores["adjacency"] == 1.0
    fit, res, order, vectors = results[True]
    assert fit.r2 < 0.2
    assert res.residual > 0.9 * res.null
    for key in ("adjacency", "alignment"):
        assert _p_value(order.scores[key], vectors, key) > 0.01, key


def test_zeroed_month_block_survives_through_helpers_but_not_without_them(months_and_helpers):
    cooc, family, helpers = months_and_helpers
    kept = robustness(cooc, family, dim=12)
    assert kept.before.scores["adjacency"] == 1.0 and kept.after.scores["adjacency"] == 1.0
    assert kept.zeroed_pairs == 144
    cut = robustness(cooc, family, extra_words=helpers, dim=12)
    assert cut.zeroed_pairs == 144 + 2 * 144
    assert cut.after.scores["alignment"] < 0.6 and cut.after.scores["adjacency"] < 0.5


def test_robustness_cuts_a_dim_above_the_vocabulary_with_a_warning(months_and_helpers, monkeypatch, warned):
    cooc, family, _ = months_and_helpers
    dims, fit = [], SpectralEmbedding.fit
    monkeypatch.setattr(SpectralEmbedding, "fit", lambda self, c: dims.append(self.dim) or fit(self, c))
    with warned(rf"dim {len(cooc) + 5} is more than the {len(cooc)} words counted; the re-embeddings use {len(cooc)}"):
        robustness(cooc, family, dim=len(cooc) + 5)
    assert dims == [len(cooc)] * 2


def test_robustness_in_float32_gives_the_float64_circle_order(months_and_helpers, monkeypatch):
    cooc, family, _ = months_and_helpers
    wide = robustness(cooc, family, dim=12)
    seen, fit = [], SpectralEmbedding.fit
    monkeypatch.setattr(
        SpectralEmbedding, "fit", lambda self, c: seen.append((self.device, self.dtype)) or fit(self, c)
    )
    narrow = robustness(cooc, family, dim=12, device="cpu", dtype="float32")
    assert seen == [("cpu", "float32")] * 2  # both embeddings, before and after
    months = list(range(12))
    for stage in ("before", "after"):
        r64, r32 = getattr(wide, stage), getattr(narrow, stage)
        assert _circle_order(r64) == _circle_order(r32) == months, stage
        assert r32.scores["adjacency"] == r64.scores["adjacency"] == 1.0
        assert r32.scores["alignment"] == pytest.approx(r64.scores["alignment"], abs=1e-6)
    assert narrow.zeroed_pairs == wide.zeroed_pairs == 144
    with pytest.raises(InvalidParameterError, match="dtype"):
        robustness(cooc, family, dim=12, dtype="float16")


def test_helper_words_restore_the_circle_and_fillers_do_not(months_and_helpers):
    cooc, family, helpers = months_and_helpers
    strong, control = helper_experiment(cooc, family, n_helpers=(0, 1, 4, 12), dim=10)
    assert strong.error[0] > 0.9  # the family block alone is zero
    # the control is drawn outside the strongest helpers: unrelated words, which leave the shape unrecovered
    assert len(control.helpers) == 12 and not set(control.helpers) & set(strong.helpers)
    assert np.all(control.error[1:] > 0.4)
    assert strong.error[2] < 0.05 and strong.error[3] < 1e-8
    assert set(strong.helpers[:12]) == set(helpers)
    ids = cooc.vocab.ids(list(family.words)).tolist()
    fillers = [i for i, w in enumerate(cooc.vocab.words) if w.startswith("f")]
    words = cooc.vocab.words
    unrelated = S.helper_curve(
        lambda idx: target_block(cooc, [words[i] for i in idx]), ids, fillers, (1, 5, 20), S.ideal_shape(family), dim=10
    )
    assert np.all(unrelated.error > 0.4)


# -- true sentence removal ---------------------------------------------------------------------------------
def _sentence_corpus(model, n_docs, sentences, tmp_path):
    """Documents of the model cut into ``sentences`` equal units; returns (tokens (n_docs, T), corpus, groups)."""
    from cooc.corpus.store import CorpusWriter
    from cooc.corpus.vocab import Vocabulary

    tokens, _ = model.sample(n_docs, seed=0)
    units = tokens.reshape(n_docs * sentences, -1)
    vocab = Vocabulary(model.words, np.bincount(tokens.ravel(), minlength=model.vocab_size))
    with CorpusWriter(tmp_path / "units", vocab, {"kind": "test"}) as w:
        w.add_documents(units.ravel(), np.arange(0, units.size + 1, units.shape[1]))
    return units, w.close(), np.repeat(np.arange(n_docs), sentences)


def test_sentence_removal_of_months_keeps_the_circle_through_the_other_sentences(tmp_path):
    from cooc.experiments.symmetry import family_removal

    model = LatentVariableModel.root_kernel(
        12, "circle", scale=2.0, amp=0.5, words=list(MONTHS.words), n_fillers=30, latent_fraction=0.15, doc_length=24
    )
    units, corpus, groups = _sentence_corpus(model, 8000, 3, tmp_path)
    two_months = np.array([len(set(u[u < 12].tolist())) >= 2 for u in units])
    params = dict(window=23, weighting="uniform")
    result = family_removal(corpus, MONTHS, tmp_path / "work", count_params=params, groups=groups, dim=10)
    assert result.pairs == 66 and result.filter_stats.docs_dropped == int(two_months.sum()) > 1000
    # the months still share documents (not sentences): the circle survives the removal
    assert result.orders["baseline"].scores["adjacency"] == 1.0 and result.orders["removed"].scores["adjacency"] == 1.0
    # zeroing the whole block leaves nothing here (no helper words carry the latent): the circle is gone
    assert result.orders["block"].scores["alignment"] < 0.5
    # units that are whole documents: after removal the months never meet, and the circle is gone
    alone = family_removal(corpus, MONTHS, tmp_path / "alone", count_params=dict(window=7, weighting="uniform"), dim=10)
    assert alone.orders["baseline"].scores["alignment"] > 0.9
    assert alone.orders["removed"].scores["alignment"] < 0.5
    assert set(alone.as_dict()) >= {"baseline", "block", "removed", "units_dropped", "pairs"}
