# %% [markdown]
# # Learning a hierarchical grammar: deep CNN against transformer and fully-connected net
#
# Cagnetta, Petrini, Tomasini, Favero & Wyart (arXiv 2307.02129): a deep CNN whose
# architecture matches the grammar's tree (depth L + 1, filter = stride = s) learns to
# classify Random Hierarchy Model sentences from P* ~ n_c m^L examples, far fewer than the
# P_max = n_c m^((s^L - 1)/(s - 1)) distinct sentences; models that do not exploit the
# hierarchy (a shallow fully-connected net) need a number of examples that grows with
# P_max. Learning curves of grammars with different (v, m, L) collapse when P is
# divided by n_c m^L (docs/science.md, section 6).
#
# **Sizes.** Default (CPU, torch with one thread): two tiny grammars, v = n_c = 8, s = 2
# with (m, L) = (4, 2) and (2, 3) (n_c m^L = 128 and 64; P_max = 512 and 1,024), P from
# 1/2 to 3 times n_c m^L, 2 seeds, 600 Adam steps, 128 test sentences. Measured: 45-61 s
# on a 2-core machine shared with other jobs (load average 3-6). `--full` (GPU): three
# grammars as in `benchmarks/rhm_curves.py`, P from 1/4 to 16 times n_c m^L, 3 seeds,
# 3,000 steps, wider nets: the collapse plot.
#
# Run `python analyses/rhm_learning.py [--full]` or `cooc analyses run rhm_learning
# [--full]`; figures and `results.json` go to `analyses/out/rhm_learning/`.

# %%
import numpy as np
import torch
from _shared import start

from cooc.plots.training import learning_curves, sample_complexity
from cooc.train.grammar.curves import curve_table, learning_curve, summarize
from cooc.train.grammar.data import grammar_from_spec, grammar_scale

study = start("rhm_learning")
SMALL = dict(
    grammars=("rhm:v=8,n_c=8,m=4,s=2,L=2", "rhm:v=8,n_c=8,m=2,s=2,L=3"),
    factors=(0.5, 1, 2, 3),
    seeds=2,
    steps=600,
    batch_size=32,
    lr=3e-3,
    n_test=128,
    device="cpu",
    threads=1,
    models={"cnn": {"width": 64}, "transformer": {"d_model": 32, "n_heads": 2}, "fc": {"width": 256}},
)
FULL = dict(
    SMALL,
    grammars=("rhm:v=8,n_c=8,m=4,s=2,L=3", "rhm:v=16,n_c=16,m=4,s=2,L=3", "rhm:v=8,n_c=8,m=2,s=2,L=4"),
    factors=(0.25, 0.5, 1, 2, 4, 8, 16),
    seeds=3,
    steps=3000,
    batch_size=256,
    n_test=2000,
    device="auto",
    threads=None,
    models={"cnn": {"width": 256}, "transformer": {"d_model": 128, "n_heads": 4}, "fc": {"width": 1024}},
)
CFG = FULL if study.full else SMALL
# Tiny networks on a shared CPU run many times faster with one torch thread than with
# several (each step is too small to split, and idle threads spin).
if CFG["threads"]:
    torch.set_num_threads(CFG["threads"])
results = {"config": CFG, "curves": {}}

# %% [markdown]
# ## Learning curves
#
# The three models on the first grammar, the CNN alone on the others. For each grammar
# and model: a fresh network per training-set size P and seed, trained
# on the first P sentences of the seed's pool until it fits them (or the step budget runs
# out), then scored on held-out sentences. **Expected:** the CNN's test error falls below
# 10% of chance around P ~ 2-3 n_c m^L for both grammars; the fully-connected net, blind
# to the hierarchy, stays far above it at the same P (theory: it needs ~P_max). The small
# transformer is behind too at these P; the prediction tested is the CNN's, so read its
# curve as a measurement.

# %%
tables, curves, scales = [], {}, {}
for spec in CFG["grammars"]:
    grammar = grammar_from_spec(spec)
    scale = grammar_scale(grammar)
    samples = sorted({max(1, int(round(f * scale))) for f in CFG["factors"]})
    # every model on the first grammar; the CNN alone on the others (for its collapse)
    for model, kwargs in (CFG["models"] if spec == CFG["grammars"][0] else {"cnn": CFG["models"]["cnn"]}).items():
        rows = learning_curve(
            grammar,
            model,
            samples,
            seeds=list(range(CFG["seeds"])),
            n_test=CFG["n_test"],
            steps=CFG["steps"],
            batch_size=CFG["batch_size"],
            lr=CFG["lr"],
            device=CFG["device"],
            model_kwargs=kwargs,
        )
        label = f"{model} {spec.split(':')[1]}"
        table = {"spec": spec, "model": model, **curve_table(grammar, rows)}
        tables.append(table)
        curves[label], scales[label] = summarize(rows), scale
        results["curves"][label] = {
            "spec": spec,
            "model": model,
            "scale": scale,
            "P_max": grammar.P_max,
            "summary": curves[label],
            "P_star": table["P_star"],
            "P_star_over_scale": table["P_star_over_scale"],
        }
        errors = [round(row["test_error"], 3) for row in curves[label]]
        print(f"{label}: test error {errors} at P = {samples}; P*/(n_c m^L) = {table['P_star_over_scale']:.2f}")
    study.lap(spec)
study.figure(learning_curves(curves), "learning_curves.png")

# %% [markdown]
# ## Collapse and P* against n_c m^L
#
# Test error divided by chance against P / (n_c m^L), and the CNN's P* against n_c m^L.
# **Expected (paper):** the CNN curves of different grammars fall on one curve and P* is
# proportional to n_c m^L. With two tiny grammars on a CPU this is a two-point check: the
# ratio P* / (n_c m^L) should be about the same for both; `--full` draws the collapse
# over three larger grammars.

# %%
cnn = {k: v for k, v in curves.items() if k.startswith("cnn")}
study.figure(learning_curves(cnn, scales={k: scales[k] for k in cnn}), "cnn_collapse.png")
study.figure(learning_curves(curves, scales=scales), "all_models_collapse.png")
cnn_tables = [t for t in tables if t["model"] == "cnn"]
study.figure(sample_complexity(cnn_tables), "cnn_p_star.png")
ratios = [t["P_star_over_scale"] for t in cnn_tables]
results["cnn_P_star_over_scale"] = ratios
print("CNN P*/(n_c m^L):", np.round(ratios, 2))
study.save(results)
