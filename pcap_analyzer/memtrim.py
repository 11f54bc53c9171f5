"""Give memory that was freed back to the operating system between the phases of an analysis.

Freeing a Python object or an Arrow buffer returns its memory to the allocator, not to the system. glibc's malloc
gives back only the free memory at the top of its heap: what the flows still open held (their payload, kilobytes
each, freed as they are compacted) stays in the process, scattered between live blocks, and every later phase (the
flow store's batches, the next group of hosts made into Flow objects) comes on top of it. ``release`` asks glibc to
return every whole free page (``malloc_trim(0)``: a walk of the free lists, milliseconds) and Arrow's memory pool its
unused memory. Where there is no glibc (macOS, musl) only the pool is asked.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def release() -> None:
    """Return the heap's free pages and the Arrow pool's unused memory to the operating system (a run that never
    imported pyarrow has no Arrow pool)."""
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)
