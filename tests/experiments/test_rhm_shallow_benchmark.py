"""benchmarks/rhm_shallow.py: a grammar whose curve never reaches P* is reported, not a crash after all the training."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import rhm_shallow as bench  # noqa: E402

# P_max = n_c m**(1 + s + s**2) = 128 n_c; the fractions 0.1, 0.2, 0.4 of it are whole numbers for n_c = 5, 10, 15
REACHED = ["rhm:v=5,n_c=5,m=2,s=2,L=3", "rhm:v=10,n_c=10,m=2,s=2,L=3", "rhm:v=15,n_c=15,m=2,s=2,L=3"]
NOT_REACHED = "rhm:v=4,n_c=2,m=2,s=2,L=3"


def fake_ensemble_curve(pools, kind, Ps, **kwargs):
    """Test errors 0.3, 0.15, 0.05 of chance at 0.1, 0.2, 0.4 P_max (P* = sqrt(0.08) P_max, log-interpolated);
    the grammar with n_c = 2 stays at chance."""
    n_c = pools.n_classes[0]
    chance = 1 - 1 / n_c
    P_max = 128 * n_c
    shape = {0.1: 0.3, 0.2: 0.15, 0.4: 0.05}
    rows = []
    for seed in range(len(pools.n_classes)):
        for P in Ps:
            error = chance if n_c == 2 else shape[round(P / P_max, 1)] * chance
            rows.append(
                {
                    "P": P,
                    "seed": seed,
                    "test_error": error,
                    "test_loss": 1.0,
                    "train_error": 0.0,
                    "chance_error": chance,
                }
            )
    return SimpleNamespace(rows=rows)


def test_a_grammar_that_does_not_reach_p_star_is_shown_as_not_reached(monkeypatch, tmp_path, capsys):
    import cooc.train.grammar.ensemble as ensemble

    monkeypatch.setattr(ensemble, "ensemble_curve", fake_ensemble_curve)
    argv = ["rhm_shallow.py", "--grammar", NOT_REACHED] + [a for g in REACHED for a in ("--grammar", g)]
    argv += ["--fractions", "0.1,0.2,0.4", "--seeds", "1", "--n-test", "32", "--ledger", str(tmp_path / "runs.jsonl")]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()  # round(nan) raised ValueError here, after every grammar had trained
    out = capsys.readouterr().out
    assert re.search(rf"^{re.escape(NOT_REACHED)}: P_max 256, P\* not reached", out, re.M), out
    assert f"| {NOT_REACHED} | 256 | not reached | - |" in out, out
    for spec, P_max in zip(REACHED, (640, 1280, 1920)):
        p_star = (0.08**0.5) * P_max
        assert f"| {spec} | {P_max:,} | {round(p_star):,} | 0.283 |" in out, out
    # the fit is made on the three grammars that reached P* (P* proportional to P_max: exponent 1)
    exponent = float(re.search(r"P\* ~ P_max\^([0-9.]+)", out).group(1))
    assert exponent == pytest.approx(1.0, abs=0.01)
