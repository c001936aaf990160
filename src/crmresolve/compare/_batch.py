"""Vectorised machinery behind the comparison levels.

Two objects carry the work:

* :class:`FeatureCache` wraps one features mapping and lazily builds *per-record* data: each
  column factorised to ``int32`` codes (``-1`` = missing) plus the distinct values, and small
  lookup tables computed once per *distinct value* (lengths, parsed dates, phonetic keys, ...).
  It is shared by every comparison and every chunk of one :func:`compute_gamma` call.
* :class:`PairBatch` is a set of candidate pairs (record positions) seen through that cache.
  Levels ask it for codes, table lookups and string similarities; similarities are cached per
  ``(column, metric)`` so e.g. two Jaro-Winkler thresholds share one computation.

Why this shape: candidate pairs repeat the same value combinations a lot (``"john"`` vs
``"jon"`` occurs thousands of times), so string metrics run on distinct combinations of codes
only, through :func:`rapidfuzz.process.cpdist`, and are scattered back with numpy. No Python
function is called per pair on the hot paths.

>>> import numpy as np
>>> feats = {"given_name": np.array(["jon", "john", None, "jon"], dtype=object)}
>>> batch = PairBatch(FeatureCache(feats), np.array([0, 0, 1]), np.array([1, 3, 2]))
>>> batch.equal("given_name").tolist(), batch.present("given_name").tolist()
([False, True, False], [True, True, False])
>>> np.round(batch.metric("given_name", "jaro_winkler"), 3).tolist()
[0.933, 1.0, nan]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

__all__ = [
    "DISTANCE_METRICS",
    "METRICS",
    "BoolArray",
    "CodeArray",
    "Factorized",
    "FeatureCache",
    "Features",
    "FloatArray",
    "IntArray",
    "ObjArray",
    "PairBatch",
    "factorize",
    "per_unique",
]

Features = Mapping[str, npt.NDArray[Any]]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

T = TypeVar("T")

#: String metrics a level may request from :meth:`PairBatch.metric`.
METRICS: Final = (
    "jaro_winkler",
    "levenshtein",
    "damerau_levenshtein",
    "token_set_ratio",
    "jaccard",
)
#: Metrics that are distances (lower = closer) and accept an integer cutoff.
DISTANCE_METRICS: Final = frozenset({"levenshtein", "damerau_levenshtein"})

# Sorting the pair keys costs ~50 ns/pair, a rapidfuzz call ~100-250 ns/pair: deduplicating
# pays once roughly a quarter of the combinations repeat. Below this size the sort is not
# worth the bookkeeping.
_DEDUP_MIN_PAIRS: Final = 4096
_DEDUP_SAMPLE: Final = 65_536
_DEDUP_MAX_SINGLETON_SHARE: Final = 0.75
# Whole comparisons (every level on distinct combinations only): a dense table when the
# combinations fit in this many slots, else a sort when the sample shows strong repetition.
_DENSE_MAX: Final = 1 << 22
_DISTINCT_MAX_SHARE: Final = 0.6
_DISTINCT_MAX_SINGLETON_SHARE: Final = 0.5
# The numpy "within one edit" path holds a few (block x width) matrices; strings wider than
# this fall back to rapidfuzz.
_EDIT1_MAX_WIDTH: Final = 48
_EDIT1_BLOCK: Final = 1 << 16
_BAG_BUCKETS: Final = 32
# Floors are applied with this slack: rapidfuzz's own cutoff test and our bounds use other
# float arithmetic than the final ``>= threshold``, and a similarity sitting exactly on a
# threshold (0.92) must still be computed exactly.
_SLACK: Final = 1e-6


class Factorized(NamedTuple):
    """A column as ``int32`` codes per record (``-1`` = missing) and its distinct values."""

    codes: CodeArray
    uniques: ObjArray


def factorize(values: Iterable[Any], size: int, mapping: dict[Any, int] | None = None) -> CodeArray:
    """Codes in first-appearance order; ``None`` becomes ``-1``. ``mapping`` is extended in place.

    >>> m: dict[object, int] = {}
    >>> factorize(["b", None, "a", "b"], 4, m).tolist(), list(m)
    ([0, -1, 1, 0], ['b', 'a'])
    """
    table: dict[Any, int] = {} if mapping is None else mapping
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    # The passes over all values run in C (dict.fromkeys, map over a bound method).
    distinct = dict.fromkeys(seq)
    distinct.pop(None, None)
    if not table:
        table.update(zip(distinct, range(len(distinct)), strict=True))
    else:
        for value in distinct:
            if value not in table:
                table[value] = len(table)
    lookup = dict(table)
    lookup[None] = -1
    return np.fromiter(map(lookup.__getitem__, seq), dtype=np.int32, count=size)


def _check_strings(column: str, mapping: Mapping[Any, int]) -> None:
    """Features hold ``str`` or ``None``; say which column does not (never which value)."""
    bad = next((type(v).__name__ for v in mapping if type(v) is not str), None)
    if bad is not None:
        raise TypeError(
            f"feature column {column!r} holds {bad} values; expected str or None "
            "(normalize the table into features first)"
        )


def _uniques(mapping: Mapping[Any, int]) -> ObjArray:
    out = np.empty(len(mapping), dtype=object)
    out[:] = list(mapping)
    return out


def per_unique(
    uniques: ObjArray, fn: Callable[[Any], Any], dtype: npt.DTypeLike, missing: Any
) -> npt.NDArray[Any]:
    """``fn`` over every distinct value, plus a trailing ``missing`` entry.

    Indexing the result with codes maps code ``-1`` (missing) onto that last entry, so lookups
    need no masking.

    >>> per_unique(np.array(["ab", "c"], dtype=object), len, np.int32, -1)[[0, 1, -1]].tolist()
    [2, 1, -1]
    """
    out = np.empty(len(uniques) + 1, dtype=dtype)
    out[:-1] = np.fromiter((fn(u) for u in uniques), dtype=dtype, count=len(uniques))
    out[-1] = missing
    return out


class FeatureCache:
    """Lazily factorised columns and per-distinct-value tables of one features mapping.

    Build one per features mapping and reuse it across comparisons and pair chunks; it never
    mutates the features.
    """

    def __init__(self, features: Features) -> None:
        if not isinstance(features, Mapping) and isinstance(
            getattr(features, "columns", None), Mapping
        ):
            # Accept a crmresolve.features.Features object as well as its column mapping.
            features = features.columns
        sizes = {len(v) for v in features.values()}
        if len(sizes) > 1:
            raise ValueError("feature arrays must all have one entry per record")
        self.features = features
        self.n_records: int = sizes.pop() if sizes else 0
        self._factorized: dict[str, Factorized] = {}
        self._shared: dict[tuple[str, ...], tuple[CodeArray, ...]] = {}
        self._derived: dict[tuple[str, str], Any] = {}
        self._joint: dict[tuple[str, ...], tuple[IntArray, int, IntArray]] = {}

    def has(self, column: str) -> bool:
        return column in self.features

    def covers(self, features: Features) -> bool:
        """Whether ``features`` holds the very arrays this cache was built on (same objects:
        a cache never compares contents, which would cost as much as factorising again)."""
        cols = getattr(features, "columns", None)
        if not isinstance(features, Mapping) and isinstance(cols, Mapping):
            features = cols
        return all(self.features.get(k) is v for k, v in features.items())

    def factorized(self, column: str) -> Factorized:
        """Codes and distinct values of ``column``; an absent column is all missing."""
        hit = self._factorized.get(column)
        if hit is None:
            mapping: dict[Any, int] = {}
            values = self.features.get(column)
            if values is None:
                codes = np.full(self.n_records, -1, dtype=np.int32)
            else:
                codes = factorize(values, len(values), mapping)
            _check_strings(column, mapping)
            hit = Factorized(codes, _uniques(mapping))
            self._factorized[column] = hit
        return hit

    def shared_codes(self, columns: Sequence[str]) -> tuple[CodeArray, ...]:
        """Codes of several columns over one common dictionary (equal strings, equal codes)."""
        key = tuple(columns)
        hit = self._shared.get(key)
        if hit is None:
            mapping: dict[Any, int] = {}
            out = []
            for column in key:
                values = self.features.get(column)
                if values is None:
                    out.append(np.full(self.n_records, -1, dtype=np.int32))
                else:
                    out.append(factorize(values, len(values), mapping))
            _check_strings(", ".join(key), mapping)
            hit = tuple(out)
            self._shared[key] = hit
        return hit

    def joint(self, columns: Sequence[str]) -> tuple[IntArray, int, IntArray]:
        """One code per record for the tuple of ``columns`` (missing is a value too).

        Returns the codes, how many there are, and one representative record per code.
        """
        key = tuple(columns)
        hit = self._joint.get(key)
        if hit is None:
            codes = np.zeros(self.n_records, dtype=np.int64)
            count = 1
            for column in key:
                f = self.factorized(column)
                width = len(f.uniques) + 1
                combined = codes * width + (f.codes.astype(np.int64) + 1)
                _, codes = np.unique(combined, return_inverse=True)
                codes = codes.astype(np.int64).ravel()
                count = int(codes.max(initial=-1)) + 1
            rep = np.zeros(max(count, 1), dtype=np.int64)
            rep[codes] = np.arange(self.n_records, dtype=np.int64)
            hit = (codes, count, rep)
            self._joint[key] = hit
        return hit

    def derived(self, column: str, kind: str, build: Callable[[ObjArray], T]) -> T:
        """Cached ``build(distinct values of column)``; ``kind`` names the derivation."""
        key = (column, kind)
        if key not in self._derived:
            self._derived[key] = build(self.factorized(column).uniques)
        result: T = self._derived[key]
        return result


class _MetricEntry:
    """Cached metric values over the root batch, which pairs are done, and the floor used."""

    __slots__ = ("done", "floor", "values")

    def __init__(self, n: int, floor: float) -> None:
        self.values: FloatArray = np.full(n, np.nan)
        self.done: BoolArray = np.zeros(n, dtype=bool)
        self.floor = floor


class PairBatch:
    """Candidate pairs ``(left[i], right[i])`` viewed through a :class:`FeatureCache`.

    :meth:`subset` makes a batch over some of the pairs that shares the metric cache of the
    batch it came from, so a later level reuses what an earlier level computed.
    """

    def __init__(
        self, cache: FeatureCache, left: IntArray, right: IntArray, *, workers: int = 1
    ) -> None:
        self.cache = cache
        self.workers = workers
        self._left: IntArray | None = left
        self._right: IntArray | None = right
        self._n = len(left)
        # A root batch is its own root; storing ``self`` would make a reference cycle that keeps
        # every chunk's arrays alive until the cyclic collector happens to run (hundreds of MB
        # at millions of pairs), so ``None`` stands for "this batch".
        self._parent_root: PairBatch | None = None
        self._pos: IntArray | None = None  # positions in the root batch; None = all of them
        self._codes: dict[str, tuple[CodeArray, CodeArray]] = {}
        self._metrics: dict[tuple[str, str, int | None], _MetricEntry] = {}
        self._floors: dict[tuple[str, str], float] = {}

    @property
    def n(self) -> int:
        return self._n

    @property
    def _root(self) -> PairBatch:
        return self if self._parent_root is None else self._parent_root

    @property
    def left(self) -> IntArray:
        if self._left is None:
            self._left = self._root.left[self._pos]
        return self._left

    @property
    def right(self) -> IntArray:
        if self._right is None:
            self._right = self._root.right[self._pos]
        return self._right

    def subset(self, index: IntArray) -> PairBatch:
        """The pairs at ``index`` (positions in this batch)."""
        root = self._root
        sub = PairBatch.__new__(PairBatch)
        sub.cache = self.cache
        sub.workers = self.workers
        sub._left = sub._right = None  # gathered only if a level needs record positions
        sub._n = len(index)
        sub._parent_root = root
        sub._pos = index if self._pos is None else self._pos[index]
        sub._codes = {}
        sub._metrics = root._metrics
        sub._floors = root._floors
        return sub

    def distinct(self, columns: Sequence[str]) -> tuple[PairBatch, IntArray] | None:
        """The distinct value combinations of ``columns`` among these pairs, if clearly fewer.

        Returns a batch with one representative pair per combination (unordered: ``(x, y)``
        and ``(y, x)`` are one combination, so levels must be symmetric) and, per pair here,
        the index of its combination; ``None`` when deduplicating would not pay.
        """
        if self.n < _DEDUP_MIN_PAIRS:
            return None
        joint, count, rep = self.cache.joint(columns)
        if count * count <= _DENSE_MAX:
            # Few combinations possible: a direct-address table beats sorting by far.
            key = _pair_key(joint[self.left], joint[self.right], count)
            seen = np.zeros(count * count, dtype=bool)
            seen[key] = True
            keys = np.flatnonzero(seen)
            if keys.size > _DISTINCT_MAX_SHARE * self.n:
                return None
            slot = np.empty(count * count, dtype=np.int64)
            slot[keys] = np.arange(keys.size, dtype=np.int64)
            inverse = slot[key]
        else:
            # Decide on a spread sample before touching every pair.
            step = max(1, self.n // _DEDUP_SAMPLE)
            sample = _pair_key(joint[self.left[::step]], joint[self.right[::step]], count)
            if not _mostly_repeated(sample, _DISTINCT_MAX_SINGLETON_SHARE):
                return None
            keys, inverse = _unique_inverse(_pair_key(joint[self.left], joint[self.right], count))
        sub = PairBatch(self.cache, rep[keys // count], rep[keys % count], workers=self.workers)
        return sub, inverse

    def declare_floor(self, column: str, name: str, floor: float) -> None:
        """Promise that only similarities >= ``floor`` matter from now on (lowest wins).

        Below its floor a similarity may be reported as ``0.0``, which lets the metric skip
        hopeless pairs with a cheap upper bound. A comparison declares the lowest threshold
        its levels test; a lower later declaration discards values computed under a higher one.
        """
        key = (column, name)
        old = self._floors.get(key)
        if old is not None and old <= floor:
            return
        self._floors[key] = floor
        entry = self._metrics.get((column, name, None))
        if entry is not None and entry.floor > floor:
            del self._metrics[(column, name, None)]

    def has(self, column: str) -> bool:
        return self.cache.has(column)

    def codes(self, column: str) -> tuple[CodeArray, CodeArray]:
        """Codes of ``column`` on the left and right side (``-1`` = missing)."""
        hit = self._codes.get(column)
        if hit is None:
            if self._pos is not None:
                rl, rr = self._root.codes(column)
                hit = (rl[self._pos], rr[self._pos])
            else:
                codes = self.cache.factorized(column).codes
                hit = (codes[self.left], codes[self.right])
            self._codes[column] = hit
        return hit

    def present(self, column: str) -> BoolArray:
        """Both sides have a value."""
        cl, cr = self.codes(column)
        out: BoolArray = (cl >= 0) & (cr >= 0)
        return out

    def equal(self, column: str) -> BoolArray:
        """Both sides have the same value (missing never equals)."""
        cl, cr = self.codes(column)
        out: BoolArray = (cl == cr) & (cl >= 0)
        return out

    def shared_codes(self, columns: Sequence[str]) -> list[tuple[CodeArray, CodeArray]]:
        """Per column, left/right codes drawn from one dictionary shared by ``columns``."""
        return [(c[self.left], c[self.right]) for c in self.cache.shared_codes(columns)]

    def lookup(
        self, column: str, kind: str, build: Callable[[ObjArray], npt.NDArray[Any]]
    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """A per-distinct-value table (built by ``build``, see :func:`per_unique`) on each side."""
        table = self.cache.derived(column, kind, build)
        cl, cr = self.codes(column)
        return table[cl], table[cr]

    def metric(self, column: str, name: str, cutoff: int | None = None) -> FloatArray:
        """String metric per pair; ``nan`` where either side is missing.

        Similarities are in ``[0, 1]`` (``0.0`` for anything below a declared floor);
        distances are capped at ``cutoff + 1`` when a cutoff is given (anything beyond the
        cutoff is "far", its exact value is not computed).
        """
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
        root = self._root
        is_distance = name in DISTANCE_METRICS
        key = (column, name, cutoff if is_distance else None)
        entry = root._metrics.get(key)
        if entry is None:
            floor = 0.0 if is_distance else root._floors.get((column, name), 0.0)
            entry = _MetricEntry(root.n, floor)
            root._metrics[key] = entry
        done = entry.done
        if self._pos is None and not done.any():
            rl, rr = self.codes(column)
            entry.values = _metric_on_codes(
                self.cache, column, rl, rr, name, cutoff, entry.floor, self.workers
            )
            done[:] = True
            return entry.values
        need = np.flatnonzero(~done) if self._pos is None else self._pos[~done[self._pos]]
        if need.size:
            rl, rr = root.codes(column)
            entry.values[need] = _metric_on_codes(
                self.cache, column, rl[need], rr[need], name, cutoff, entry.floor, self.workers
            )
            done[need] = True
        return entry.values if self._pos is None else entry.values[self._pos]

    def within_one_edit(self, column: str) -> BoolArray:
        """Levenshtein distance <= 1 per pair (``False`` where either side is missing).

        Vectorised, no rapidfuzz call except for values wider than ``_EDIT1_MAX_WIDTH``:

        * an edit keeps the first or the last character, so pairs differing in both (and in
          length by more than one) are out at once;
        * equal lengths: at most one differing character, counted on packed 8-byte words;
        * lengths differing by one: the common prefix and suffix must cover the shorter value.
        """
        t = self.cache.derived(column, "edit1", _edit_tables)
        cl, cr = self.codes(column)
        out = np.zeros(self.n, dtype=bool)
        # Two gathers of one packed word per value instead of one per attribute.
        ml, mr = t.meta[cl], t.meta[cr]
        x = ml ^ mr
        la, lb = ml & _LEN_MASK, mr & _LEN_MASK
        cand = (cl >= 0) & (cr >= 0) & (np.abs(la - lb) <= 1)
        cand &= ((x & _FIRST_MASK) == 0) | ((x & _LAST_MASK) == 0) | ((la | lb) <= 1)
        idx = np.flatnonzero(cand)
        if not idx.size:
            return out
        a, b = cl[idx], cr[idx]
        wide = ((ml[idx] | mr[idx]) & _WIDE_BIT) != 0
        if wide.any():
            slow = idx[wide]
            out[slow] = self.subset(slow).metric(column, "levenshtein", 1) <= 1
            keep = ~wide
            idx, a, b = idx[keep], a[keep], b[keep]
        if t.packed is not None:
            same = (x[idx] & _LEN_MASK) == 0
            out[idx[same]] = _differing_bytes(t.packed, a[same], b[same]) <= 1
            idx, a, b = idx[~same], a[~same], b[~same]
        for start in range(0, idx.size, _EDIT1_BLOCK):
            sl = slice(start, start + _EDIT1_BLOCK)
            out[idx[sl]] = _one_edit_by_matrices(t, a[sl], b[sl])
        return out


def _one_edit_by_matrices(t: _EditTables, a: CodeArray, b: CodeArray) -> BoolArray:
    """Prefix + suffix cover test on aligned code-point matrices (one block of pairs)."""
    la, lb = t.lengths[a], t.lengths[b]
    prefix = _run_length(t.lefts[a] == t.lefts[b])
    suffix = _run_length(t.revs[a] == t.revs[b])
    short = np.minimum(la, lb)
    cover = np.minimum(prefix, short) + np.minimum(suffix, short)
    out: BoolArray = np.where(la == lb, cover >= short - 1, cover >= short)
    return out


_BYTES: Final = 0x0101010101010101  # one in every byte
_BYTE_LOW_BITS: Final = np.uint64(_BYTES)


def _differing_bytes(packed: npt.NDArray[np.uint64], a: CodeArray, b: CodeArray) -> IntArray:
    """Number of differing bytes between rows ``a`` and ``b`` of a packed byte matrix."""
    total = np.zeros(a.size, dtype=np.uint64)
    for w in range(packed.shape[1]):
        col = packed[:, w]
        x = col[a] ^ col[b]
        # Fold every byte onto its lowest bit, then add the bytes up with one multiply.
        x |= x >> np.uint64(4)
        x |= x >> np.uint64(2)
        x |= x >> np.uint64(1)
        x &= _BYTE_LOW_BITS
        total += (x * _BYTE_LOW_BITS) >> np.uint64(56)
    return total.astype(np.int64)


def _run_length(eq: BoolArray) -> IntArray:
    """Length of the leading run of ``True`` per row."""
    first_false = np.argmin(eq, axis=1)
    out: IntArray = np.where(eq.all(axis=1), eq.shape[1], first_false).astype(np.int64)
    return out


def _lengths(uniques: ObjArray) -> IntArray:
    out = np.empty(len(uniques) + 1, dtype=np.int64)
    out[:-1] = np.fromiter(map(len, uniques.tolist()), dtype=np.int64, count=len(uniques))
    out[-1] = -1
    return out


class _EditTables(NamedTuple):
    lengths: IntArray
    meta: IntArray  # length | wide flag | first code point | last code point, packed
    lefts: npt.NDArray[Any]  # code points, zero padded on the right
    revs: npt.NDArray[Any]  # code points of the reversed values, zero padded on the right
    packed: npt.NDArray[np.uint64] | None  # varying byte positions of lefts as 8-byte words


_LEN_MASK: Final = (1 << 16) - 1
_WIDE_BIT: Final = 1 << 16
_FIRST_MASK: Final = ((1 << 21) - 1) << 17
_LAST_MASK: Final = ((1 << 21) - 1) << 38


def _code_point_matrix(texts: list[str], width: int) -> npt.NDArray[np.uint32]:
    """Rows of code points, zero padded (numpy converts the whole list in C)."""
    return np.array(texts, dtype=f"<U{width}").view(np.uint32).reshape(len(texts), width)


def _edit_tables(uniques: ObjArray) -> _EditTables:
    """Per distinct value (plus a blank last row for missing records) data for one-edit tests."""
    lengths = _lengths(uniques)
    lens = np.maximum(lengths, 0)
    wide = lens > _EDIT1_MAX_WIDTH
    width = max(int(np.where(wide, 0, lens).max(initial=0)), 1)
    texts = [*uniques.tolist(), ""]
    narrow = [t if len(t) <= _EDIT1_MAX_WIDTH else "" for t in texts]
    left = _code_point_matrix(narrow, width)
    rev = _code_point_matrix([t[::-1] for t in narrow], width)
    first = left[:, 0].astype(np.int64)  # 0 only for the empty value: code points are > 0
    last = rev[:, 0].astype(np.int64)
    for i in np.flatnonzero(wide).tolist():
        first[i], last[i] = ord(texts[i][0]), ord(texts[i][-1])
    meta = np.minimum(lens, _LEN_MASK) | (wide.astype(np.int64) << 16) | (first << 17)
    meta |= last << 38
    top = int(max(left.max(initial=0), 0))
    # Narrow integers move less memory in the per-pair gathers.
    small = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32
    lefts, revs = left.astype(small), rev.astype(small)
    packed = None
    if small is np.uint8:
        # Positions holding the same byte in every value (the dashes of ISO dates, a leading
        # "+") never differ between equal-length values: leave them out of the words.
        body = lefts[:-1]
        keep = np.flatnonzero((body != body[:1]).any(axis=0)) if len(body) else np.arange(0)
        words = max(-(-keep.size // 8), 1)
        padded = np.zeros((len(lens), words * 8), dtype=np.uint8)
        padded[:, : keep.size] = lefts[:, keep]
        packed = padded.view(np.uint64)
    return _EditTables(lengths, meta, lefts, revs, packed)


def _jaccard(a: str, b: str) -> float:
    ta, tb = set(a.split()), set(b.split())
    if not ta and not tb:
        return 1.0
    return len(ta & tb) / len(ta | tb)


def _score(
    queries: ObjArray,
    choices: ObjArray,
    name: str,
    cutoff: int | None,
    floor: float,
    workers: int,
) -> FloatArray:
    """The metric elementwise over two equally long arrays of strings."""
    if queries.size == 0:
        return np.empty(0, dtype=np.float64)
    if name == "jaccard":
        # No rapidfuzz scorer for token Jaccard; callers only get here on distinct combinations.
        return np.fromiter(
            (_jaccard(a, b) for a, b in zip(queries.tolist(), choices.tolist(), strict=True)),
            dtype=np.float64,
            count=queries.size,
        )
    if name in DISTANCE_METRICS:
        scorer = Levenshtein.distance if name == "levenshtein" else DamerauLevenshtein.distance
        res = cpdist(
            queries, choices, scorer=scorer, score_cutoff=cutoff, dtype=np.int32, workers=workers
        )
        return np.asarray(res, dtype=np.float64).ravel()
    if name == "jaro_winkler":
        res = cpdist(
            queries,
            choices,
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=max(floor - _SLACK, 0.0) or None,
            dtype=np.float64,
            workers=workers,
        )
        return np.asarray(res, dtype=np.float64).ravel()
    res = cpdist(
        queries,
        choices,
        scorer=fuzz.token_set_ratio,
        score_cutoff=max(floor - _SLACK, 0.0) * 100.0 or None,
        dtype=np.float64,
        workers=workers,
    )
    return np.asarray(res, dtype=np.float64).ravel() / 100.0


def _unique_inverse(key: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct keys and, per input, the index of its key (``np.unique`` is slower here)."""
    order = np.argsort(key)
    ordered = key[order]
    first = np.empty(key.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(key.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _pair_key(jl: IntArray, jr: IntArray, count: int) -> IntArray:
    """One int64 per unordered pair of codes below ``count``."""
    key: IntArray = np.minimum(jl, jr).astype(np.int64) * count + np.maximum(jl, jr)
    return key


def _mostly_repeated(sample: IntArray, max_share: float | None = None) -> bool:
    """Whether a spread sample of keys suggests distinct keys are clearly fewer than keys.

    The share of sample keys seen exactly once over-estimates the share of distinct keys in
    the whole array (Good-Turing), so this errs on the side of not sorting.
    """
    share = _DEDUP_MAX_SINGLETON_SHARE if max_share is None else max_share
    _, counts = np.unique(sample, return_counts=True)
    singletons = int(np.count_nonzero(counts == 1))
    return singletons < share * sample.size


def _worth_deduplicating(key: IntArray) -> bool:
    if key.size < _DEDUP_MIN_PAIRS:
        return False
    return _mostly_repeated(key[:: max(1, key.size // _DEDUP_SAMPLE)])


def _flat_code_points(uniques: ObjArray) -> tuple[npt.NDArray[np.uint32], IntArray]:
    """All characters of all distinct values as code points, with the value index of each."""
    lengths = _lengths(uniques)[:-1]
    cps = np.frombuffer("".join(uniques.tolist()).encode("utf-32-le"), dtype=np.uint32)
    rows = np.repeat(np.arange(len(uniques), dtype=np.int64), lengths)
    return cps, rows


def _charsets(uniques: ObjArray) -> npt.NDArray[np.uint64]:
    """Per distinct value, a 64-bit set of its characters (bit = code point mod 64)."""
    cps, _ = _flat_code_points(uniques)
    lengths = _lengths(uniques)[:-1]
    out = np.zeros(len(uniques) + 1, dtype=np.uint64)
    nonempty = np.flatnonzero(lengths > 0)
    if nonempty.size:
        bits = np.left_shift(np.uint64(1), (cps & np.uint32(63)).astype(np.uint64))
        starts = (np.cumsum(lengths) - lengths)[nonempty]
        # Segments between consecutive starts are exactly the non-empty values' characters.
        out[nonempty] = np.bitwise_or.reduceat(bits, starts)
    return out


def _bags(uniques: ObjArray) -> npt.NDArray[np.uint8]:
    """Per distinct value, character counts in 32 buckets (code point mod 32, capped at 255).

    Colliding characters only make a bucket intersection larger, so bounds built on it stay
    upper bounds.
    """
    cps, rows = _flat_code_points(uniques)
    counts = np.bincount(rows * _BAG_BUCKETS + cps % _BAG_BUCKETS, minlength=len(uniques) * 32)
    out = np.zeros((len(uniques) + 1, _BAG_BUCKETS), dtype=np.uint8)
    out[:-1] = np.minimum(counts, 255).reshape(len(uniques), _BAG_BUCKETS)
    return out


def _popcount(x: npt.NDArray[np.uint64]) -> IntArray:
    """Set bits per element (``np.bitwise_count`` where numpy has it)."""
    count = getattr(np, "bitwise_count", None)
    if count is not None:
        out: IntArray = count(x).astype(np.int64)
        return out
    m1, m2, m4 = (np.uint64(0x55 * _BYTES), np.uint64(0x33 * _BYTES), np.uint64(0x0F * _BYTES))
    x = x - ((x >> np.uint64(1)) & m1)
    x = (x & m2) + ((x >> np.uint64(2)) & m2)
    x = (x + (x >> np.uint64(4))) & m4
    return ((x * _BYTE_LOW_BITS) >> np.uint64(56)).astype(np.int64)


def _may_reach(common: IntArray, la: IntArray, lb: IntArray, floor: float) -> BoolArray:
    """Whether Jaro-Winkler can reach ``floor`` with at most ``common`` matching characters.

    ``jaro <= (c/|a| + c/|b| + 1) / 3`` and the Winkler prefix bonus adds at most
    ``4 * 0.1 * (1 - jaro)``, so ``JW <= 0.6 * jaro + 0.4``; ``JW >= f`` then needs
    ``c * (|a| + |b|) >= (5f - 3) * |a| * |b|``, free of divisions. Empty values pass.
    """
    k = 5.0 * (floor - _SLACK) - 3.0
    out: BoolArray = common * (la + lb) >= k * (la * lb)
    return out


def _jaro_winkler_candidates(
    cache: FeatureCache, column: str, a: CodeArray, b: CodeArray, floor: float
) -> BoolArray:
    """Pairs whose Jaro-Winkler may reach ``floor`` (two cheap bounds, the cheaper first)."""
    lengths = cache.derived(column, "length", _lengths)
    sets = cache.derived(column, "charset", _charsets)
    la, lb = lengths[a], lengths[b]
    sa, sb = sets[a], sets[b]
    # A character whose bucket the other side lacks cannot match: with only character sets,
    # each such bucket rules out at least one character.
    common = np.minimum(la - _popcount(sa & ~sb), lb - _popcount(sb & ~sa))
    keep = _may_reach(common, la, lb, floor)
    idx = np.flatnonzero(keep)
    if idx.size:
        bags = cache.derived(column, "bag", _bags)
        for start in range(0, idx.size, _EDIT1_BLOCK):
            part = idx[start : start + _EDIT1_BLOCK]
            pa, pb = a[part], b[part]
            common = np.minimum(bags[pa], bags[pb]).sum(axis=1, dtype=np.int64)
            keep[part] = _may_reach(common, la[part], lb[part], floor)
    return keep


def _edit_candidates(
    cache: FeatureCache, column: str, a: CodeArray, b: CodeArray, cutoff: int
) -> BoolArray:
    """Pairs whose edit distance may be <= ``cutoff``.

    Edit distance is at least the length difference, and at least the number of character
    buckets present on one side only (each needs its own deletion or substitution).
    """
    lengths = cache.derived(column, "length", _lengths)
    sets = cache.derived(column, "charset", _charsets)
    keep: BoolArray = np.abs(lengths[a] - lengths[b]) <= cutoff
    idx = np.flatnonzero(keep)
    sa, sb = sets[a[idx]], sets[b[idx]]
    only = np.maximum(_popcount(sa & ~sb), _popcount(sb & ~sa))
    keep[idx] = only <= cutoff
    return keep


def _metric_on_codes(
    cache: FeatureCache,
    column: str,
    a: CodeArray,
    b: CodeArray,
    name: str,
    cutoff: int | None,
    floor: float,
    workers: int,
) -> FloatArray:
    uniques = cache.factorized(column).uniques
    out = np.full(a.size, np.nan)
    # Order each pair by code so the metric is symmetric by construction and (x, y), (y, x)
    # deduplicate to one combination.
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    ok = lo >= 0
    is_distance = name in DISTANCE_METRICS
    out[ok & (lo == hi)] = 0.0 if is_distance else 1.0
    todo = np.flatnonzero(ok & (lo != hi))
    if not todo.size:
        return out
    lo, hi = lo[todo], hi[todo]
    # Rule out hopeless pairs with cheap bounds before any string is touched.
    keep: BoolArray | None = None
    if is_distance and cutoff is not None:
        keep = _edit_candidates(cache, column, lo, hi, cutoff)
        out[todo[~keep]] = cutoff + 1
    elif name == "jaro_winkler" and floor > 0.0:
        keep = _jaro_winkler_candidates(cache, column, lo, hi, floor)
        out[todo[~keep]] = 0.0
    if keep is not None:
        todo, lo, hi = todo[keep], lo[keep], hi[keep]
        if not todo.size:
            return out
    width = max(len(uniques), 1)
    key = lo.astype(np.int64) * width + hi
    # Levenshtein / Jaro-Winkler on bound survivors cost about as much as a sort per pair, so
    # they deduplicate only with clear repetition; the other metrics cost several sorts.
    cheap = name in ("levenshtein", "jaro_winkler")
    if cheap and not _worth_deduplicating(key):
        out[todo] = _score(uniques[lo], uniques[hi], name, cutoff, floor, workers)
        return out
    keys, inverse = _unique_inverse(key)
    ka, kb = keys // width, keys % width
    if name == "jaccard":
        # word sets built once per distinct value, not once per pair
        sets = cache.derived(column, "word_sets", _word_sets)
        scores = np.fromiter(
            (_set_jaccard(sets[a], sets[b]) for a, b in zip(ka.tolist(), kb.tolist(), strict=True)),
            dtype=np.float64,
            count=ka.size,
        )
    else:
        scores = _score(uniques[ka], uniques[kb], name, cutoff, floor, workers)
    out[todo] = scores[inverse]
    return out


def _word_sets(uniques: ObjArray) -> list[frozenset[str]]:
    return [frozenset(str(u).split()) for u in uniques]


def _set_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """:func:`_jaccard` on prepared word sets."""
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def parse_iso_date(value: str) -> dt.date | None:
    """A strict ``YYYY-MM-DD`` date, or ``None``.

    >>> parse_iso_date("1984-03-12"), parse_iso_date("1984-02-30")
    (datetime.date(1984, 3, 12), None)
    """
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
