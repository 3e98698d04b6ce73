"""cooc: word co-occurrence statistics and the geometry of word embeddings.

Public names are imported lazily, so ``import cooc`` stays fast and never pulls in torch,
CuPy or Dask until a feature that needs them is used.
"""
from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# name -> module that defines it
_LAZY = {
    "CoocError": "cooc.errors",
    "InvalidParameterError": "cooc.errors",
    "InputDataError": "cooc.errors",
    "CorruptFileError": "cooc.errors",
    "OutputExistsError": "cooc.errors",
    "MissingDependencyError": "cooc.errors",
    "Vocabulary": "cooc.vocab",
    "Tokenizer": "cooc.tokenize",
    "TokenCorpus": "cooc.corpus",
    "CorpusWriter": "cooc.corpus",
    "Cooccurrence": "cooc.cooccurrence",
    "BlockedCooccurrence": "cooc.blocked",
    "save_blocked": "cooc.blocked",
    "build_corpus": "cooc.corpus_build",
    "open_source": "cooc.sources",
    "count_cooccurrences": "cooc.count",
    "count_distributed": "cooc.count.distributed",
    "RandomHierarchyModel": "cooc.grammars.rhm",
    "LatentVariableModel": "cooc.grammars.latent",
    "TaxonomyModel": "cooc.grammars.taxonomy",
    "SparseRandomHierarchyModel": "cooc.grammars.srhm",
    "PCFG": "cooc.grammars.pcfg",
    "VaryingTreeGrammar": "cooc.grammars.pcfg",
    "RHMStatistics": "cooc.grammars.stats",
    "build_grammar_corpus": "cooc.grammars.source",
    "Embedding": "cooc.spectral.embedding",
    "SpectralEmbedding": "cooc.spectral.estimator",
    "Target": "cooc.spectral.targets",
    "target_matrix": "cooc.spectral.targets",
    "top_eigenpairs": "cooc.spectral.eigen",
    "target_operator": "cooc.spectral.operator",
    "evaluate_analogies": "cooc.geometry.analogy",
    "accuracy_vs_k": "cooc.geometry.analogy",
    "compare_targets": "cooc.geometry.analogy",
    "load_questions": "cooc.geometry.analogy",
    "BinaryAttributeModel": "cooc.grammars.attributes",
    "load_family": "cooc.geometry.symmetry",
    "symmetry_report": "cooc.geometry.symmetry",
    "year_probe": "cooc.geometry.symmetry",
    "helper_experiment": "cooc.geometry.symmetry",
    "load_places": "cooc.geometry.places",
    "places_report": "cooc.geometry.places",
    "wordnet_hierarchy": "cooc.geometry.wordnet",
    "Hierarchy": "cooc.geometry.wordnet",
    "hypernymy_alignment": "cooc.geometry.hypernymy",
    "hypernymy_report": "cooc.geometry.hypernymy",
    "Word2Vec": "cooc.train.word2vec",
    "train_word2vec": "cooc.train.word2vec",
    "HierarchicalCNN": "cooc.train.models",
    "TransformerClassifier": "cooc.train.models",
    "FullyConnected": "cooc.train.models",
    "learning_curve": "cooc.train.curves",
    "sample_complexity": "cooc.train.curves",
    "grammar_study": "cooc.train.curves",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_exports(globals(), _LAZY, eager=("__version__",))
