# %% [markdown]
# # Next-token prediction on a hierarchical grammar: steps at P_l, CNN against transformer, context length
#
# A network trained to predict the last token of Random Hierarchy Model sentences (v
# symbols, m productions per symbol, branching s, depth L; docs/science.md, section 6)
# learns the grammar one level at a time (Cagnetta & Wyart, arXiv 2406.00048): the
# correlation between the last token and a group of tokens whose common ancestor with it
# is l levels up becomes detectable above the sampling noise once the number of training
# sentences passes **P_l = v m^(2l-1) / (1 - m/v^(s-1))**, and the test loss then steps
# down from the plateau H_(l-1) to H_l, the entropy of the last token given its subtree of
# height l. A convolutional network whose filters follow the tree (locality and weight
# sharing) learns faster than a transformer (arXiv 2505.07070): its excess loss decays
# with a larger exponent. At fixed P, a longer context helps only up to the largest
# subtree the P sentences resolve.
#
# **Sizes.** Default (CPU, torch with one thread): the RHM v = n_c = 8, m = 2, s = 2,
# L = 3 (sentences of 8 tokens, P_max = 1024, P_1 = 21, P_2 = 85, P_3 = 341), P from 8 to
# 256, 4 seeds, a causal hierarchical CNN (width 128, dropout 0.6) and a 2-layer decoder-only
# transformer (d_model 32), early-stopped on 128 validation sentences and scored on the
# 640 sentences left (every sentence of the grammar not drawn for training or validation,
# so the test loss carries no sampling noise of its own), one draw of sentences per seed;
# the same CNN on the last 4 tokens over the same P and draws (a control, below); the
# CNN's context sweep T = 2, 4, 8 at P = 256 (its T = 4 and 8 runs are the curves' own).
# Measured: 85 s on a quiet 2-core machine (84 s CPU; 163 s before dropout, on a shared
# one). `--full` (GPU): the papers' sizes,
# v = n_c = 32, m = 8, L = 3 (P_1 = 341, P_2 = 21,845), P up to 2^17, 3 seeds, wider
# and deeper networks (the CNN with the default's dropout 0.6: at that size, on the CPU, it moved
# step 1 from about 6 to 4.1 P_1; benchmarks/RESULTS.md, 2026-12-05), and the CNN's control on the
# last 4 tokens (2.8 P_1 there on the CPU).
#
# Run `python analyses/next_token.py [--full]` or `cooc analyses run next_token [--full]`;
# figures and `results.json` go to `analyses/out/next_token/` (or `--output`).

# %%
import numpy as np
import torch
from _shared import start

from cooc.experiments.next_token import next_token_experiment, next_token_figures

study = start("next_token")
SMALL = dict(
    spec="rhm:v=8,n_c=8,m=2,s=2,L=3",
    samples=(8, 16, 32, 64, 128, 256),
    seeds=4,
    models={
        # dropout 0.6 on the CNN's hidden units: whole-sentence steps at 2.2 and 2.8 P_l without it
        "cnn": {"model_kwargs": {"width": 128, "dropout": 0.6}, "train": {"lr": 3e-4}},
        "transformer": {"model_kwargs": {"d_model": 32, "n_heads": 4, "n_layers": 2}, "train": {"lr": 1e-3}},
    },
    train={"steps": 3000, "batch_size": 32, "eval_every": 10, "patience": 10},
    context_sizes=(2, 4, 8),
    context_P=256,
    context_model="cnn",
    control_contexts=(4,),  # the CNN on the last 4 tokens: the subtree of height 2 that steps 1 and 2 need
    n_val=128,
    n_test=640,  # every sentence of the grammar (P_max = 1024) not drawn for training or validation
    device="cpu",
    threads=1,
)
FULL = dict(
    SMALL,
    spec="rhm:v=32,n_c=32,m=8,s=2,L=3",
    samples=(2**7, 2**8, 2**9, 2**10, 2**11, 2**12, 2**13, 2**14, 2**15, 2**16, 2**17),
    seeds=3,
    models={
        # the default's dropout (since 2026-12-05: at this size it moves step 1 from about 6 to 4.1 P_1)
        "cnn": {"model_kwargs": {"width": 512, "dropout": 0.6}, "train": {"lr": 3e-4}},
        "transformer": {"model_kwargs": {"d_model": 256, "n_heads": 8, "n_layers": 4}, "train": {"lr": 3e-4}},
    },
    train={"steps": 50_000, "batch_size": 256, "eval_every": 100, "patience": 20},
    context_sizes=(2, 4, 8),
    context_P=2**15,
    context_model="transformer",
    # the CNN on the last 4 tokens, as in the default: on the CPU its step 1 came at 2.8 P_1 at this size
    control_contexts=(4,),
    control_model="cnn",
    n_val=2048,
    n_test=8192,
    device="auto",
    threads=None,
)
CFG = FULL if study.full else SMALL
# Tiny networks on a shared CPU run faster with one torch thread (each step is too small to split).
if CFG["threads"]:
    torch.set_num_threads(CFG["threads"])

# %% [markdown]
# ## Learning curves and their steps
#
# Both networks read whole sentences and are trained and scored on the last token. For
# every P and seed a fresh network is trained on the first P sentences (early-stopped on
# held-out sentences, so each point is the lowest test loss that P sentences allow).
# **Expected:** the loss steps down from H_0 towards H_1 near P_1 and towards H_2 near
# P_2; the target is the measured step positions (where the loss crosses the middle of
# each step) within a factor 2 of P_l. A learner that only counts the last token's
# sibling pairs (the ideal for step 1) crosses the middle of step 1 at 0.5 P_1 on these
# 4 draws (0.9 P_1 on another 4; 1.0 P_1 on the papers' grammar v = 32, m = 8): the
# midpoint convention and the theory agree.
# **Control:** the same CNN reading only the last 4 tokens of each sentence (the subtree
# of height 2, which holds every correlation that steps 1 and 2 use) gets its own curve
# on the same draws; its steps measure the data those correlations need, without what the
# network pays for reading the rest of the sentence.
# **Measured at this size** (4 seeds): the transformer makes step 1 at 0.7 P_1 and step
# 2 past P = 256 (not bracketed). The whole-sentence CNN, with dropout 0.6 on its hidden
# units, makes both steps at 1.88 and 1.74 P_l on the seed-averaged curve (per seed
# 1.5-2.5 and 1.4-2.0; on a grid of 19 sizes 1.88 and 1.70; on 4 other draws 2.00 and
# 1.90, so step 1 sits at the edge of the target); the same network without dropout
# makes them at 2.2 and 2.8 (other draws: 2.3 and 3.0), with dropout 0.2, 0.3 and 0.5 at
# 2.1 / 2.5, 2.1 / 2.3 and 2.0 / 2.0, with 0.7 at 1.8 / 1.6 but a worse loss at P = 256.
# The CNN on the last 4 tokens makes them at 1.0 and 1.3 P_l (per seed 0.7-1.8 and
# 1.0-1.8; without dropout 1.0 and 1.4; a depth-3 CNN given the same 4 tokens padded to
# its window: 1.3 and 1.4, so it is the context, not the depth), and on the last 2 tokens
# (the sibling alone) step 1 at 0.6 P_1 (checked apart from the study,
# benchmarks/RESULTS.md). So the signal-to-noise argument places the steps within a
# factor 2 for the network that reads the context the steps involve, and the gap to the
# whole-sentence network is the data it spends fitting the 4 earlier tokens, whose
# correlations with the last one these P cannot resolve (they matter only from P_3 =
# 341): at P = 32 the CNN without dropout fits its sentences within 20-60 steps, before
# the sibling's correlation lowers the held-out loss. Dropout makes that fit costlier
# and brings the whole-sentence steps within the factor 2 at this size (not at every
# size: at v = 32, m = 2 it moves step 1 from 2.0 to 1.65 P_1 but leaves step 2 at 2.2,
# and costs loss at large P; at v = 32, m = 8 it moves step 1 from 5.6 to 3.0 P_1 on one
# draw; benchmarks/RESULTS.md).
#
# **Ruled out** as the cause of the lateness of the whole-sentence CNN without dropout
# (4 draws each, step 1 / step 2 as multiples of P_l; none is adopted, each is within the
# seed spread):
# - how it is trained: plain SGD (lr 0.1) 2.0 / 2.5; SGD with batches of 8 2.1 / 2.3;
#   SGD with weight decay 2.0 / 2.4; Adam with batches of 8 2.0 / 2.6; the mean-field
#   readout (logits h W / width, the feature-learning scaling of arXiv 2307.02129) with
#   SGD at a rate proportional to the width 2.2 / 2.6 (width 128) and 2.2 / 2.5 (width
#   512), with Adam 2.4 / 2.8; converged (5 or 10 times the patience, a third of the
#   rate, early stopping checked every 2 steps: losses within 0.07);
# - this implementation: the papers' own recipe (read from their public code: one-hot
#   input centred to unit variance, the mask v^-1/2 on the last token, a bias-free CNN
#   with a mean-field readout, SGD with momentum 0.9 at a rate proportional to the
#   width, the test loss at its best evaluation) makes step 1 at 1.8 P_1, within the
#   target, and step 2 at 2.1 P_2 on this grid, 2.4 on a grid of 19 sizes
#   (`benchmarks/next_token_recipe.py`; the factor-2 grid places a bending step early);
#   one-hot inputs 2.4 / 2.5;
# - weight sharing (a locally connected network, its own weights at every node: 2.0 /
#   2.6), miscalibration (a temperature fitted on the validation sentences: 2.1 / 2.7),
#   i.i.d. sentences (2.0 / 2.4);
# - the theory's inputs: the plateaus H_l equal conditional entropies counted over all
#   1024 sentences; the grammar's exact level-1 and level-2 covariances are 1.1-1.2
#   times the formula's, so the argument for this instance puts the steps *earlier* (16
#   and 58); a grid of 40 points moves the counter's crossing by 7%;
# - the grammar's size: v = 32, m = 2: 2.0 / 2.3; more productions per symbol make it
#   worse: v = 8, m = 4 (P_1 = 64) 4.2 P_1, and the papers' grammar v = 32, m = 8, on one
#   CPU (width 128, batches of 256, 2 draws): 6.0 P_1 and 2.8 P_2, where the pair
#   counter steps at 1.0-1.25 P_1; width 512, batches of 32 or a higher rate do not
#   bring step 1 below 5.5 P_1 there, nor the papers' recipe below 4.9 P_1. `--full` runs the papers' sizes.

# %%
result = next_token_experiment(
    CFG["spec"],
    CFG["samples"],
    CFG["seeds"],
    CFG["models"],
    CFG["train"],
    CFG["context_sizes"],
    CFG["context_P"],
    context_model=CFG["context_model"],
    control_contexts=CFG["control_contexts"],
    control_model=CFG.get("control_model"),
    n_val=CFG["n_val"],
    n_test=CFG["n_test"],
    device=CFG["device"],
    progress=study.full,
    ledger=study.ledger,
    jobs=study.jobs,
)
theory = result["theory"]
print("P_l:", np.round(theory["P_l"], 1), " plateaus H_l:", np.round(theory["plateaus"], 3))
for name, curve in result["curves"].items():
    losses = [round(s["test_loss_last"], 3) for s in curve["summary"]]
    ratios = [round(float(s["ratio"]), 2) for s in result["steps"][name]]
    seeds = [np.round(s["ratio_per_seed"], 2).tolist() for s in result["steps"][name]]
    print(f"{name}: loss {losses} at P = {[s['P'] for s in curve['summary']]}; measured / predicted steps {ratios}")
    print(f"  per seed, steps 1, 2, 3: {seeds}")
for control in result["controls"]:
    ratios = [round(float(s["ratio"]), 2) for s in control["steps"]]
    seeds = [np.round(s["ratio_per_seed"], 2).tolist() for s in control["steps"]]
    losses = [round(s["test_loss_last"], 3) for s in control["summary"]]
    print(f"{control['model']} on the last {control['T']} tokens: loss {losses}; measured / predicted steps {ratios}")
    print(f"  per seed: {seeds}")
study.lap("curves")

# %% [markdown]
# ## CNN against transformer: the decay of the excess loss
#
# The excess loss L(P) - H_L (H_L: the last token's entropy given the whole sentence, the
# lowest loss any predictor reaches) fitted as a power law of P for each seed; the
# exponent is the mean over seeds with its standard error. **Expected (arXiv
# 2505.07070):** the CNN's exponent is the larger: its filters are shared across the
# tree, so each production's statistics are pooled over positions. At this size the
# grid covers the first two steps only, so the exponents are effective slopes across
# them, not asymptotic ones.

# %%
exponents = result["exponents"]
cnn, transformer = exponents["cnn"], exponents["transformer"]
# a model without an exponent (fewer than 3 points above the floor in every seed) is compared with nothing
compared = bool(np.isfinite(cnn["alpha"]) and np.isfinite(transformer["alpha"]))
faster = ("cnn" if cnn["alpha"] > transformer["alpha"] else "transformer") if compared else None
difference = abs(cnn["alpha"] - transformer["alpha"]) if compared else float("nan")
combined = float(np.hypot(cnn["alpha_err"], transformer["alpha_err"]))
print(
    f"alpha: cnn {cnn['alpha']:.2f} +- {cnn['alpha_err']:.2f}, transformer {transformer['alpha']:.2f} +- "
    f"{transformer['alpha_err']:.2f}; "
    + (
        f"{faster} decays faster by {difference:.2f} ({difference / combined:.1f} sigma)"
        if compared
        else "not compared"
    )
)

# %% [markdown]
# ## Loss against context length at fixed P
#
# The CNN at P = 256 sentences, reading the last T tokens (T = 2: the sibling
# alone; T = 4: the subtree of height 2; T = 8: the sentence). The dashed line is the
# exact entropy of the last token given T - 1 tokens before it. **Expected:** the loss
# follows the exact curve while the P sentences resolve the subtree the context covers,
# and stops improving beyond it (here P = 256 is past P_2 = 85 but short of P_3 = 341, so
# going from T = 4 to T = 8 buys little). **Measured** (one seed): 0.76, 0.37, 0.39 at
# T = 2, 4, 8 (exact 0.71, 0.31, 0.22): the sentence's 4 earlier tokens buy nothing and
# cost 0.03 nats (0.11 without dropout), the cost that delays the whole-sentence steps.

# %%
ctx = result["context"]
print("context T:", ctx["T"], "loss:", np.round(ctx["loss"], 3), "exact:", np.round(ctx["exact"], 3))
for filename in next_token_figures(result, study.out):
    study.figures.append(filename)

# %%
steps = [{**s, "model": name} for name, rows in result["steps"].items() for s in rows]
controls = [
    {"T": c["T"], "model": c["model"], "summary": c["summary"], "steps": c["steps"]} for c in result["controls"]
]
study.save(
    {
        "config": {k: v for k, v in CFG.items()},
        "theory": {k: v for k, v in theory.items()},
        "steps": steps,
        "controls": controls,
        "exponents": {
            k: {"alpha": v["alpha"], "alpha_err": v["alpha_err"], "per_seed": v["per_seed"]}
            for k, v in exponents.items()
        },  # fmt: skip
        "faster": faster,
        "exponent_difference": difference,
        "exponent_difference_sigma": difference / combined if combined > 0 else None,
        "curves": {k: v["summary"] for k, v in result["curves"].items()},
        "context": ctx,
    }
)
