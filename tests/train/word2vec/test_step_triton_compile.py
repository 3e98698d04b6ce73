"""The fused Triton steps (by pairs and by windows) compile for an H100 (sm_90) on this machine, GPU or not.

The other tests run the Triton kernels in Triton's interpreter, which executes them with numpy
and does not type-check them as the compiler does (loop-carried values, block shapes). Triton
compiles ahead of time without a device: its front end, LLVM and the ptxas it ships run on the
CPU. This test compiles both kernels for every configuration the trainer launches and reads
the machine code's resource use (cuobjdump, also shipped with Triton): the code must build and
must not spill registers to local memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Run in a fresh interpreter: this test session imported triton in interpreter mode (tests/conftest.py).
_COMPILE = r"""
import json, os, subprocess, tempfile
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from cooc.train.word2vec import _step_triton as m, _step_triton_window as w

cuobjdump = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "cuobjdump")
report = []


def build(module, floats, ints, const, label):
    # both kernels of a step, compiled for sm_90 with the trainer's warps; their resource use
    pointers = {**dict.fromkeys(floats, "*fp32"), **dict.fromkeys(ints, "*i64")}
    scalars = {module._score: {"loss_part": "*fp32", "n_ex": "i32", "d": "i32"},
               module._apply: {"lr_ptr": "*fp32", "damping": "fp32", "n_ex": "i32", "d": "i32"}}
    for fn, extra in scalars.items():
        signature = {**pointers, **extra, **dict.fromkeys(const, "constexpr")}
        src = ASTSource(fn=fn, signature=signature,
                        constexprs={(fn.arg_names.index(k),): v for k, v in const.items()})
        kernel = triton.compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": module.NUM_WARPS})
        with tempfile.NamedTemporaryFile("wb", suffix=".cubin", delete=False) as fh:
            fh.write(kernel.asm["cubin"])
        usage = subprocess.run([cuobjdump, "-res-usage", fh.name], capture_output=True, text=True).stdout
        os.unlink(fh.name)
        report.append({"kernel": fn.__name__, "step": label, "damped": const["DAMPED"],
                       "cubin": len(kernel.asm["cubin"]), "usage": usage})


for damped in (True, False):
    for sg, max_ctx in ((True, 1), (False, 10)):
        build(m, ["W_in", "W_out", "h", "gh", "g", "T_in", "T_out"], ["ctx", "ptr", "out_idx"],
              {"K1": 6, "MAX_CTX": max_ctx, "SKIPGRAM": sg, "DAMPED": damped, "BLOCK_M": m.BLOCK_M, "BLOCK_D": 128},
              "skip-gram" if sg else "cbow")
    build(w, ["W_in", "W_out", "in_grad", "out_grad", "T_in", "T_out"], ["ctx", "out_idx"],
          {"K1": 6, "K1P": 8, "C": 10, "DAMPED": damped, "BLOCK_M": w.BLOCK_M, "BLOCK_D": 128}, "windows")
print(json.dumps(report))
"""


def test_triton_step_compiles_for_sm90_without_spills():
    pytest.importorskip("triton")
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    out = subprocess.run([sys.executable, "-c", _COMPILE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(report) == 12 and {e["step"] for e in report} == {"skip-gram", "cbow", "windows"}
    for entry in report:
        usage = entry["usage"]  # e.g. "Function _score: REG:236 STACK:0 SHARED:1024 LOCAL:0 ..."
        assert entry["cubin"] > 0 and f"Function {entry['kernel']}:" in usage, entry
        assert " STACK:0 " in usage and " LOCAL:0 " in usage, entry
