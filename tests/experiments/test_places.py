"""The places report on embeddings built from distance kernels."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from cooc._core.errors import InputDataError
from cooc.embedding import Embedding
from cooc.experiments.places import places_report
from cooc.geometry import places as P
from cooc.geometry.symmetry import eigen_embed


def test_places_report_on_an_embedding_of_the_states(states):
    block = np.exp(-P.distance_matrix_km(states.lat, states.lon) / 600)
    emb = Embedding(eigen_embed(block, 51), list(states.words))  # full rank: the Gram matrix is the block
    report = places_report(emb, "us_states", n_components=20)
    assert len(report.places) == 51 and report.missing == 0 and report.block_source == "gram"
    assert report.kernel.params["sigma"] == pytest.approx(600, rel=1e-6)
    # Alaska and Hawaii are thousands of km from every other state: their kernel rows are
    # ~0, so R^2 is ruined by two outliers while the median error stays small.
    assert report.probe.median_km < 300
    assert dict(report.rows())["places"].startswith("51 in the vocabulary")
    small = Embedding(np.ones((3, 2)), ["texas", "ohio", "utah"])
    with pytest.raises(InputDataError, match="only 3 of the 51"):
        places_report(small)


def test_reports_take_saved_embeddings_and_counts_by_path(states, tmp_path):
    from cooc.cooccurrence.matrix import Cooccurrence
    from cooc.experiments.symmetry import symmetry_report

    block = np.exp(-P.distance_matrix_km(states.lat, states.lon) / 600)
    emb = Embedding(eigen_embed(block, 51), list(states.words))
    emb.save(tmp_path / "emb")
    given, by_path = places_report(emb, "us_states"), places_report(tmp_path / "emb", "us_states")
    np.testing.assert_array_equal(by_path.probe.predicted, given.probe.predicted)
    # counts by path too: a Cooccurrence over the same words
    counts = Cooccurrence.from_scipy(
        sp.csr_matrix(np.round(block * 100) + 1),
        list(states.words),
        unigram=np.full(51, 1000),
    )
    counts.save(tmp_path / "counts")
    one = places_report(emb, "us_states", cooc=counts)
    two = places_report(str(tmp_path / "emb.npz"), "us_states", cooc=str(tmp_path / "counts"))
    assert one.block_source == two.block_source != "gram" and one.kernel.params == two.kernel.params
    months = Embedding(np.eye(12), ["january", "february", "march", "april", "may", "june", "july", "august",
                                    "september", "october", "november", "december"])  # fmt: skip
    months.save(tmp_path / "months")
    assert symmetry_report(tmp_path / "months", "months").fit.params == symmetry_report(months, "months").fit.params


@pytest.mark.parametrize("n, folds", [(6, 2), (10, 3), (14, 4)])
def test_places_report_with_fewer_than_15_places(states, n, folds):
    """Fewer than 15 places used to fail on n_folds=5 > n // 3; the folds now follow n."""
    keep = list(range(0, 51, 51 // n))[:n]
    few = states.take(keep)
    block = np.exp(-P.distance_matrix_km(few.lat, few.lon) / 600)
    emb = Embedding(eigen_embed(block, n), list(few.words))  # full rank: the Gram matrix is the block
    report = places_report(emb, "us_states")
    assert len(report.places) == n and report.missing == 51 - n
    assert report.probe.n_folds == folds and dict(report.rows())["probe folds"] == str(folds)
    assert report.kernel.params["sigma"] == pytest.approx(600, rel=1e-6)
    assert np.isfinite(report.probe.error_km).all() and report.probe.predicted.shape == (n, 2)
    # the chosen folds are exactly what an explicit n_folds gives
    explicit = P.location_probe(emb[list(few.words)], few.lat, few.lon, n_folds=folds)
    assert np.array_equal(report.probe.predicted, explicit.predicted)


def test_places_report_needs_six_places_to_cross_validate(states):
    five = states.take(range(5))
    emb = Embedding(np.eye(5), list(five.words))
    with pytest.raises(InputDataError, match="only 5 of the 51 us_states.*at least 6 are needed"):
        places_report(emb)


def test_places_report_nulls(states):
    # the 49 contiguous states and DC (Alaska and Hawaii would ruin R^2, see above)
    lower = states.take([i for i, w in enumerate(states.words) if w not in ("alaska", "hawaii")])
    block = np.exp(-P.distance_matrix_km(lower.lat, lower.lon) / 600)
    emb = Embedding(eigen_embed(block, 49), list(lower.words))
    report = places_report(emb, "us_states", n_components=20, n_null=20)
    assert report.probe.r2_lat > 0.8 and report.probe.r2_lon > 0.8
    d = report.as_dict()
    # shuffled coordinates: the probe explains nothing held out; the real probe is above every shuffle
    assert d["probe_null"]["r2_lat_null_95"] < 0.2 and d["probe_null"]["r2_lon_null_95"] < 0.2
    assert d["probe_p_value"] == pytest.approx(1 / 21)
    # shuffled labels: the kernel fit explains nothing; the profile falls with distance, its null is flat
    assert d["distance_kernel_r2_null_95"] < 0.1 < 0.99 < d["distance_kernel"]["r2"]
    assert d["distance_kernel_r2_scan"] == pytest.approx(d["distance_kernel"]["r2"], abs=0.01)  # the fast scan
    prof = report.profile
    assert np.all(np.diff(prof.mean) < 0) and np.ptp(prof.null_mean) < 0.2 * np.ptp(prof.mean)
