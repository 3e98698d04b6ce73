"""cooc: word co-occurrence statistics and the geometry of word embeddings.

Public names are imported lazily, so ``import cooc`` stays fast and never pulls in torch,
CuPy or Dask until a feature that needs them is used.
"""

from __future__ import annotations

from ._core.lazy import lazy_exports
from ._core.version import __version__

# name -> module that defines it
_LAZY = {
    "CoocError": "cooc._core.errors",
    "InvalidParameterError": "cooc._core.errors",
    "InputDataError": "cooc._core.errors",
    "CorruptFileError": "cooc._core.errors",
    "OutputExistsError": "cooc._core.errors",
    "OutputBusyError": "cooc._core.errors",
    "ClusterError": "cooc._core.errors",
    "MissingDependencyError": "cooc._core.errors",
    "UnknownWordError": "cooc._core.errors",
    "TrainingDivergedError": "cooc._core.errors",
    "Vocabulary": "cooc.corpus.vocab",
    "Tokenizer": "cooc.corpus.tokenize",
    "TokenCorpus": "cooc.corpus.store",
    "CorpusWriter": "cooc.corpus.store",
    "Cooccurrence": "cooc.cooccurrence.matrix",
    "BlockedCooccurrence": "cooc.cooccurrence.blocked",
    "save_blocked": "cooc.cooccurrence.blocked",
    "build_corpus": "cooc.corpus.build",
    "open_source": "cooc.corpus.sources",
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
    "Embedding": "cooc.embedding",
    "EigenEmbedding": "cooc.spectral.estimator",
    "SpectralEmbedding": "cooc.spectral.estimator",
    "Target": "cooc.spectral.targets",
    "target_matrix": "cooc.spectral.targets",
    "top_eigenpairs": "cooc.spectral.eigen",
    "target_operator": "cooc.spectral.targets",
    "evaluate_analogies": "cooc.geometry.analogy",
    "evaluate_similarity": "cooc.geometry.similarity",
    "evaluate_similarities": "cooc.geometry.similarity",
    "accuracy_vs_k": "cooc.geometry.analogy",
    "compare_targets": "cooc.experiments.targets",
    "load_questions": "cooc.geometry.analogy",
    "BinaryAttributeModel": "cooc.grammars.attributes",
    "load_family": "cooc.geometry.symmetry",
    "symmetry_report": "cooc.experiments.symmetry",
    "year_probe": "cooc.geometry.symmetry",
    "helper_experiment": "cooc.experiments.symmetry",
    "load_places": "cooc.geometry.places",
    "places_report": "cooc.experiments.places",
    "wordnet_hierarchy": "cooc.geometry.wordnet",
    "Hierarchy": "cooc.geometry.wordnet",
    "hypernymy_alignment": "cooc.geometry.hypernymy",
    "hypernymy_report": "cooc.geometry.hypernymy",
    "Word2Vec": "cooc.train.word2vec.estimator",
    "train_word2vec": "cooc.train.word2vec.estimator",
    "HierarchicalCNN": "cooc.train.grammar.models",
    "TransformerClassifier": "cooc.train.grammar.models",
    "FullyConnected": "cooc.train.grammar.models",
    "learning_curve": "cooc.train.grammar.curves",
    "sample_complexity": "cooc.train.grammar.curves",
    "grammar_study": "cooc.experiments.grammar",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_exports(globals(), _LAZY, eager=("__version__",))
