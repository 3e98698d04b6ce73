"""The CUDA kernels' source, checked without a GPU.

* ``nvcc`` compiles it for sm_80/sm_90 (where nvcc is installed), catching CUDA errors.
* A C++ emulation of the launch model runs the *same source* on the CPU — each block's
  threads as OS threads with real atomics and a real barrier for ``__syncthreads`` — and
  :class:`~cooc.count.cuda.KernelEngine` is driven through it with numpy arrays, so its
  tail-overflow re-runs and the tiled kernel are compared with the vectorised engine.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp

from cooc.count.accumulate import HeadLayout, RunStore
from cooc.count.cuda import SOURCE, KernelEngine, _Int32
from cooc.count.engines import Plan, VectorizedEngine
from cooc.count.windows import integer_weights, prepare_chunk

SHIM = r"""
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>
struct emu_dim3 { long long x, y, z; };
static thread_local emu_dim3 threadIdx;
static emu_dim3 blockIdx, blockDim, gridDim;
static std::barrier<>* emu_barrier;
static unsigned int emu_shared[1 << 14];
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __syncthreads() emu_barrier->arrive_and_wait()
#define COOC_SHARED_TILE unsigned int* tile = emu_shared
static unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
static unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
"""

LAUNCH = r"""
template <class F> static void emu_launch(int grid, int block, F f) {
    gridDim = {grid, 1, 1}; blockDim = {block, 1, 1};
    for (int bx = 0; bx < grid; ++bx) {
        blockIdx = {bx, 0, 0};
        std::barrier<> bar(block);
        emu_barrier = &bar;
        std::vector<std::thread> threads;
        for (int tx = 0; tx < block; ++tx) threads.emplace_back([=] { threadIdx = {tx, 0, 0}; f(); });
        for (auto& t : threads) t.join();
    }
}
extern "C" void launch_plain(int grid, int block, const int* ids, const int* rem, i64 begin, i64 end, i64 V,
        int window, int per_offset, int head_on, int tail_on, const i64* weights, const i64* row_start,
        const i64* row_len, i64 cells, u64* head, i64* tail, u64* tail_count, i64 tail_cap) {
    emu_launch(grid, block, [=] { cooc_count_plain(ids, rem, begin, end, V, window, per_offset, head_on, tail_on,
        weights, row_start, row_len, cells, head, tail, tail_count, tail_cap); });
}
extern "C" void launch_tiled(int grid, int block, const int* ids, const int* rem, i64 begin, i64 end, i64 V,
        int window, const i64* weights, const i64* row_start, const i64* row_len, u64* head, i64* tail,
        u64* tail_count, i64 tail_cap, int tile_n, i64 per_block) {
    emu_launch(grid, block, [=] { cooc_count_tiled(ids, rem, begin, end, V, window, weights, row_start, row_len,
        head, tail, tail_count, tail_cap, tile_n, per_block); });
}
"""


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    work = tmp_path_factory.mktemp("cuda_emu")
    (work / "emu.cpp").write_text(SHIM + SOURCE + LAUNCH)
    lib = work / "emu.so"
    done = subprocess.run(
        ["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-o", str(lib), str(work / "emu.cpp")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return ctypes.CDLL(str(lib))


class EmulatedKernels:
    """The launcher interface of CupyKernels, running the emulated kernels on numpy arrays."""

    sm_count = 2

    def __init__(self, lib, block=32):
        self.lib, self.block = lib, block

    @staticmethod
    def _c(args):
        out = []
        for a in args:
            if isinstance(a, np.ndarray):
                out.append(ctypes.c_void_p(a.ctypes.data))
            elif isinstance(a, _Int32):
                out.append(ctypes.c_int(int(a)))
            else:
                out.append(ctypes.c_longlong(int(a)))
        return out

    def plain(self, grid, block, args):
        self.lib.launch_plain(ctypes.c_int(min(grid, 3)), ctypes.c_int(self.block), *self._c(args))

    def tiled(self, grid, block, shared, args):
        assert shared <= 4 * (1 << 14)
        self.lib.launch_tiled(ctypes.c_int(grid), ctypes.c_int(self.block), *self._c(args))


def _plan(V, window, weighting, per_offset, cells, tail_batch):
    ints, _ = integer_weights(window, weighting)
    return Plan(V, window, ints, per_offset, HeadLayout.fit(V, cells), 1 << 20, tail_batch)


def _run(engine, chunks):
    for ch in chunks:
        engine.add(ch)
    store = engine.store
    keys, values = engine.head_run()
    store.runs.append((keys, values))
    parts = list(store.iter_merged(np.array([0, engine.plan.planes * engine.plan.vocab_size**2])))
    return parts[0]


def _chunks(rng, V, window, oov):
    out = []
    for _ in range(3):
        n = int(rng.integers(50, 400))
        tokens = rng.integers(0, V + 3, n).astype(np.int32)
        starts = np.unique(rng.integers(0, n, 6))
        out.append(prepare_chunk(np, tokens, starts, V, window, oov, None, False, False)[0])
    return out


@pytest.mark.parametrize("per_offset", [False, True])
@pytest.mark.parametrize("tile_n", [0, 8])
@pytest.mark.parametrize("tail_batch", [10_000, 24])
def test_kernels_match_vectorized_engine(emulated, rng, per_offset, tile_n, tail_batch):
    V, window = 40, 5
    chunks = _chunks(rng, V, window, "gap" if tile_n else "drop")
    plan = _plan(V, window, "harmonic", per_offset, cells=300, tail_batch=tail_batch)
    ref = _run(VectorizedEngine(np, plan, RunStore(1 << 30)), chunks)
    eng = KernelEngine(plan, RunStore(1 << 30), xp=np, kernels=EmulatedKernels(emulated), tile_n=tile_n)
    assert eng.tile_n == (0 if per_offset else tile_n)
    got = _run(eng, chunks)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])
    if tail_batch == 24:
        assert eng.reruns > 0  # the tail buffer overflowed and was re-run in halves


def test_tile_cannot_overflow_32_bits():
    plan = _plan(100, 20, "harmonic", False, cells=5000, tail_batch=100)
    eng = KernelEngine(plan, RunStore(1 << 20), xp=np, kernels=object(), tile_n=64)
    # lcm(1..20) = 232792560: not even one window fits a 32-bit cell safely, so no tile
    assert eng.tile_n == 0
    plan = _plan(100, 16, "harmonic", False, cells=5000, tail_batch=100)
    eng = KernelEngine(plan, RunStore(1 << 20), xp=np, kernels=object(), tile_n=64)
    assert eng.tile_n > 0 and eng.per_block * 16 * 720720 < 2**32
    plan = _plan(100, 10, "harmonic", False, cells=5000, tail_batch=100)
    eng = KernelEngine(plan, RunStore(1 << 20), xp=np, kernels=object(), tile_n=64)
    assert eng.per_block * 10 * 2520 < 2**32 and eng.tile_n > 0
    assert all(plan.layout.row_len[a] >= eng.tile_n for a in range(eng.tile_n))


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not installed")
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_source_compiles_with_nvcc(tmp_path, arch):
    (tmp_path / "k.cu").write_text(SOURCE)
    done = subprocess.run(
        ["nvcc", f"-arch={arch}", "--ptx", "-o", str(tmp_path / "k.ptx"), str(tmp_path / "k.cu")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    ptx = (tmp_path / "k.ptx").read_text()
    assert "cooc_count_plain" in ptx and "cooc_count_tiled" in ptx


def test_full_head_is_symmetrised_and_extracted_on_the_device(emulated, rng):
    """V x V head: nothing reaches the tail; F + F^T is formed in place block by block."""
    from cooc.count.assemble import symmetrize_dense
    from cooc.count.result import plus_transpose

    V, window = 13, 3
    chunks = _chunks(rng, V, window, "drop")
    for per_offset in (False, True):
        plan = _plan(V, window, "linear", per_offset, cells=V * V, tail_batch=64)
        eng = KernelEngine(plan, RunStore(1 << 20), xp=np, kernels=EmulatedKernels(emulated), tile_n=8)
        ref = VectorizedEngine(np, plan, RunStore(1 << 20))
        for ch in chunks:
            eng.add(ch)
            ref.add(ch)
        assert eng.full_head and not eng.store.runs
        planes = eng.dense_planes(symmetrize=True)
        for p, got in enumerate(planes):
            forward = ref.head[p * V * V : (p + 1) * V * V].reshape(V, V)
            np.testing.assert_array_equal(got.toarray(), forward + forward.T)
            np.testing.assert_array_equal(got.toarray(), plus_transpose(sp.csr_matrix(forward)).toarray())
    m = rng.integers(0, 5, (10, 10))
    expected = m + m.T
    symmetrize_dense(np, m, block=3)
    np.testing.assert_array_equal(m, expected)


def test_dense_to_csr_handles_empty_blocks():
    from cooc.count.assemble import dense_to_csr

    m = np.zeros((5, 5), dtype=np.int64)
    got = dense_to_csr(np, m, block_cells=10)
    assert got.nnz == 0 and got.indptr.tolist() == [0] * 6
    m[2, 3], m[4, 0] = 4, 1
    got = dense_to_csr(np, m, block_cells=10)
    np.testing.assert_array_equal(got.toarray(), m)
