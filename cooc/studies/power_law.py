# %% [markdown]
# # Power-law productions give power-law learning curves: test error ~ P^(-a/(1+a))
#
# Cagnetta, Kang & Wyart (arXiv 2505.07067): when the productions of a hierarchical grammar
# are used with Zipf probabilities f_k ~ k^-(1+a) instead of uniformly, the classification
# error decays as a power of the number of training examples, with exponent a / (1 + a) set by
# the rules' distribution (the hierarchy sets a large prefactor). A rule is learned once it
# has been seen; the error is the probability mass of the rules not yet seen
# (docs/science.md, section 6).
#
# **Sizes.** Default (CPU, one torch thread): one level (L = 1), v = 32, n_c = 32, m = 32,
# s = 2 (every one of the 1,024 pairs of tokens is a rule), a = 0.5, 1, 2, the CNN (one
# layer of width 128 reading the pair) at P = 32 to 4,096 i.i.d. sentences, 2 seeds, 1,000
# Adam steps, 4,096 i.i.d. test sentences. With one level the exact learning curve of a
# learner that memorises what it has seen is known at finite m (drawn as the thin line);
# its slope tends to a/(1+a) as m grows. Measured: 63-74 s on a 2-core machine shared with
# other jobs (load average 3-7; 36 s of CPU). `--full` (GPU): m = 64 (v = 64) at L = 1 and
# a depth-2 grammar (v = 32, m = 32, s = 2, L = 2) up to 65,536 sentences.
#
# Run `python analyses/power_law.py [--full]` or `cooc analyses run power_law [--full]`;
# figures and `results.json` go to `analyses/out/power_law/`.

# %%
import numpy as np
import torch
from _shared import start

from cooc.experiments.power_law import power_law_curves
from cooc.plots.grammar_studies import plot_decay_curves, plot_scaling

study = start("power_law")
SMALL = dict(
    grammars=[dict(v=32, n_c=32, m=32, s=2, L=1)],
    a=(0.5, 1.0, 2.0),
    samples=tuple(32 * 2**k for k in range(8)),
    seeds=2,
    n_test=4096,
    network={"width": 128, "steps": 1000, "batch_size": 128, "lr": 5e-3},
    ceiling=0.5,
    device="cpu",
    threads=1,
)
FULL = dict(
    SMALL,
    grammars=[dict(v=64, n_c=64, m=64, s=2, L=1), dict(v=32, n_c=8, m=32, s=2, L=2)],
    a=(0.5, 1.0, 1.5, 2.0, 3.0),
    samples=tuple(32 * 2**k for k in range(12)),
    seeds=4,
    n_test=16384,
    network={"width": 512, "steps": 6000, "batch_size": 512, "lr": 2e-3},
    device="auto",
    threads=None,
)
CFG = FULL if study.full else SMALL
if CFG["threads"]:
    torch.set_num_threads(CFG["threads"])
results = {"config": CFG, "grammars": []}

# %% [markdown]
# ## Learning curves for several a
#
# Test error against P (log-log) for each a, the power law fitted where the error is below
# half of chance (weighted by the seed spread and the test set's binomial error), the
# predicted slope a/(1+a) drawn through the fitted range, and (for one level) the exact
# finite-m curve of a memorising learner. **Expected:** straight lines whose slopes grow
# with a, close to a/(1+a).

# %%
runs = []
for grammar in CFG["grammars"]:
    run = power_law_curves(
        grammar,
        exponents=CFG["a"],
        samples=CFG["samples"],
        seeds=CFG["seeds"],
        n_test=CFG["n_test"],
        network=CFG["network"],
        ceiling=CFG["ceiling"],
        device=CFG["device"],
        ledger=study.ledger,
        progress=study.full,
    )
    runs.append(run)
    study.lap(f"L={grammar['L']} m={grammar['m']}")
    curves = {}
    for row in run["exponents"]:
        summary = run["curves"][str(row["a"])]
        fit = None if row["measured"] is None else {k: row[k] for k in ("measured", "measured_err", "prefactor")}
        if fit:
            fit["P"] = row["fit_P"]
        curves[f"a = {row['a']:g}"] = {
            "P": [r["P"] for r in summary],
            "error": [r["test_error"] for r in summary],
            "error_sd": [r["test_error_sd"] for r in summary],
            "theory_curve": [r["theory_error"] for r in summary] if "theory_error" in summary[0] else None,
            "fit": fit,
            "theory": row["theory"],
        }
        finite = "" if row["theory_finite_m"] is None else f", exact finite-m curve {row['theory_finite_m']:.2f}"
        measured = float("nan") if row["measured"] is None else row["measured"]
        error = float("nan") if row["measured_err"] is None else row["measured_err"]
        print(
            f"L={grammar['L']} m={grammar['m']} a={row['a']:g}: exponent {measured:.3f} ± {error:.3f}"
            f" (theory a/(1+a) = {row['theory']:.3f}{finite})"
        )
    study.figure(plot_decay_curves(curves), f"learning_curves_L{grammar['L']}_m{grammar['m']}.png")
    results["grammars"].append({"grammar": grammar, "exponents": run["exponents"], "curves": run["curves"]})

# %% [markdown]
# ## Measured exponent against a/(1+a)
#
# **Expected:** the points on the line measured = a/(1+a); at finite m the exact curve of a
# memorising learner is steeper than its asymptote for small a (the rarest rules are all
# seen before the power law has run its course), and the network should follow it.

# %%
plt_series = {}
for run in runs:
    rows = [r for r in run["exponents"] if r["measured"] is not None]
    g = run["grammar"]
    plt_series[f"CNN, L={g['L']} m={g['m']}"] = {
        "x": [r["theory"] for r in rows],
        "y": [r["measured"] for r in rows],
        "y_err": [r["measured_err"] for r in rows],
    }
    if all(r["theory_finite_m"] is not None for r in rows):
        plt_series[f"exact memoriser, m={g['m']}"] = {
            "x": [r["theory"] for r in rows],
            "y": [r["theory_finite_m"] for r in rows],
        }
fig = plot_scaling(plt_series, "a / (1 + a) (theory)", ylabel="measured decay exponent")
# the prediction is the line measured = a/(1+a) itself (plot_scaling's theory line would be a slope-1 line through
# the points' geometric centre, which hides a measured exponent off by a constant factor)
ax = fig.axes[0]
theory = np.array([r["theory"] for run in runs for r in run["exponents"]])
grid = np.geomspace(theory.min() / 1.2, theory.max() * 1.2, 20)
ax.plot(grid, grid, "k:", lw=0.9, label="theory: measured = a/(1+a)")
ax.legend(fontsize=7)
study.figure(fig, "exponents.png")
results["exponents"] = [
    {k: r[k] for k in ("a", "measured", "measured_err", "theory", "theory_finite_m")} for r in runs[0]["exponents"]
]
print(
    "exponents:",
    [(r["a"], round(r["measured"], 3), round(r["theory"], 3)) for r in results["exponents"] if r["measured"]],
)
study.save(results)
