"""populated_zeros: the pipeline's big scratch arrays, mapped up front."""

from __future__ import annotations

import mmap

import numpy as np

from editor.core.memory import populated_zeros


def test_large_arrays_are_zeroed_writable_and_mapped_by_the_kernel():
    a = populated_zeros((5, 1024, 1024, 4), np.float32)                # 80 MB
    assert a.shape == (5, 1024, 1024, 4) and a.dtype == np.float32
    assert a.flags.writeable and a.flags.c_contiguous and not a.any()
    if hasattr(mmap, "MAP_POPULATE"):
        owner = a
        while owner is not None and not isinstance(owner, mmap.mmap):   # array -> array -> memoryview -> mmap
            owner = getattr(owner, "base", None) if not isinstance(owner, memoryview) else owner.obj
        assert isinstance(owner, mmap.mmap)
    a[4, 1023, 1023, 3] = 7.0
    assert a.sum() == 7.0


def test_small_arrays_are_plain_numpy():
    a = populated_zeros((10, 10), np.uint8)
    assert a.shape == (10, 10) and a.dtype == np.uint8 and not a.any() and a.base is None
