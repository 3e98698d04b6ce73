# %% [markdown]
# # Linear analogies from co-occurrence statistics
#
# Korchinski, Karkada, Bahri, Favero & Wyart (arXiv 2505.18651) trace linear analogies
# (``king - man + woman = queen``) in spectral embeddings to four properties of the
# co-occurrence matrix:
#
# 1. the analogy directions live in the **top eigenvectors** of M = P_ij / (P_i P_j);
# 2. accuracy grows with the number K of eigenvectors kept and **saturates**;
# 3. **log M does better than M**: M's accuracy peaks and decays as higher-order modes enter;
# 4. analogies **survive removing** the co-occurrences of the analogy pairs themselves.
#
# The binary-attribute model (docs/science.md, section 3) makes all four exact: a word is a
# vector of d binary attributes, M is a Kronecker product, log M has rank <= d + 1 with
# eigenvectors affine in the attributes. This study shows the model exactly, on a sampled
# corpus of it, and on the Wikipedia sample.
#
# **Sizes.** Default (CPU): attribute model d = 7 (128 words), exact and a 4M-token
# sampled corpus; gensim's shortened Wikipedia dump (~480k tokens), V = 2,000 words,
# K <= 100, split into sentences for the removal. Measured: 35 s on a 2-core machine in CPU
# time (70-110 s of wall time while it was shared with other jobs, load average 6-11). `--full`: full
# English Wikipedia (`hf:wikimedia/wikipedia:20231101.en`, a ~20 GB download and hours of
# counting), V = 10,000, K up to 1,000, on the GPU when there is one (the removal then
# drops whole articles: full Wikipedia's sentences need a streaming build).
#
# Run `python analyses/analogies.py [--full] [--output DIR]` or
# `cooc analyses run analogies [--full] [--output DIR]`; figures and `results.json` go to
# `analyses/out/analogies/` (or DIR, which then also holds the cache).

# %%
import numpy as np
from _shared import start, wikipedia_counts

from cooc import BinaryAttributeModel, SpectralEmbedding, count_cooccurrences
from cooc.corpus.sources.wikixml import WikiXMLSource
from cooc.data import wiki_sample_path
from cooc.experiments.removal import removal_experiment, sentence_corpus, zero_family
from cooc.geometry.analogy import accuracy_vs_k, evaluate_analogies, family_pairs, load_questions
from cooc.plots.spectral import plot_accuracy_vs_k, plot_family_accuracy

study = start("analogies")
SMALL = dict(
    d=7,
    p=(0.5, 0.4, 0.3, 0.6, 0.7, 0.2, 0.45),
    s=0.3,
    model_dim=40,
    sampled_tokens=4_000_000,
    doc_length=1000,
    vocab_size=2000,
    dim=100,
    ks=(1, 2, 5, 10, 20, 50, 100),
    device="cpu",
)
FULL = dict(
    SMALL,
    vocab_size=10_000,
    dim=1000,
    ks=(1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 700, 1000),
    sampled_tokens=40_000_000,
    device="auto",
)
CFG = FULL if study.full else SMALL
TARGETS = {"logm": "log M", "m": "M", "mstar": "M*"}
results = {"config": CFG}
papers = []

# %% [markdown]
# ## 1. The binary-attribute model, exactly
#
# Counts are `1e9 * P(i, j)` from the model's exact joint law. Analogy families flip one
# attribute (`a0 -> a1`), and protocol B asks every ordered pair of pairs in a family.
# **Expected:** log M answers every question from a few eigenvectors on; M peaks well
# below 100% and decays; M* (a bounded PMI) sits in between. log M's entries are affine in
# the attributes, so its analogy offsets stay exact under *any* projection, and its
# accuracy reaches 100% before its top eigenvectors hold every attribute direction (a
# random projection of the same dimension scores 100% too). Where the directions lie is
# measured directly: the fraction of each attribute direction (and of the constant) inside
# the top K eigenvectors, which reaches 1 for all of them at K = d + 1.

# %%
model = BinaryAttributeModel(CFG["d"], p=list(CFG["p"]), s=CFG["s"])
families = model.families()
exact = model.to_cooccurrence()
dim = min(CFG["model_dim"], model.V - 1)
curves, fitted = {}, {}
for target, label in TARGETS.items():
    fitted[target] = SpectralEmbedding(target, dim=dim, eps=1e-12).fit(exact)
    curves[label] = accuracy_vs_k(fitted[target], range(1, dim + 1), families, protocol="pairs", label=label)
marks = {model.d: f"K = d = {model.d}", model.d + 1: "K = d + 1"}
# the fraction of each attribute direction (and of the constant) inside log M's top K eigenvectors
directions = model.log_M_affine() / np.linalg.norm(model.log_M_affine(), axis=0)
top_k = fitted["logm"].eigenpairs_.vectors
captured = np.array([np.sum((top_k[:, :k].T @ directions) ** 2, axis=0) for k in range(1, dim + 1)])
all_captured_from = int(np.argmax(captured.min(axis=1) > 1 - 1e-9)) + 1
first_exact = int(next(k for k, a in zip(curves["log M"].ks, curves["log M"].accuracy) if a == 1.0))
study.figure(
    plot_accuracy_vs_k(
        curves,
        logx=False,
        marks=marks,
        title=f"Binary-attribute model, d = {model.d}, exact: log M at 100% from K = {first_exact}; "
        f"every attribute direction in its top K from K = {all_captured_from}",
    ),
    "attribute_exact.png",
)

# property 1: the top d + 1 eigenvectors of log M span the attributes (and the constant) exactly
basis, _ = np.linalg.qr(model.log_M_affine())
top = fitted["logm"].eigenpairs_.vectors[:, : model.d + 1]
overlap = float(np.sum((basis.T @ top) ** 2) / (model.d + 1))
results["attribute_model"] = {
    "d": model.d,
    "V": model.V,
    "questions": curves["log M"].results[0].total,
    "logm_top_subspace_overlap": overlap,
    "captured_by_k": {"ks": list(range(1, dim + 1)), "min_over_directions": captured.min(axis=1)},
    "all_directions_captured_from_k": all_captured_from,
    "exact": {label: {"ks": c.ks, "accuracy": c.accuracy} for label, c in curves.items()},
}
for label, c in curves.items():
    print(f"exact {label:6s} best {c.best[1]:.1%} at K = {c.best[0]}, K = {c.ks[-1]}: {c.accuracy[-1]:.1%}")
print(f"overlap of log M's top {model.d + 1} eigenvectors with span(1, attributes): {overlap:.6f}")
print(
    f"log M at 100% from K = {first_exact}; every attribute direction inside the top K from K = {all_captured_from} "
    f"(smallest captured fraction at K = {first_exact}: {captured[first_exact - 1].min():.3f})"
)

# %% [markdown]
# ## 2. A sampled corpus of the model
#
# Documents are Markov chains whose adjacent pairs follow P(i, j) exactly, so counting with
# window 1 estimates it. **Expected:** with enough tokens log M still reaches ~100% at
# K = d + 1; beyond that the noise modes of the estimate enter and accuracy falls, while M
# stays far lower at every K.

# %%
corpus = model.write_corpus(
    study.work("attribute-corpus"),
    n_docs=CFG["sampled_tokens"] // CFG["doc_length"],
    length=CFG["doc_length"],
    seed=0,
    overwrite=True,
)
sampled = count_cooccurrences(corpus, window=1, weighting="uniform", workers=2, progress=False)
sampled_curves = {}
for target in ("logm", "m"):
    fit = SpectralEmbedding(target, dim=dim).fit(sampled)
    sampled_curves[TARGETS[target]] = accuracy_vs_k(
        fit, range(1, dim + 1), families, protocol="pairs", label=TARGETS[target]
    )
study.figure(
    plot_accuracy_vs_k(
        sampled_curves,
        logx=False,
        marks=marks,
        title=(f"Binary-attribute model, d = {model.d}: {corpus.n_tokens / 1e6:.0f}M sampled tokens"),
    ),
    "attribute_sampled.png",
)
results["attribute_model"]["sampled"] = {
    "tokens": corpus.n_tokens,
    "nnz": sampled.nnz,
    **{label: {"ks": c.ks, "accuracy": c.accuracy} for label, c in sampled_curves.items()},
}
for label, c in sampled_curves.items():
    print(f"sampled {label:6s} best {c.best[1]:.1%} at K = {c.best[0]}")

# %% [markdown]
# ## 3. Removal on the model
#
# Each family in turn: the co-occurrence of its own pairs (word, word with the attribute
# flipped) is set to independence (M = 1, log M = 0) and log M is re-decomposed at K = d.
# **Expected:** the family is still answered, because the attribute direction is carried by
# every other pair of words that differ in that attribute.

# %%
removal = {}
for name, pairs in families.items():
    emb = SpectralEmbedding("logm", dim=model.d, eps=1e-12).fit(zero_family(exact, pairs, block="pairs")).embedding_
    res = evaluate_analogies(emb, families, protocol="pairs")
    removal[name] = {"removed_family": res.family(name).accuracy, "all_families": res.accuracy}
results["attribute_model"]["removal"] = removal
print(
    "after removing each family's pairs, its own accuracy:",
    ", ".join(f"{k} {v['removed_family']:.0%}" for k, v in removal.items()),
)
study.lap("attribute model")

# %% [markdown]
# ## 4. The Wikipedia sample
#
# Counts of the papers' kind (window 16, linear weights) over the V most frequent words;
# M, log M (eps = 1e-2, the paper's floor) and M* decomposed once each, and protocol-B
# accuracy on Mikolov's `questions-words.txt` read off for every K.
#
# **The paper reports** (full Wikipedia, V = 10,000): accuracy rising with K and
# saturating, log M well above M, and the four properties above. **The
# shipped sample is ~10,000 times smaller**: only the frequent words of a few families
# are in the vocabulary and their counts are noisy, so expect accuracies of a few tens of
# percent at best; what the sample can show is the ordering of the targets and the rise
# with K, not the paper's values. `--full` runs the same cells on full Wikipedia.

# %%
wiki_corpus, wiki = wikipedia_counts(CFG["vocab_size"], full=study.full)
questions = load_questions()
wdim = min(CFG["dim"], len(wiki) - 2)
ks = [k for k in CFG["ks"] if k <= wdim]
wiki_curves = {}
for target, label in TARGETS.items():
    fit = SpectralEmbedding(target, dim=wdim, device=CFG["device"], dtype="float32").fit(wiki)
    wiki_curves[label] = accuracy_vs_k(fit, ks, questions, protocol="pairs", device=CFG["device"], label=label)
chance = 1 / (len(wiki) - 3)  # a guess among the words other than the three of the question
study.figure(
    plot_accuracy_vs_k(
        wiki_curves,
        chance=chance,
        title=f"Wikipedia {'(full)' if study.full else 'sample'}, V = {len(wiki):,}: protocol B",
    ),
    "wikipedia_targets.png",
)
study.figure(
    plot_accuracy_vs_k(wiki_curves["log M"], families=True, chance=chance, title="log M, per family (protocol B)"),
    "wikipedia_families.png",
)
results["wikipedia"] = {
    "tokens": wiki_corpus.n_tokens,
    "documents": wiki_corpus.n_docs,
    "V": len(wiki),
    "questions": wiki_curves["log M"].results[0].total,
    "pairs_in_vocabulary": wiki_curves["log M"].results[0].usable,
    "pairs_listed": wiki_curves["log M"].results[0].listed,
    "curves": {label: c.to_dict() for label, c in wiki_curves.items()},
}
for label, c in wiki_curves.items():
    print(f"wikipedia {label:6s}", ", ".join(f"K={k}: {a:.1%}" for k, a in zip(c.ks, c.accuracy)))

# %% [markdown]
# ## 5. Removal on the Wikipedia sample
#
# The family with the most correct answers is removed two ways: its pairs' block set to
# independence, and every *sentence* holding both words of one of its pairs removed (the
# rest of each article kept and joined, so windows still run across the removed sentence's
# neighbours) and the corpus counted again. **Expected (paper):** the removed family keeps
# most of its accuracy. (Dropping whole articles instead, as `--full` still does, removes
# about half of the sample's 106 articles and every family suffers.)

# %%
# The corpus is lower-cased; evaluate_analogies folds case itself, but the removal helpers match words
# exactly, so the pairs are lower-cased here (questions-words.txt capitalises names: "Athens Greece").
pairs = {name: [(a.lower(), b.lower()) for a, b in p] for name, p in family_pairs(questions).items()}
base = wiki_curves["log M"].results[-1]
family = max((f for f in base.families if f.total), key=lambda f: (f.correct, f.total)).name
count_params = {"workers": 2, "device": "auto" if study.full else "cpu"}
# the sample's sentences, joined back per article, are exactly the corpus counted above
units = (
    wiki_corpus
    if study.full
    else sentence_corpus(WikiXMLSource(wiki_sample_path()).documents(), study.work("sentences"), overwrite=True)
)
removed = removal_experiment(
    wiki,
    pairs,
    family,
    target="logm",
    dim=wdim,
    corpus=units,
    work_dir=study.work("removal"),
    count_params=count_params,
    embed_params={"dtype": "float32", "device": CFG["device"]},
    groups=None if study.full else "document",
)
study.figure(
    plot_family_accuracy(
        {
            "baseline": removed.baseline,
            "block set to independence": removed.block,
            f"{'articles' if study.full else 'sentences'} with a pair removed": removed.corpus,
        },
        title=f"log M, K = {wdim}: removing '{family}'",
    ),
    "wikipedia_removal.png",
)
results["wikipedia"]["removal"] = {
    "family": family,
    "baseline": removed.baseline.family(family).accuracy,
    "block": removed.block.family(family).accuracy,
    "corpus": removed.corpus.family(family).accuracy,
    "questions": removed.baseline.family(family).total,
    "unit": "article" if study.full else "sentence",
    "units_dropped": removed.filter_stats.docs_dropped,
    "units_kept": removed.filter_stats.docs_kept,
    "tokens_dropped": removed.filter_stats.tokens_dropped,
    "overall": {
        "baseline": removed.baseline.accuracy,
        "block": removed.block.accuracy,
        "corpus": removed.corpus.accuracy,
    },
}
print(f"removing {family!r}:", {k: v for k, v in results["wikipedia"]["removal"].items() if k != "overall"})
study.lap("wikipedia")

# %% [markdown]
# ## The four properties, as measured here
#
# The summary below is also in `results.json` (`properties`). On the model each property
# holds exactly; on the Wikipedia sample read them as directions, not values.

# %%
logm_exact = curves["log M"]
m_exact = curves["M"]
wl, wm = wiki_curves["log M"], wiki_curves["M"]
results["properties"] = {
    "top_eigenvectors": {
        "model_overlap": overlap,
        "model_first_k_at_100": first_exact,
        "model_all_directions_captured_from_k": all_captured_from,
    },
    "saturation": {
        "model_logm_100_for_all_k_from_d": bool(np.all(logm_exact.accuracy[model.d - 1 :] == 1.0)),
        "wikipedia_logm": dict(zip(map(int, wl.ks), wl.accuracy)),
    },
    "logm_beats_m": {
        "model_best": {"logm": logm_exact.best[1], "m": m_exact.best[1]},
        "model_m_peak_then_decay": {"peak": m_exact.best, "last": float(m_exact.accuracy[-1])},
        "wikipedia_best": {"logm": wl.best[1], "m": wm.best[1]},
    },
    "survives_removal": {
        "model_min_removed_family": min(v["removed_family"] for v in removal.values()),
        "wikipedia": results["wikipedia"]["removal"],
    },
}
for name, value in results["properties"].items():
    print(name, value)

# %% [markdown]
# ## The papers' numbers beside ours
#
# `results.json` (`papers_vs_ours`) holds one row per claim: what the paper reports (null
# where the paper gives no number we could read; its source otherwise), what this study
# measured at its size, and whether the default size reproduces it or needs `--full`.

# %%
rem = results["wikipedia"]["removal"]
papers = [
    dict(
        claim="(i) analogy directions in the top eigenvectors: log M's top d + 1 span (1, attributes)",
        paper="exact in the model (theory)",
        paper_source="abstract; the model's analysis",
        ours=overlap,
        ours_setting=f"binary-attribute model d = {model.d}, exact statistics",
        reproduced_at_default=True,
        needs_full=False,
    ),
    dict(
        claim="(ii) accuracy strengthens then saturates with K; in the model log M's top K hold every analogy "
        "direction from K = d + 1",
        paper="saturation (qualitative); exact once the top eigenvectors span the attributes in the model",
        paper_source="abstract; the model's analysis",
        ours={
            "model_all_directions_captured_from_k": all_captured_from,
            "model_first_k_at_100": first_exact,
            "wikipedia_logm_by_k": dict(zip(map(int, wl.ks), wl.accuracy)),
        },
        note="the exact model's accuracy is 100% before K = d + 1 (its offsets are exact under any projection), "
        "so the directions are read from the captured fractions, not from accuracy",
        ours_setting=f"model d = {model.d}; Wikipedia sample V = {len(wiki):,}",
        reproduced_at_default=True,
        needs_full=True,
    ),
    dict(
        claim="(iii) log M beats M",
        paper="log M above M (qualitative)",
        paper_source="abstract",
        ours={
            "model_best_logm": logm_exact.best[1],
            "model_best_m": m_exact.best[1],
            "wikipedia_best_logm": wl.best[1],
            "wikipedia_best_m": wm.best[1],
        },
        ours_setting="best protocol-B accuracy over K",
        reproduced_at_default=bool(wl.best[1] > wm.best[1]),
        needs_full=False,
    ),
    dict(
        claim="(iv) a family survives removing its own pairs from the corpus",
        paper="persists (qualitative)",
        paper_source="abstract",
        ours={"baseline": rem["baseline"], "block": rem["block"], "removed": rem["corpus"]},
        ours_setting=f"family {rem['family']!r} ({rem['questions']} questions), {rem['units_dropped']} {rem['unit']}s "
        "removed, log M at K = {wdim}".replace("{wdim}", str(wdim)),
        reproduced_at_default=bool(rem["corpus"] >= 0.5 * rem["baseline"]),
        needs_full=False,
    ),
    dict(
        claim="Wikipedia accuracy of log M at the paper's scale",
        paper=None,
        paper_source="V = 10,000 embeddings (accuracy values not read)",
        ours=wl.best[1],
        ours_setting=f"shipped sample, V = {len(wiki):,}, K <= {wdim}",
        reproduced_at_default=None,
        needs_full=True,
    ),
]
results["papers_vs_ours"] = papers
study.save(results)
