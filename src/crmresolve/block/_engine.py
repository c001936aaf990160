"""Candidate pair generation: keys → integer codes → pairs, all with numpy index arrays.

How it works (and why it is fast):

1. Each feature column is factorized once (one dict pass, shared by every key on that column)
   and cleaned per distinct value (missing/junk → no value); key transforms also run per
   *distinct* value; a conjunction combines the component codes arithmetically. ``-1`` = no
   key. Sorted-neighbourhood rules use ranks of the sorted distinct key values as codes.
2. Blocks larger than the size limit are dropped (their records get ``-1``) with a warning, or
   with ``split_oversized=True`` kept but *split*: the block's records are sorted by each of
   several other identity columns in turn (birth date, e-mail, phone, postcode, address, ...:
   a multi-pass sorted neighbourhood) and a record pairs only with its next ``w`` records in
   each order. The records of one entity share some of those values, so they sort together
   and keep their pairs, while the pairs stay bounded by ``size × w × passes``. With a
   ``pair_budget`` the limit itself drops, biggest blocks first, until the rule's pairs fit
   the budget, and the passes and ``w`` spend what the whole blocks leave: the cost of a rule
   then grows linearly with the records, not with the square of its biggest blocks. A block
   whose pairs cost no more than its windows were allotted stays whole, even above the size
   limit (windowing it would save nothing and lose pairs).
3. Records with a key are sorted by code. A record at sorted position ``p`` pairs with the records
   at ``p + 1 .. end(p) - 1`` where ``end(p)`` is the first position whose code is at least
   ``code(p) + window`` (``window == 1``: the end of its block). The pairs are laid out with
   ``np.repeat``/``cumsum`` in chunks of about ``chunk_size`` pairs; nothing loops per pair or
   per block in Python.
4. Union across rules: :func:`generate_pairs` packs ``(left, right, rule)`` into one int64 and
   sorts once, keeping the first rule of each pair; :func:`iter_pairs` (bounded memory) instead
   tests each new pair against the earlier rules' key codes, one row gather per pair, so earlier
   pairs are never stored.

>>> import numpy as np
>>> from crmresolve.block import block_on, generate_pairs
>>> f = {"surname": np.array(["berg", "berg", None, "berg", "lind"], dtype=object)}
>>> p = generate_pairs(f, [block_on("surname")])
>>> p.left.tolist(), p.right.tolist(), p.rule.tolist()
([0, 0, 1], [1, 3, 3], [0, 0, 0])
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve._fork import fork_map, shared_empty
from crmresolve.block._keys import KeyFunction, clean_value, exact
from crmresolve.block._rules import BlockingRule
from crmresolve.table import factorize

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_BLOCK_SIZE",
    "CandidatePairs",
    "Features",
    "OversizedBlockWarning",
    "generate_pairs",
    "iter_pairs",
]

Features = Mapping[str, npt.NDArray[Any]]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Blocks with more records than this are skipped (a block of 500 is already 124 750 pairs; real
#: duplicates of one person rarely exceed a handful, so bigger blocks are shared placeholders,
#: switchboard numbers or overly coarse keys).
DEFAULT_MAX_BLOCK_SIZE = 500

#: Columns whose sort orders split an oversized block (multi-pass sorted neighbourhood): the
#: records of one entity share some of these values and sort next to each other by them.
DEFAULT_SPLIT_COLUMNS = (
    "dob",
    "email",
    "phone",
    "postcode",
    "address",
    "given_name",
    "surname",
    "company",
)

#: In a split block each record pairs with at least this many neighbours per sort order.
DEFAULT_SPLIT_WINDOW = 1

#: Pairs laid out per step; bounds the temporary memory to a few dozen MB.
DEFAULT_CHUNK_SIZE = 1_000_000
#: From this many records on, ``workers`` > 1 computes the keys in forked processes (below it a
#: fork costs more than the keys).
PARALLEL_MIN_RECORDS = 50_000

# generate_pairs packs (left, right, rule) into one int64 while they fit in this many bits.
_PACK_BITS = 62


class OversizedBlockWarning(UserWarning):
    """A blocking rule produced blocks above the size limit; they were skipped."""


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class CandidatePairs:
    """Candidate record pairs as parallel arrays (never one Python object per pair).

    ``left[i] < right[i]`` are record positions; ``rule[i]`` is the index of the first rule that
    produced the pair; ``rule_names[r]`` names rule ``r``. From :func:`generate_pairs` the pairs
    are unique and sorted by ``(left, right)``. The arrays are read-only.
    """

    left: Int64Array
    right: Int64Array
    rule: npt.NDArray[np.int16]
    rule_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        left = np.asarray(self.left, dtype=np.int64)
        right = np.asarray(self.right, dtype=np.int64)
        rule = np.asarray(self.rule, dtype=np.int16)
        if not (left.ndim == right.ndim == rule.ndim == 1) or not (
            len(left) == len(right) == len(rule)
        ):
            raise ValueError("left, right and rule must be 1-D arrays of the same length")
        object.__setattr__(self, "left", _readonly(left))
        object.__setattr__(self, "right", _readonly(right))
        object.__setattr__(self, "rule", _readonly(rule))
        object.__setattr__(self, "rule_names", tuple(self.rule_names))

    def __len__(self) -> int:
        return len(self.left)

    def __repr__(self) -> str:
        return f"CandidatePairs(n_pairs={len(self)}, rules={list(self.rule_names)})"

    def counts_by_rule(self) -> dict[str, int]:
        """Number of pairs attributed to each rule (by name; ``rule_<i>`` when unnamed)."""
        n_rules = max(len(self.rule_names), int(self.rule.max()) + 1 if len(self) else 0)
        counts = np.bincount(self.rule.astype(np.int64), minlength=n_rules)
        names = list(self.rule_names) + [f"rule_{i}" for i in range(len(self.rule_names), n_rules)]
        return {name: int(c) for name, c in zip(names, counts, strict=True)}


# --------------------------------------------------------------------------- keys → codes


def _lookup(lut: list[int], codes: Int64Array) -> Int64Array:
    """Map per-distinct-value results back to records (``-1`` codes stay ``-1``)."""
    table = np.array([*lut, -1], dtype=np.int64)  # index -1 picks the trailing -1
    return table[codes]


class _KeyCache:
    """Per-call cache: each column is factorized and cleaned once, each key computed once."""

    def __init__(self, features: Features, n_records: int, drop_junk: bool) -> None:
        self.features = features
        self._n = n_records
        self._drop_junk = drop_junk
        self._columns: dict[str, tuple[Int64Array, list[str]]] = {}
        self._keys: dict[tuple[KeyFunction, bool], tuple[Int64Array, int]] = {}

    def column(self, name: str) -> tuple[Int64Array, list[str]]:
        """Per-record codes into the column's distinct cleaned values (``-1``: no value)."""
        if name not in self._columns:
            raw, uniques = factorize(np.asarray(self.features[name], dtype=object).tolist())
            drop = self._drop_junk
            index: dict[str, int] = {}
            # Cleaning runs once per distinct value; non-str values that print alike merge here.
            lut = [
                -1 if c is None else index.setdefault(c, len(index))
                for c in [clean_value(u, drop_junk=drop) for u in uniques]
            ]
            self._columns[name] = (_lookup(lut, raw), list(index))
        return self._columns[name]

    def key(self, key: KeyFunction, ordered: bool) -> tuple[Int64Array, int]:
        """Per-record key codes in ``[0, n_values)``, ``-1``: no key.

        ``ordered``: codes are the ranks of the sorted distinct keys (sorted neighbourhood needs
        the order; plain blocking only needs equality and skips the sort).
        """
        cache_key = (key, ordered)
        if cache_key not in self._keys:
            codes, values = self.column(key.column)
            if key.kind == "exact" and not ordered:
                self._keys[cache_key] = (codes, len(values))
                return self._keys[cache_key]
            keys = key.keys_of_clean(values)
            index: dict[str, int] = {}
            if ordered:
                index = {k: i for i, k in enumerate(sorted({k for k in keys if k is not None}))}
                lut = [-1 if k is None else index[k] for k in keys]
            else:
                lut = [-1 if k is None else index.setdefault(k, len(index)) for k in keys]
            self._keys[cache_key] = (_lookup(lut, codes), len(index))
        return self._keys[cache_key]

    def rule_key(self, rule: BlockingRule) -> tuple[Int64Array, int]:
        """Combined key codes of a conjunction; when ordered, ranks keep the tuple order."""
        ordered = rule.window > 1
        codes, n_values = self.key(rule.keys[0], ordered)
        for key in rule.keys[1:]:
            other, n_other = self.key(key, ordered)
            valid = (codes >= 0) & (other >= 0)
            # codes < n_values <= n and other < n_other <= n, so the product fits in int64 for
            # any realistic n; renumbering right away keeps it that way for long conjunctions.
            combined = codes[valid] * max(n_other, 1) + other[valid]
            distinct, inverse = np.unique(combined, return_inverse=True)
            codes = np.full(self._n, -1, dtype=np.int64)
            codes[valid] = inverse.reshape(-1)
            n_values = len(distinct)
        return codes, n_values

    def prefetch(self, wanted: Sequence[tuple[KeyFunction, bool]], workers: int) -> None:
        """Compute the ``(key, ordered)`` codes of ``wanted`` in forked workers, one column's
        keys per task: cleaning each distinct value and deriving its keys is Python work, which
        threads would serialise. The workers write the codes into shared memory; they are the
        codes :meth:`key` computes here."""
        by_column: dict[str, list[tuple[int, KeyFunction, bool]]] = {}
        slots = [k for k in dict.fromkeys(wanted) if k not in self._keys]
        for slot, (key, ordered) in enumerate(slots):
            by_column.setdefault(key.column, []).append((slot, key, ordered))
        if workers <= 1 or len(by_column) < 2:
            return
        out = shared_empty((len(slots), self._n), np.int64)
        # The columns with the most keys first, so no long task starts last.
        tasks = sorted(by_column.values(), key=len, reverse=True)

        def run(keys: list[tuple[int, KeyFunction, bool]]) -> list[int]:
            sizes = []
            for slot, key, ordered in keys:
                codes, n_values = self.key(key, ordered)
                out[slot] = codes
                sizes.append(n_values)
            return sizes

        for keys, sizes in zip(tasks, fork_map(run, tasks, workers=workers), strict=True):
            for (slot, key, ordered), n_values in zip(keys, sizes, strict=True):
                self._keys[(key, ordered)] = (out[slot], n_values)


# --------------------------------------------------------------------------- prepared rules


@dataclass(frozen=True, eq=False)
class _PreparedRule:
    rule: BlockingRule
    codes: Int64Array  # key code per record; -1: no key or in a skipped block
    block_sizes: Int64Array  # records per kept key value
    skipped_sizes: Int64Array  # records per skipped key value
    limit: int | None
    #: Split (windowed) blocks: per record its row in ``pass_ranks`` (-1: not in one) ...
    member_index: npt.NDArray[np.int32] | None = None
    #: ... each member's rank within its block in each pass's sort order (-1: not in the pass)
    pass_ranks: npt.NDArray[np.int32] | None = None
    #: ... and how many following records of a pass each record pairs with.
    pass_window: int = 0
    split_sizes: Int64Array | None = None
    max_block_size: int | None = None

    @property
    def records_with_key(self) -> int:
        return int(self.block_sizes.sum() + self.skipped_sizes.sum())


def _budget_limit(counts: Int64Array, limit: int, budget: int, per_record: int) -> int:
    """Largest block size kept whole so the rule's pairs fit ``budget``.

    Blocks above it are windowed at about ``per_record`` pairs per record; a block of at most
    ``2 * per_record + 1`` records is never windowed (all its pairs cost no more).
    """
    sizes = np.sort(counts[counts >= 2])
    if not len(sizes):
        return limit
    whole = np.cumsum(sizes * (sizes - 1) // 2)  # all pairs of the blocks up to sizes[i]
    members_above = sizes.sum() - np.cumsum(sizes)  # records of the bigger blocks
    fits = whole + members_above * per_record <= budget
    best = int(sizes[np.flatnonzero(fits)[-1]]) if fits.any() else 0
    return int(min(limit, max(best, 2 * per_record + 1)))


def _prepare(
    rule: BlockingRule,
    cache: _KeyCache,
    max_block_size: int | None,
    split: bool = False,
    *,
    pair_budget: int | None = None,
    split_columns: Sequence[str] = (),
    split_window: int = 1,
) -> _PreparedRule:
    codes, n_values = cache.rule_key(rule)
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=n_values).astype(np.int64)
    limit = rule.max_block_size if rule.max_block_size is not None else max_block_size
    can_split = split and rule.window == 1
    columns = [c for c in split_columns if c in cache.features and c not in rule.columns]
    hard_limit = limit
    if can_split and pair_budget is not None:
        limit = _budget_limit(counts, limit or len(codes), pair_budget, split_window)
    big = counts > limit if limit is not None else np.zeros(len(counts), dtype=bool)
    window = limit - 1 if limit is not None else 0
    if big.any() and can_split and pair_budget is not None:
        assert limit is not None
        # Spend what the whole blocks left of the budget: first on more sort orders (each
        # finds other pairs), then on wider windows.
        whole = counts[~big]
        spare = pair_budget - int((whole * (whole - 1) // 2).sum())
        allowance = max(spare, 0) / max(int(counts[big].sum()), 1)
        n_passes = int(min(max(allowance // split_window, 1), max(len(columns), 1)))
        columns = columns[:n_passes]
        window = int(min(max(allowance // n_passes, split_window), limit - 1))
        # A block whose whole pairs cost no more than its windows were allotted (``window``
        # partners per record in each of ``n_passes`` orders: s (s - 1) / 2 <= s w p) stays
        # whole, whatever max_block_size says: windowing it would save no budget and lose the
        # pairs the sort orders miss (one person on a thousand patents). Its pairs come out of
        # its own allotment, so the rule still fits the budget; where the budget binds, the
        # windows are narrow and big blocks stay split.
        big &= counts > 2 * window * n_passes + 1
    if big.any() and can_split:
        assert limit is not None
        windowed = valid & big[np.where(valid, codes, 0)]
        members = np.flatnonzero(windowed)  # ascending positions
        member_index = np.full(len(codes), -1, dtype=np.int32)
        member_index[members] = np.arange(len(members), dtype=np.int32)
        ranks = np.full((len(members), max(len(columns), 1)), -1, dtype=np.int32)
        for j, column in enumerate(columns or [None]):
            # Multi-pass sorted neighbourhood inside the block: records of one entity share
            # some value (birth date, e-mail, phone, ...) and sort next to each other by it.
            if column is None:
                order = members[np.argsort(codes[members], kind="stable")]  # input order
            else:
                key, _ = cache.key(exact(column), True)
                m = members[key[members] >= 0]
                order = m[np.lexsort((m, key[m], codes[m]))]
            sorted_codes = codes[order]
            starts = np.searchsorted(sorted_codes, sorted_codes, side="left")
            ranks[member_index[order], j] = np.arange(len(order)) - starts
        return _PreparedRule(
            rule,
            codes,
            counts[counts > 0],
            np.empty(0, dtype=np.int64),
            limit,
            member_index,
            ranks,
            window,
            # only blocks above max_block_size are worth a warning; budget splits are the design
            counts[big & (counts > (hard_limit or len(codes)))],
            hard_limit,
        )
    if big.any():
        # Re-rank the kept values so a sorted-neighbourhood window spans kept values only.
        new_rank = np.cumsum(~big) - 1
        new_rank[big] = -1
        codes = np.where(valid, new_rank[np.where(valid, codes, 0)], -1)
    return _PreparedRule(rule, codes, counts[(counts > 0) & ~big], counts[big], limit)


def _warn_skipped(prepared: _PreparedRule) -> None:
    sizes = np.sort(prepared.skipped_sizes)[::-1]
    if prepared.split_sizes is not None and len(prepared.split_sizes):
        split = np.sort(prepared.split_sizes)[::-1]
        shown = ", ".join(str(int(s)) for s in split[:5]) + (", ..." if len(split) > 5 else "")
        warnings.warn(
            f"blocking rule {prepared.rule.name!r}: split {len(split)} block(s) larger than "
            f"max_block_size={prepared.max_block_size} (each record pairs with its "
            f"{prepared.pass_window} nearest in each of {_n_passes(prepared)} sort orders; "
            f"sizes {shown})",
            OversizedBlockWarning,
            stacklevel=4,
        )
    if not len(sizes):
        return
    # Privacy: sizes only, never the key values themselves.
    shown = ", ".join(str(int(s)) for s in sizes[:5]) + (", ..." if len(sizes) > 5 else "")
    warnings.warn(
        f"blocking rule {prepared.rule.name!r}: skipped {len(sizes)} block(s) larger than "
        f"max_block_size={prepared.limit} ({int(sizes.sum())} records; sizes {shown})",
        OversizedBlockWarning,
        stacklevel=4,
    )


def _n_passes(prepared: _PreparedRule) -> int:
    return 0 if prepared.pass_ranks is None else prepared.pass_ranks.shape[1]


def _spread(
    order: Int64Array, end: Int64Array, chunk_size: int
) -> Iterator[tuple[Int64Array, Int64Array]]:
    """Pairs ``(order[p], order[q])`` for ``p < q < end[p]``, in chunks of about ``chunk_size``."""
    n_partners = end - np.arange(len(order)) - 1
    active = np.flatnonzero(n_partners > 0)
    counts = n_partners[active]
    cum = np.cumsum(counts)
    start = 0
    while start < len(active):
        base = int(cum[start - 1]) if start else 0
        stop = max(int(np.searchsorted(cum, base + chunk_size, side="right")), start + 1)
        pos = active[start:stop]
        cnt = counts[start:stop]
        total = int(cum[stop - 1]) - base
        left_pos = np.repeat(pos, cnt)
        # offset k = 1..cnt[p] of each partner behind its left position
        step = np.arange(1, total + 1, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        yield order[left_pos], order[left_pos + step]
        start = stop


def _rule_pairs(
    prepared: _PreparedRule, chunk_size: int, sources: Int64Array | None
) -> Iterator[tuple[Int64Array, Int64Array]]:
    """All pairs of one rule, in chunks of about ``chunk_size`` (cross-source only if linking)."""
    codes = prepared.codes
    if prepared.member_index is not None:
        codes = np.where(prepared.member_index >= 0, -1, codes)
    idx = np.flatnonzero(codes >= 0)
    bits = max(len(codes) - 1, 1).bit_length()
    if 2 * bits <= _PACK_BITS:
        # Sorting one packed int64 (code, position) is several times faster than a stable
        # argsort and gives the same order: by code, positions ascending within a block.
        packed = (codes[idx] << bits) | idx
        packed.sort()
        order = packed & ((1 << bits) - 1)
        sorted_codes = packed >> bits
    else:
        order = idx[np.argsort(codes[idx], kind="stable")]
        sorted_codes = codes[order]
    end = np.searchsorted(sorted_codes, sorted_codes + prepared.rule.window, side="left")
    chunks = _spread(order, end, chunk_size)
    if prepared.pass_ranks is not None:
        chunks = itertools.chain(chunks, _window_pairs(prepared, chunk_size))
    for a, b in chunks:
        if prepared.rule.window == 1 and prepared.pass_ranks is None:
            # within a block the stable sort keeps positions ascending, so a < b already
            left, right = a, b
        else:
            left, right = np.minimum(a, b), np.maximum(a, b)
        if sources is not None:
            cross = sources[left] != sources[right]
            left, right = left[cross], right[cross]
        yield left, right


def _pass_neighbours(
    ra: npt.NDArray[np.int32], rb: npt.NDArray[np.int32], window: int
) -> BoolArray:
    """Per pair (rows of pass ranks of both records): neighbours within ``window`` in any pass."""
    out: BoolArray = np.any((ra >= 0) & (rb >= 0) & (np.abs(ra - rb) <= window), axis=1)
    return out


def _window_pairs(
    prepared: _PreparedRule, chunk_size: int
) -> Iterator[tuple[Int64Array, Int64Array]]:
    """Pairs of the split blocks: neighbours within ``pass_window`` in each pass's order."""
    assert prepared.pass_ranks is not None and prepared.member_index is not None
    ranks, window, index = prepared.pass_ranks, prepared.pass_window, prepared.member_index
    members = np.flatnonzero(index >= 0)  # row i of ranks is members[i]
    for j in range(ranks.shape[1]):
        rows = np.flatnonzero(ranks[:, j] >= 0)
        order = members[rows[np.lexsort((ranks[rows, j], prepared.codes[members[rows]]))]]
        sorted_codes = prepared.codes[order]
        block_end = np.searchsorted(sorted_codes, sorted_codes, side="right")
        end = np.minimum(block_end, np.arange(len(order)) + window + 1)
        for a, b in _spread(order, end, chunk_size):
            if j:  # drop the pairs an earlier pass made
                ra, rb = ranks[index[a], :j], ranks[index[b], :j]
                seen = _pass_neighbours(ra, rb, window)
                a, b = a[~seen], b[~seen]
            yield a, b


# --------------------------------------------------------------------------- public functions


def _n_records(features: Features, rules: Sequence[BlockingRule], sources: Any) -> int:
    needed = [c for rule in rules for c in rule.columns]
    missing = sorted({c for c in needed if c not in features})
    if missing:
        raise KeyError(f"blocking rules need feature(s) {missing}; available: {sorted(features)}")
    lengths = {c: len(features[c]) for c in dict.fromkeys(needed)}
    if sources is not None:
        lengths["<link_sources>"] = len(sources)
    if not lengths:
        return len(next(iter(features.values()))) if features else 0
    n = next(iter(lengths.values()))
    bad = {c: m for c, m in lengths.items() if m != n}
    if bad:
        raise ValueError(f"feature arrays differ in length: {lengths}")
    return n


def _source_codes(features: Features, link_sources: Any, link_only: bool) -> Int64Array | None:
    if link_sources is None and not link_only:
        return None
    if link_sources is None:
        if "source" not in features:
            raise KeyError("link_only=True needs a 'source' feature (or pass link_sources)")
        link_sources = features["source"]
    values = np.asarray(link_sources, dtype=object).tolist()
    n_missing = sum(v is None or (isinstance(v, str) and not v.strip()) for v in values)
    if n_missing:
        raise ValueError(f"link mode: {n_missing} record(s) have no source label")
    codes, _ = factorize(values)
    return codes


def _check_rules(rules: Sequence[BlockingRule]) -> list[BlockingRule]:
    out = list(rules)
    for rule in out:
        if not isinstance(rule, BlockingRule):
            raise TypeError(f"expected BlockingRule objects, got {type(rule).__name__}")
    if len(out) > np.iinfo(np.int16).max:
        raise ValueError("too many blocking rules for an int16 rule index")
    return out


@dataclass
class _Plan:
    n_records: int
    prepared: list[_PreparedRule]
    sources: Int64Array | None
    _matrix: npt.NDArray[np.signedinteger[Any]] | None = None

    @property
    def matrix(self) -> npt.NDArray[np.signedinteger[Any]]:
        """Key codes as an ``n × rules`` row-major matrix: one gather fetches every rule's code
        of a record, far cheaper than one scattered gather per earlier rule."""
        if self._matrix is None:
            dtype = np.int32 if self.n_records < 2**30 else np.int64
            columns = [p.codes.astype(dtype) for p in self.prepared]
            self._matrix = np.stack(columns, axis=1) if columns else np.empty((0, 0), dtype)
        return self._matrix

    def seen_before(self, index: int, left: Int64Array, right: Int64Array) -> BoolArray:
        """Whether a rule before ``index`` produces each pair (keys present, within window)."""
        if index == 0:
            return np.zeros(len(left), dtype=bool)
        cl = self.matrix[left, :index]
        cr = self.matrix[right, :index]
        windows = np.array([p.rule.window for p in self.prepared[:index]], dtype=cl.dtype)
        hit = (cl >= 0) & (cr >= 0) & (np.abs(cl - cr) < windows)
        for k, p in enumerate(self.prepared[:index]):
            if p.pass_ranks is None or p.member_index is None:
                continue
            # a split block of rule k paired the two only if they are pass neighbours
            rows = p.member_index[left]
            split = np.flatnonzero(hit[:, k] & (rows >= 0))
            rl, rr = p.pass_ranks[rows[split]], p.pass_ranks[p.member_index[right[split]]]
            near = _pass_neighbours(rl, rr, p.pass_window)
            hit[split[~near], k] = False
        out: BoolArray = np.any(hit, axis=1)
        return out


def _plan(
    features: Features,
    rules: Sequence[BlockingRule],
    *,
    max_block_size: int | None,
    link_sources: Any,
    link_only: bool,
    chunk_size: int,
    drop_junk: bool,
    warn: bool,
    split_oversized: bool = False,
    pair_budget: int | None = None,
    split_columns: Sequence[str] = DEFAULT_SPLIT_COLUMNS,
    split_window: int = DEFAULT_SPLIT_WINDOW,
    workers: int = 1,
) -> _Plan:
    rule_list = _check_rules(rules)
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if max_block_size is not None and max_block_size < 2:
        raise ValueError("max_block_size must be >= 2 (or None for no limit)")
    n = _n_records(features, rule_list, link_sources)
    sources = _source_codes(features, link_sources, link_only)
    cache = _KeyCache(features, n, drop_junk)
    if pair_budget is not None and pair_budget < 1:
        raise ValueError("pair_budget must be >= 1 (or None for no budget)")
    if split_window < 1:
        raise ValueError("split_window must be >= 1")
    if workers > 1 and n >= PARALLEL_MIN_RECORDS:
        wanted = [(key, rule.window > 1) for rule in rule_list for key in rule.keys]
        if split_oversized:  # the sort orders of split blocks
            wanted += [(exact(c), True) for c in split_columns if c in cache.features]
        cache.prefetch(wanted, workers)
    prepared = [
        _prepare(
            rule,
            cache,
            max_block_size,
            split_oversized,
            pair_budget=pair_budget,
            split_columns=split_columns,
            split_window=split_window,
        )
        for rule in rule_list
    ]
    if warn:
        for p in prepared:
            _warn_skipped(p)
    return _Plan(n, prepared, sources)


def _new_pairs(plan: _Plan, index: int, chunk_size: int) -> Iterator[tuple[Int64Array, Int64Array]]:
    """Pairs of rule ``index`` that no earlier rule produced."""
    for left, right in _rule_pairs(plan.prepared[index], chunk_size, plan.sources):
        if index and len(left):
            fresh = ~plan.seen_before(index, left, right)
            left, right = left[fresh], right[fresh]
        yield left, right


def iter_pairs(
    features: Features,
    rules: Sequence[BlockingRule],
    *,
    max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE,
    link_sources: npt.ArrayLike | None = None,
    link_only: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    drop_junk: bool = True,
    split_oversized: bool = False,
    pair_budget: int | None = None,
    split_columns: Sequence[str] = DEFAULT_SPLIT_COLUMNS,
    split_window: int = DEFAULT_SPLIT_WINDOW,
    workers: int = 1,
) -> Iterator[CandidatePairs]:
    """Like :func:`generate_pairs` but yields chunks of at most about ``chunk_size`` pairs.

    Memory stays at O(records × rules + chunk_size): earlier rules' pairs are recognised from
    their key codes, not stored. Every pair appears in exactly one chunk; chunks come rule by
    rule and are *not* sorted. Arguments are checked (and size warnings issued) on the call,
    before the first chunk; ``workers`` as in :func:`generate_pairs`.

    >>> import numpy as np
    >>> from crmresolve.block import block_on
    >>> f = {"phone": np.array(["+411", "+411", "+411", None], dtype=object)}
    >>> [len(c) for c in iter_pairs(f, [block_on("phone")], chunk_size=2)]
    [2, 1]
    """
    plan = _plan(
        features,
        rules,
        max_block_size=max_block_size,
        link_sources=link_sources,
        link_only=link_only,
        chunk_size=chunk_size,
        drop_junk=drop_junk,
        warn=True,
        split_oversized=split_oversized,
        pair_budget=pair_budget,
        split_columns=split_columns,
        split_window=split_window,
        workers=workers,
    )
    names = tuple(p.rule.name for p in plan.prepared)

    def chunks() -> Iterator[CandidatePairs]:
        for index in range(len(plan.prepared)):
            for left, right in _new_pairs(plan, index, chunk_size):
                if len(left):
                    rule = np.full(len(left), index, dtype=np.int16)
                    yield CandidatePairs(left, right, rule, names)

    return chunks()


def generate_pairs(
    features: Features,
    rules: Sequence[BlockingRule],
    *,
    max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE,
    link_sources: npt.ArrayLike | None = None,
    link_only: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    drop_junk: bool = True,
    split_oversized: bool = False,
    pair_budget: int | None = None,
    split_columns: Sequence[str] = DEFAULT_SPLIT_COLUMNS,
    split_window: int = DEFAULT_SPLIT_WINDOW,
    workers: int = 1,
) -> CandidatePairs:
    """Candidate pairs: the union of the rules' pairs, unique, sorted by ``(left, right)``.

    A pair is attributed to the first rule (in ``rules`` order) that produces it, so per-rule
    counts are *new* pairs and put the most specific rules first.

    - A record with a missing (``None``/empty) or junk value in any key component gets no key
      from that rule and is never paired by it: missing keys never block together.
    - ``max_block_size``: blocks with more records are skipped with an
      :class:`OversizedBlockWarning` naming the rule and the block sizes (never the values);
      ``None`` disables the guard; a rule's own ``max_block_size`` wins.
    - Dedupe (default) and *link-and-dedupe* (several sources concatenated, also pairs within a
      source): leave ``link_sources`` unset. *Link only* (pairs across sources only): pass
      ``link_sources`` (one source label per record) or ``link_only=True`` to use
      ``features["source"]``.
    - ``drop_junk``: placeholder values (:data:`~crmresolve.block.JUNK_VALUES`, repeated-digit
      numbers, ...) give no key.
    - ``split_oversized``: instead of skipping an oversized block (of a rule without window),
      sort its records by each of ``split_columns`` present (other than the rule's own) and
      pair each record with its next ``max_block_size - 1`` records in each order (or, under a
      budget, as many as the budget allows, at least ``split_window``); without such columns
      the order is the input order. Big true entities keep their pairs.
    - ``pair_budget`` (with ``split_oversized``): at most about this many pairs per rule.
      Blocks are split from the largest down until the rule fits; each record of a split
      block still gets at least ``split_window`` partners in one order, so a rule whose
      records are nearly all in huge blocks can exceed the budget by about its number of
      records. Whole blocks are never split when the budget allows them, and a block above
      ``max_block_size`` stays whole when its pairs, ``s (s - 1) / 2``, are no more than its
      windows were allotted (``s`` records × ``w`` partners × passes): then the budget is
      spare enough for it (one inventor on a thousand patents keeps all his pairs).
    - ``workers``: forked processes that compute the rules' keys, a column per process, from
      :data:`PARALLEL_MIN_RECORDS` records on (Linux); the pairs never depend on it.

    >>> import numpy as np
    >>> from crmresolve.block import block_on, initial
    >>> f = {
    ...     "given_name": np.array(["ann", "anna", "bo", "anne"], dtype=object),
    ...     "surname": np.array(["berg", "berg", "berg", "lind"], dtype=object),
    ...     "source": np.array(["crm", "shop", "crm", "shop"], dtype=object),
    ... }
    >>> p = generate_pairs(f, [block_on(initial("given_name"), "surname"), block_on("surname")])
    >>> list(zip(p.left.tolist(), p.right.tolist(), p.rule.tolist()))
    [(0, 1, 0), (0, 2, 1), (1, 2, 1)]
    >>> p = generate_pairs(f, [block_on("surname")], link_only=True)
    >>> list(zip(p.left.tolist(), p.right.tolist()))
    [(0, 1), (1, 2)]
    """
    plan = _plan(
        features,
        rules,
        max_block_size=max_block_size,
        link_sources=link_sources,
        link_only=link_only,
        chunk_size=chunk_size,
        drop_junk=drop_junk,
        warn=True,
        split_oversized=split_oversized,
        pair_budget=pair_budget,
        split_columns=split_columns,
        split_window=split_window,
        workers=workers,
    )
    names = tuple(p.rule.name for p in plan.prepared)
    record_bits = max(plan.n_records - 1, 1).bit_length()
    rule_bits = max(len(names) - 1, 1).bit_length()
    if 2 * record_bits + rule_bits <= _PACK_BITS:
        # One int64 per pair, bits (left | right | rule), so one sort orders by pair and then by
        # rule: the first of each run of equal pairs carries the first rule. This does ordering
        # and cross-rule de-duplication at once, cheaper than testing earlier rules per pair;
        # shifts instead of multiplications keep packing and unpacking cheap.
        packed = [
            (((left << record_bits) | right) << rule_bits) | index
            for index, prepared in enumerate(plan.prepared)
            for left, right in _rule_pairs(prepared, chunk_size, plan.sources)
        ]
        keys = np.concatenate(packed) if packed else np.empty(0, dtype=np.int64)
        del packed
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        # neighbours hold the same pair iff they differ only in the rule bits
        np.greater_equal(keys[1:] ^ keys[:-1], 1 << rule_bits, out=first[1:])
        keys = keys[first]
        rule = keys & ((1 << rule_bits) - 1)
        keys >>= rule_bits
        left = keys >> record_bits
        right = keys & ((1 << record_bits) - 1)
    else:  # only for hundreds of millions of records
        parts = [
            (left, right, np.full(len(left), index, dtype=np.int64))
            for index, prepared in enumerate(plan.prepared)
            for left, right in _rule_pairs(prepared, chunk_size, plan.sources)
        ]
        left = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=np.int64)
        right = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, dtype=np.int64)
        rule = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, dtype=np.int64)
        order = np.lexsort((rule, right, left))
        left, right, rule = left[order], right[order], rule[order]
        first = np.ones(len(left), dtype=bool)
        first[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1])
        left, right, rule = left[first], right[first], rule[first]
    return CandidatePairs(left, right, rule.astype(np.int16), names)
