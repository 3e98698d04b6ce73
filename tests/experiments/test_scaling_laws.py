"""Scaling-law statistics of a corpus and of an RHM; the --full path through a Hugging Face builder on local files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cooc.experiments.scaling_laws import (
    corpus_entry,
    grammar_statistics,
    measured_exponent,
    text_corpus,
    text_statistics,
)
from cooc.grammars.rhm import RandomHierarchyModel


@pytest.fixture(autouse=True)
def _one_torch_thread_each_test():
    """Numba's parallel counting (run by other tests in this process) sets OpenMP's thread count, which torch
    shares: put torch back on one thread, or these tiny models train many times slower on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_grammar_statistics_give_beta_near_ln_m_over_ln_s_and_refuse_the_free_entropy_fit():
    model = RandomHierarchyModel(v=8, n_c=8, m=2, s=2, L=3)
    stats = grammar_statistics(model, sentences=50_000)
    beta = stats["beta_fit"]
    assert abs(beta.exponent - math.log(2) / math.log(2)) < max(2 * beta.error, 0.1)
    assert stats["gamma_fit"].ok and stats["gamma_fit"].h_inf == stats["loss_floor"]
    assert not stats["gamma_free_fit"].ok and "bound" in stats["gamma_free_fit"].refused
    assert stats["alpha_predicted"] == pytest.approx(stats["gamma_fit"].gamma / (2 * beta.exponent))


def test_text_statistics_and_the_hugging_face_path_on_local_parquet(tmp_path, monkeypatch):
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("datasets")
    from cooc.corpus.sources.hf import HFDatasetSource

    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    rows = [{"id": str(i), "url": "", "title": f"t{i}", "text": " ".join(rng.choice(words, 300))} for i in range(60)]
    path = tmp_path / "wiki-00000.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    corpus = text_corpus(HFDatasetSource("parquet", None, data_files=[str(path)], streaming=False), tmp_path / "c")
    assert corpus.n_docs == 60 and corpus.n_tokens == 60 * 300
    stats = text_statistics(corpus, tmp_path / "work", vocab_size=5, max_lag=8, max_n=4)
    # i.i.d. words: no correlation above the floor, no decay of H_n
    assert stats["beta_fit"] is None and "lie above 3 x the sampling floor" in stats["beta_refused"]
    np.testing.assert_allclose(stats["profile"].H[stats["profile"].resolved], math.log(5), atol=0.01)
    assert not stats["gamma_fit"].ok and math.isnan(stats["alpha_predicted"])
    from cooc._core.ledger import RunLedger

    args = (
        corpus,
        8,
        [16, 64],
        1,
        0.0,
        "all",
        {"d_model": 8, "n_heads": 2, "n_layers": 1},
        {"steps": 10, "eval_every": 5},
    )
    measured = measured_exponent(*args, vocab_size=5, n_val=8, n_test=16, ledger=RunLedger(tmp_path / "runs.jsonl"))
    ledger = RunLedger(tmp_path / "runs.jsonl")  # the study run again: the runs of this text corpus are recorded
    assert measured_exponent(*args, vocab_size=5, n_val=8, n_test=16, ledger=ledger)["summary"] == measured["summary"]
    assert len(ledger) == 2 and ledger.taken == 2
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the two workers then get one each, as this process has
    import cooc._core.run_pool as run_pool

    asked, real_run_all = [], run_pool.run_all
    monkeypatch.setattr(
        run_pool, "run_all", lambda tasks, jobs, *a: asked.append(jobs) or real_run_all(tasks, jobs, *a)
    )
    try:  # a text corpus's data travel to the workers too, and give the same numbers there
        alone = measured_exponent(*args, vocab_size=5, n_val=8, n_test=16)
        together = measured_exponent(*args, vocab_size=5, n_val=8, n_test=16, jobs=2)
    finally:
        torch.set_num_threads(threads)
    assert together["summary"] == alone["summary"] and asked == [1, 2]
    entry = corpus_entry(stats, measured)
    assert entry["beta"] is None and entry["gamma"] is None and entry["gamma_refused"]
    assert [s["P"] for s in entry["learning_curve"]] == [16, 64] and entry["loss_floor"] == 0.0


def test_the_scaling_figure_marks_the_h_inf_zero_convention_when_it_stands_in_for_the_prediction(tmp_path, monkeypatch):
    """With the free entropy fit refused there is no predicted alpha: the figure may draw the H_inf = 0 convention's,
    but its title must say that the dotted line is that convention, not the prediction."""
    import cooc.experiments.scaling_laws as module
    from cooc.experiments.scaling_laws import scaling_figures
    from cooc.grammars.langstats import fit_entropy_decay

    drawn = []
    monkeypatch.setattr(module, "saved", lambda fig: None)
    monkeypatch.setattr(module, "plot_spectrum", lambda *a, **k: None)
    monkeypatch.setattr(module, "entropy_decay_with_fit", lambda *a, **k: None)
    monkeypatch.setattr(module, "data_scaling", lambda *a, **k: drawn.append(k))
    refused = fit_entropy_decay([1, 2, 3], [1.0, 0.9, 0.8])  # too few points: refused
    measured = {"summary": [], "floor": 0.0, "fit": {"alpha": float("nan")}}
    for alpha, zero in ((float("nan"), 0.3), (0.25, 0.3)):
        stats = {
            "spectrum": {"lags": [1], "sigma": [1.0]},
            "beta_fit": None,
            "beta_refused": "refused",
            "entropies": {"context": np.arange(4), "H": np.ones(4)},
            "gamma_fit": refused,
            "alpha_predicted": alpha,
            "alpha_predicted_h_inf_zero": zero,
        }
        scaling_figures("text", stats, measured, tmp_path)
    convention, predicted = drawn
    assert convention["alpha_predicted"] == 0.3 and "H_inf = 0 convention" in convention["title"]
    assert predicted["alpha_predicted"] == 0.25 and "convention" not in predicted["title"]
