"""Fixtures of the trainer tests: torch devices (one test body on CPU and, where torch sees one, CUDA)
and tiny corpora written with CorpusWriter."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny tensors: torch's thread pool only adds contention on a shared 2-core machine. Set for each test:
    numba's parallel code (run by other tests in this process, in whatever order they came) sets OpenMP's
    thread count, which torch shares, and a run trained here must match one trained in a one-thread process."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _torch_cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


@pytest.fixture(
    params=[
        pytest.param("cpu", id="torch-cpu"),
        pytest.param(
            "cuda",
            id="torch-cuda",
            marks=[pytest.mark.gpu, pytest.mark.skipif(not _torch_cuda(), reason="torch sees no CUDA device")],
        ),
    ]
)
def tdevice(request) -> str:
    """``"cpu"`` and, where torch sees a GPU, ``"cuda"``."""
    return request.param


@pytest.fixture(
    params=[
        pytest.param(("cpu", "numba"), id="numba-cpu"),
        pytest.param(("cpu", "torch"), id="torch-cpu"),
        pytest.param(("cpu", "shared"), id="shared-batches-cpu"),  # with a batch size: windows, torch step
        pytest.param(
            ("cuda", "torch"),
            id="torch-cuda",
            marks=[pytest.mark.gpu, pytest.mark.skipif(not _torch_cuda(), reason="torch sees no CUDA device")],
        ),
        pytest.param(
            ("cuda", "triton"),
            id="triton-cuda",
            marks=[pytest.mark.gpu, pytest.mark.skipif(not _torch_cuda(), reason="torch sees no CUDA device")],
        ),
        pytest.param(
            ("cuda", "shared"),
            id="shared-cuda",
            marks=[pytest.mark.gpu, pytest.mark.skipif(not _torch_cuda(), reason="torch sees no CUDA device")],
        ),
    ]
)
def trainer(request) -> dict:
    """Word2Vec's ``device`` and ``kernel``: the compiled CPU step, the torch step on the CPU (the
    GPU's code), skip-gram by batches of windows that share their negatives (``"shared"`` with the
    tests' batch size), and the torch, fused Triton and window steps on a GPU where there is one (Triton's
    interpreter is too slow for these runs; tests/train/word2vec/test_estimator.py holds it to the torch
    step on a smaller corpus)."""
    device, kernel = request.param
    return {"device": device, "kernel": kernel}


def write_corpus(path, docs: list[np.ndarray], words: list[str], oov: bool = False):
    """A TokenCorpus of the given documents (ids; ``len(words)`` is the OOV id when ``oov``)."""
    from cooc.corpus.store import CorpusWriter
    from cooc.corpus.vocab import Vocabulary

    tokens = np.concatenate(docs).astype(np.int32)
    offsets = np.r_[0, np.cumsum([len(d) for d in docs])]
    counts = np.bincount(tokens, minlength=len(words) + 1)[: len(words)]
    writer = CorpusWriter(
        path, Vocabulary(words, counts), source={"kind": "test"}, overwrite=True, oov_id=len(words) if oov else None
    )
    writer.add_documents(tokens, offsets)
    return writer.close()


def two_cluster_docs(n_docs: int, doc_len: int, half: int, seed: int) -> list[np.ndarray]:
    """Documents whose words all come from one of two disjoint halves of the vocabulary."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, half, size=doc_len) + half * rng.integers(2) for _ in range(n_docs)]


@pytest.fixture
def cluster_corpus(tmp_path):
    """1,000 documents of 20 words, each from one of two clusters of 10 words."""
    words = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]
    return write_corpus(tmp_path / "clusters", two_cluster_docs(1000, 20, 10, seed=1), words)
