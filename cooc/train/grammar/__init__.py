"""Networks trained on synthetic grammars and text: CNNs, transformers, fully-connected nets, causal language
models (decoder-only transformer, hierarchical CNN), learning curves."""
