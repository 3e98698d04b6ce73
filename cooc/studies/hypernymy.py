# %% [markdown]
# # Hypernym trees in co-occurrence and embeddings
#
# Nava & Wyart (arXiv 2605.23821): if the co-occurrence of concepts falls with their
# distance on the hypernym tree, M*_ij = f(d_ij) with f(x) = alpha exp(-beta x), then the
# eigenvectors of M* are the tree's own modes: *scaling* modes (constant on each depth)
# and Haar-like *wavelets* (opposite signs across a split), ordered coarse to fine. The
# test samples perfect binary subtrees of depth 3 (15 words) from WordNet and measures
# how well the top-k eigenvectors of the embedding's Gram matrix match those of the tree
# kernel, g(k) = ||U_k^T V_k||_F^2 / k; the alignment area (mean of g(k) - k/15) is
# compared with shuffled labels (docs/science.md, section 5). The paper's starting point,
# its first figure, is the observation itself: WordNet words closer on the tree co-occur
# more.
#
# **Sizes.** Default (CPU): a regular tree (branching 3, depth 4: 121 concepts), exact and
# a 400k-token sampled corpus; WordNet 3.0 (Debian's `wordnet-base`) restricted to the
# monosemous words among the 10,000 most frequent of gensim's Wikipedia sample; the
# sample's M* restricted to those words, and a word2vec embedding (skip-gram, 50
# dimensions, 3 epochs) of the same sample. Measured: 45 s on a 2-core machine in CPU time
# (85-115 s of wall time while it was shared with other jobs, load average 4-11).
# `--full`: full English Wikipedia, V = 10,000, the full 1,000-dimensional M* embedding and
# a 300-dimensional word2vec. Without WordNet the WordNet sections are skipped, before any
# Wikipedia data is built (`apt-get install wordnet-base`).
#
# Run `python analyses/hypernymy.py [--full] [--output DIR]` or
# `cooc analyses run hypernymy [--full] [--output DIR]`; figures and `results.json` go to
# `analyses/out/hypernymy/` (or DIR, which then also holds the cache).

# %%
import numpy as np
from _shared import start, wikipedia_counts, write_corpus

from cooc import SpectralEmbedding, TaxonomyModel, count_cooccurrences
from cooc._core.errors import CoocError
from cooc.experiments.hypernymy import tree_profile
from cooc.geometry.hypernymy import classify_modes, hypernymy_alignment, park_diagnostic
from cooc.geometry.symmetry import eigen_embed
from cooc.geometry.wordnet import Hierarchy, noun_tables, wordnet_hierarchy
from cooc.plots import pyplot
from cooc.plots.geometry import alignment_curves, distance_profiles
from cooc.spectral.blocks import target_block
from cooc.train.word2vec.estimator import Word2Vec

study = start("hypernymy")
SMALL = dict(
    branching=3,
    depth=4,
    beta=1.0,
    window=5,
    weighting="harmonic",
    doc_length=20,
    sampled_docs=20_000,
    dim=30,
    subtrees=500,
    vocab_size=10_000,
    wiki_dim=100,
    w2v_dim=50,
    w2v_epochs=3,
    nulls=100,
    device="cpu",
)
FULL = dict(SMALL, sampled_docs=500_000, subtrees=2000, wiki_dim=1000, w2v_dim=300, w2v_epochs=5, device="auto")
CFG = FULL if study.full else SMALL
results = {"config": CFG}
papers = []

# WordNet first: without its files the WordNet sections are skipped before any Wikipedia data is built
try:
    noun_tables()  # reads (and caches) WordNet's noun graph; raises when the files are missing
    wordnet_error = None
except CoocError as error:
    wordnet_error = str(error)
    print("WordNet sections skipped:", wordnet_error)


def alignment(vectors, parent, label, filename=None):
    """g(k) against the fitted tree kernel, with the shuffled-label baseline; saves the figure when named."""
    res = hypernymy_alignment(vectors, parent, n_samples=CFG["subtrees"], seed=0)
    if filename:
        study.figure(
            alignment_curves(
                res, title=f"{label}: area {np.mean(res.area):.3f} (shuffled {np.mean(res.area_shuffled):.3f})"
            ),
            filename,
        )
    return res


# %% [markdown]
# ## 1. Theory: the eigenvectors of a tree kernel
#
# On a regular tree, the kernel alpha exp(-beta d) maps each scaling / wavelet subspace into
# itself, so every eigenvector lies in one of them. **Expected:** purity 1 for every
# eigenvector, the top one a scaling mode, then wavelets of the root split, then finer
# levels. The M* matrix of the taxonomy model's window counts is not a function of the
# distance alone (it also depends on the depths) but it is invariant under the tree's
# symmetries, so its eigenvectors are tree modes too.

# %%
model = TaxonomyModel(branching=CFG["branching"], depth=CFG["depth"], beta=CFG["beta"], doc_length=CFG["doc_length"])
exact = model.exact_cooccurrence(window=CFG["window"], weighting=CFG["weighting"])
values, vectors = np.linalg.eigh(model.kernel())
kernel_labels, kernel_purity = classify_modes(vectors[:, ::-1][:, :15], model.parents)
fit = SpectralEmbedding("mstar", dim=CFG["dim"]).fit(exact)
mstar_labels, mstar_purity = classify_modes(fit.eigenpairs_.vectors[:, :15], model.parents)
plt = pyplot()
fig, ax = plt.subplots(figsize=(6, 3.6))
kinds = sorted(set(map(str, kernel_labels)), key=lambda s: (s != "scaling", s))
for kind in kinds:
    k = [i for i, lab in enumerate(mstar_labels) if str(lab) == kind]
    ax.scatter(
        np.array(k) + 1,
        np.abs(fit.eigenvalues_[k]),
        label="scaling" if kind == "scaling" else f"wavelets, level {kind}",
    )
ax.set_yscale("log")
ax.set_xlabel("eigenvector (by |eigenvalue|)")
ax.set_ylabel("|eigenvalue| of M*")
ax.set_title(f"Taxonomy model ({model.vocab_size} concepts): M* eigenvectors are tree modes", fontsize=9)
ax.legend(fontsize=8)
study.figure(fig, "tree_modes.png")
results["tree_modes"] = {
    "kernel_labels": [str(x) for x in kernel_labels],
    "kernel_purity": kernel_purity,
    "mstar_labels": [str(x) for x in mstar_labels],
    "mstar_purity": mstar_purity,
}
print("kernel modes:", [str(x) for x in kernel_labels], "min purity", kernel_purity.min())
print("M* modes:    ", [str(x) for x in mstar_labels], "min purity", mstar_purity.min())

# %% [markdown]
# ## 2. The alignment test on the taxonomy model
#
# The M* embedding (K = 30) of the exact statistics and of a sampled corpus (Markov
# documents whose adjacent words co-occur as alpha exp(-beta d)). **Expected:** g(k) well
# above the null k/15 and above the shuffled-label baseline. The shuffled baseline is
# not 0: the top eigenvector of both Gram and kernel is close to the constant vector
# (all cosines and all kernel entries are positive), which shuffling keeps.

# %%
tokens = model.sample(CFG["sampled_docs"], seed=0)
corpus = write_corpus(study.work("taxonomy-corpus"), tokens, model.words, "taxonomy model")
sampled = count_cooccurrences(corpus, window=CFG["window"], weighting=CFG["weighting"], workers=2, progress=False)
taxonomy = {}
for label, cooc in (("exact", exact), ("sampled", sampled)):
    emb = SpectralEmbedding("mstar", dim=CFG["dim"]).fit(cooc).embedding_
    res = alignment(emb[model.words], model.parents, f"taxonomy model ({label})", f"taxonomy_{label}.png")
    taxonomy[label] = res.as_dict() | {"g": res.g, "g_shuffled": res.g_shuffled}
    print(
        f"taxonomy {label}: area {taxonomy[label]['area']:.4f} +- {taxonomy[label]['area_se']:.4f}, "
        f"shuffled {taxonomy[label]['area_shuffled']:.4f}"
    )
taxonomy["sampled_tokens"] = corpus.n_tokens
results["taxonomy"] = taxonomy
study.lap("taxonomy model")

# %% [markdown]
# ## 3. WordNet: co-occurrence against tree distance
#
# WordNet's noun hierarchy, kept to monosemous single-token words among the V most
# frequent words of the corpus, made a tree (deepest parent) and contracted to those words.
# For every pair of words in one tree, their tree distance (edges on the path) against their
# co-occurrence P_ij and their M*, averaged per distance; the null shuffles the words over
# the tree's nodes. **The paper reports** (its first figure, full Wikipedia) co-occurrence
# decaying with tree distance, which the theory writes f(d) = alpha exp(-beta d).
# **Expected here:** the nearest pairs far above the shuffled band; whether a decay is
# resolved beyond them is read from the class means against that band, and a rate is
# reported only where at least 3 distances stand off it (3 null std). On the sample only
# the nearest distance does, so no rate is given: closer words co-occur more, but the
# sample does not show how fast that falls.

# %%
if wordnet_error is None:
    _, wiki = wikipedia_counts(CFG["vocab_size"], full=study.full)
    tree = wordnet_hierarchy(keys=wiki.vocab.key_to_index).contract_to_words()
    roots = int(np.sum(tree.parent < 0))
    profile = tree_profile(wiki, tree.words, tree.parent, kinds=("p", "mstar"), n_shuffles=CFG["nulls"])
    study.figure(
        distance_profiles(
            profile.profiles,
            profile.resolved_fits(),
            title=f"WordNet ({len(tree)} words of the Wikipedia sample's {len(wiki):,} most frequent): "
            "co-occurrence against tree distance",
        ),
        "wordnet_cooccurrence_vs_distance.png",
    )
    near = profile.profiles["mstar"]
    results["wordnet_profile"] = profile.as_dict()
    rates = {k: profile.beta(k) for k in ("p", "mstar")}
    shown = {k: f"{b:.3f}" if b is not None else f"none ({profile.beta_refused(k)})" for k, b in rates.items()}
    print(
        f"WordNet tree: {len(tree)} words, {roots} roots, {profile.n_pairs} pairs; beta (P) {shown['p']}, "
        f"beta (M*) {shown['mstar']}; mean M* at d = {near.distance[0]:.0f}: {near.mean[0]:.3f} "
        f"(shuffled {near.null_mean[0]:.3f} +- {near.null_std[0]:.3f})"
    )
    papers.append(
        dict(
            claim="co-occurrence falls with WordNet tree distance (the paper's first figure)",
            paper="decays with distance (qualitative); beta not read",
            paper_source="abstract ('words closer on the WordNet hypernym graph co-occur more often'); the paper's "
            "first figure (as the issue describes it; not read)",
            ours={
                "beta_p": rates["p"],
                "beta_mstar": rates["mstar"],
                "distances_off_the_null": {k: profile.resolved(k) for k in ("p", "mstar")},
            },
            ours_setting=f"{len(tree)} WordNet words of the sample at V = {len(wiki):,}; mean M* at distance "
            f"{near.distance[0]:.0f}: {near.mean[0]:.3f} vs shuffled {near.null_mean[0]:.3f} +- {near.null_std[0]:.3f}",
            # closer words co-occur more: the nearest class above the null; a decay needs a rate as well
            reproduced_at_default=bool(near.mean[0] > near.null_mean[0] + 3 * near.null_std[0])
            and rates["mstar"] is not None,
            needs_full=rates["mstar"] is None,  # the sample's sparse pairs resolve the nearest class only
        )
    )
else:
    results["wordnet_profile"] = {"skipped": wordnet_error}

# %% [markdown]
# ## 4. WordNet subtrees
#
# The alignment test on perfect binary subtrees of depth 3 of the same tree, for three
# embeddings of the same words:
#
# * the **taxonomy model on the WordNet tree** (exact window statistics): what the theory
#   predicts for WordNet's real shape;
# * the **Wikipedia sample's M***: the M* block of these words (exact entries of the V x V
#   M*), embedded with its top 100 eigenpairs (`--full`: the full-vocabulary embedding);
# * a **word2vec** (skip-gram) embedding trained on the same sample, as the paper does.
#
# Two baselines: labels shuffled inside each subtree, and the words shuffled over the
# whole tree (same embedding, hierarchy destroyed). **The paper reports** (full Wikipedia,
# word2vec) alignment areas well above the shuffled baselines. **The shipped sample is
# small:** ~830 WordNet words are among its 10,000 most frequent and their co-occurrence
# counts are sparse, so expect a small margin over the baselines. The kernel is fitted to
# each embedding's Gram entries; where they do not fall with tree distance (a short
# word2vec run on the sample gives cosines of ~0.97 at every distance) the fit is refused,
# the mean Gram per distance is printed beside it, and the alignment against that flat
# kernel is not counted as reproducing the paper.
#
# Those cosines of ~0.97 are one direction that every word2vec vector shares (its mean
# over the vocabulary), not the hierarchy. The same vectors with that mean subtracted (as
# Park et al.'s diagnostic below does) are tested too, as **word2vec (centred)**: on the
# sample their mean Gram falls with tree distance and their area stands well above its
# shuffled baseline, where the raw vectors' margin is a fraction of it.

# %%
if wordnet_error is None:
    parent = tree.parent.copy()
    words = list(tree.words)
    if roots > 1:  # the taxonomy model needs one root: a virtual one above WordNet's roots
        parent = np.append(np.where(parent < 0, len(parent), parent), -1)
        words = words + ["<root>"]
    wn_model = TaxonomyModel(parents=parent, words=words, beta=CFG["beta"], doc_length=CFG["doc_length"])
    wn_emb = (
        SpectralEmbedding("mstar", dim=CFG["dim"])
        .fit(wn_model.exact_cooccurrence(window=CFG["window"], weighting=CFG["weighting"]))
        .embedding_
    )
    wn_theory = alignment(
        wn_emb[list(tree.words)], tree.parent, "taxonomy model on the WordNet tree", "wordnet_taxonomy_model.png"
    )
    if study.full:
        full = SpectralEmbedding("mstar", dim=CFG["wiki_dim"], device=CFG["device"], dtype="float32").fit(wiki)
        X = np.asarray(full.embedding_[list(tree.words)], dtype=np.float64)
    else:
        X = eigen_embed(target_block(wiki, tree.words, "mstar"), CFG["wiki_dim"])
    wn_wiki = alignment(X, tree.parent, "Wikipedia M*")
    scrambled = hypernymy_alignment(
        np.random.default_rng(1).permutation(X), tree.parent, n_samples=CFG["subtrees"], seed=0
    )
    # word2vec on the same corpus: the words it keeps that are in the tree
    corpus = wikipedia_counts(CFG["vocab_size"], full=study.full)[0]
    w2v = Word2Vec(
        dim=CFG["w2v_dim"],
        epochs=CFG["w2v_epochs"],
        window=5,
        negative=5,
        min_count=1,
        max_vocab=CFG["vocab_size"],
        batch_size=16384,
        device=CFG["device"],
        seed=0,
        progress=False,
    ).fit(corpus)
    w2v_keys = w2v.embedding_.key_to_index
    w2v_tree = Hierarchy(
        tree.names, tree.parent, [w if w in w2v_keys else None for w in tree.words]
    ).contract_to_words()
    w2v_vectors = np.asarray(w2v.embedding_[list(w2v_tree.words)], dtype=np.float64)
    wn_w2v = alignment(w2v_vectors, w2v_tree.parent, "word2vec")
    # the direction every vector shares: the mean over word2vec's whole vocabulary, not just the tree's words
    w2v_mean = np.asarray(w2v.embedding_.vectors, dtype=np.float64).mean(axis=0)
    wn_w2v_centred = alignment(w2v_vectors - w2v_mean, w2v_tree.parent, "word2vec (centred)")
    study.figure(
        alignment_curves(
            {"Wikipedia M*": wn_wiki, "word2vec": wn_w2v, "word2vec (centred)": wn_w2v_centred},
            title=f"Wikipedia {'(full)' if study.full else 'sample'}: {wn_wiki.n_subtrees:,.0f} WordNet subtrees of depth 3",
        ),
        "wordnet_wikipedia.png",
    )
    park = park_diagnostic(X, tree.parent)
    results["wordnet"] = {
        "nodes": len(tree),
        "roots": roots,
        "subtrees": wn_wiki.n_subtrees,
        "taxonomy_model": wn_theory.as_dict() | {"g": wn_theory.g},
        "wikipedia": wn_wiki.as_dict()
        | {
            "g": wn_wiki.g,
            "g_shuffled": wn_wiki.g_shuffled,
            "area_words_shuffled_over_tree": float(np.mean(scrambled.area)),
            "area_words_shuffled_over_tree_se": float(np.std(scrambled.area) / np.sqrt(len(scrambled.area))),
        },
        "word2vec": wn_w2v.as_dict()
        | {"g": wn_w2v.g, "g_shuffled": wn_w2v.g_shuffled, "nodes": len(w2v_tree), "seconds": w2v.train_seconds_},
        "word2vec_centred": wn_w2v_centred.as_dict()
        | {
            "g": wn_w2v_centred.g,
            "g_shuffled": wn_w2v_centred.g_shuffled,
            "nodes": len(w2v_tree),
            "mean_norm": float(np.linalg.norm(w2v_mean)),
        },
        "park": park.as_dict(),
    }
    w = results["wordnet"]["wikipedia"]
    v = results["wordnet"]["word2vec"]
    vc = results["wordnet"]["word2vec_centred"]
    print(f"WordNet tree: {len(tree)} words, {wn_wiki.n_subtrees:.0f} perfect binary subtrees of depth 3")
    print(
        f"taxonomy model on it: area {wn_theory.as_dict()['area']:.4f}; Wikipedia M*: area {w['area']:.4f} "
        f"+- {w['area_se']:.4f}, shuffled labels {w['area_shuffled']:.4f}, words shuffled over the tree "
        f"{w['area_words_shuffled_over_tree']:.4f}; word2vec: area {v['area']:.4f} +- {v['area_se']:.4f}, "
        f"shuffled {v['area_shuffled']:.4f}; word2vec centred: area {vc['area']:.4f} +- {vc['area_se']:.4f}, "
        f"shuffled {vc['area_shuffled']:.4f}"
    )
    for name, r in (("Wikipedia M*", w), ("word2vec", v), ("word2vec (centred)", vc)):
        print(
            f"  {name}: mean Gram by tree distance {np.round(r['gram_by_distance'], 3).tolist()}; kernel fit R^2 "
            f"{r['fit_r2']:.3g}" + (f", refused: {r['fit_refused']}" if r["fit_refused"] else "")
        )
    print("Park et al. cos(l_child - l_parent, l_parent):", park.as_dict())
    papers.append(
        dict(
            claim="word2vec's Gram eigenvectors align with the tree kernel's on WordNet subtrees",
            paper="area above the shuffled baseline (qualitative); areas not read",
            paper_source="abstract ('we confirm these predictions in word2vec embeddings across many sampled "
            "WordNet subtrees')",
            ours={"word2vec": v["area"], "word2vec_shuffled": v["area_shuffled"], "mstar": w["area"]},
            ours_setting=f"{len(tree)} words, {CFG['subtrees']} subtrees of depth 3; word2vec {CFG['w2v_dim']} dims, "
            f"{CFG['w2v_epochs']} epochs on the sample",
            # above the baseline, against a kernel the Gram entries follow (a fitted decay, not a flat one)
            reproduced_at_default=bool(v["area"] > v["area_shuffled"] + 3 * v["area_se"]) and v["fit_refused"] is None,
            needs_full=v["fit_refused"] is not None,  # a longer word2vec run on more text
        )
    )
    papers.append(
        dict(
            claim="the same with word2vec's mean vector removed: its Gram eigenvectors align with the tree kernel's",
            paper="not in the abstract; the mean is the direction all word2vec vectors share (Park et al. remove it)",
            paper_source="abstract, as above; centring as in Park et al.'s diagnostic",
            ours={"word2vec_centred": vc["area"], "word2vec_centred_shuffled": vc["area_shuffled"]},
            ours_setting=f"as above, minus the mean of word2vec's {len(w2v_keys):,} vectors",
            reproduced_at_default=bool(vc["area"] > vc["area_shuffled"] + 3 * vc["area_se"])
            and vc["fit_refused"] is None,
            needs_full=vc["fit_refused"] is not None,
        )
    )
else:
    results["wordnet"] = {"skipped": wordnet_error}
papers.insert(
    0,
    dict(
        claim="tree-kernel eigenvectors are scaling modes and Haar-like wavelets, coarse to fine",
        paper="proved (theory)",
        paper_source="abstract (proof under positivity and decay conditions)",
        ours=float(min(kernel_purity)),
        ours_setting="smallest purity of the top 15 eigenvectors, regular tree b = 3, L = 4 (1 = an exact mode)",
        reproduced_at_default=True,
        needs_full=False,
    ),
)
results["papers_vs_ours"] = papers
study.save(results)
