# %% [markdown]
# # Token correlations in a hierarchical grammar, and in text
#
# In the Random Hierarchy Model (v symbols per level, m productions per symbol, branching
# s, depth L; docs/science.md, section 6) two tokens whose lowest common ancestor is h levels up
# have root-mean-square covariance `((1 - m/v^(s-1)) / (v^3 m^(2h-1)))^(1/2)` (Cagnetta &
# Wyart, arXiv 2406.00048): each level up divides it by m, while the distance between the
# tokens grows by s, so against distance t it decays as t^(-beta) with
# **beta = ln m / ln s**. An estimate from P sentences bottoms out at the sampling floor
# (v^2 P)^(-1/2).
#
# arXiv 2602.07488 measures two exponents on any corpus: beta from the top singular value
# of the lag-n covariance, ||C(n)||_op ~ n^(-beta), and gamma from the decay of the
# conditional entropy, H_n - H_inf ~ n^(-gamma), predicting a data-scaling exponent
# gamma / (2 beta). Both are measured here on a grammar corpus and on the Wikipedia sample.
#
# **Sizes.** The level formula is a large-v result: at the papers' size (v = n_c = 32,
# m = 8, s = 2, L = 3) the exact covariance of one rule draw is within 6% of it at every
# level, while at v = 8 it falls to about half at the top levels. Default (CPU): the
# papers' grammar, with 10^6 sampled sentences, and two small grammars kept as a finite-v
# comparison (v = n_c = 8, s = 2; m = 2, L = 5 and m = 4, L = 4; 10^5 sentences each); the
# Wikipedia sample (~480k tokens) with the 500 most frequent words. Every decay is fitted
# only on points above 3 times its sampling floor (drawn on the figures): the rms floor
# for the counted covariances, a shuffled copy of the text for the Wikipedia spectrum.
# Measured: 53 s on a 2-core machine shared with other jobs (load average 4-8), of which 17 s
# of CPU time.
# `--full`: 10^7 sentences for the papers' grammar (10^6 for the small ones); full English
# Wikipedia with 1,000 words, lags up to 256 (the 256 position-resolved count matrices
# take ~3 GB) and n-grams up to n = 6.
#
# Run `python analyses/rhm_correlations.py [--full]` or `cooc analyses run rhm_correlations
# [--full]`; figures and `results.json` go to `analyses/out/rhm_correlations/`.

# %%
import numpy as np
from _shared import start, wikipedia_corpus

from cooc import RandomHierarchyModel, RHMStatistics, build_grammar_corpus
from cooc._core.errors import InputDataError
from cooc.grammars.langstats import (
    entropy_profile,
    fit_beta,
    fit_entropy_decay,
    fit_power_law,
    lag_spectrum_with_floor,
    positional_covariance_decay,
    shuffled_copy,
)
from cooc.grammars.stats import beta_theory, empirical_mean_square_covariance, sampling_floor
from cooc.plots import pyplot
from cooc.plots.grammars import plot_covariance_decay
from cooc.plots.lm import entropy_decay_with_fit
from cooc.plots.lm import lag_spectrum_with_floor as plot_spectrum

study = start("rhm_correlations")
SMALL = dict(
    paper=(32, 32, 8, 2, 3),
    paper_sentences=1_000_000,
    finite_v=((8, 8, 2, 2, 5), (8, 8, 4, 2, 4)),
    sentences=100_000,
    max_pairs=32,
    above=3.0,
    entropy_n=8,
    wiki_vocab=500,
    wiki_max_lag=64,
    wiki_entropy_vocab=20,
    wiki_entropy_n=8,
)
FULL = dict(SMALL, paper_sentences=10_000_000, sentences=1_000_000, max_pairs=128, wiki_vocab=1000, wiki_max_lag=256)
CFG = FULL if study.full else SMALL
results = {"config": CFG, "grammars": []}


def floor_fit(x, y, floor):
    """A power law fitted only on the points above ``above`` x the floor; None and the reason when too few."""
    try:
        return fit_beta(x, y, floor=floor, above=CFG["above"]), None
    except InputDataError as exc:
        return None, str(exc)


# %% [markdown]
# ## 1. Covariance against the height of the common ancestor, and against distance
#
# For each grammar: the exact rms covariance of one rule draw (`RHMStatistics`), the
# ensemble theory, and the covariance counted from sampled sentences position by
# position (the sampling variance subtracted, so the estimate is unbiased; its floor is
# the rms noise of one entry). **Expected:** at the papers' size (v = 32, m = 8) exact and
# theory agree within ~6% at every level and the exact decay has beta = ln m / ln s = 3;
# the counted curve follows the exact one but only the first levels stand above its
# floor (the top level's covariance, ~3e-5, needs ~10^8 sentences), so the counted beta
# is fitted on those alone, or refused. beta is read two ways: against the distance t
# (pairs (i, i + t) averaged over i, which mixes heights when L is small: at L = 3 this
# gives about 2 for m = 8) and against the span s^h of the common ancestor's subtree (the
# theory's own variable: exactly ln m / ln s where the level formula holds). The v = 8 grammars (finite-v comparison): the
# formula falls to ~0.5-0.6 of the exact value at the top levels, and the counted beta
# (fitted above the floor) is close to 1 for m = 2 and 2 for m = 4.

# %%
plt = pyplot()
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for role, grammars in (("paper", [CFG["paper"]]), ("finite_v", CFG["finite_v"])):
    for v, n_c, m, s, L in grammars:
        rhm = RandomHierarchyModel(v=v, n_c=n_c, m=m, s=s, L=L)
        stats = RHMStatistics(rhm)
        level = stats.covariance_by_level(max_pairs=CFG["max_pairs"])
        by_distance = stats.covariance_vs_distance(max_pairs=CFG["max_pairs"] // 2)
        n_sentences = CFG["paper_sentences"] if role == "paper" else CFG["sentences"]
        tokens = np.asarray(rhm.sample(n_sentences, seed=0).tokens)
        distances = np.unique(np.round(np.geomspace(1, rhm.n_positions - 1, 10)).astype(int))
        counted = positional_covariance_decay(tokens, distances, vocab_size=v, max_starts=CFG["max_pairs"] // 2)
        exact_fit = fit_power_law(by_distance["distance"], by_distance["exact"])
        counted_fit, refused = floor_fit(counted["distance"], counted["rms"], counted["floor"])
        # by height: rms(h) against the span s^h of the subtree, the cleanest form of t^-beta
        span = float(s) ** level["height"]
        height_exact = fit_power_law(span, level["exact"])
        ms = [empirical_mean_square_covariance(tokens, p, v, debias=True).mean() for p in level["pairs"]]
        height_counted = np.sqrt(np.clip(ms, 0, None))
        height_floor = np.full(L, sampling_floor(v, n_sentences))
        height_fit, height_refused = floor_fit(span, height_counted, height_floor)
        name = f"v={v}, m={m}, L={L}"
        axes[0].semilogy(level["height"], level["exact"], "o-", label=f"{name}: exact")
        axes[0].semilogy(level["height"], level["theory"], "k--", lw=0.8)
        axes[1].loglog(by_distance["distance"], by_distance["exact"], "-", label=f"{name}: exact")
        label = "refused" if counted_fit is None else f"{counted_fit.exponent:.2f}"
        axes[1].loglog(counted["distance"], counted["rms"], "o", label=f"{name}: counted, beta {label}")
        study.figure(
            plot_covariance_decay(
                counted["distance"], counted["rms"], theory=by_distance["exact"][counted["distance"] - 1],
                floor=counted["floor"], fit=counted_fit,
            ),
            f"covariance_decay_v{v}_m{m}_L{L}.png",
        )  # fmt: skip
        results["grammars"].append(
            {
                "role": role,
                "v": v,
                "n_c": n_c,
                "m": m,
                "s": s,
                "L": L,
                "sentences": n_sentences,
                "beta_theory": beta_theory(m, s),
                "by_height": {"height": level["height"], "exact": level["exact"], "theory": level["theory"]},
                "exact_over_theory": level["exact"] / level["theory"],
                "by_distance": {
                    "distance": by_distance["distance"],
                    "exact": by_distance["exact"],
                    "theory": by_distance["theory"],
                },
                "counted": {"distance": counted["distance"], "rms": counted["rms"], "floor": counted["floor"]},
                "beta_exact": exact_fit.exponent,
                "beta_exact_error": exact_fit.error,
                "beta_counted": None if counted_fit is None else counted_fit.exponent,
                "beta_counted_error": None if counted_fit is None else counted_fit.error,
                "beta_counted_distances": None if counted_fit is None else counted_fit.x,
                "beta_counted_refused": refused,
                "beta_height_exact": height_exact.exponent,
                "beta_height_exact_error": height_exact.error,
                "height_counted": height_counted,
                "height_floor": height_floor,
                "beta_height_counted": None if height_fit is None else height_fit.exponent,
                "beta_height_counted_refused": height_refused,
                "floor_theory": sampling_floor(v, n_sentences),
            }
        )
        print(
            f"{name} ({role}): beta theory {beta_theory(m, s):.2f}; by distance exact {exact_fit.exponent:.2f} +- "
            f"{exact_fit.error:.2f}, counted {label}; by height exact {height_exact.exponent:.2f}, counted "
            f"{height_refused or f'{height_fit.exponent:.2f}'}; exact/theory by height "
            f"{np.round(level['exact'] / level['theory'], 2)}"
        )
axes[0].set_xlabel("height h of the lowest common ancestor")
axes[0].set_ylabel("rms covariance (dashed: theory)")
axes[1].set_xlabel("distance t")
axes[1].set_ylabel("rms covariance")
for ax in axes:
    ax.legend(fontsize=7)
study.figure(fig, "covariance_by_level_and_distance.png")
study.lap("grammars")

# %% [markdown]
# ## 2. beta and gamma of a grammar corpus, as for any corpus
#
# The v = 8, m = 2 grammar written as a corpus and measured like text: the lag-n
# covariance pooled over positions (with its analytic floor), and the bias-corrected
# conditional entropies of n-grams. **Expected:** the pooled spectrum flattens early,
# because an RHM's statistics depend on the position inside the sentence and pooling
# mixes them (the position-resolved beta above is the one the theory predicts); H_1 close
# to ln v, H_n decreasing. The entropy fit constrains 0 <= H_inf <= H_n: an unconstrained
# fit of these entropies put H_inf at -13.8 nats; here a fit that needs a bound is refused
# and the reason recorded.

# %%
v, n_c, m, s, L = CFG["finite_v"][0]
spec = f"rhm:v={v},n_c={n_c},m={m},s={s},L={L}"
grammar = build_grammar_corpus(
    spec, study.work("grammar-corpus"), documents=CFG["sentences"], overwrite=True, progress=False
)
spectrum = lag_spectrum_with_floor(grammar, s**L - 1)
pooled, pooled_refused = floor_fit(spectrum["lags"], spectrum["sigma"], spectrum["floor"])
profile = entropy_profile(grammar, CFG["entropy_n"])
gamma = fit_entropy_decay(profile.context, profile.H, error=profile.error, resolved=profile.resolved)
study.figure(plot_spectrum(spectrum["lags"], spectrum["sigma"], floor=spectrum["floor"], fit=pooled,
                           title=f"{spec}, pooled over positions"), "grammar_lag_spectrum.png")  # fmt: skip
study.figure(entropy_decay_with_fit(profile.context, profile.H, profile.error, profile.resolved, fit=gamma,
                                   title=f"{spec}: bias-corrected H_n"), "grammar_entropy.png")  # fmt: skip
results["grammar_corpus"] = {
    "spec": spec,
    "tokens": grammar.n_tokens,
    "lags": spectrum["lags"],
    "sigma": spectrum["sigma"],
    "floor": spectrum["floor"],
    "beta_pooled": None if pooled is None else pooled.exponent,
    "beta_pooled_error": None if pooled is None else pooled.error,
    "beta_pooled_refused": pooled_refused,
    "n": profile.n,
    "context": profile.context,  # n - 1 tokens condition H_n: gamma's x
    "H": profile.H,
    "H_error": profile.error,
    "H_plugin": profile.plugin,
    "resolved": profile.resolved,
    "gamma": gamma.summary(),
    "ln_v": np.log(v),
}
print(
    f"grammar corpus: pooled beta {'refused' if pooled is None else f'{pooled.exponent:.2f}'}; H_n {np.round(profile.H, 3)}; "
    f"gamma {gamma.refused or f'{gamma.gamma:.2f} +- {gamma.gamma_error:.2f}, H_inf {gamma.h_inf:.3f}'}"
)

# %% [markdown]
# ## 3. The Wikipedia sample
#
# **The paper** measures both exponents on large text corpora and compares gamma / (2 beta)
# with the data-scaling exponent of trained language models. **The shipped sample is
# small** (~480k tokens, 106 articles): the lag spectrum of the 500 most frequent words
# meets the spectrum of a shuffled copy (its sampling floor) within about ten lags, then
# stays a little above it (correlations at the scale of whole articles, which do not
# decay over 64 lags), so beta is fitted on the first few lags only, above 3x the floor.
# The n-gram entropies use the 20 most frequent words (the rest one unknown word) so that
# n-grams stay resolved (coverage >= 0.95) up to n ~ 5. `--full` runs the same cells on full
# Wikipedia; `analyses/scaling_laws.py` carries these measurements through to the
# data-scaling exponents.

# %%
corpus = wikipedia_corpus(full=study.full)
shuffled = shuffled_copy(corpus, study.work("wiki-shuffled"), seed=0)
wspectrum = lag_spectrum_with_floor(corpus, CFG["wiki_max_lag"], vocab_size=CFG["wiki_vocab"], shuffled=shuffled)
wbeta, wbeta_refused = floor_fit(wspectrum["lags"], wspectrum["sigma"], wspectrum["shuffled"])
wprofile = entropy_profile(corpus, CFG["wiki_entropy_n"], vocab_size=CFG["wiki_entropy_vocab"])
wgamma = fit_entropy_decay(wprofile.context, wprofile.H, error=wprofile.error, resolved=wprofile.resolved)
study.figure(plot_spectrum(wspectrum["lags"], wspectrum["sigma"], floor=wspectrum["floor"],
                           shuffled=wspectrum["shuffled"], fit=wbeta, title="Wikipedia sample"),
             "wikipedia_lag_spectrum.png")  # fmt: skip
study.figure(entropy_decay_with_fit(wprofile.context, wprofile.H, wprofile.error, wprofile.resolved, fit=wgamma,
                                   title="Wikipedia sample: bias-corrected H_n"), "wikipedia_entropy.png")  # fmt: skip
results["wikipedia"] = {
    "tokens": corpus.n_tokens,
    "vocab": CFG["wiki_vocab"],
    "lags": wspectrum["lags"],
    "sigma": wspectrum["sigma"],
    "floor": wspectrum["floor"],
    "shuffled": wspectrum["shuffled"],
    "beta": None if wbeta is None else wbeta.exponent,
    "beta_error": None if wbeta is None else wbeta.error,
    "beta_lags": None if wbeta is None else wbeta.x,
    "beta_refused": wbeta_refused,
    "entropy_vocab": CFG["wiki_entropy_vocab"],
    "n": wprofile.n,
    "context": wprofile.context,  # n - 1 tokens condition H_n: gamma's x
    "H": wprofile.H,
    "H_error": wprofile.error,
    "resolved": wprofile.resolved,
    "gamma": wgamma.summary(),
}
print(
    f"Wikipedia: beta {'refused' if wbeta is None else f'{wbeta.exponent:.2f} +- {wbeta.error:.2f}'} "
    f"(lags {'-' if wbeta is None else f'{wbeta.x.min():.0f}-{wbeta.x.max():.0f}'}); H_n {np.round(wprofile.H, 3)}; "
    f"gamma {wgamma.refused or f'{wgamma.gamma:.2f} +- {wgamma.gamma_error:.2f}'}"
)
study.save(results)
