#!/usr/bin/env bash
# The project's checks for the lent GPU machine (one H200, 16 cores, 128 GiB, Python 3.12), as one call.
#
#   bash benchmarks/device_session.sh [BUDGET_SECONDS]              # the speed stages, default budget 540 s
#   STAGES="lm|count cpu" bash benchmarks/device_session.sh 300     # only the stages named (a regex alternation)
#   STAGES=full-next_token bash benchmarks/device_session.sh 500    # one study at the papers' size
#   SMOKE=1 bash benchmarks/device_session.sh 300                   # here, on the CPU: flags and paths checked
#
# Two steps. (1) Here, on the machine with the package index: `bash benchmarks/device_prepare.sh` downloads
# the Python 3.12 wheels, copies GloVe's source, writes the benchmark inputs the device cannot make quickly,
# and prints the size that will travel (under 64 MiB: about 39 MiB on 2026-12-03) and the carry list.
# Optionally `SMOKE=1 bash benchmarks/device_session.sh 300` here first (about 90 s on one core). (2) The
# device calls below, each one command; then read stages.txt and results_new.md, and merge the new
# sections of RESULTS.md into the repository's.
#
# HOW A SESSION SPENDS ITS 15 MINUTES OF DEVICE TIME. Device time runs from asking for a machine until it
# goes back: a start takes 1-2 minutes, a machine stays warm (and counted) 30 s after each call, and none is
# started with under 4 minutes left.
#   Call 1, the speed stages: about 1.5 minutes of start, 540 s of stages, a few seconds of transfers
#   (on 2026-12-04 the H200 took 454 s for them; the rest of the budget goes to full-next_token). Since
#   then w2v cpu threads runs fastText too, and count cpu a second Zipf count: about 40-60 s more, so lm
#   (last, and met) may be cut short; STAGES can leave it out.
#     run(command="bash benchmarks/device_session.sh 540",
#         carry=[".whl", ".peers/GloVe", ".bench/wiki_sample.txt", ".bench/word2vec/wiki",
#                ".bench/word2vec/attributes", ".bench/word2vec/eval"],
#         timeout_s=590)
#   That leaves about 4 minutes. Call 2 goes at once, while the machine is warm (no start to pay), else only
#   if status says at least 4 minutes are left; budget it at what is left less a minute:
#     - the speed stages call 1 skipped or cut short (stages.txt names them), same carry, e.g.
#       run(command='STAGES="lm|count cpu" bash benchmarks/device_session.sh 180', carry=[...], timeout_s=220);
#     - or ONE study's --full with the rest of the time (no carry needed), e.g.
#       run(command="STAGES=full-next_token bash benchmarks/device_session.sh 180", carry=[], timeout_s=220).
#   Then give_back. Never two --full studies in one call, never a --full study before the speed stages. A
#   session that wants a --full study finished needs far more than what is left here (see full-NAME below).
#
# THE STAGES, in order of priority, with their caps (cap:least). Each runs under a timeout, the smaller of
# its cap and what is left of the budget, even when an earlier stage failed, and is skipped when that
# timeout would be under the least time it can use (so a later, shorter stage still gets its turn).
#   setup            nvidia-smi, the carried wheels into /tmp/site (gensim, smart_open), GloVe built with
#                    gcc when there is no make, the versions of torch, cupy, numba, triton and gensim.
#   gpu tests  100:40   every gpu-marked test (pytest -m gpu: one body on numpy and on CuPy / torch-cuda) in
#                    the 16 files of GPU_TESTS (102 tests; tests/count/test_distributed.py's one needs
#                    dask-cuda, not on the device). Target: all pass. Issue 26 item 4.
#   count gpu  150:80   issue 26 item 1, benchmarks/gpu_count_check.py on 200M-token corpora made there in
#                    about 10 s (the wiki sample repeated, V ~36k; a Zipf stream of 100k types drawn on the
#                    GPU): GPU == CPU parity, GloVe `cooccur` built from source (parity, 1-thread rate), the
#                    whole call (shards on disk to a host CSR) at V = 50k, window 10, harmonic, and at
#                    V = 100k (twice: a partial head in 60 GB, then the full 80 GB head the planner now takes
#                    where it fits, --memory-large 120GB kept to 85% of the free memory), the kernel alone and
#                    the host-to-device copy. Targets: >= 2G in-vocabulary tokens/s and >= 1000x GloVe at
#                    V = 50k; >= 1G/s at V = 100k. Since 2026-12-05 the result crosses narrowed (uint16
#                    columns, uint32 counts where they fit: about 6 bytes a nonzero, not 12); the row
#                    "wide copy" is the same call with COOC_NARROW_COPY=0, the A/B that says whether the
#                    download or the host's writes bind (each row's notes give the GB sent and their rate).
#   w2v gpu    110:60   issue 26 item 2, benchmarks/word2vec.py on cuda: the Triton step replayed from a CUDA
#                    graph at batch 65,536, 262,144 and 1,048,576, 2 seeds, on the wiki sample x10, against
#                    gensim with 16 workers (corpus_file for speed, corpus_iterable for quality). Target:
#                    >= 25M raw words/s with WS353, SimLex and analogies within 2 points of gensim. Since
#                    2026-12-05 the damping is 'auto' (4 at 262,144 pairs, 16 at 1,048,576; 1 at 65,536 as
#                    before), which kept those batches within the band on the 2-core VM (numba, wiki x10).
#   w2v gpu shared 80:40   issue 26 item 2: the same run with kernel "shared" (each window's pairs share one
#                    draw of negatives; the fused window step of cooc/train/word2vec/_step_triton_window.py,
#                    replayed from a graph) at 16,384 and 32,768 windows a step (6 pairs a window on the wiki
#                    sample; W2V_SHARED_BATCHES). It gathers a window's K + 1 output rows once instead of once
#                    per pair. On the 2-core VM (torch window step, wiki x5, 2026-12-05) 4,096 and 16,384
#                    windows kept WS353 and SimLex within the band of gensim's, 65,536 did not. Target as w2v gpu.
#                    gensim is not run again: its runs stored by w2v gpu (reference.json, the same corpus and
#                    settings) are the reference (W2V_SHARED_GENSIM=1 runs a seed here). About 40 s.
#   w2v cpu threads 170:70   issue 25 items 1 and 6: cooc's CPU trainer (its default kernel: since 2026-12-05
#                    skip-gram shares each window's negatives, kernel "shared"; W2V_CPU_KERNELS=auto,hogwild adds
#                    the pair-by-pair kernel the H200 measured on 2026-12-04) against gensim
#                    at 1, 2, 4, 8 and 16 threads on the wiki sample x2, and fastText at 8 and 16 threads
#                    (W2V_FT_THREADS) when the program device_prepare.sh carries in .whl/fasttext runs
#                    there. Target: cooc >= gensim and fastText at every thread count, at equal quality.
#                    One seed takes about 100 s (estimated from the 2026-12-04 rates); the quality band at
#                    8 and 16 threads wants several: W2V_CPU_SEEDS=3 W2V_CPU_THREADS=8,16 with
#                    STAGES="w2v cpu threads" (about 90 s).
#   scale      150:90   issue 25 item 3, benchmarks/scale.py: ingestion of 100M synthetic tokens with 1, 2,
#                    4, 8 and 16 workers (no Dask). The text (about 780 MB) is written by 16 processes, one
#                    random stream per file; one process writes about 3.7M tokens/s (2-core VM), so it would
#                    take about 30 s. Target: parallel efficiency >= 0.7 up to 16 workers, >= 35M tokens/s.
#                    A control follows (about 20 s): the tokeniser alone in 1 and 16 independent processes,
#                    what the 16 cores allow any parallel tokeniser (the machine line now names the physical
#                    cores when the CPUs are hyper-threads).
#   count cpu  160:70   issue 25 item 4: gpu_count_check.py's CPU stage alone, cooc's numba counter on all
#                    16 cores over the same 200M-token corpora (the Zipf one at V = 50k first), "x GloVe"
#                    from count gpu's GloVe rate (.bench/gpu-glove-rate.json; without that file stage C runs
#                    here). Target: >= 20x GloVe's cooccur for the whole call at V = 50k. Each row's notes
#                    split the count phase (kernel, drains, compaction, tail entries per token); the Zipf
#                    count runs again with the head's size cap x0.25 (CPU_HEAD_SCALES): on 16 cores the
#                    kernel's random updates to a 4 GB head may be what bounds the count phase. Then a
#                    50M-token Zipf corpus at V = 50k on 1, 4, 8 and 16 threads (CPU_THREADS, THREAD_TOKENS;
#                    about 25 s, an estimate): which part stops scaling, and whether at the physical cores
#                    (since 2026-12-04 20:15 the most frequent words' rows are shared by column ranges on 16
#                    threads: their owner had 1.40x the mean load on this corpus, 1.14x on the wiki one).
#   lm          90:45   issue 19 item 6, benchmarks/lm.py on cuda: the trainer (bf16 autocast, fused AdamW)
#                    against a plain fp32 PyTorch loop on one transformer (d_model 512, 8 layers, context 256
#                    on an RHM with L = 8, 600 steps of 64 contexts), tokens/s and MFU against 989 TFLOP/s,
#                    the H200's dense bf16 datasheet peak (a bf16 matrix product measured about 790 TFLOP/s
#                    on these machines: KINDS.md). Target: >= 2x the plain loop at equal final loss.
#   profile build 60:30   after lm, issue 25 item 3, benchmarks/profile_build.py: scale's text built once more
#                    with the most workers under py-spy (every process and thread; the wheel is carried): each
#                    role's share of the samples (main thread, writers, helpers) and the functions they end in.
#   Last by default: full-next_token (below) with whatever the budget has left, at least 60 s: it resumes
#                    from its ledger, so seconds the speed stages did not use still go into the study
#                    (FULL_DEFAULT=NAME runs another study there; FULL_DEFAULT= leaves it out). On 2026-12-04
#                    the speed stages left 86 s of a 540 s budget unused.
#   Opt-in, run only when STAGES names them:
#   full-parallel 570:60   the studies of FULL_PARALLEL (default: next_token power_law varying_tree
#                    rhm_learning; rhm_learning's shallow net trains to fit since 2026-12-06, 30 passes over sets of
#                    up to 1.05M sentences, GPU work; its CNN ran on the 2-core VM in 58 minutes on 2026-12-05; srhm --full was
#                    finished there the same day, its ledger committed) at once, one process each, each resuming from its ledger; the ledgers
#                    come back in ledgers.tgz (see full_parallel below). For a session that needs no new
#                    speed figures: STAGES=full-parallel bash benchmarks/device_session.sh 560.
#   w2v step    80:30   benchmarks/word2vec_step.py: the torch and Triton steps, the Triton step by windows
#                    (its batches count windows, about 6 pairs each) and four block shapes of each Triton
#                    step timed apart; the fastest shapes become COOC_TRITON_BLOCK and
#                    COOC_TRITON_WINDOW_BLOCK for the w2v gpu stages in the same call
#                    (STAGES="w2v step|w2v gpu|w2v gpu shared").
#   full-NAME  570:60   `python3 analyses/NAME.py --full --jobs $FULL_JOBS --output .bench/device_full/NAME`
#                    (the same as `cooc analyses run NAME --full --jobs 6 -o DIR`; --jobs: next_token's
#                    language models, varying_tree's and rhm_learning's transformers trained FULL_JOBS at
#                    once, default 6, one process each on the GPU; full-parallel passes FULL_PARALLEL_JOBS, default 3),
#                    NAME one of next_token (issue 19), rhm_learning, srhm, power_law, varying_tree,
#                    latent_prediction (issue 20; its --full needs no GPU and was run on the 2-core VM in
#                    21 minutes, 2026-12-03, so leave it out here; rhm_learning's ledger has the CPU's
#                    rows of 2026-12-05, its shallow net's under the settings before 2026-12-06; varying_tree's
#                    CPU parts (the parsed ambiguity, the depth scan, the first moment and its growth: 72
#                    ledger rows, keyed without the device) ran on the 2-core VM in 21 minutes on 2026-12-04
#                    and are in benchmarks/ledgers/varying_tree.jsonl, so on the device it starts at its
#                    networks: a CNN ensemble and 40 transformers, FULL_JOBS at once). At the papers' sizes
#                    they need far longer than one call (next_token alone trains 2 models at 11 sizes x 3
#                    seeds for up to 50,000 steps each, and the CNN's control on the last 4 tokens), so they resume: with --full a study records every
#                    finished training run (a network, or an ensemble of networks trained together) in
#                    <output>/runs.jsonl (cooc/_core/ledger.py), which comes back as $OUT/runs-NAME.jsonl even
#                    when the stage is cut by its timeout. To go on in a later call or session, copy that file
#                    here to benchmarks/ledgers/NAME.jsonl and commit it (it travels with the tree; a carried
#                    .bench/device_full/NAME/runs.jsonl, if any, wins): the study takes the recorded runs and
#                    trains only the others. The ledger's keys hold cooc's version, so a release that changes
#                    it trains afresh. The 2026-12-04 H200 call's 37 next_token runs (every CNN run, 4 of the
#                    33 transformer runs, in 323 s) were dropped on 2026-12-05: each network up to P = 8,192
#                    kept its first evaluation, at step 100, past its best (benchmarks/RESULTS.md); train_lm
#                    now also evaluates at steps 0, 1, 2, 4, ..., and the CNN has its dropout. Where a study
#                    measures a network after training (rhm_learning's CNN, srhm's invariances) the measurement
#                    is recorded in the ledger beside the rows (since 2026-12-05), so the ledger alone resumes
#                    it (rhm_learning's committed ledger has its CNN measurements since 2026-12-05 22:00; its
#                    ensembles are keyed with the device, so a GPU still trains its own). A finished study
#                    comes back in figures.tgz. scaling_laws --full is refused: it reads English Wikipedia
#                    from the Hugging Face Hub and the Bible from Debian's bible-kjv, and the device has neither.
#
# WHAT COMES BACK in $OUT (at most 8 files): session.log (every command's output), stages.txt (each stage's
# exit status and seconds, also printed last), RESULTS.md (the device's benchmarks/RESULTS.md after every
# benchmark appended its section), results_new.md (only those new sections), figures.tgz (pack/: the
# word2vec tables, gpu_count_check's summaries, a --full study's output), runs-NAME.jsonl (a resuming
# study's ledger), ledgers.tgz (full-parallel's ledgers).
#
# SMOKE MODE (SMOKE=1, on a machine without a GPU): first every stage's device command line is checked as
# it would run there (benchmarks/_argcheck.py parses the arguments and stops; pytest --collect-only; a
# study's --help), then every stage runs on the CPU at tiny sizes, with the sizes and the device taken from
# the variables set in smoke_sizes below. Stages that need CUDA (count gpu, full-*) are skipped in the
# second pass with the reason printed. The benchmarks' sections go to $OUT/results_new.md (COOC_RESULTS),
# never to benchmarks/RESULTS.md. Every size variable can be overridden from the environment on the device.
set -u
cd "$(dirname "$0")/.."
BUDGET=${1:-540}
SMOKE=${SMOKE:-0}
OUT=${OUT:-.bench/device_session}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PACK="$OUT/pack"
LOG="$OUT/session.log"
mkdir -p "$PACK"
: >"$LOG"
START=$(date +%s)
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "$SMOKE" = 1 ]; then
    export COOC_RESULTS="$OUT/results_new.md"
    rm -f "$COOC_RESULTS"
fi
RESULTS_FILE=${COOC_RESULTS:-benchmarks/RESULTS.md}
RESULTS_START=$(stat -c %s "$RESULTS_FILE" 2>/dev/null || echo 0)
SUMMARY=()

note() { echo "$*" | tee -a "$LOG"; }
left() { echo $((BUDGET - ($(date +%s) - START))); }

# STAGES (a regex alternation of names) picks stages; without it every default stage runs. Opt-in stages
# (w2v step, full-*) run only when named, except in smoke mode, which goes through all of them.
selected() {
    if [ -n "${STAGES:-}" ]; then
        echo "$1" | grep -Eq "^(${STAGES})$"
        return
    fi
    case "$1" in
    "full-${FULL_DEFAULT-next_token}") return 0 ;;
    full-* | "w2v step") [ "$SMOKE" = 1 ] ;;
    *) return 0 ;;
    esac
}

# stage NAME MAX[:MIN] [--cuda] COMMAND...: COMMAND under a timeout of MAX seconds or what is left of the
# budget, whichever is less; skipped when that is under MIN (default 20), the least it can use. An argument
# holding @DEADLINE@ gets the timeout less 25 s there (for scripts with a deadline of their own).
stage() {
    local name=$1 max=${2%%:*} min=20
    [[ $2 == *:* ]] && min=${2#*:}
    shift 2
    local cuda=0
    if [ "${1:-}" = --cuda ]; then
        cuda=1
        shift
    fi
    selected "$name" || return 0
    local label=$name
    if [ "$PASS" = check ]; then
        label="check: $name"
        max=90 min=20
    fi
    if [ "$PASS" = smoke ] && [ "$cuda" = 1 ]; then
        note "== $label: skipped in smoke mode (needs CUDA); its device command line was checked above"
        SUMMARY+=("$label|skipped: needs CUDA|0")
        return 0
    fi
    local t
    t=$(left)
    [ "$t" -gt "$max" ] && t=$max
    if [ "$t" -lt "$min" ]; then
        note "== $label: skipped (${t}s left, it needs at least ${min}s)"
        SUMMARY+=("$label|skipped: ${t}s left < ${min}s|0")
        return 0
    fi
    local args=() a
    for a in "$@"; do args+=("${a//@DEADLINE@/$((t - 25))}"); done
    note "== $label (timeout ${t}s, $(date +%T)): ${args[*]}"
    local t0 rc
    t0=$(date +%s)
    timeout -k 10 "$t" "${args[@]}" >>"$LOG" 2>&1
    rc=$?
    local took=$(($(date +%s) - t0))
    note "== $label: rc=$rc after ${took}s ($(($(date +%s) - START))s into the session)"
    [ "$rc" = 124 ] && note "   (stopped by its timeout)"
    SUMMARY+=("$label|rc=$rc|$took")
}

# The sizes and devices every stage reads. On the device each can be overridden from the environment.
GPU_TESTS_DEFAULT="tests/count/test_accumulate.py tests/count/test_assembly.py tests/count/test_counter.py
    tests/count/test_windows.py tests/geometry/test_analogy.py tests/grammars/test_rhm.py tests/grammars/test_srhm.py
    tests/spectral/test_eigen.py tests/spectral/test_targets.py tests/train/grammar/test_curves.py
    tests/train/grammar/test_latent_network.py tests/train/grammar/test_lm.py tests/train/word2vec/test_estimator.py
    tests/train/word2vec/test_sampling.py tests/train/word2vec/test_step.py tests/train/word2vec/test_step_window.py"
device_sizes() {
    GPU=cuda
    GPU_TESTS=${GPU_TESTS:-$GPU_TESTS_DEFAULT}
    COUNT_TOKENS=${COUNT_TOKENS:-200000000}
    GLOVE_TOKENS=${GLOVE_TOKENS:-20000000}
    W2V_EPOCHS=${W2V_EPOCHS:-5}
    W2V_GPU_REPEAT=${W2V_GPU_REPEAT:-10}
    W2V_GPU_KERNELS=${W2V_GPU_KERNELS:-triton}
    W2V_GPU_BATCHES=${W2V_GPU_BATCHES:-65536,262144,1048576}
    W2V_GPU_GRAPH=${W2V_GPU_GRAPH:-on}
    W2V_GPU_SEEDS=${W2V_GPU_SEEDS:-2}
    W2V_SHARED_BATCHES=${W2V_SHARED_BATCHES:-16384,32768}
    W2V_SHARED_GENSIM=${W2V_SHARED_GENSIM:-0}
    W2V_STEP_ARGS=${W2V_STEP_ARGS:---kernels torch,triton,triton-window --batch-sizes 65536,262144,1048576 --graph both
        --triton-blocks 4x4,8x4,8x8,16x4 --triton-window-blocks 1x4,2x4,4x4,2x8}
    W2V_CPU_THREADS=${W2V_CPU_THREADS:-1,2,4,8,16}
    W2V_CPU_REPEAT=${W2V_CPU_REPEAT:-2}
    W2V_CPU_SEEDS=${W2V_CPU_SEEDS:-1}
    W2V_CPU_KERNELS=${W2V_CPU_KERNELS:-auto}
    W2V_FT_THREADS=${W2V_FT_THREADS:-8,16}
    CPU_HEAD_SCALES=${CPU_HEAD_SCALES:-0.25}
    CPU_THREADS=${CPU_THREADS:-1,4,8,16}
    THREAD_TOKENS=${THREAD_TOKENS:-50000000}
    SCALE_TOKENS=${SCALE_TOKENS:-100e6}
    SCALE_WORKERS=${SCALE_WORKERS:-1 2 4 8 16}
    SCALE_GEN=${SCALE_GEN:-16}
    LM_ARGS=${LM_ARGS:---source rhm:v=32,n_c=32,m=8,s=2,L=8,distinct=false --context 256 --train 8192
        --d-model 512 --heads 8 --layers 8 --batch 64 --steps 600 --eval-every 50 --peak-tflops 989}
    COLLECT=""
    # next_token's language models and varying_tree's transformers, FULL_JOBS at once (one process each)
    FULL_ARGS="--full --jobs ${FULL_JOBS:-6}"
    FULL_PARALLEL_ARGS="--full --jobs ${FULL_PARALLEL_JOBS:-3}"
}
smoke_sizes() {
    GPU=cpu
    COUNT_TOKENS=2000000
    GLOVE_TOKENS=1000000
    W2V_EPOCHS=1
    W2V_GPU_REPEAT=1
    W2V_GPU_KERNELS=auto
    W2V_GPU_BATCHES=4096
    W2V_GPU_GRAPH=auto
    W2V_GPU_SEEDS=1
    W2V_SHARED_BATCHES=512
    W2V_SHARED_GENSIM=1
    W2V_STEP_ARGS="--kernels torch,torch-window --batch-sizes 4096 --vocab 5000 --chunk-tokens 100000 --seconds 0.5 --threads 1"
    W2V_CPU_THREADS=1,2
    W2V_CPU_REPEAT=1
    W2V_CPU_SEEDS=1
    W2V_CPU_KERNELS=auto,hogwild
    W2V_FT_THREADS=2
    CPU_HEAD_SCALES=0.25
    CPU_THREADS=1,2
    THREAD_TOKENS=1000000
    SCALE_TOKENS=2e6
    SCALE_WORKERS="1 2"
    SCALE_GEN=2
    LM_ARGS="--source rhm:v=8,n_c=8,m=2,s=2,L=3 --train 512 --d-model 32 --heads 2 --layers 1 --batch 16 --steps 20
        --eval-every 10 --threads 1"
}

study_prepare() { # study_prepare NAME: its output folder emptied, but for a carried ledger (and on a warm
    # machine the weights and checkpoints beside it); without one, the ledger committed in benchmarks/ledgers
    local name=$1 dir=".bench/device_full/$1"
    find "$dir" -mindepth 1 -maxdepth 1 ! -name runs.jsonl ! -name runs-checkpoints -exec rm -rf {} + 2>/dev/null
    if [ ! -f "$dir/runs.jsonl" ] && [ -f "benchmarks/ledgers/$name.jsonl" ]; then
        mkdir -p "$dir" && cp "benchmarks/ledgers/$name.jsonl" "$dir/runs.jsonl"
    fi
    [ -f "$dir/runs.jsonl" ] && note "== full-$name: resuming from $(wc -l <"$dir/runs.jsonl") recorded runs"
}

study_pack() { # study_pack NAME: a finished study's results, figures and tables into the archive
    local name=$1 dir=".bench/device_full/$1"
    if [ -f "$dir/results.json" ]; then
        mkdir -p "$PACK/full-$name"
        cp "$dir"/*.json "$dir"/*.png "$dir"/*.csv "$PACK/full-$name/" 2>/dev/null
    fi
}

full_study() { # full_study NAME: one study at the papers' size, its output packed
    local name=$1 dir=".bench/device_full/$1"
    if [ "$PASS" != check ] && [ "$name" = scaling_laws ]; then
        if selected "full-$name"; then
            note "== full-$name: refused: --full reads English Wikipedia from the Hugging Face Hub and the Bible" \
                "from Debian's bible-kjv, neither of which the device has"
            SUMMARY+=("full-$name|refused|0")
        fi
        return 0
    fi
    if [ "$PASS" = check ]; then
        stage "full-$name" 60 $PY "analyses/$name.py" --help
        return 0
    fi
    selected "full-$name" || return 0
    [ "$PASS" = device ] && study_prepare "$name"
    stage "full-$name" 570:60 --cuda $PY "analyses/$name.py" $FULL_ARGS --output "$dir"
    # the ledger comes back on its own (a top-level file), finished or not, to be carried by the next call
    [ -f "$dir/runs.jsonl" ] && cp -f "$dir/runs.jsonl" "$OUT/runs-$name.jsonl"
    study_pack "$name"
}

# full-parallel: the studies of FULL_PARALLEL at once, one process each, all under one timeout (what is
# left of the budget, at most 570 s). Their networks are small (next_token's took 2.6-7.4 ms a step on the
# H200, latency-bound), so one study leaves the GPU mostly idle; whether five at once make five times the
# progress has not been measured. Each resumes from its ledger as full-NAME does; the ledgers come back in
# $OUT/ledgers.tgz (NAME.jsonl each: copy them to benchmarks/ledgers/ and commit), each study's output in
# figures.tgz (pack/logs/full-NAME.log, and pack/full-NAME/ when it finished).
full_parallel() {
    selected full-parallel || return 0
    [ "$PASS" = check ] && return 0 # each study's command line is checked by full_study's check pass
    if [ "$PASS" = smoke ]; then
        note "== full-parallel: skipped in smoke mode (needs CUDA)"
        SUMMARY+=("full-parallel|skipped: needs CUDA|0")
        return 0
    fi
    local names=() name t t0 rc
    for name in ${FULL_PARALLEL:-next_token power_law varying_tree rhm_learning}; do
        [ "$name" = scaling_laws ] && { note "== full-parallel: scaling_laws left out (no Hub, no Bible here)"; continue; }
        names+=("$name")
    done
    t=$(left)
    [ "$t" -gt 570 ] && t=570
    if [ "$t" -lt 60 ] || [ ${#names[@]} = 0 ]; then
        note "== full-parallel: skipped (${t}s left, it needs at least 60s; studies: ${names[*]:-none})"
        SUMMARY+=("full-parallel|skipped|0")
        return 0
    fi
    mkdir -p "$PACK/logs"
    note "== full-parallel (timeout ${t}s, $(date +%T)): ${names[*]}, one process each"
    t0=$(date +%s)
    for name in "${names[@]}"; do
        study_prepare "$name"
        (
            timeout -k 10 "$t" $PY "analyses/$name.py" $FULL_PARALLEL_ARGS --output ".bench/device_full/$name" \
                >"$PACK/logs/full-$name.log" 2>&1
            echo "$? $(date +%s)" >"$PACK/logs/full-$name.rc"
        ) &
    done
    wait
    for name in "${names[@]}"; do
        read -r rc t <"$PACK/logs/full-$name.rc"
        note "== full-$name (parallel): rc=$rc after $((t - t0))s$([ "$rc" = 124 ] && echo ' (stopped by its timeout)')"
        SUMMARY+=("full-$name (parallel)|rc=$rc|$((t - t0))")
        study_pack "$name"
    done
    rm -f "$PACK"/logs/*.rc
    mkdir -p "$OUT/ledgers"
    for name in "${names[@]}"; do
        [ -f ".bench/device_full/$name/runs.jsonl" ] && cp ".bench/device_full/$name/runs.jsonl" "$OUT/ledgers/$name.jsonl"
    done
    if [ -n "$(ls -A "$OUT/ledgers")" ]; then
        tar czf "$OUT/ledgers.tgz" -C "$OUT/ledgers" . && note "== ledgers back in ledgers.tgz: $(ls "$OUT/ledgers" | xargs)"
    fi
    rm -rf "$OUT/ledgers"
}

run_stages() {
    if [ "$PASS" = check ]; then RUN="$PY benchmarks/_argcheck.py"; else RUN=$PY; fi
    [ "$PASS" = check ] && COLLECT="--collect-only"
    [ "$PASS" = smoke ] && COLLECT=""
    stage "gpu tests" 100:40 $PY -m pytest -q -p no:cacheprovider -rfEs $COLLECT -m gpu $GPU_TESTS
    mkdir -p "$PACK/count_gpu" "$PACK/count_cpu"
    stage "count gpu" 150:80 --cuda env OUT="$PACK/count_gpu" $RUN benchmarks/gpu_count_check.py --skip A,E3 \
        --tokens "$COUNT_TOKENS" --glove-tokens "$GLOVE_TOKENS" --repeat 3 --deadline @DEADLINE@
    stage "w2v step" 80:30 $RUN benchmarks/word2vec_step.py --device $GPU $W2V_STEP_ARGS \
        --best-triton "$PACK/best_triton_block" --best-triton-window "$PACK/best_triton_window_block" --record
    if [ "$PASS" != check ] && [ -s "$PACK/best_triton_block" ] && [ -z "${COOC_TRITON_BLOCK:-}" ]; then
        export COOC_TRITON_BLOCK
        COOC_TRITON_BLOCK=$(cat "$PACK/best_triton_block")
        note "== Triton block shape for the w2v gpu stage: $COOC_TRITON_BLOCK"
    fi
    if [ "$PASS" != check ] && [ -s "$PACK/best_triton_window_block" ] && [ -z "${COOC_TRITON_WINDOW_BLOCK:-}" ]; then
        export COOC_TRITON_WINDOW_BLOCK
        COOC_TRITON_WINDOW_BLOCK=$(cat "$PACK/best_triton_window_block")
        note "== Triton block shape for the w2v gpu shared stage: $COOC_TRITON_WINDOW_BLOCK"
    fi
    stage "w2v gpu" 110:60 $RUN benchmarks/word2vec.py run --device $GPU --corpora wiki --repeat "$W2V_GPU_REPEAT" \
        --kernels "$W2V_GPU_KERNELS" --batch-sizes "$W2V_GPU_BATCHES" --cuda-graph "$W2V_GPU_GRAPH" \
        --seeds "$W2V_GPU_SEEDS" --gensim-seeds 1 --epochs "$W2V_EPOCHS" --out "$PACK/word2vec" --record
    local ft=""
    [ "$FASTTEXT_OK" = 1 ] && ft="--fasttext --fasttext-threads $W2V_FT_THREADS"
    stage "w2v gpu shared" 80:40 $RUN benchmarks/word2vec.py run --device $GPU --corpora wiki \
        --repeat "$W2V_GPU_REPEAT" --kernels shared --batch-sizes "$W2V_SHARED_BATCHES" --cuda-graph "$W2V_GPU_GRAPH" \
        --seeds "$W2V_GPU_SEEDS" --gensim-seeds "$W2V_SHARED_GENSIM" --epochs "$W2V_EPOCHS" \
        --out "$PACK/word2vec_shared" --record
    stage "w2v cpu threads" 170:70 $RUN benchmarks/word2vec.py run --device cpu --threads "$W2V_CPU_THREADS" \
        --corpora wiki --repeat "$W2V_CPU_REPEAT" --seeds "$W2V_CPU_SEEDS" --epochs "$W2V_EPOCHS" \
        --kernels "$W2V_CPU_KERNELS" $ft --record
    stage "scale" 150:90 $RUN benchmarks/scale.py --source synthetic --tokens "$SCALE_TOKENS" --workers $SCALE_WORKERS \
        --gen-processes "$SCALE_GEN" --skip-dask --results
    # GloVe's rate comes from count gpu's stage C when it ran; otherwise C runs here
    local skip=A,B,E1,E2,E4
    [ "$PASS" != smoke ] && [ -s .bench/gpu-glove-rate.json ] && skip=A,B,C,E1,E2,E4
    stage "count cpu" 160:70 env OUT="$PACK/count_cpu" $RUN benchmarks/gpu_count_check.py --skip "$skip" \
        --tokens "$COUNT_TOKENS" --glove-tokens "$GLOVE_TOKENS" --repeat 1 --cpu-head-scales "$CPU_HEAD_SCALES" \
        --cpu-threads "$CPU_THREADS" --thread-tokens "$THREAD_TOKENS" --deadline @DEADLINE@
    stage "lm" 90:45 $RUN benchmarks/lm.py --device $GPU $LM_ARGS --record
    # last of the speed stages (it only explains scale's figures): where the build's time goes at the most workers: py-spy over every process and thread (its wheel is carried)
    local spy text
    spy=$(command -v py-spy || echo /tmp/site/bin/py-spy)
    text=".bench/scale/text-synthetic-$(printf '%.0f' "$SCALE_TOKENS")-8$([ "$SCALE_GEN" -gt 1 ] && echo -perfile)"
    [ -f "$text/.done" ] || text="" # the scale stage's text (benchmarks/scale.py text_folder), when it was made
    if [ "$PASS" = check ] || { [ -x "$spy" ] && [ -n "$text" ]; }; then
        stage "profile build" 60:30 $RUN benchmarks/profile_build.py "${text:-.bench/scale}" \
            --workers "${SCALE_WORKERS##* }" --py-spy "$spy" --out "$PACK/profile_build.md"
    elif selected "profile build"; then
        note "== profile build: skipped (py-spy: ${spy}; text: ${text:-none})"
        SUMMARY+=("profile build|skipped|0")
    fi
    local study
    for study in next_token rhm_learning srhm power_law varying_tree latent_prediction scaling_laws; do
        full_study "$study"
    done
    full_parallel
}

# -- setup ------------------------------------------------------------------------------------------
note "== setup ($(date '+%F %T'), budget ${BUDGET}s, SMOKE=$SMOKE, STAGES=${STAGES:-default})"
{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv,noheader ||
        echo "no nvidia-smi"
    echo "cores: $(nproc), $($PY --version 2>&1)"
    git log -1 --format='commit %h %s' 2>/dev/null || echo "no git history in this copy"
} 2>&1 | tee -a "$LOG"
for path in .whl .peers/GloVe/src .bench/wiki_sample.txt .bench/word2vec/wiki .bench/word2vec/attributes \
    .bench/word2vec/eval; do
    [ -e "$path" ] || note "missing $path: run benchmarks/device_prepare.sh here and carry it"
done
if [ "$SMOKE" = 1 ]; then
    note "smoke: the carried wheels are for the device's Python 3.12 and are not installed here: $(ls .whl 2>&1 | xargs)"
elif ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        >>"$LOG" 2>&1 || note "wheel install failed (see the log)"
    export PYTHONPATH="$PYTHONPATH:/tmp/site"
else
    note "no .whl folder: gensim is missing, so the word2vec stages show cooc alone"
fi
FASTTEXT_OK=0
if [ -x .whl/fasttext/fasttext ]; then  # Debian's program, carried with its library (device_prepare.sh)
    export PATH="$PWD/.whl/fasttext:$PATH" LD_LIBRARY_PATH="$PWD/.whl/fasttext${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if fasttext 2>&1 | grep -q "usage: fasttext"; then
        FASTTEXT_OK=1
        note "fastText runs here: the w2v cpu threads stage adds it (W2V_FT_THREADS)"
    else
        note "the carried fastText does not run here: $(fasttext 2>&1 | head -1)"
    fi
fi
if [ -d .peers/GloVe/src ] && ! command -v make >/dev/null; then
    # gpu_count_check.py rebuilds GloVe with make where there is one; without it, gcc directly, or the
    # portable binaries device_prepare.sh built
    mkdir -p .peers/GloVe/build
    if command -v gcc >/dev/null; then
        for tool in vocab_count cooccur; do
            gcc -O3 -march=native -funroll-loops -pthread .peers/GloVe/src/$tool.c .peers/GloVe/src/common.c \
                -o .peers/GloVe/build/$tool -lm >>"$LOG" 2>&1 || note "gcc could not build GloVe's $tool"
        done
        note "GloVe built with gcc (no make here)"
    elif [ -d .peers/GloVe/build-portable ]; then
        cp .peers/GloVe/build-portable/* .peers/GloVe/build/
        note "no make, no gcc: GloVe's portable binaries from device_prepare.sh"
    fi
fi
$PY -c "
import importlib
for name in ('torch', 'cupy', 'numba', 'triton', 'gensim', 'scipy', 'numpy'):
    try:
        print(name, importlib.import_module(name).__version__, end='; ')
    except Exception as exc:
        print(name, 'missing', type(exc).__name__, end='; ')
import torch
print('torch sees cuda:', torch.cuda.is_available())
" 2>&1 | tee -a "$LOG"

# -- the stages -------------------------------------------------------------------------------------
if [ "$SMOKE" = 1 ]; then
    device_sizes
    PASS=check
    run_stages
    smoke_sizes
fi
[ "$SMOKE" = 1 ] || device_sizes
PASS=$([ "$SMOKE" = 1 ] && echo smoke || echo device)
run_stages

# -- what comes back ----------------------------------------------------------------------------------
if [ "$SMOKE" != 1 ]; then
    cp -f benchmarks/RESULTS.md "$OUT/RESULTS.md"
    tail -c +$((RESULTS_START + 1)) benchmarks/RESULTS.md >"$OUT/results_new.md"
fi
# The device tool returns at most 8 files, no deeper than 2 folders: pack the rest into one archive.
rmdir "$PACK"/* 2>/dev/null
if [ -n "$(ls -A "$PACK" 2>/dev/null)" ]; then
    tar czf "$OUT/figures.tgz" -C "$OUT" pack && rm -rf "$PACK"
else
    rm -rf "$PACK"
fi
{
    echo "== stages (session ${BUDGET}s budget, $(($(date +%s) - START))s used)"
    for row in "${SUMMARY[@]}"; do
        IFS='|' read -r name status took <<<"$row"
        printf '%-32s %-30s %5ss\n' "$name" "$status" "$took"
    done
    echo "== files in $OUT: $(ls "$OUT" | xargs)"
} | tee "$OUT/stages.txt" | tee -a "$LOG"
