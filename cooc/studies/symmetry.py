# %% [markdown]
# # Circles and lines from translation symmetry
#
# Karkada, Korchinski, Nava et al. (arXiv 2602.15029): when the co-occurrence of a word
# family depends only on the difference of a latent coordinate (months on a circle, years
# on a line, places on a map), its block of M* is circulant (Toeplitz), its eigenvectors
# are Fourier modes, and the embedding lays the family out in order. The paper fits
# `amp * sum_n exp(-|x - 12 n| / sigma)` to the months' M* block, puts months on a circle
# with the top two non-trivial eigenvectors, reads years off the top r principal
# components with an error falling like 1/r (1/sqrt(r) for a 2-D latent), and shows the
# circle survives strong perturbations of the statistics, above all removing every
# sentence in which two months appear together, because the latent is carried by many
# other co-occurrences (docs/science.md, section 4).
#
# This study checks each claim on latent-variable models built so that their M* block *is*
# the kernel under test (root-kernel models), where the answer is known exactly, and then
# on the Wikipedia sample.
#
# **Sizes.** Default (CPU): exact and sampled (2M-token) latent models; gensim's shortened
# Wikipedia dump (~480k tokens): the full M* embedding at V = 2,000 (K = 100) for the months,
# their robustness and the sentence removals, and the exact M* blocks of the years, US
# states and world cities at V = 10,000. Measured: 59 s on a 2-core machine in CPU time
# (110-150 s of wall time while it was shared with other jobs, load average 6-11).
# `--full`: full English Wikipedia at V = 10,000, K = 1,000 (the full embedding for every
# family), larger sampled corpora; GPU recommended.
#
# Run `python analyses/symmetry.py [--full] [--output DIR]` or
# `cooc analyses run symmetry [--full] [--output DIR]`; figures and `results.json` go to
# `analyses/out/symmetry/` (or DIR, which then also holds the cache).

# %%
import numpy as np
from _shared import start, wikipedia_counts, write_corpus

from cooc import LatentVariableModel, SpectralEmbedding, count_cooccurrences
from cooc.corpus.sources.wikixml import WikiXMLSource
from cooc.data import wiki_sample_path
from cooc.embedding import Embedding
from cooc.experiments.places import places_report
from cooc.experiments.removal import join_documents, sentence_corpus
from cooc.experiments.symmetry import family_removal, helper_experiment, robustness, symmetry_report
from cooc.geometry.places import load_places, location_probe
from cooc.geometry.symmetry import (
    circular_distance,
    eigen_embed,
    fit_circular_kernel,
    fit_linear_kernel,
    kernel_probe,
    load_family,
    present_family,
    projection_probe,
    recover_order,
    year_probe,
)
from cooc.plots import geometry as gplots
from cooc.plots.grammars import plot_kernel
from cooc.spectral.blocks import target_block

study = start("symmetry")
SMALL = dict(
    sigma=2.0,
    amp=0.5,
    n_fillers=50,
    doc_length=20,
    sampled_docs=100_000,
    sentences=4,
    sentence_length=10,
    sentence_docs=30_000,
    removal_fraction=0.2,
    line_scale=5.0,
    plane_side=12,
    plane_scale=0.1,
    vocab_size=2000,
    block_vocab_size=10_000,
    dim=100,
    device="cpu",
    splits=100,
    nulls=50,
)
FULL = dict(
    SMALL,
    sampled_docs=1_000_000,
    sentence_docs=300_000,
    vocab_size=10_000,
    block_vocab_size=10_000,
    dim=1000,
    device="auto",
)
CFG = FULL if study.full else SMALL
months = load_family("months")
years = load_family("years:1900-2020")
results = {"config": CFG}
papers = []  # the papers' numbers beside ours (filled as the sections run)

# %% [markdown]
# ## 1. Months on a latent circle whose M* is the papers' kernel
#
# A document draws a latent state z among 12 points of a circle and emits its tokens
# independently: half of them a month, from the state's emission row, the other half one of
# 50 Zipf-distributed filler words. The emission is the *root* of the target kernel
# (`LatentVariableModel.root_kernel`): the model is built backwards from the wanted block
# `M* = amp * sum_n exp(-|x - 12 n| / sigma0) + c` (c is fixed by the model's consistency),
# so its exact M* block is that kernel to rounding. **Expected:** the circular fit returns
# sigma0 exactly on the exact statistics and within its standard error on a 2M-token sample;
# the months lie on a circle in calendar order. (An emission equal to the kernel itself would
# give its autoconvolution seen through M*'s nonlinearity, a smoother kernel of larger sigma.)

# %%
latent = LatentVariableModel.root_kernel(
    12,
    "circle",
    scale=CFG["sigma"],
    amp=CFG["amp"],
    words=list(months.words),
    latent_fraction=0.5,
    n_fillers=CFG["n_fillers"],
    doc_length=CFG["doc_length"],
)
exact = latent.exact_cooccurrence()
tokens, _ = latent.sample(CFG["sampled_docs"], seed=0)
corpus = write_corpus(study.work("latent-months-corpus"), tokens, latent.words, "latent months")
sampled = count_cooccurrences(corpus, window=CFG["doc_length"] - 1, weighting="uniform", workers=2, progress=False)
x = np.arange(13.0)
theory_curve = (
    x,
    CFG["amp"] * sum(np.exp(-np.abs(x - 12 * n) / CFG["sigma"]) for n in range(-2, 3)) + latent.mstar_offset,
)

latent_results = {
    "sigma_generating": CFG["sigma"],
    "amp_generating": CFG["amp"],
    "offset_generating": latent.mstar_offset,
    "exact_block_minus_kernel": float(np.abs(target_block(exact, list(months.words)) - latent.target_mstar).max()),
}
for label, cooc in (("exact", exact), ("sampled", sampled)):
    block = target_block(cooc, list(months.words), "mstar")
    fit = fit_circular_kernel(block, months.positions, 12)
    emb = SpectralEmbedding("mstar", dim=10).fit(cooc).embedding_
    order = recover_order(emb[list(months.words)], months)
    latent_results[label] = {"kernel": fit.as_dict(), "order": order.as_dict()}
    sig = f"sigma {fit.params['sigma']:.3f} +- {fit.stderr['sigma']:.3f} (generating {CFG['sigma']})"
    print(f"latent {label}: {sig}, R^2 {fit.r2:.4f}, order {order.scores}")
    if label == "sampled":
        study.figure(
            gplots.family_circle(
                order,
                months.words,
                title=f"latent model ({label}): {sig}\nadjacency {order.scores['adjacency']:.2f} "
                f"(null {order.null['adjacency']:.2f}), alignment {order.scores['alignment']:.3f}",
            ),
            f"latent_months_{label}.png",
        )
        i, j = np.triu_indices(12, 1)
        study.figure(
            gplots.kernel_vs_distance(
                circular_distance(months.positions[i] - months.positions[j], 12),
                block[i, j],
                fit,
                theory=(x[:7], theory_curve[1][:7], "generating kernel"),
                xlabel="months apart",
                title="M* of the months, sampled latent model: fit against the generating kernel",
            ),
            "latent_months_kernel.png",
        )
study.figure(
    plot_kernel(
        target_block(sampled, list(months.words), "mstar"),
        labels=[w[:3] for w in months.words],
        title="M* block of the months (sampled latent model)",
    ),
    "latent_months_block.png",
)
latent_results["sampled_tokens"] = corpus.n_tokens
results["latent_months"] = latent_results
papers.append(
    dict(
        claim="months' M* block fits amp * sum_n exp(-|x - 12n| / sigma)",
        paper=None,
        paper_source="section on months (fitted sigma not read; the abstract states the symmetry only)",
        ours=latent_results["sampled"]["kernel"]["sigma"],
        ours_setting=f"sampled root-kernel latent model, generating sigma {CFG['sigma']} (exact: "
        f"{latent_results['exact']['kernel']['sigma']:.4f})",
        reproduced_at_default=True,
    )
)

# %% [markdown]
# ## 2. Robustness: zero the months' block, or remove the sentences
#
# **(a) Block zeroing.** A second root-kernel model puts 24 helper words (think seasons,
# holidays) on the same circle between the months. The months' 12 x 12 block is set to
# independence (M* = 0) and M* re-decomposed. **Expected:** the months stay on a circle in
# order, carried by their co-occurrence with the helpers; re-factorising the months with
# only their H strongest helpers recovers the circle with a few helpers, H random words
# drawn from outside the 24 strongest (fillers here, which carry no latent) do not.
#
# **(b) Sentence removal, the paper's headline perturbation.** The same model samples
# documents of 4 sentences of 10 tokens sharing one latent state (20% latent tokens), and
# every sentence holding two different months is removed (the rest of each document is
# kept and joined). Months then never share a sentence, but still share documents.
# **Expected:** the circle survives the removal. (The years' removal runs on the Wikipedia
# sample below; on a latent line of 121 years the default-size sample is too sparse for it.)

# %%
positions = np.concatenate([np.arange(12.0), np.arange(12) + 1 / 3, np.arange(12) + 2 / 3])
helper_words = list(months.words) + [f"h{i}" for i in range(24)]
helpers = LatentVariableModel.root_kernel(
    36,
    "circle",
    positions=positions,
    period=12.0,
    scale=CFG["sigma"],
    amp=CFG["amp"],
    words=helper_words,
    latent_fraction=0.5,
    n_fillers=CFG["n_fillers"],
    doc_length=CFG["doc_length"],
)
helper_cooc = helpers.exact_cooccurrence()
robust = robustness(helper_cooc, months, dim=10)
strong, random_words = helper_experiment(helper_cooc, months, n_helpers=(0, 1, 2, 4, 8, 16, 24), dim=10)
study.figure(
    gplots.family_circles(
        {"baseline": robust.before, "months' block zeroed": robust.after},
        months.words,
        title="latent model with 24 helpers (exact): zeroing the months' block",
    ),
    "latent_months_zeroed.png",
)
study.figure(
    gplots.helper_curves(
        {"strongest helpers": strong, "random words": random_words},
        title="months re-factorised with H helper words (block zeroed); 0 = same shape",
    ),
    "latent_helpers.png",
)
results["latent_robustness"] = {
    "before": robust.before.as_dict(),
    "after": robust.after.as_dict(),
    "zeroed_pairs": robust.zeroed_pairs,
    "helpers": {
        "n_helpers": strong.n_helpers,
        "strongest": strong.error,
        "random": random_words.error,
        "strongest_words": strong.helpers,
    },
}
print("zeroed block: adjacency", robust.before.scores["adjacency"], "->", robust.after.scores["adjacency"])
print(
    "Procrustes error with H helpers:",
    dict(zip(strong.n_helpers.tolist(), strong.error.round(3).tolist())),
    "random:",
    dict(zip(random_words.n_helpers.tolist(), random_words.error.round(3).tolist())),
)


def sentence_documents(model, name):
    """Documents of the model cut into sentences: (unit corpus, the document of each sentence)."""
    n_docs, S, L = CFG["sentence_docs"], CFG["sentences"], CFG["sentence_length"]
    toks, _ = model.sample(n_docs, seed=1)
    units = write_corpus(study.work(name), toks.reshape(n_docs * S, L), model.words, f"{name} sentences")
    return units, np.repeat(np.arange(n_docs), S)


T = CFG["sentences"] * CFG["sentence_length"]
count_params = dict(window=T - 1, weighting="uniform", workers=2)
months_docs = LatentVariableModel.root_kernel(
    36,
    "circle",
    positions=positions,
    period=12.0,
    scale=CFG["sigma"],
    amp=CFG["amp"],
    words=helper_words,
    latent_fraction=CFG["removal_fraction"],
    n_fillers=CFG["n_fillers"],
    doc_length=T,
)
units, groups = sentence_documents(months_docs, "latent-months-sentences")
months_removal = family_removal(
    units, months, study.work("latent-months-removal"), count_params=count_params, groups=groups, dim=10
)
study.figure(
    gplots.family_circles(
        {
            "baseline": months_removal.orders["baseline"],
            "block zeroed": months_removal.orders["block"],
            "sentences with 2 months removed": months_removal.orders["removed"],
        },
        months.words,
        title=f"latent model, {CFG['sentence_docs']:,} documents of {CFG['sentences']} sentences: "
        f"{months_removal.filter_stats.docs_dropped:,} sentences removed",
    ),
    "latent_months_sentence_removal.png",
)
results["latent_sentence_removal"] = {"months": months_removal.as_dict()}
print(
    "sentence removal (latent months):",
    {k: {s: round(v, 3) for s, v in o.scores.items()} for k, o in months_removal.orders.items()},
    f"{months_removal.filter_stats.docs_dropped} of {months_removal.filter_stats.docs_dropped + months_removal.filter_stats.docs_kept} "
    "sentences removed",
)
papers.append(
    dict(
        claim="the months' circle survives removing every sentence in which two months appear together",
        paper="persists (qualitative)",
        paper_source="abstract",
        ours=months_removal.orders["removed"].scores["adjacency"],
        ours_setting="adjacency after removal, latent model with helpers, documents of 4 sentences",
        reproduced_at_default=True,
    )
)
study.lap("latent models and removals")

# %% [markdown]
# ## 3. The probe: a line (years) against a plane (places)
#
# Years 1900-2020 as a root-kernel latent line (M* = amp exp(-|dy| / 5) + c exactly) and a
# 12 x 12 grid of places as a root-kernel plane (scale 0.1 of the side). Ridge regression
# from the top r principal components of the M* embedding to the coordinate, 60 (100)
# training words, 100 random splits, held-out error std(y - y_hat) / std(y).
#
# **What the exponent depends on.** The paper's theory gives ~1/r for a 1-D latent and
# ~1/sqrt(r) for a 2-D one; the measured exponent also depends on the kernel's smoothness
# and on the protocol. The probe curve a kernel predicts is computed exactly from the kernel
# alone (no sampling, `kernel_probe`): on 121 years a pure exponential gives r^-1.0 by least
# squares on all years and r^-0.75 with 60 training years and ridge; smoother kernels (the
# exponential's autoconvolution, which the line model used to produce when it emitted the
# kernel itself; a Gaussian) fall faster. **Expected:** the exact model's probe *is* its
# kernel's predicted curve; the sampled model's follows it down to its sampling floor; the
# plane falls about half as fast as the line.

# %%
line = LatentVariableModel.root_kernel(
    121,
    "line",
    positions=years.positions,
    scale=CFG["line_scale"],
    amp=CFG["amp"],
    words=list(years.words),
    n_fillers=CFG["n_fillers"],
    doc_length=CFG["doc_length"],
)
predicted = kernel_probe(line.target_mstar, years.positions, dim=60, n_splits=CFG["splits"])
line_emb = SpectralEmbedding("mstar", dim=60).fit(line.exact_cooccurrence()).embedding_
line_probe = year_probe(line_emb[list(years.words)], years.positions, n_splits=10)  # = the prediction, same splits
line_check = kernel_probe(line.target_mstar, years.positions, dim=60, n_splits=10)
# the sampled line: every token a year (fillers do not change M*, and twice the year tokens lower the noise)
line_only = LatentVariableModel.root_kernel(
    121,
    "line",
    positions=years.positions,
    scale=CFG["line_scale"],
    amp=CFG["amp"],
    words=list(years.words),
    n_fillers=0,
    latent_fraction=1.0,
    doc_length=CFG["doc_length"],
)
tokens, _ = line_only.sample(CFG["sampled_docs"], seed=2)
line_corpus = write_corpus(study.work("latent-line-corpus"), tokens, line_only.words, "latent line")
line_counts = count_cooccurrences(
    line_corpus, window=CFG["doc_length"] - 1, weighting="uniform", workers=2, progress=False
)
sampled_emb = SpectralEmbedding("mstar", dim=60).fit(line_counts).embedding_
sampled_probe = year_probe(sampled_emb[list(years.words)], years.positions, n_splits=CFG["splits"])
rng = np.random.default_rng(0)
line_null = year_probe(sampled_emb[list(years.words)], rng.permutation(years.positions), n_splits=20)
study.figure(
    gplots.year_probe(
        {f"sampled model ({line_corpus.n_tokens / 1e6:.0f}M tokens)": sampled_probe},
        theory={"kernel's prediction (= the exact model's probe)": predicted},
        null=line_null,
        title="root-kernel latent line (M* = 0.5 exp(-|dy|/5) + c): probe error against r",
    ),
    "latent_year_probe.png",
)

side = CFG["plane_side"]
grid = np.arange(side) / (side - 1)
points = np.array([(a, b) for a in grid for b in grid])
plane = LatentVariableModel.root_kernel(
    len(points), "plane", positions=points, scale=CFG["plane_scale"], amp=CFG["amp"], n_fillers=CFG["n_fillers"]
)
plane_words = plane.words[: len(points)]
plane_emb = SpectralEmbedding("mstar", dim=60).fit(plane.exact_cooccurrence()).embedding_
plane_probe = year_probe(plane_emb[plane_words], points[:, 0], n_splits=CFG["splits"], n_train=100)
study.figure(
    gplots.year_probe(
        {"exact plane model (= its kernel's prediction)": plane_probe},
        title=f"root-kernel latent plane ({side} x {side} grid): probe error of one coordinate",
    ),
    "latent_plane_probe.png",
)
lat, lon = 25 + 25 * points[:, 1], -125 + 55 * points[:, 0]  # the grid stretched to a US-sized box
plane_map = location_probe(plane_emb[plane_words], lat, lon, n_components=20)
study.figure(
    gplots.places_map(
        lat,
        lon,
        plane_map.predicted,
        title=f"latent plane: held-out probe, R^2 {plane_map.r2_lat:.3f} / {plane_map.r2_lon:.3f}",
    ),
    "latent_plane_map.png",
)

# the exponent against the kernel's smoothness and the protocol, from the kernels alone
dy = np.abs(years.positions[:, None] - years.positions[None, :])
kernels = {
    "exponential, scale 2": np.exp(-dy / 2),
    "exponential, scale 5": np.exp(-dy / 5),
    "exponential, scale 10": np.exp(-dy / 10),
    "autoconvolution of exp(-|dy|/5)": (1 + dy / 5) * np.exp(-dy / 5),
    "Gaussian, scale 5": np.exp(-0.5 * (dy / 5) ** 2),
}
exponents, all_curves, ridge_curves = {}, {}, {}
for name, K in kernels.items():
    all_curves[name] = kernel_probe(K, years.positions, protocol="all")
    ridge_curves[name] = kernel_probe(K, years.positions, protocol="ridge", n_splits=30)
    exponents[name] = {
        "all_years_least_squares": all_curves[name].slope(1, 30),
        "ridge_60": ridge_curves[name].slope(1, 30),
    }
study.figure(
    gplots.year_probe(
        {name: ridge_curves[name] for name in kernels},
        theory={f"{name}, all years": all_curves[name] for name in ("exponential, scale 5", "Gaussian, scale 5")},
        title="kernels' predicted probes: ridge, 60 training years (solid); all years (dashed)",
        guides=True,
    ),
    "probe_exponents.png",
)
results["latent_probe"] = {
    "line": {
        "ranks": line_probe.ranks,
        "predicted": predicted.error,
        "exact_minus_predicted": float(np.abs(line_probe.error - line_check.error).max()),
        "sampled": sampled_probe.error,
        "null": line_null.error,
        "slope": predicted.slope(1, 30),
        "slope_predicted": predicted.slope(1, 30),
        "slope_sampled": sampled_probe.slope(1, 30),
        "slope_sampled_r_le_6": sampled_probe.slope(1, 6),
        "slope_predicted_r_le_6": predicted.slope(1, 6),
        "slope_all_years": projection_probe(line_emb[list(years.words)], years.positions).slope(1, 30),
        "sampled_tokens": line_corpus.n_tokens,
    },
    "plane": {
        "ranks": plane_probe.ranks,
        "error": plane_probe.error,
        "slope": plane_probe.slope(1, 30),
        "slope_all_points": projection_probe(plane_emb[plane_words], points[:, 0]).slope(1, 30),
    },
    "plane_map": plane_map.as_dict(),
    "exponents": exponents,
}
lp, pp = results["latent_probe"]["line"], results["latent_probe"]["plane"]
# one protocol for both claims: least squares on all words (no training split to choose)
line_vs_plane = {"all_words": lp["slope_all_years"] / pp["slope_all_points"], "ridge": lp["slope"] / pp["slope"]}
results["latent_probe"]["line_over_plane_exponent"] = line_vs_plane
print(
    f"probe slopes (r = 1..30): line exact {lp['slope']:.2f} (predicted {lp['slope_predicted']:.2f}, "
    f"|exact - predicted| {lp['exact_minus_predicted']:.1e}), sampled {lp['slope_sampled']:.2f}, all years "
    f"{lp['slope_all_years']:.2f}; plane {pp['slope']:.2f}, all points {pp['slope_all_points']:.2f}; line / plane "
    f"{line_vs_plane['all_words']:.2f} (all words), {line_vs_plane['ridge']:.2f} (ridge), theory 2"
)
print("exponents by kernel:", {k: {p: round(v, 2) for p, v in e.items()} for k, e in exponents.items()})
papers += [
    dict(
        claim="year probe error ~ 1/r (1-D latent)",
        paper=-1.0,
        paper_source="the paper's probe theory (slope of log error against log r); measured exponents not read",
        ours={"all_years_least_squares": lp["slope_all_years"], "ridge_60_training_years": lp["slope"]},
        ours_setting="root-kernel line, M* = 0.5 exp(-|dy|/5) + c exactly, r = 1..30; the same kernel gives "
        "r^-1.0 on all years and r^-0.75 under the 60-year ridge protocol (smoother kernels fall faster)",
        reproduced_at_default=bool(abs(lp["slope_all_years"] + 1.0) < 0.15),
        note="judged on least squares over all words, as the plane is; the exponent depends on the protocol "
        "and the kernel's smoothness (latent_probe.exponents)",
    ),
    dict(
        claim="2-D latent: probe error ~ 1/sqrt(r)",
        paper=-0.5,
        paper_source="the paper's probe theory",
        ours={"all_points_least_squares": pp["slope_all_points"], "ridge_100_training_points": pp["slope"]},
        ours_setting="root-kernel plane, 12 x 12 grid, r = 1..30",
        reproduced_at_default=bool(abs(pp["slope_all_points"] + 0.5) < 0.15),
        note=f"judged on least squares over all words, as the line is; the line's exponent over the plane's is "
        f"{line_vs_plane['all_words']:.2f} there and {line_vs_plane['ridge']:.2f} under ridge (theory 2)",
    ),
]
study.lap("probes")

# %% [markdown]
# ## 4. The Wikipedia sample
#
# Counts of the shipped sample (window 16, linear weights). The sample is split into
# sentences (a plain rule: after `.`, `!` or `?` before a capital, and at line breaks) so
# that sentences can be removed; joined back per article it is the very corpus the other
# studies count (same tokens, same documents). The months, the block zeroing and the
# sentence removals use the full-vocabulary M* embedding at V = 2,000 (K = 100). Only ~40
# years and ~11 US states are among the 2,000 most frequent words, so the year probe and
# the places use the exact M* block of the words found among the 10,000 most frequent (118
# years, ~34 states, ~50 of the 1,000 largest cities), eigen-embedded (`--full`: the full
# embedding at V = 10,000 for all, no sentence removal: full Wikipedia's sentences need a
# streaming build).
#
# **The paper reports** (full Wikipedia): the months' M* block fits the circular kernel
# well, the months form a clean circle in calendar order, years 1900-2020 are read off with
# error ~1/r, cities' latitudes and longitudes are decoded by a linear probe, and the
# geometry persists when the sentences holding two months are removed. **The shipped sample
# is small** (~480k tokens, ~33,000 sentences, only ~100 of which hold two months): expect a
# rough circle, a short noisy probe curve, weak maps; every number is printed beside its
# null (shuffled labels) so that what the sample does show can be read off.

# %%
wiki_params = dict(window=16, weighting="linear", workers=2)
if study.full:
    sentences = None
    _, wiki = wikipedia_counts(CFG["vocab_size"], full=True)
    _, wiki_big = wikipedia_counts(CFG["block_vocab_size"], full=True)
else:
    sentences = sentence_corpus(
        WikiXMLSource(wiki_sample_path()).documents(), study.work("wiki-sentences"), overwrite=True
    )
    joined, _ = join_documents(sentences, study.work("wiki-joined"), overwrite=True)
    wiki = count_cooccurrences(joined, vocab_size=CFG["vocab_size"], progress=False, **wiki_params)
    wiki_big = count_cooccurrences(joined, vocab_size=CFG["block_vocab_size"], progress=False, **wiki_params)
wdim = min(CFG["dim"], len(wiki) - 2)
embed_params = dict(dtype="float32", device=CFG["device"])
wiki_emb = SpectralEmbedding("mstar", dim=wdim, **embed_params).fit(wiki).embedding_
report = symmetry_report(wiki_emb, months, cooc=wiki)
i, j = np.triu_indices(12, 1)
study.figure(
    gplots.kernel_vs_distance(
        circular_distance(months.positions[i] - months.positions[j], 12),
        report.block[i, j],
        report.fit,
        xlabel="months apart",
        title=f"Wikipedia months' M* block: circular fit (distance from circulant {report.residual.residual:.2f}, "
        f"null {report.residual.null:.2f})",
    ),
    "wikipedia_months_kernel.png",
)
wiki_results = {
    "V": len(wiki),
    "dim": wdim,
    "months": {"kernel": report.fit.as_dict(), "residual": report.residual.as_dict(), "order": report.order.as_dict()},
}
print("wikipedia months:", dict(report.rows()))

# years: the exact M* block of the years among the 10,000 most frequent words (full: the embedding)
year_family = present_family(years, (wiki_emb if study.full else wiki_big.vocab).key_to_index)
year_block = target_block(wiki_big, list(year_family.words), "mstar")
Y = wiki_emb[list(year_family.words)] if study.full else eigen_embed(year_block, 60)
n_train = min(60, len(year_family) - 3)
probe = year_probe(Y, year_family.positions, n_splits=CFG["splits"], n_train=n_train)
probe_null = year_probe(Y, rng.permutation(year_family.positions), n_splits=20, n_train=n_train)
year_fit = fit_linear_kernel(year_block, year_family.positions)
year_kernel = year_fit(np.abs(year_family.positions[:, None] - year_family.positions[None, :]))
year_theory = kernel_probe(year_kernel, year_family.positions, dim=60, n_splits=30, n_train=n_train)
study.figure(
    gplots.year_probe(
        {"Wikipedia sample": probe},
        theory={"fitted Toeplitz kernel's prediction": year_theory},
        null=probe_null,
        title=f"Wikipedia: {len(year_family)} years of 1900-2020, exact M* block (V = {len(wiki_big):,})",
    ),
    "wikipedia_year_probe.png",
)
yi, yj = np.triu_indices(len(year_family), 1)
study.figure(
    gplots.kernel_vs_distance(
        np.abs(year_family.positions[yi] - year_family.positions[yj]),
        year_block[yi, yj],
        year_fit,
        xlabel="years apart",
        title="Wikipedia years' M* block: Toeplitz fit",
    ),
    "wikipedia_years_kernel.png",
)
wiki_results["years"] = {
    "in_vocabulary": len(year_family),
    "V": len(wiki_big),
    "kernel": year_fit.as_dict(),
    "ranks": probe.ranks,
    "error": probe.error,
    "null": probe_null.error,
    "predicted_from_fitted_kernel": year_theory.error,
    "slope": probe.slope(1, 30),
    "slope_predicted": year_theory.slope(1, 30),
}
print(
    f"wikipedia: {len(year_family)} years, probe slope {probe.slope(1, 30):.2f} (fitted kernel predicts "
    f"{year_theory.slope(1, 30):.2f}; shuffled years: error {probe_null.error.mean():.2f}); kernel sigma "
    f"{year_fit.params['sigma']:.1f} y, R^2 {year_fit.r2:.2f}"
)

# places: US states and world cities, probe and distance kernel, with their nulls
wiki_results["places"] = {}
for kind, n in (("us_states", None), ("world_cities", 1000)):
    found = load_places(kind, n).present((wiki_emb if study.full else wiki_big.vocab).key_to_index)
    place_emb = (
        wiki_emb
        if study.full
        else Embedding(eigen_embed(target_block(wiki_big, found.words, "mstar"), 60), list(found.words))
    )
    rep = places_report(place_emb, kind, n=n, cooc=wiki_big, n_components=min(20, len(found) - 2), n_null=CFG["nulls"])
    d = rep.as_dict()
    study.figure(
        gplots.places_map(
            rep.places.lat,
            rep.places.lon,
            rep.probe.predicted,
            labels=rep.places.words,
            title=(
                f"Wikipedia: {len(rep.places)} {kind.replace('_', ' ')}, held-out R^2 {rep.probe.r2_lat:.2f} / "
                f"{rep.probe.r2_lon:.2f} (shuffled 95%: {d['probe_null']['r2_lat_null_95']:.2f} / "
                f"{d['probe_null']['r2_lon_null_95']:.2f})"
            ),
        ),
        f"wikipedia_{kind}_map.png",
    )
    study.figure(
        gplots.kernel_vs_distance(
            rep.profile.distance,
            rep.profile.mean,
            rep.kernel,
            null=rep.profile,
            xlabel="great-circle distance (km)",
            title=f"Wikipedia {kind.replace('_', ' ')}: mean M* per distance bin; exponential fit on all pairs",
        ),
        f"wikipedia_{kind}_kernel.png",
    )
    wiki_results["places"][kind] = d
    print(
        f"wikipedia {kind}: {len(rep.places)} found, R^2 {rep.probe.r2_lat:.2f} / {rep.probe.r2_lon:.2f} "
        f"(p = {d['probe_p_value']:.3f}), kernel sigma {rep.kernel.params['sigma']:.0f} km, R^2 {rep.kernel.r2:.3f} "
        f"(shuffled labels, 95%: {d['distance_kernel_r2_null_95']:.3f})"
    )

# robustness: zero the months' block; remove the sentences with two months, or two years
if sentences is not None:
    wiki_removal = {
        name: family_removal(
            sentences,
            fam,
            study.work(f"wiki-removal-{name}"),
            count_params=dict(wiki_params, vocab_size=CFG["vocab_size"]),
            baseline=wiki,
            baseline_embedding=wiki_emb,
            groups="document",
            dim=wdim,
            embed_params=embed_params,
            n_splits=30,
        )
        for name, fam in (("months", months), ("years", years))
    }
    removal = wiki_removal["months"]
    study.figure(
        gplots.family_circles(
            {
                "baseline": removal.orders["baseline"],
                "months' block zeroed": removal.orders["block"],
                "sentences with 2 months removed": removal.orders["removed"],
            },
            months.words,
            title=f"Wikipedia sample (V = {len(wiki):,}, K = {wdim}): {removal.filter_stats.docs_dropped} of "
            f"{sentences.n_docs:,} sentences hold two months",
        ),
        "wikipedia_months_removal.png",
    )
    wiki_results["removal"] = {k: v.as_dict() for k, v in wiki_removal.items()} | {"sentences": sentences.n_docs}
    for name, r in wiki_removal.items():
        print(
            f"wikipedia removal ({name}): {r.filter_stats.docs_dropped} sentences;",
            {k: {s: round(v, 2) for s, v in o.scores.items()} for k, o in r.orders.items()},
        )
else:
    robust_wiki = robustness(wiki, months, dim=wdim, **embed_params)
    study.figure(
        gplots.family_circles(
            {"baseline": robust_wiki.before, "months' block zeroed": robust_wiki.after},
            months.words,
            title="Wikipedia months before and after zeroing their block",
        ),
        "wikipedia_months_removal.png",
    )
    wiki_results["removal"] = {
        "months": {"baseline": robust_wiki.before.as_dict(), "block": robust_wiki.after.as_dict()}
    }
results["wikipedia"] = wiki_results
study.lap("wikipedia")

# %% [markdown]
# ## The papers' numbers beside ours
#
# `results.json` (`papers_vs_ours`) holds one row per claim: what the paper reports (null
# where the paper gives no number we could read; its source otherwise), what this study
# measured at its size, and whether the default size reproduces it or needs `--full`.

# %%
cities = wiki_results["places"]["world_cities"]
papers += [
    dict(
        claim="months on a circle in calendar order (Wikipedia)",
        paper="circle in order (qualitative)",
        paper_source="abstract",
        ours=report.order.scores["adjacency"],
        ours_setting=f"adjacency on the shipped sample, V = {len(wiki):,}, K = {wdim} (null "
        f"{report.order.null['adjacency']:.2f})",
        reproduced_at_default=False,
        needs_full=True,
    ),
    dict(
        claim="years read off the top r principal components (Wikipedia)",
        paper=None,
        paper_source="measured exponent not read",
        ours=probe.slope(1, 30),
        ours_setting=f"{len(year_family)} years, exact M* block at V = {len(wiki_big):,}, ridge 60 training years; "
        f"error at r = 1 / 30: {probe.error[0]:.2f} / {probe.error[-1]:.2f}, shuffled {probe_null.error.mean():.2f}",
        reproduced_at_default=False,
        needs_full=True,
    ),
    dict(
        claim="cities' latitude and longitude decoded by a linear probe",
        paper=None,
        paper_source="abstract (R^2 not read)",
        ours=[cities["probe"]["r2_lat"], cities["probe"]["r2_lon"]],
        ours_setting=f"{cities['in_vocabulary']} of the 1,000 largest cities at V = {len(wiki_big):,}, held-out R^2 "
        f"(lat, lon); shuffled 95%: {cities['probe_null']['r2_lat_null_95']:.2f}, "
        f"{cities['probe_null']['r2_lon_null_95']:.2f}",
        reproduced_at_default=False,
        needs_full=True,
        note=f"above its shuffled null (p = {cities['probe_p_value']:.2f}) but far from a map",
    ),
]
for row in papers:
    row.setdefault("needs_full", False)
    row.setdefault("note", None)
results["papers_vs_ours"] = papers
study.save(results)
