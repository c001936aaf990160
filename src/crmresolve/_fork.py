"""Forked worker processes for pure-Python work over independent parts.

Normalizing values, merging flagged components and choosing golden values are Python-level
work: threads would wait on the interpreter lock. A forked worker sees the parent's arrays
copy-on-write, so neither the data nor the function (often a closure over that data) has to be
pickled; only the small per-part results travel back. Results come back in the order of the
parts, so the outcome never depends on how many workers there were.

>>> fork_map(lambda x: x * x, [1, 2, 3], workers=2)
[1, 4, 9]
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["can_fork", "default_workers", "fork_map", "shared_empty"]

P = TypeVar("P")
R = TypeVar("R")

# The function the forked workers apply. It is set just before the pool forks and cleared
# after, so it is plumbing of one call, not configuration; the lock keeps two threads of one
# program from swapping it under each other.
_TASK: Callable[[Any], Any] | None = None
_LOCK = threading.Lock()


def default_workers() -> int:
    """Worker processes to use: ``CRMRESOLVE_WORKERS`` or the cores this process may run on.

    >>> default_workers() >= 1
    True
    """
    env = os.environ.get("CRMRESOLVE_WORKERS", "").strip()
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forked workers are available: Linux, and not already inside a daemonic worker."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _run(part: Any) -> Any:
    fn = _TASK
    assert fn is not None
    return fn(part)


def fork_map(fn: Callable[[P], R], parts: Sequence[P], *, workers: int) -> list[R]:
    """``[fn(p) for p in parts]``, spread over ``workers`` forked processes.

    Parts are handed out one at a time (a long part does not hold up the others); with one
    worker, one part, or no ``fork`` on this platform, the parts run in this process. ``fn``
    must not depend on state it changes in other parts: each worker has its own copy.
    """
    if workers <= 1 or len(parts) < 2 or not can_fork():
        return [fn(p) for p in parts]
    global _TASK
    with _LOCK:
        _TASK = fn
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(workers, len(parts))) as pool:
                return list(pool.imap(_run, parts, chunksize=1))
        finally:
            _TASK = None


def shared_empty(shape: int | tuple[int, ...], dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An uninitialised array in anonymous shared memory: what the workers of a later
    :func:`fork_map` write into it, this process reads, with nothing pickled.

    Results of fixed shape (key codes per record, gamma rows per pair) are written in place
    this way: sending them back through the pool's pipe cost more than computing some of them
    (44 arrays of a million ``int64`` took 1.4 s).

    >>> out = shared_empty(3, np.int64)
    >>> def fill(i: int) -> None:
    ...     out[i] = i * i
    >>> _ = fork_map(fill, [0, 1, 2], workers=2)
    >>> out.tolist()
    [0, 1, 4]
    """
    dt = np.dtype(dtype)
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    count = int(np.prod(dims, dtype=np.int64))
    # An anonymous mapping is shared with forked children (MAP_SHARED is mmap's default);
    # the array keeps the mapping alive and it is unmapped with the last view.
    buffer = mmap.mmap(-1, max(count * dt.itemsize, 1))
    return np.frombuffer(buffer, dtype=dt, count=count).reshape(dims)
