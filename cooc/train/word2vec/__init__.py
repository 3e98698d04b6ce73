"""word2vec (skip-gram and CBOW with negative sampling) trained in PyTorch or compiled kernels."""
