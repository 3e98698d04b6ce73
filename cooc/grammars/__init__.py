"""Synthetic languages with exact statistics, usable as corpus sources.

- :mod:`~cooc.grammars.rhm`: the Random Hierarchy Model (sampling, exact parser, tensors).
- :mod:`~cooc.grammars.srhm`: the sparse RHM (uninformative positions).
- :mod:`~cooc.grammars.pcfg`: a general PCFG sampler and the varying-tree grammar.
- :mod:`~cooc.grammars.latent`: words on a circle / line / plane plus fillers; exact joint, Fourier modes.
- :mod:`~cooc.grammars.taxonomy`: concepts on a tree, co-occurring as ``alpha exp(-beta d)``.
- :mod:`~cooc.grammars.stats`: exact RHM statistics (covariances by LCA level and distance, P_max, floor).
- :mod:`~cooc.grammars.langstats`: beta (lag covariance spectrum) and gamma (entropy decay) of any corpus.
- :mod:`~cooc.grammars.parsing`: exact inside (CYK) parse counts and class posteriors of the varying-tree grammar.
- :mod:`~cooc.grammars.transforms`: synonym exchange (RHM) and discrete diffeomorphisms (sparse RHM).
- :mod:`~cooc.grammars.source`: grammar specs (``rhm:v=32,...``) written as TokenCorpus.
"""

from __future__ import annotations

from .._core.lazy import lazy_exports

# name -> module: imported on first use, so ``cooc.grammars.rhm`` needs only numpy (the GPU
# machine and the trainers import it without scipy, rich or the corpus machinery).
_LAZY = {
    "RandomHierarchyModel": "rhm",
    "RHMSample": "rhm",
    "as_torch": "rhm",
    "SparseRandomHierarchyModel": "srhm",
    "SRHMSample": "srhm",
    "PCFG": "pcfg",
    "Derivations": "pcfg",
    "VaryingTreeGrammar": "pcfg",
    "LatentVariableModel": "latent",
    "fourier_modes": "latent",
    "circulant_eigenvalues": "latent",
    "TaxonomyModel": "taxonomy",
    "RHMStatistics": "stats",
    "InsideParser": "parsing",
    "ambiguity": "parsing",
    "synonym_exchange": "transforms",
    "diffeomorphism": "transforms",
    "build_grammar_corpus": "source",
    "is_grammar_spec": "source",
    "parse_grammar_spec": "source",
}
__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_exports(globals(), _LAZY, eager=())
