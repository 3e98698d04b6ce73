"""Synthetic languages with exact statistics, usable as corpus sources.

- :mod:`~cooc.grammars.rhm`: the Random Hierarchy Model (sampling, exact parser, tensors).
- :mod:`~cooc.grammars.srhm`: the sparse RHM (uninformative positions).
- :mod:`~cooc.grammars.pcfg`: a general PCFG sampler and the varying-tree grammar.
- :mod:`~cooc.grammars.latent`: words on a circle / line / plane plus fillers; exact joint, Fourier modes.
- :mod:`~cooc.grammars.taxonomy`: concepts on a tree, co-occurring as ``alpha exp(-beta d)``.
- :mod:`~cooc.grammars.stats`: exact RHM statistics (covariances by LCA level and distance, P_max, floor).
- :mod:`~cooc.grammars.langstats`: beta (lag covariance spectrum) and gamma (entropy decay) of any corpus.
- :mod:`~cooc.grammars.source`: grammar specs (``rhm:v=32,...``) written as TokenCorpus.
"""
from __future__ import annotations

from .latent import LatentVariableModel, circulant_eigenvalues, fourier_modes
from .pcfg import PCFG, Derivations, VaryingTreeGrammar
from .rhm import RandomHierarchyModel, RHMSample, as_torch
from .source import build_grammar_corpus, is_grammar_spec, parse_grammar_spec
from .srhm import SparseRandomHierarchyModel, SRHMSample
from .stats import RHMStatistics
from .taxonomy import TaxonomyModel

__all__ = ["RandomHierarchyModel", "RHMSample", "as_torch", "SparseRandomHierarchyModel", "SRHMSample", "PCFG",
           "Derivations", "VaryingTreeGrammar", "LatentVariableModel", "fourier_modes", "circulant_eigenvalues",
           "TaxonomyModel", "RHMStatistics", "build_grammar_corpus", "is_grammar_spec", "parse_grammar_spec"]
