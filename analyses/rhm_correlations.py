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
# **Sizes.** Default (CPU): two RHMs with v = n_c = 8, s = 2 (m = 2, L = 5 and m = 4,
# L = 4), 100k sampled sentences each; the Wikipedia sample (~480k tokens) with the 500
# most frequent words. Measured: 7-15 s on a 2-core machine shared with other jobs
# (load average 3-6). `--full`: 10^6
# sentences; full English Wikipedia with 1,000 words, lags up to 256 (the 256
# position-resolved count matrices take ~3 GB) and n-grams up to n = 4.
#
# Run `python analyses/rhm_correlations.py [--full]` or `cooc analyses run rhm_correlations
# [--full]`; figures and `results.json` go to `analyses/out/rhm_correlations/`.

# %%
import numpy as np
from _shared import start, wikipedia_corpus

from cooc import RandomHierarchyModel, RHMStatistics, build_grammar_corpus
from cooc._core.errors import CoocError
from cooc.grammars.langstats import (
    conditional_entropies,
    data_exponent,
    fit_beta,
    fit_entropy_decay,
    fit_power_law,
    lag_counts,
    positional_covariance_decay,
    top_singular_value,
)
from cooc.grammars.stats import beta_theory, sampling_floor
from cooc.plots import pyplot
from cooc.plots.grammars import plot_covariance_decay, plot_entropy_decay, plot_lag_spectrum

study = start("rhm_correlations")
SMALL = dict(
    grammars=((8, 8, 2, 2, 5), (8, 8, 4, 2, 4)),
    sentences=100_000,
    max_pairs=32,
    entropy_n=6,
    wiki_vocab=500,
    wiki_max_lag=64,
    wiki_entropy_n=3,
)
FULL = dict(SMALL, sentences=1_000_000, max_pairs=128, wiki_vocab=1000, wiki_max_lag=256, wiki_entropy_n=4)
CFG = FULL if study.full else SMALL
results = {"config": CFG, "grammars": []}

# %% [markdown]
# ## 1. Covariance against the height of the common ancestor, and against distance
#
# For each grammar: the exact rms covariance of one rule draw (`RHMStatistics`), the
# ensemble theory, and the covariance counted from sampled sentences position by
# position (the sampling variance subtracted). **Expected:** exact and theory within
# ~25% below the root (the theory is an average over rule draws; the root level deviates
# more), the counted curve on the exact one above the floor, and a fitted beta close to
# ln m / ln s: 1 for m = 2, 2 for m = 4.

# %%
plt = pyplot()
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for v, n_c, m, s, L in CFG["grammars"]:
    rhm = RandomHierarchyModel(v=v, n_c=n_c, m=m, s=s, L=L)
    stats = RHMStatistics(rhm)
    level = stats.covariance_by_level(max_pairs=CFG["max_pairs"])
    by_distance = stats.covariance_vs_distance(max_pairs=CFG["max_pairs"] // 2)
    tokens = np.asarray(rhm.sample(CFG["sentences"], seed=0).tokens)
    distances = np.unique(np.round(np.geomspace(1, rhm.n_positions - 1, 10)).astype(int))
    counted = positional_covariance_decay(tokens, distances, vocab_size=v, max_starts=CFG["max_pairs"] // 2)
    exact_fit = fit_power_law(by_distance["distance"], by_distance["exact"])
    counted_fit = fit_power_law(counted["distance"], counted["rms"])
    name = f"v={v}, m={m}, L={L}"
    axes[0].semilogy(level["height"], level["exact"], "o-", label=f"{name}: exact")
    axes[0].semilogy(level["height"], level["theory"], "k--", lw=0.8)
    axes[1].loglog(by_distance["distance"], by_distance["exact"], "-", label=f"{name}: exact")
    axes[1].loglog(counted["distance"], counted["rms"], "o", label=f"{name}: counted, beta {counted_fit.exponent:.2f}")
    study.figure(
        plot_covariance_decay(counted["distance"], counted["rms"], floor=counted["floor"], fit=counted_fit),
        f"covariance_decay_m{m}_L{L}.png",
    )
    results["grammars"].append(
        {
            "v": v,
            "n_c": n_c,
            "m": m,
            "s": s,
            "L": L,
            "sentences": CFG["sentences"],
            "beta_theory": beta_theory(m, s),
            "by_height": {"height": level["height"], "exact": level["exact"], "theory": level["theory"]},
            "by_distance": {
                "distance": by_distance["distance"],
                "exact": by_distance["exact"],
                "theory": by_distance["theory"],
            },
            "counted": {"distance": counted["distance"], "rms": counted["rms"], "floor": counted["floor"]},
            "beta_exact": exact_fit.exponent,
            "beta_exact_error": exact_fit.error,
            "beta_counted": counted_fit.exponent,
            "beta_counted_error": counted_fit.error,
            "floor_theory": sampling_floor(v, CFG["sentences"]),
        }
    )
    print(
        f"{name}: beta theory {beta_theory(m, s):.2f}, exact {exact_fit.exponent:.2f} +- {exact_fit.error:.2f}, "
        f"counted {counted_fit.exponent:.2f} +- {counted_fit.error:.2f}; exact/theory by height "
        f"{np.round(level['exact'] / level['theory'], 2)}"
    )
axes[0].set_xlabel("height h of the lowest common ancestor")
axes[0].set_ylabel("rms covariance (dashed: theory)")
axes[1].set_xlabel("distance t")
axes[1].set_ylabel("rms covariance")
for ax in axes:
    ax.legend(fontsize=7)
study.figure(fig, "covariance_by_level_and_distance.png")

# %% [markdown]
# ## 2. beta and gamma of a grammar corpus, as for any corpus
#
# The m = 2 grammar written as a corpus and measured like text: the lag-n covariance pooled
# over positions, and the conditional entropies of n-grams. **Expected:** the pooled
# spectrum flattens early, because an RHM's statistics depend on the position inside the
# sentence and pooling mixes them (the position-resolved beta above is the one the theory
# predicts); H_1 close to ln v, and H_n decreasing.

# %%
v, n_c, m, s, L = CFG["grammars"][0]
spec = f"rhm:v={v},n_c={n_c},m={m},s={s},L={L}"
grammar = build_grammar_corpus(
    spec, study.work("grammar-corpus"), documents=CFG["sentences"], overwrite=True, progress=False
)


def spectrum(corpus, max_lag, vocab_size=None):
    """Top singular value of the lag-n covariance for n = 1..max_lag (ARPACK, much faster than a dense SVD)."""
    counts = lag_counts(corpus, max_lag, vocab_size=vocab_size)
    return np.arange(1, max_lag + 1), np.array([top_singular_value(F, dense_limit=0) for F in counts])


def entropy_fit(n, H):
    try:
        return fit_entropy_decay(n, H)
    except (RuntimeError, CoocError):  # too few resolved points, or no convergence
        return None


lags, sigma = spectrum(grammar, s**L - 1)
pooled = fit_beta(lags, sigma)
n, H = conditional_entropies(grammar, CFG["entropy_n"])
gamma = entropy_fit(n, H)
study.figure(plot_lag_spectrum(lags, sigma, fit=pooled), "grammar_lag_spectrum.png")
study.figure(plot_entropy_decay(n, H, fit=gamma), "grammar_entropy.png")
results["grammar_corpus"] = {
    "spec": spec,
    "tokens": grammar.n_tokens,
    "lags": lags,
    "sigma": sigma,
    "beta_pooled": pooled.exponent,
    "beta_pooled_error": pooled.error,
    "n": n,
    "H": H,
    "gamma": None if gamma is None else gamma.gamma,
    "gamma_error": None if gamma is None else gamma.gamma_error,
    "ln_v": np.log(v),
}
print(
    f"grammar corpus: pooled beta {pooled.exponent:.2f} +- {pooled.error:.2f}; H_n {np.round(H, 3)}; gamma "
    f"{'n/a' if gamma is None else f'{gamma.gamma:.2f} +- {gamma.gamma_error:.2f}'}"
)
study.lap("grammars")

# %% [markdown]
# ## 3. The Wikipedia sample
#
# **The paper** measures both exponents on large text corpora and compares gamma / (2 beta)
# with the data-scaling exponent of trained language models. **The shipped sample is
# small** (~480k tokens, 106 articles): the lag spectrum of the 500 most frequent words is
# resolved to lags of a few tens, and n-gram entropies only to n = 3 (longer n-grams are
# mostly seen once), so gamma cannot be fitted (the fit needs 4 resolved points) and is
# reported as missing; beta is fitted on lags 2..32. `--full` runs the same cells on full
# Wikipedia.

# %%
corpus = wikipedia_corpus(full=study.full)
wlags, wsigma = spectrum(corpus, CFG["wiki_max_lag"], CFG["wiki_vocab"])
wbeta = fit_beta(wlags, wsigma, lag_min=2, lag_max=CFG["wiki_max_lag"] // 2)
wn, wH = conditional_entropies(corpus, CFG["wiki_entropy_n"], vocab_size=CFG["wiki_vocab"])
wgamma = entropy_fit(wn, wH)
study.figure(plot_lag_spectrum(wlags, wsigma, fit=wbeta), "wikipedia_lag_spectrum.png")
wiki = {
    "tokens": corpus.n_tokens,
    "vocab": CFG["wiki_vocab"],
    "lags": wlags,
    "sigma": wsigma,
    "beta": wbeta.exponent,
    "beta_error": wbeta.error,
    "n": wn,
    "H": wH,
    "gamma": None if wgamma is None else wgamma.gamma,
}
if wgamma is not None:
    wiki["data_exponent"], wiki["data_exponent_error"] = data_exponent(
        wgamma.gamma, wbeta.exponent, wgamma.gamma_error, wbeta.error
    )
results["wikipedia"] = wiki
print(
    f"Wikipedia: beta {wbeta.exponent:.2f} +- {wbeta.error:.2f} (lags 2-{CFG['wiki_max_lag'] // 2}); "
    f"H_n {np.round(wH, 3)}; gamma {'not resolved' if wgamma is None else f'{wgamma.gamma:.2f}'}"
)
study.save(results)
