# %% [markdown]
# # The varying-tree grammar: a global-ambiguity transition (the paper: f_c = 3/8)
#
# Parley, Cagnetta & Wyart (arXiv 2602.06065): a grammar whose symbols each own m2 = f v
# binary and m3 = f v^2 ternary productions (used with probability 1/2 each) makes trees of
# varying shape with every leaf at depth L. A pair or triple of symbols is locally
# ambiguous with probability about f; whether the whole sentence is ambiguous (has more
# than one derivation tree) undergoes a transition at f_c = 3/8 as L grows. Below it the
# context lifts local ambiguities and networks can learn to parse; above it the class of
# many sentences is not determined (docs/science.md, section 6). **Measured here:** a
# transition near f = 1/4, not 3/8: class ambiguity changes regime there, and so does the first
# moment; `results["f_transition"]` is where the first moment stops converging, at the deepest
# depth computed (`f_transition_depth`).
#
# **Sizes.** Default (CPU): the exact inside (CYK) pass on 400, 300 and 150 sampled
# sentences at L = 2, 3, 4 (v = 16, f from 1/8 to 7/8), giving the fraction of sentences
# with more than one tree and the Bayes-optimal classification error; then 300 sentences at
# v = 64, f = 0.2 and 0.3, L = 3, 4, 5 for the ambiguity against depth, beside its first
# moment (the mean number of extra trees over random grammars) on 200 tree shapes per depth
# at five f, and its growth per depth on 200 shapes of depth 6. Learning: v = 4, L = 2,
# f = 1/4 and 3/4, a CNN (width-3 convolutions with max-pooling, for padded sentences) and a
# one-layer transformer at P = 64, 256, 1,024, one seed. Measured: 25 s on a 2-core machine
# with one core busy, compiled kernels cached (23 s quiet before the growth section).
# `--full`: L up to 5, more sentences, the depth scan at five f for L = 3-8 (1,000 sentences
# each; CPU), the first moment at seven f for L = 3-8 (50 to 200 shapes; CPU, minutes), its
# growth on 200 shapes of depth 8 at eight f (CPU: 18 minutes on one core; shapes are spread
# over every core), and the networks at L = 3 with 4 seeds on the GPU. With `--full` each
# parsed (L, f), each depth of the first moment and the growth are recorded in the ledger with
# the networks, so a run cut short takes them from there.
#
# Run `python analyses/varying_tree.py [--full]` or `cooc analyses run varying_tree
# [--full]`; figures and `results.json` go to `analyses/out/varying_tree/`.

# %%
import torch
from _shared import start

from cooc.experiments.varying_tree import (
    F_C,
    ambiguity_curves,
    first_moment_curves,
    first_moment_growth,
    varying_tree_learning,
)
from cooc.plots.grammar_studies import (
    plot_ambiguity,
    plot_ambiguity_depth,
    plot_error_floors,
    plot_first_moment,
    plot_moment_growth,
)

study = start("varying_tree")
SMALL = dict(
    v=16,
    f=(0.125, 0.1875, 0.25, 0.3125, 0.375, 0.4375, 0.5, 0.625, 0.75, 0.875),
    depths=(2, 3, 4),
    sentences={2: 400, 3: 300, 4: 150},
    depth_scan=dict(v=64, f=(0.2, 0.3), depths=(3, 4, 5), sentences=300),
    moment=dict(f=(0.2, 0.25, 0.3, 0.35, 0.375), shapes=200),
    growth=dict(L=6, f=(0.2, 0.225, 0.25, 0.275, 0.3), shapes=200),
    learning=dict(v=4, L=2, f=(0.25, 0.75), samples=(64, 256, 1024), seeds=1, n_test=512),
    cnn={"width": 32, "steps": 800, "batch_size": 64, "lr": 3e-3},
    transformer={"d_model": 32, "n_heads": 2, "n_layers": 1, "steps": 300, "batch_size": 64, "lr": 3e-3},
    device="cpu",
    threads=1,
)
FULL = dict(
    SMALL,
    depths=(2, 3, 4, 5),
    sentences={2: 2000, 3: 2000, 4: 1000, 5: 300},
    depth_scan=dict(v=64, f=(0.2, 0.225, 0.25, 0.275, 0.3), depths=(3, 4, 5, 6, 7, 8), sentences=1000),
    moment=dict(f=(0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.375), shapes={3: 200, 4: 200, 5: 200, 6: 200, 7: 100, 8: 50}),
    growth=dict(L=8, f=(0.2, 0.2125, 0.225, 0.2375, 0.25, 0.2625, 0.275, 0.3), shapes=200),
    learning=dict(v=8, L=3, f=(0.25, 0.5), samples=(256, 1024, 4096, 16384, 65536), seeds=4, n_test=4096),
    cnn={"width": 256, "steps": 6000, "batch_size": 256, "lr": 1e-3},
    transformer={"d_model": 128, "n_heads": 4, "n_layers": 4, "steps": 6000, "batch_size": 256, "lr": 3e-4},
    device="auto",
    threads=None,
)
CFG = FULL if study.full else SMALL
if CFG["threads"]:
    torch.set_num_threads(CFG["threads"])
results = {"config": {**CFG, "sentences": {str(k): n for k, n in CFG["sentences"].items()}}}

# %% [markdown]
# ## Fraction of globally ambiguous sentences against f
#
# For each depth and f, sentences are sampled and parsed exactly: the number of derivation
# trees, their roots, and the posterior of the class given the sentence. **Expected** (the
# paper): the curves steepen with L and their crossing of 1/2, f_half(L), moves down towards
# f_c = 3/8. **Measured** beyond these depths
# (v = 16, benchmarks/RESULTS.md, 2026-12-03): f_half keeps falling past 3/8, to 0.35, 0.32
# and 0.28 at L = 5, 6, 7, and the fraction below 3/8 grows with L. The next section shows
# why: at fixed v, a kind of ambiguity that keeps the class grows with L at every f.

# %%
amb = ambiguity_curves(CFG["v"], CFG["f"], CFG["depths"], n_sentences=CFG["sentences"], ledger=study.ledger)
study.lap("ambiguity")
study.figure(plot_ambiguity(amb), "ambiguity.png")
for L, entry in amb["depths"].items():
    fractions = [None if x is None else round(x, 2) for x in entry["fraction"]]
    print(f"L = {L}: ambiguous fraction {fractions}; f_half = {entry['f_half']:.3f}")
deepest = amb["depths"][str(max(CFG["depths"]))]
results["ambiguity"] = {"f": amb["f"], "fraction": deepest["fraction"], "fraction_se": deepest["fraction_se"]}
results["ambiguity_by_depth"] = amb["depths"]
results["f_half"] = {L: e["f_half"] for L, e in amb["depths"].items()}
results["f_c"] = F_C
print(f"f_half (L = {max(CFG['depths'])}) = {deepest['f_half']:.3f}; the paper's f_c = {F_C}")

# %% [markdown]
# ## Two kinds of ambiguity, against the depth
#
# An alternative tree of a sentence either reaches the root with another symbol (the
# sentence is *class-ambiguous*) or rejoins the sentence's own tree below the root (all its
# trees share one root). The second kind needs a coincidence of symbols, about 1/v per
# rejoining, at one of the ~2.5^L places of the tree, so at any fixed v it grows with L for
# every f; the first kind is the one a transition in f can separate. Plotted against L at a
# larger v, one line per f. **Measured** (v = 64, 1,000 sentences, L = 3-8;
# benchmarks/RESULTS.md, 2026-12-03): the class-ambiguous fraction settles near 0.015 at
# f = 0.2, grows by about 0.01 per level at f = 0.25, and grows faster and faster from
# f = 0.275 on, so the transition of class ambiguity sits near f = 0.25, below the paper's 3/8.

# %%
ds = CFG["depth_scan"]
by_depth = ambiguity_curves(
    ds["v"], ds["f"], ds["depths"], n_sentences=ds["sentences"], saturation=None, ledger=study.ledger
)
study.lap("ambiguity by depth")
study.figure(plot_ambiguity_depth(by_depth), "ambiguity_depth.png")
for k, f in enumerate(by_depth["f"]):
    row = [round(by_depth["depths"][str(L)]["class_fraction"][k], 3) for L in ds["depths"]]
    print(f"v = {ds['v']}, f = {f:g}: class-ambiguous fraction at L = {list(ds['depths'])}: {row}")
results["class_ambiguity_by_depth"] = {"v": ds["v"], "f": by_depth["f"], "depths": by_depth["depths"]}

# %% [markdown]
# ## The first moment: the mean number of extra trees, over random grammars
#
# For a sentence of a given tree shape, the expected number of other trees over random
# grammars can be computed exactly when v is large: a candidate tree's nodes that repeat the
# sentence's own tree are valid for sure, each other node with probability f
# (`cooc.grammars.first_moment`; docs/science.md, section 6). Averaged over sampled shapes it
# bounds the class-ambiguous fraction from above. Drawn against L (lines), with the parsed
# grammars of the previous section (open circles: their mean number of extra trees; crosses:
# their class-ambiguous fraction). **Measured** (benchmarks/RESULTS.md, 2026-12-03, "the first
# moment"): it agrees with the parsed grammars (0.159 against 0.163 +- 0.011 at L = 3,
# f = 3/8, v = 64). At f = 0.2 it settles near 0.022; at f = 0.25 it still grows slowly
# (0.105 and 0.127 at L = 8 and 9 on the same 40 shapes; the next section); from f = 0.275
# its growth per level rises with L (x1.4 to x2.1 at L = 5-9) until it explodes: the number of
# trees becomes exponential in the sentence's length. It changes regime where the
# class-ambiguous fraction does, near f = 1/4. At f = 3/8 it passes 1 already at L = 5.

# %%
mc = CFG["moment"]
moment = first_moment_curves(mc["f"], ds["depths"], n_shapes=mc["shapes"], ledger=study.ledger)
study.lap("first moment")
study.figure(plot_first_moment(moment, by_depth), "first_moment.png")
for k, f in enumerate(moment["f"]):
    row = [f"{moment['depths'][str(L)]['mean'][k]:.3g}" for L in ds["depths"]]
    print(f"f = {f:g}: mean number of extra trees (v large) at L = {list(ds['depths'])}: {row}")
results["first_moment"] = moment

# %% [markdown]
# ## Where the first moment stops converging: its growth per depth
#
# The new nodes of an extra tree (those that do not repeat the own tree) form a top part
# that contains the root; the first moment splits into contributions C(d) of the trees whose
# new nodes reach depth d, and C(d) depends only on the top d levels of the shape. So on one
# set of deep shapes every C(d) comes from their truncations, and the ratio
# lambda(d) = E C(d) / E C(d - 1) compares the same sentences (docs/science.md, section 6).
# Where lambda stays below 1 the first moment converges as L grows; the f where lambda(d)
# crosses 1, f*(d), is the depth-d estimate of its threshold. **Expected** if the paper's
# transition were the first moment's: f*(d) near 3/8. **Measured** (200 shapes of depth 8;
# two draws of 40 and 60 of depth 9; benchmarks/RESULTS.md, 2026-12-04, "growth per depth"):
# f*(d) = 0.253, 0.254, 0.253 at d = 3-5, then 0.247, 0.243, 0.240 at d = 6-8 and 0.238 at
# d = 9, its fall slowing (by 0.004, then 0.002 per level) but not stopped (at p2 = 3/4: 0.231
# at d = 9; at p2 = 1/4: 0.246 at d = 8); at f = 0.2 the ratio stays near 0.66 at every depth.
# So the first moment's threshold for large L is below 0.24 and likely above 0.2: far below
# 3/8, near where class ambiguity changes regime. The default (depth 6) gives 0.244-0.262 at d = 3-6 in under 4 s.

# %%
gc = CFG["growth"]
growth = first_moment_growth(gc["f"], gc["L"], n_shapes=gc["shapes"], ledger=study.ledger)
study.lap("first moment's growth")
study.figure(plot_moment_growth(growth, F_C), "first_moment_growth.png")
for k, d in enumerate(growth["growth_depths"]):
    row = [round(g[k], 3) for g in growth["growth"]]
    print(f"d = {d}: lambda(d) at f = {list(growth['f'])}: {row}; f*(d) = {growth['f_star'][k]:.4f}")
results["first_moment_growth"] = growth
# the transition this study measures: where the first moment stops converging, at the deepest d computed
# (f_half is not one: it keeps falling with L at fixed v, pulled down by same-class ambiguity)
results["f_transition"] = growth["f_star"][-1]
results["f_transition_depth"] = growth["growth_depths"][-1]
print(f"f_transition = f*(d = {growth['growth_depths'][-1]}) = {growth['f_star'][-1]:.4f}; the paper's f_c = {F_C}")

# %% [markdown]
# ## Networks on either side of the transition
#
# Learning curves of the CNN and the transformer at one f below f_c and one above, beside
# the exact Bayes-optimal error of the same test sentences (no classifier can do better).
# **Expected:** below f_c the error falls towards a floor near 0; above it the floor is
# high (many sentences have trees with different classes) and learning is slower.
# Training and test sentences are i.i.d. draws, and the default's grammar (v = 4, L = 2) is
# small: at f = 1/4 about 70% of the test sentences are also training sentences at P = 1,024
# (26% at P = 64; at f = 3/4, 19% at P = 1,024), so there a network that memorises its
# sentences scores on most of the test set without parsing (printed below,
# `results["learning"]["by_f"][f]["test_in_training"]`). At the `--full` size (v = 8, L = 3)
# it is under 1%.

# %%
lc = CFG["learning"]
learn = varying_tree_learning(
    lc["v"],
    lc["L"],
    lc["f"],
    lc["samples"],
    seeds=lc["seeds"],
    n_test=lc["n_test"],
    cnn=CFG["cnn"],
    transformer=CFG["transformer"],
    device=CFG["device"],
    ledger=study.ledger,
    jobs=study.jobs,
    progress=study.full,
)
study.lap("learning")
curves = {}
for f, entry in learn["by_f"].items():
    for model, style in (("cnn", "o-"), ("transformer", "s--")):
        rows = entry[model]
        curves[f"{model}, f = {float(f):g}"] = {
            "P": [r["P"] for r in rows],
            "error": [r["test_error"] for r in rows],
            "floor": entry["bayes_error"],
            "chance": rows[0]["chance_error"],
            "group": f,
            "style": style,
        }
        print(
            f"f = {f} ({model}): test error {[round(r['test_error'], 3) for r in rows]}; Bayes error {entry['bayes_error']:.3f}"
        )
    print(f"f = {f}: test sentences also among the P training ones: {[round(x, 2) for x in entry['test_in_training']]}")
study.figure(plot_error_floors(curves), "learning.png")
results["learning"] = learn
study.save(results)
