"""Networks trained on synthetic grammars: CNNs, transformers, fully-connected nets, learning curves."""
