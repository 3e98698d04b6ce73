"""A software prefetch for numba kernels that visit rows of a matrix in an order known ahead.

word2vec's compiled step reads rows of (V, d) weight matrices in random order, so much of its
time is spent waiting for memory; asking for the rows a few examples ahead overlaps those
waits. A prefetch is only a hint: it never changes a result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# The intrinsic's name carries its pointer type: opaque "p0" from LLVM 17 on, typed "p0i8" before.
_NAME = "llvm.prefetch.p0" if llvm.llvm_version_info[0] >= 17 else "llvm.prefetch.p0i8"
_LINE = 64  # bytes per cache line


def _prefetch_row(typingctx, matrix, row):
    """Prefetch every cache line of ``matrix[row]`` (a C-contiguous 2-D array) for reading, into all
    cache levels."""
    if (
        not isinstance(matrix, types.Array)
        or matrix.ndim != 2
        or matrix.layout != "C"
        or not isinstance(row, types.Integer)
    ):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        zero = context.get_constant(types.intp, 0)
        start = builder.bitcast(
            cgutils.get_item_pointer(context, builder, array_type, array, [args[1], zero]), ir.IntType(8).as_pointer()
        )
        width = context.get_constant(types.intp, array_type.dtype.bitwidth // 8)
        n_bytes = builder.mul(builder.extract_value(array.shape, 1), width)
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer(), i32, i32, i32]), _NAME
        )
        # llvm.prefetch(address, rw = 0 (read), locality = 3 (keep in all levels), cache = 1 (data))
        with cgutils.for_range_slice(builder, zero, n_bytes, context.get_constant(types.intp, _LINE)) as (offset, _):
            builder.call(fn, [builder.gep(start, [offset]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(matrix, row), codegen


# Called as prefetch_row(matrix, row) inside compiled code; the cast tells type checkers so.
prefetch_row = cast("Callable[[Any, Any], None]", intrinsic(_prefetch_row))
