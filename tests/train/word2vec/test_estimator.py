"""Word2Vec end to end on tiny corpora: planted structure, vocabulary, resume, checkpoints, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cooc._core.errors import CorruptFileError, InputDataError, InvalidParameterError, OutputExistsError
from cooc.embedding import Embedding
from cooc.train.word2vec.estimator import Word2Vec, train_word2vec

from ..conftest import _torch_cuda, two_cluster_docs, write_corpus

SMALL = dict(
    dim=12, window=3, negative=3, epochs=2, min_count=1, sample=0.0, batch_size=1024, chunk_tokens=5000, progress=False
)


def _cluster_gap(emb: Embedding, half: int = 10) -> tuple[float, float]:
    """Mean cosine within the two planted clusters and across them."""
    unit = emb.unit_vectors()
    first = np.array([w.startswith("a") for w in emb.index_to_key])
    sims = unit @ unit.T
    off = ~np.eye(len(first), dtype=bool)
    within = sims[(first[:, None] == first[None, :]) & off].mean()
    across = sims[first[:, None] != first[None, :]].mean()
    return within, across


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
def test_planted_clusters_are_learned(cluster_corpus, trainer, sg):
    model = Word2Vec(sg=sg, seed=3, **trainer, **SMALL).fit(cluster_corpus)
    within, across = _cluster_gap(model.embedding_)
    assert within > 0.8 and across < 0.2, (within, across)
    losses = [h["loss"] for h in model.loss_history_]
    assert losses[-1] < losses[0]
    # Words of one cluster never meet the other: the loss floor is the within-cluster entropy.
    assert model.raw_words_ == 2 * cluster_corpus.n_tokens == model.effective_words_


def test_the_default_learning_rates_are_word2vec_cs_and_documented_as_such():
    """0.025 for skip-gram, 0.05 for CBOW: word2vec.c's defaults, not gensim's (0.025 for both)."""
    import inspect

    assert Word2Vec(sg=True).start_alpha == 0.025 and Word2Vec(sg=False).start_alpha == 0.05
    doc = " ".join((Word2Vec.__doc__ or "").split())
    assert "0.05 for CBOW: word2vec.c's defaults; gensim's is 0.025 for both" in doc and "CBOW, as gensim" not in doc
    gensim = pytest.importorskip("gensim")
    assert inspect.signature(gensim.models.Word2Vec.__init__).parameters["alpha"].default == 0.025


def test_embedding_and_vectors(cluster_corpus):
    model = Word2Vec(seed=1, **SMALL).fit(cluster_corpus)
    emb = model.embedding_
    assert isinstance(emb, Embedding) and emb.vectors.shape == (20, 12)
    assert emb.index_to_key == cluster_corpus.vocab.words
    assert emb.vectors.dtype == np.float32
    np.testing.assert_array_equal(emb.vectors, model.input_vectors_)
    summed = model.to_embedding("sum")
    np.testing.assert_allclose(summed.vectors, model.input_vectors_ + model.output_vectors_)
    assert emb.meta["model"] == "word2vec-sg" and emb.meta["provenance"]["params"]["dim"] == 12


def test_same_seed_same_vectors_other_seed_differs(cluster_corpus):
    a = Word2Vec(seed=5, **SMALL).fit(cluster_corpus).input_vectors_
    b = Word2Vec(seed=5, **SMALL).fit(cluster_corpus).input_vectors_
    c = Word2Vec(seed=6, **SMALL).fit(cluster_corpus).input_vectors_
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_threads_bound_torch_operations_too_and_are_restored(cluster_corpus):
    """threads=1 means one thread for torch's CPU operations as well (its OpenMP pool may spin beside a
    busy process); torch's own setting comes back after the fit."""
    import torch

    before = torch.get_num_threads()
    seen = []
    Word2Vec(seed=8, threads=1, **SMALL).fit(
        cluster_corpus, callback=lambda state: seen.append(torch.get_num_threads())
    )
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


def test_a_corpus_given_by_path_is_verified_on_the_trainers_threads(cluster_corpus, verify_threads):
    Word2Vec(seed=8, threads=1, **SMALL).fit(cluster_corpus.path)
    assert verify_threads == [1]


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
def test_cpu_run_is_the_same_on_any_number_of_threads(cluster_corpus, sg):
    """On a CPU the pairs, the negatives and the step run in parallel, yet a run is bitwise the same
    on one thread as on all of them (with subsampling and dynamic windows on)."""
    import numba

    before = numba.get_num_threads()
    params = {**SMALL, "sample": 1e-2, "batch_size": 256}
    runs, seen = [], []
    original = numba.set_num_threads
    with pytest.MonkeyPatch.context() as patch:  # record the counts the trainer asks for
        patch.setattr(numba, "set_num_threads", lambda n: seen.append(n) or original(n))
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            model = Word2Vec(sg=sg, seed=8, threads=threads, kernel="numba", **params).fit(cluster_corpus)
            runs.append((model.input_vectors_, model.output_vectors_, [h["loss"] for h in model.loss_history_]))
    assert 1 in seen and numba.get_num_threads() == before  # the setting was used, then restored
    for W_in, W_out, losses in runs[1:]:
        np.testing.assert_array_equal(W_in, runs[0][0])
        np.testing.assert_array_equal(W_out, runs[0][1])
        assert losses == runs[0][2]


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("kernel", ["numba", "triton"])
def test_fast_and_torch_kernels_train_alike(cluster_corpus, tmp_path, kernel, sg):
    """The compiled and fused kernels take the torch kernel's steps from the same draws: they differ
    by float rounding. (Triton runs in its interpreter here, slowly: it trains on 150 documents.)"""
    corpus = cluster_corpus
    if kernel == "triton":
        pytest.importorskip("triton")
        from cooc.train.word2vec import _step_triton

        if not _step_triton.interpreted():
            pytest.skip("Triton runs on the CPU only in its interpreter (TRITON_INTERPRET=1 before import)")
        corpus = write_corpus(tmp_path / "small", two_cluster_docs(150, 20, 10, seed=1), cluster_corpus.vocab.words)
    runs = [Word2Vec(sg=sg, seed=2, kernel=k, **dict(SMALL, damping=0.5)).fit(corpus) for k in (kernel, "torch")]
    np.testing.assert_allclose(runs[0].input_vectors_, runs[1].input_vectors_, atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(runs[0].output_vectors_, runs[1].output_vectors_, atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(
        [h["loss"] for h in runs[0].loss_history_], [h["loss"] for h in runs[1].loss_history_], rtol=1e-4
    )
    assert runs[0].embedding_.meta["provenance"]["params"]["kernel"] == kernel


@pytest.mark.gpu
@pytest.mark.skipif(not _torch_cuda(), reason="torch sees no CUDA device")
@pytest.mark.parametrize("kernel", ["torch", "triton", "shared"])
def test_cuda_graph_replay_trains_as_the_plain_step(cluster_corpus, kernel):
    """Full batches replayed from the captured graph, the last of each chunk run plainly: same run
    (of pairs, or with "shared" of windows padded to a fixed width)."""
    params = dict(SMALL, device="cuda", seed=4, batch_size=256, damping=0.5, kernel=kernel)
    plain = Word2Vec(**params).fit(cluster_corpus)
    graphed = Word2Vec(cuda_graph=True, **params).fit(cluster_corpus)
    np.testing.assert_allclose(graphed.input_vectors_, plain.input_vectors_, atol=1e-3, rtol=1e-3)
    np.testing.assert_allclose(graphed.output_vectors_, plain.output_vectors_, atol=1e-3, rtol=1e-3)
    np.testing.assert_allclose(
        [h["loss"] for h in graphed.loss_history_], [h["loss"] for h in plain.loss_history_], rtol=1e-3
    )
    within, across = _cluster_gap(graphed.embedding_)
    assert within > 0.8 and across < 0.2


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
def test_negatives_drawn_per_chunk_as_on_a_gpu(cluster_corpus, monkeypatch, sg):
    """On a GPU the trainer draws each chunk's negatives at once and slices them per batch; the
    same path, forced on the CPU, makes one draw per chunk and learns the planted clusters."""
    from cooc.train.word2vec import run as w2v
    from cooc.train.word2vec import sampling

    init, draw = w2v.TrainingRun.__init__, sampling.AliasSampler.draw
    shapes = []

    def per_chunk(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.draw_batches = None

    def counted(self, shape, gen):
        shapes.append(shape)
        return draw(self, shape, gen)

    monkeypatch.setattr(w2v.TrainingRun, "__init__", per_chunk)
    monkeypatch.setattr(sampling.AliasSampler, "draw", counted)
    model = Word2Vec(sg=sg, seed=3, kernel="torch", **SMALL).fit(cluster_corpus)
    assert [s[0] for s in shapes] == [h["examples"] for h in model.loss_history_]  # one draw per chunk
    within, across = _cluster_gap(model.embedding_)
    assert within > 0.8 and across < 0.2, (within, across)


def test_cpu_negatives_are_the_same_drawn_per_batch_or_in_groups(cluster_corpus, monkeypatch):
    """A CPU run draws 64 batches' negatives at once; drawn batch by batch instead, from the same
    splitmix64 stream, they are the same, and so is the whole run, bitwise."""
    from cooc.train.word2vec import run as w2v
    from cooc.train.word2vec import sampling

    init, draw = w2v.TrainingRun.__init__, sampling.AliasSampler.draw
    draws, vectors = {64: [], 1: []}, {}
    for group in draws:

        def grouped(self, *args, _group=group, **kwargs):
            init(self, *args, **kwargs)
            self.draw_batches = _group

        def counted(self, shape, gen, _sizes=draws[group]):
            _sizes.append(shape[0])
            return draw(self, shape, gen)

        monkeypatch.setattr(w2v.TrainingRun, "__init__", grouped)
        monkeypatch.setattr(sampling.AliasSampler, "draw", counted)
        params = {**SMALL, "batch_size": 16, "kernel": "numba"}
        vectors[group] = Word2Vec(seed=5, **params).fit(cluster_corpus).input_vectors_
    assert max(draws[64]) == 64 * 16 and max(draws[1]) == 16 and sum(draws[64]) == sum(draws[1])
    np.testing.assert_array_equal(vectors[64], vectors[1])


def test_vocabulary_min_count_and_oov_are_dropped_before_windowing(tmp_path):
    # ids 0,1 frequent; id 2 rare (below min_count); id 3 is the OOV id.
    words = ["x", "y", "rare"]
    doc = np.array([0, 3, 1, 2, 0, 3, 3, 1] * 50)
    corpus = write_corpus(tmp_path / "c", [doc], words, oov=True)
    model = Word2Vec(
        dim=4,
        window=1,
        negative=1,
        epochs=1,
        min_count=60,
        sample=0.0,
        dynamic_window=False,
        batch_size=64,
        progress=False,
    ).fit(corpus)
    assert model.index_to_key_ == ["x", "y"]
    np.testing.assert_array_equal(model.counts_, [100, 100])
    # x y x y ... once the rare word and the OOV tokens are gone: 200 tokens, 2 * 199 window-1 pairs,
    # although x and y are never adjacent in the corpus itself.
    assert model.effective_words_ == 200
    assert model.loss_history_[0]["examples"] == 398
    assert model.loss_history_[0]["words"] == doc.size


def test_a_run_with_no_training_pair_is_an_error_not_a_loss_of_zero(tmp_path):
    """One-word documents (or a subsampling that keeps no two words of a document) give no pair: the loss
    history said 0.0, a perfect fit, of vectors still at their random start."""
    words = ["x", "y", "z"]
    one_word = write_corpus(tmp_path / "one", [np.array([i % 3]) for i in range(300)], words)
    kw = dict(dim=4, epochs=2, min_count=1, progress=False, threads=1)
    with pytest.raises(InputDataError, match=r"word2vec trained on no \(word, context\) pair"):
        Word2Vec(**kw, sample=0.0).fit(one_word)
    mixed = write_corpus(tmp_path / "mixed", [np.array([0]), np.array([0, 1, 2, 1] * 20)], words)
    history = Word2Vec(**kw, sample=0.0, batch_size=64).fit(mixed).loss_history_
    assert all(h["examples"] > 0 and np.isfinite(h["loss"]) for h in history)


def test_a_min_alpha_above_alpha_is_refused_before_training(cluster_corpus):
    # the rate decays linearly from alpha to min_alpha: above it, it grew over the run without a word
    for kw, start in ((dict(alpha=0.01, min_alpha=0.5), 0.01), (dict(sg=False, min_alpha=0.06), 0.05)):
        with pytest.raises(InvalidParameterError, match=rf"'min_alpha' must be at most alpha = {start}"):
            Word2Vec(dim=4, epochs=1, progress=False, **kw).fit(cluster_corpus)


def test_numpy_integer_settings_train_as_ints(cluster_corpus):
    # a sweep over np.arange(...) passes NumPy integers: they passed the checks, then failed to write the settings
    kw = dict(epochs=1, progress=False, threads=1)
    a = Word2Vec(dim=np.int64(4), window=np.int64(2), seed=np.int64(1), **kw).fit(cluster_corpus)
    b = Word2Vec(dim=4, window=2, seed=1, **kw).fit(cluster_corpus)
    np.testing.assert_array_equal(a.input_vectors_, b.input_vectors_)


def test_subsampling_keeps_expected_fraction(tmp_path):
    rng = np.random.default_rng(0)
    words = ["common", "w1", "w2", "w3"]
    doc = np.where(rng.random(20_000) < 0.7, 0, rng.integers(1, 4, 20_000))
    corpus = write_corpus(tmp_path / "c", [doc], words)
    from cooc.train.word2vec.sampling import keep_probabilities

    counts = np.bincount(doc, minlength=4)
    expected = (counts * keep_probabilities(counts, 1e-2)).sum()
    model = Word2Vec(dim=4, epochs=1, min_count=1, sample=1e-2, batch_size=4096, progress=False).fit(corpus)
    assert abs(model.effective_words_ - expected) < 5 * np.sqrt(expected)


def test_resume_equals_uninterrupted_run(cluster_corpus, tmp_path, trainer):
    """Bitwise on CPU; on CUDA index_add_ sums in a nondeterministic order, so only to rounding."""
    tdevice = trainer["device"]
    params = dict(SMALL, epochs=3, seed=11, checkpoint_every=0.0, **trainer)
    full = Word2Vec(**params).fit(cluster_corpus)

    class Stop(Exception):
        pass

    def stop_after_five(progress):
        if progress["epoch"] == 1 and progress["chunk"] == 1:
            raise Stop

    ckpt = tmp_path / "ckpt"
    with pytest.raises(Stop):
        Word2Vec(**params).fit(cluster_corpus, checkpoint=ckpt, callback=stop_after_five)
    state = json.loads((ckpt / "state.json").read_text())
    assert (state["epoch"], state["chunk"], state["finished"]) == (1, 2, False)
    resumed = Word2Vec(**params).fit(cluster_corpus, checkpoint=ckpt)
    same = (
        np.testing.assert_array_equal
        if tdevice == "cpu"
        else (lambda a, b: np.testing.assert_allclose(a, b, atol=1e-3, rtol=1e-3))
    )
    same(resumed.input_vectors_, full.input_vectors_)
    same(resumed.output_vectors_, full.output_vectors_)
    same([h["loss"] for h in resumed.loss_history_], [h["loss"] for h in full.loss_history_])
    assert [h["examples"] for h in resumed.loss_history_] == [h["examples"] for h in full.loss_history_]
    assert resumed.raw_words_ == full.raw_words_
    assert full.start_words_ == 0 and 0 < resumed.start_words_ == state["raw_words"] < full.raw_words_
    assert resumed.words_per_second_ > 0
    # A finished checkpoint is reloaded, not retrained.
    again = Word2Vec(**params).fit(cluster_corpus, checkpoint=ckpt, callback=stop_after_five)
    np.testing.assert_array_equal(again.input_vectors_, resumed.input_vectors_)
    assert again.start_words_ == again.raw_words_ and math.isnan(again.words_per_second_)  # nothing trained: no speed


def test_a_run_stopped_after_its_last_chunk_resumes_with_nothing_to_train(cluster_corpus, tmp_path):
    params = dict(SMALL, epochs=2, seed=3, checkpoint_every=0.0)
    full = Word2Vec(**params).fit(cluster_corpus)
    last = (full.loss_history_[-1]["epoch"], full.loss_history_[-1]["chunk"])

    class Stop(Exception):
        pass

    def stop_at_the_end(progress):
        if (progress["epoch"], progress["chunk"]) == last:
            raise Stop

    with pytest.raises(Stop):
        Word2Vec(**params).fit(cluster_corpus, checkpoint=tmp_path / "ckpt", callback=stop_at_the_end)
    resumed = Word2Vec(**params).fit(cluster_corpus, checkpoint=tmp_path / "ckpt")
    np.testing.assert_array_equal(resumed.input_vectors_, full.input_vectors_)
    assert resumed.start_words_ == resumed.raw_words_ == full.raw_words_
    assert math.isnan(resumed.words_per_second_)  # no words trained in this call: no speed, not 0 words/s


@pytest.mark.parametrize("sg", [True, False])
def test_a_diverging_run_is_an_error_and_saves_nothing_from_it(cluster_corpus, tmp_path, sg):
    """The hogwild kernels (the CPU default) take word2vec.c's undamped steps: a huge alpha overflows.
    (The batched kernels bound each row's step by its curvature and do not diverge.)"""
    from cooc._core.errors import TrainingDivergedError
    from cooc.train.word2vec.estimator import train_word2vec

    params = {k: v for k, v in SMALL.items() if k != "batch_size"}
    params.update(alpha=1e4, sg=sg, kernel="hogwild", checkpoint_every=0.0)
    with pytest.raises(TrainingDivergedError, match=r"word2vec diverged: the loss of epoch 1, chunk 0 is (nan|inf)"):
        Word2Vec(**params).fit(cluster_corpus, checkpoint=tmp_path / "ckpt")
    assert not (tmp_path / "ckpt" / "state.json").exists()  # the NaN vectors were never checkpointed
    with pytest.raises(TrainingDivergedError, match=r"lower the learning rate \(alpha = 10000.0\)"):
        train_word2vec(cluster_corpus.path, tmp_path / "emb", **params)
    assert not (tmp_path / "emb.npz").exists()
    assert np.isfinite(Word2Vec(**dict(params, alpha=0.025)).fit(cluster_corpus).input_vectors_).all()


def test_checkpoint_of_other_settings_or_damaged_is_refused(cluster_corpus, tmp_path):
    ckpt = tmp_path / "ckpt"
    Word2Vec(**SMALL).fit(cluster_corpus, checkpoint=ckpt)
    with pytest.raises(OutputExistsError, match="dim"):
        Word2Vec(**dict(SMALL, dim=8)).fit(cluster_corpus, checkpoint=ckpt)
    data = (ckpt / "arrays.npz").read_bytes()
    (ckpt / "arrays.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="does not match"):
        Word2Vec(**SMALL).fit(cluster_corpus, checkpoint=ckpt)


def test_train_word2vec_saves_and_resumes(cluster_corpus, tmp_path):
    out = tmp_path / "emb"
    emb = train_word2vec(cluster_corpus.path, out, **SMALL)
    loaded = Embedding.load(out)
    np.testing.assert_array_equal(loaded.vectors, emb.vectors)
    assert not (tmp_path / "emb.checkpoint").exists()  # removed once the embedding is written
    assert loaded.meta["corpus_id"] == cluster_corpus.identity


def test_triton_kernel_on_a_cpu_needs_the_interpreter(monkeypatch):
    pytest.importorskip("triton")
    import torch

    from cooc.train.word2vec import _step_triton
    from cooc.train.word2vec.kernels import resolve_kernel

    assert resolve_kernel("triton", torch.device("cuda")) == "triton"
    monkeypatch.setattr(_step_triton, "interpreted", lambda: False)
    with pytest.raises(InvalidParameterError, match="kernel='triton' runs on a CUDA device"):
        resolve_kernel("triton", torch.device("cpu"))
    W = torch.zeros((4, 3))
    ids = torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ValueError, match="runs on CUDA tensors"):
        _step_triton.sgns_step(W, W.clone(), ids, ids, ids[:, None], 0.1)


def test_gpu_defaults_are_the_triton_step_replayed_from_a_graph(monkeypatch, cluster_corpus):
    """On CUDA, 'auto' is the fused Triton step (the torch step where triton does not import), and
    skip-gram replays full batches from a CUDA graph unless told not to; nothing changes on a CPU."""
    import importlib.util
    import sys

    import torch

    import cooc.train.word2vec
    from cooc.train.word2vec.estimator import _resolve_graph
    from cooc.train.word2vec.kernels import resolve_kernel

    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))  # older than Triton supports
    assert resolve_kernel("auto", cuda) == "torch"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    assert resolve_kernel("auto", cuda) == ("triton" if importlib.util.find_spec("triton") else "torch")
    monkeypatch.delattr(cooc.train.word2vec, "_step_triton", raising=False)
    monkeypatch.setitem(sys.modules, "cooc.train.word2vec._step_triton", None)  # an import of it now fails
    assert resolve_kernel("auto", cuda) == "torch"
    assert resolve_kernel("torch", cuda) == "torch"
    assert _resolve_graph(None, True, cuda) is True and _resolve_graph(None, False, cuda) is False
    assert _resolve_graph(False, True, cuda) is False and _resolve_graph(None, True, cpu) is False
    with pytest.raises(InvalidParameterError, match="not CBOW"):
        _resolve_graph(True, False, cuda)
    model = Word2Vec(**SMALL).fit(cluster_corpus)
    assert model.kernel_ == "numba" and model.cuda_graph_ is False  # SMALL sets a batch size
    assert model.embedding_.meta["provenance"]["params"]["cuda_graph"] is False


def test_bad_parameters_and_inputs(cluster_corpus, tmp_path):
    with pytest.raises(InvalidParameterError, match="'kernel' must be one of"):
        Word2Vec(kernel="cuda").fit(cluster_corpus)
    import torch

    from cooc.train.word2vec.kernels import resolve_kernel

    with pytest.raises(InvalidParameterError, match="CPU only"):
        resolve_kernel("numba", torch.device("cuda"))
    with pytest.raises(InvalidParameterError, match="cuda_graph=True is for skip-gram on a CUDA device"):
        Word2Vec(cuda_graph=True, **SMALL).fit(cluster_corpus)
    assert resolve_kernel("auto", torch.device("cpu")) == "shared"
    with pytest.raises(InvalidParameterError, match="'dim' must be an integer in \\[1, inf\\), got 0"):
        Word2Vec(dim=0).fit(cluster_corpus)
    with pytest.raises(InvalidParameterError, match="vectors"):
        Word2Vec(vectors="output").fit(cluster_corpus)
    with pytest.raises(InvalidParameterError, match="device"):
        Word2Vec(device="tpu", progress=False).fit(cluster_corpus)
    with pytest.raises(InputDataError, match="min_count"):
        Word2Vec(min_count=10**6, progress=False).fit(cluster_corpus)
    with pytest.raises(CorruptFileError):
        Word2Vec().fit(tmp_path / "missing")


def test_fit_transform_gives_the_vectors_and_fit_accepts_y(cluster_corpus):
    model = Word2Vec(seed=1, **SMALL)
    vectors = model.fit_transform(cluster_corpus)
    assert isinstance(vectors, np.ndarray) and vectors.shape == (len(model.index_to_key_), SMALL["dim"])
    np.testing.assert_array_equal(vectors, model.embedding_.vectors)
    np.testing.assert_array_equal(model.transform(["a1", "b2"]), model.embedding_[["a1", "b2"]])
    assert Word2Vec(seed=1, **SMALL).fit(cluster_corpus, None).input_vectors_.shape == vectors.shape
