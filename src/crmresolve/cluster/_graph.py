"""Vectorised graph primitives for the 1M-pair path (no Python loop per edge).

* :func:`record_ranks` — position → rank of its record id in string order; every ordering
  decision uses ranks, never positions, so results do not depend on the input row order.
* :func:`edge_order` — a strict total order of edges: must-link first, then decreasing
  probability, then by the ranks of the two record ids.
* :func:`boruvka` — maximum spanning forest + connected components in O(log n) numpy rounds.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def sorted_unique(values: IntArray) -> IntArray:
    """Distinct values, sorted (``np.unique`` without extras can take a hash-based path that
    is far slower than sorting for large int arrays).

    >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    s = np.sort(values)
    if s.size == 0:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    out: IntArray = s[keep]
    return out


def record_ranks(record_ids: npt.NDArray[np.object_]) -> IntArray:
    """Rank of each record id in plain string order (ids are unique).

    >>> record_ranks(np.array(["b", "c", "a"], dtype=object)).tolist()
    [1, 2, 0]
    """
    n = len(record_ids)
    ids = record_ids.tolist()
    # Python's sort on a list beats numpy's object argsort by ~2x for strings.
    order = np.fromiter(sorted(range(n), key=ids.__getitem__), dtype=np.int64, count=n)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)
    return ranks


def dedupe_edges(
    n: int, left: IntArray, right: IntArray, prob: FloatArray, must: BoolArray
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Orient every edge as ``lo < hi``, drop self-loops, keep one edge per unordered pair.

    A duplicated pair keeps its must-link flag if any copy has it, and its largest probability.
    """
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    keep = lo != hi
    lo, hi, prob, must = lo[keep], hi[keep], prob[keep], must[keep]
    if lo.size == 0:
        return lo, hi, prob, must
    key = lo * np.int64(n) + hi
    order = np.lexsort((-prob, ~must, key))
    key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    # The sort puts a must-link copy (then the most probable copy) first in each pair's run.
    sel = order[first]
    return lo[sel], hi[sel], prob[sel], must[sel]


def edge_order(
    lo: IntArray, hi: IntArray, prob: FloatArray, must: BoolArray, ranks: IntArray
) -> IntArray:
    """Edge indices strongest first: must-link, then probability, then record-id ranks."""
    ra = ranks[lo]
    rb = ranks[hi]
    first = np.minimum(ra, rb)
    second = np.maximum(ra, rb)
    return np.lexsort((second, first, -prob, ~must)).astype(np.int64)


def boruvka(n: int, u: IntArray, v: IntArray, weight: IntArray) -> tuple[IntArray, BoolArray]:
    """Components and maximum spanning forest of an undirected graph.

    ``weight`` must be distinct per edge (use a rank) so the forest is unique. Returns the
    component representative of every node (an arbitrary but fixed member) and a mask of the
    edges in the maximum spanning forest.

    >>> comp, mst = boruvka(4, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([3, 2, 1]))
    >>> len(set(comp[:3].tolist())), int(comp[3]), mst.tolist()
    (1, 3, [True, True, False])
    """
    comp = np.arange(n, dtype=np.int64)
    mst = np.zeros(u.size, dtype=bool)
    eid = np.arange(u.size, dtype=np.int64)
    nodes = np.arange(n, dtype=np.int64)
    best = np.full(n, -1, dtype=np.int64)
    while eid.size:
        cu = comp[u[eid]]
        cv = comp[v[eid]]
        outgoing = cu != cv
        eid, cu, cv = eid[outgoing], cu[outgoing], cv[outgoing]
        if eid.size == 0:
            break
        w = weight[eid]
        best[:] = -1
        np.maximum.at(best, cu, w)
        np.maximum.at(best, cv, w)
        best_u = w == best[cu]
        best_v = w == best[cv]
        succ = nodes.copy()
        succ[cu[best_u]] = cv[best_u]
        succ[cv[best_v]] = cu[best_v]
        mst[eid[best_u | best_v]] = True
        # With distinct weights the only cycles of "follow your best edge" are mutual pairs;
        # the smaller representative of each pair becomes the root.
        mutual = (succ[succ] == nodes) & (nodes < succ)
        succ[mutual] = nodes[mutual]
        while True:
            nxt = succ[succ]
            if np.array_equal(nxt, succ):
                break
            succ = nxt
        comp = succ[comp]
    return comp, mst


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small containers.

    Building hundreds of thousands of lists/tuples next to millions of live strings makes
    CPython run full collections over and over (10x slower here); nothing built in these
    sections forms reference cycles, so reference counting frees it all anyway.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
