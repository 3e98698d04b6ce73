#!/usr/bin/env bash
# GPU check of cooc.train (issue 6), about 4-5 minutes on an H100:
#   1. the CUDA variants of the trainer tests (same bodies as on CPU);
#   2. word2vec on CUDA against gensim: words/s and quality (wiki sample x20, binary-attribute corpus),
#      batch 16384 and 65536; gensim runs only if importable, else its stored reference (quality) is shown;
#   3. the RHM sample-complexity curves of the deep CNN for three (v, m, L), collapsed by P / (n_c m^L).
# Needs the data prepared here with `python benchmarks/word2vec.py prepare` (carry .bench/word2vec/{wiki,
# attributes,eval,reference.json}). Usage, from the repository root: bash benchmarks/gpu_train_check.sh "$OUT"
set -u
OUT=${1:-.bench/gpu_train}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python -m pytest -p no:cacheprovider -q tests/train/test_sampling.py tests/train/test_sgns.py \
  tests/train/test_word2vec.py tests/train/test_curves.py -k cuda 2>&1 | tail -4
timeout 270 python benchmarks/word2vec.py run --device cuda --repeat 20 --seeds 2 --gensim-seeds 1 \
  --batch-sizes 16384,65536 --out "$OUT/word2vec" 2>&1 | cut -c1-400 | tail -30
timeout 200 python benchmarks/rhm_curves.py --device cuda --seeds 2 --out "$OUT/rhm" 2>&1 | tail -9
