"""Hand freed heap memory back to the operating system between pipeline stages.

glibc keeps memory freed by numpy and Python in its heaps (one arena per thread that ever
allocated) for reuse; after a stage with large temporaries that memory stays resident although
nothing uses it, and the next stage's peak stacks on top of it. ``malloc_trim`` returns it.
Elsewhere (macOS, musl, Windows) this is a no-op: those allocators return memory differently.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable

__all__ = ["release_free_memory"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def release_free_memory() -> bool:
    """Return free heap memory to the OS; ``True`` when the allocator supports it.

    >>> isinstance(release_free_memory(), bool)
    True
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
