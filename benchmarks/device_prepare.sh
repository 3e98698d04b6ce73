#!/usr/bin/env bash
# Build here, before a device call, everything benchmarks/device_session.sh carries to the GPU machine,
# in git-ignored folders, then print the size that would travel and fail if it is over the 64 MiB limit.
#
#   bash benchmarks/device_prepare.sh
#
# Idempotent: what is already there is kept (delete a folder to make it again).
#   .whl/                        gensim, smart_open and py-spy as cp312 manylinux wheels (the device has Python 3.12,
#                                numpy, scipy and wrapt, but not gensim); other versions of them are removed,
#                                since two versions of one package stop the whole install there. And
#                                .whl/fasttext/: Debian's fasttext program with its library.
#   .peers/GloVe/                GloVe's source (from $GLOVE_SRC, a folder, or the git mirror $GLOVE_GIT that
#                                the session's fetch tool makes: fetch github:stanfordnlp/GloVe), with
#                                build-portable/ (vocab_count and cooccur built here without -march=native,
#                                for a device without make or gcc).
#   .bench/wiki_sample.txt       the extracted Wikipedia sample (gpu_count_check.py; extraction needs gensim).
#   .bench/word2vec/{wiki,attributes,eval}   the word2vec benchmark's corpora and evaluation files.
# Everything else the stages read (the 200M-token counting corpora, the 100M-token ingestion text, the
# language-model data) is made on the device in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
GENSIM_VERSION=${GENSIM_VERSION:-4.4.0}
SMART_OPEN_VERSION=${SMART_OPEN_VERSION:-9.0.4}
PY_SPY_VERSION=${PY_SPY_VERSION:-0.4.3}  # the sampling profiler of the session's "profile build" stage
GLOVE_SRC=${GLOVE_SRC:-}
GLOVE_GIT=${GLOVE_GIT:-/work/.mirror/stanfordnlp+GloVe/repo}
LIMIT_MIB=64
CARRY=(.whl .peers/GloVe .bench/wiki_sample.txt .bench/word2vec/wiki .bench/word2vec/attributes .bench/word2vec/eval)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

# 0. The carried folders must be ignored by git, or they would travel twice (and be committed).
exclude=$(git rev-parse --git-path info/exclude)
for folder in .whl .peers .bench; do
    if ! git check-ignore -q "$folder/x"; then
        mkdir -p "$(dirname "$exclude")"
        echo "/$folder/" >>"$exclude"
        echo "added /$folder/ to $exclude"
    fi
done

# 1. Wheels for the device's Python 3.12 (the recipe of the device tool's README).
mkdir -p .whl
for spec in "gensim==$GENSIM_VERSION" "smart_open==$SMART_OPEN_VERSION" "py-spy==$PY_SPY_VERSION"; do
    name=${spec%%==*}
    name=${name//-/_} # as wheel files spell it (py-spy: py_spy-0.4.3-...)
    version=${spec#*==}
    for old in .whl/"$name"-*.whl; do
        [ -e "$old" ] || continue
        case "$old" in .whl/"$name-$version"-*) ;; *) rm -v "$old" ;; esac
    done
    if ! ls .whl/"$name-$version"-*.whl >/dev/null 2>&1; then
        $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$spec"
    fi
done
echo "wheels: $(ls .whl | xargs)"

# 2. GloVe's source, and portable binaries beside the native build that make produces.
if [ ! -f .peers/GloVe/src/cooccur.c ]; then
    mkdir -p .peers/GloVe
    if [ -n "$GLOVE_SRC" ] && [ -f "$GLOVE_SRC/src/cooccur.c" ]; then
        cp -r "$GLOVE_SRC/Makefile" "$GLOVE_SRC/src" "$GLOVE_SRC/LICENSE" .peers/GloVe/
    elif git --git-dir="$GLOVE_GIT" rev-parse -q --verify HEAD >/dev/null 2>&1; then
        git --git-dir="$GLOVE_GIT" archive HEAD Makefile src LICENSE | tar -x -C .peers/GloVe
    else
        echo "GloVe's source is missing: fetch github:stanfordnlp/GloVe (the session's fetch tool), or set" >&2
        echo "GLOVE_SRC to a checkout, then run this again." >&2
        exit 1
    fi
fi
mkdir -p .peers/GloVe/build-portable
for tool in vocab_count cooccur; do
    if [ ! .peers/GloVe/build-portable/$tool -nt .peers/GloVe/src/$tool.c ]; then
        gcc -O3 -funroll-loops -pthread .peers/GloVe/src/$tool.c .peers/GloVe/src/common.c \
            -o .peers/GloVe/build-portable/$tool -lm
    fi
done
echo "GloVe: $(ls .peers/GloVe | xargs)"

# 3. Benchmark inputs that need gensim's package data (not on the device) to make.
if [ ! -s .bench/wiki_sample.txt ]; then
    $PY -c "import sys; sys.path.insert(0, 'benchmarks'); import glove; print(glove.wiki_text())"
fi
if [ ! -f .bench/word2vec/wiki/manifest.json ] || [ ! -f .bench/word2vec/attributes/manifest.json ] ||
    [ ! -f .bench/word2vec/eval/questions-words.txt ]; then
    $PY benchmarks/word2vec.py prepare
fi

# 3b. fastText (issue 25's second anchor at 8 and 16 threads): Debian's program and its library, which need
# glibc 2.34 and GLIBCXX 3.4.29 (the device's Python 3.12.3 image is newer); the session checks that it runs.
if [ ! -x .whl/fasttext/fasttext ] && command -v fasttext >/dev/null; then
    mkdir -p .whl/fasttext
    cp "$(command -v fasttext)" .whl/fasttext/
    lib=$(ldd "$(command -v fasttext)" | awk '/libfasttext/ {print $3}')
    [ -n "$lib" ] && cp "$lib" .whl/fasttext/
fi
echo "fastText: $(ls .whl/fasttext 2>/dev/null | xargs || echo 'not here (apt-get install fasttext)')"

# 4. What travels: the working tree (tracked and untracked files git does not ignore, shared/) and the carry.
tree=$( (git ls-files -co --exclude-standard -z | xargs -0 -r stat -c %s -- 2>/dev/null || true) |
    awk '{s += $1} END {print s + 0}')
shared=0
[ -d shared ] && shared=$(du -sb shared | cut -f1)
echo "carried (each):"
du -sb "${CARRY[@]}" | awk '{printf "  %7.2f MiB  %s\n", $1 / 1048576, $2}'
carry=$(du -scb "${CARRY[@]}" | tail -1 | cut -f1)
total=$((tree + shared + carry))
awk -v t="$tree" -v s="$shared" -v c="$carry" -v a="$total" -v l="$LIMIT_MIB" 'BEGIN {
    printf "working tree %.2f MiB, shared/ %.2f MiB, carry %.2f MiB: %.2f MiB of the %d MiB limit\n",
        t / 1048576, s / 1048576, c / 1048576, a / 1048576, l }'
printf 'carry=['
printf '"%s", ' "${CARRY[@]:0:${#CARRY[@]}-1}"
printf '"%s"]\n' "${CARRY[-1]}"
if [ "$total" -gt $((LIMIT_MIB * 1024 * 1024)) ]; then
    echo "over the ${LIMIT_MIB} MiB limit: carry less" >&2
    exit 1
fi
