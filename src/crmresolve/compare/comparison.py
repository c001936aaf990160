"""A comparison: an ordered stack of levels turned into one ``int8`` gamma value per pair.

Levels are *written* closest first, so a comparison reads like a sentence::

    Comparison("given_name", [ExactMatch("given_name"), NicknameMatch(),
                              JaroWinklerAtLeast("given_name", 0.92), Else()])

while gamma is *numbered* from the bottom: ``0`` is :class:`Else`, the first level listed gets
the highest value, and ``-1`` means a value the comparison needs is missing on either side
(neither agreement nor disagreement). ``level_labels[g]`` names gamma ``g``.

>>> import numpy as np
>>> from crmresolve.compare.levels import ExactMatch, JaroWinklerAtLeast, Else
>>> c = Comparison("surname", [ExactMatch("surname"), JaroWinklerAtLeast("surname", 0.88), Else()])
>>> c.level_labels
['else', 'jaro-winkler >= 0.88', 'exact match']
>>> feats = {"surname": np.array(["smith", "smyth", "jones", None], dtype=object)}
>>> c.compute(feats, np.array([0, 0, 0, 0]), np.array([0, 1, 2, 3])).tolist()
[2, 1, 0, -1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from crmresolve._fork import can_fork, fork_map, shared_empty
from crmresolve.compare._batch import (
    FeatureCache,
    Features,
    IntArray,
    PairBatch,
)
from crmresolve.compare.levels import Else, ExactMatch, Level, level_from_dict

__all__ = ["DEFAULT_CHUNK_SIZE", "Comparison", "compute_gamma"]

GammaArray = npt.NDArray[np.int8]

#: Pairs per chunk in :func:`compute_gamma`: temporaries are about 100-200 bytes per pair of a
#: chunk, and measured on 4.65 M pairs (100k generated records) 2^18 pairs per chunk is as fast
#: as 2^20 with a quarter less peak memory (349 vs 460 MiB RSS).
DEFAULT_CHUNK_SIZE: Final = 1 << 18

_MAX_LEVELS: Final = 127  # gamma is int8


class Comparison:
    """Named levels for one aspect of a record (a field or a group of fields).

    Parameters
    ----------
    name:
        Identifier used in models and explanations (``"given_name"``).
    levels:
        Closest agreement first; a trailing :class:`Else` is optional (it is always implied).
    tf_column, tf_level:
        Term-frequency adjustment: the feature whose value frequency scales the weight of the
        level with gamma ``tf_level``. With only ``tf_column`` given, ``tf_level`` is the gamma
        of the first ``ExactMatch`` on that column.
    null_columns:
        Gamma is ``-1`` when any of these is missing on either side. Defaults to the columns
        of the first level.
    rescue:
        ``(level, gamma)`` pairs tried, in order, on the pairs left at ``-1``: where ``level``
        holds, the pair gets ``gamma`` (a level of the stack, never ``else``); elsewhere it
        stays ``-1``. For values that are present but unusable, such as an impossible birth
        date one typo away from the other record's valid one (see
        :func:`~crmresolve.compare.library.dob_comparison`). A rescue level's columns are not
        part of :attr:`columns`: a feature table without them gets no rescue, and the
        comparison behaves as without ``rescue``.
    unusable:
        Levels that, where they hold, make the pair missing (``-1``) like a missing value:
        values that are present but no evidence either way, such as a birth date in the year
        6003 (:class:`~crmresolve.compare.levels.DateOutsideYears`). Tested before the stack;
        ``rescue`` still applies to such pairs.
    """

    def __init__(
        self,
        name: str,
        levels: Sequence[Level],
        *,
        tf_column: str | None = None,
        tf_level: int | None = None,
        null_columns: Sequence[str] | None = None,
        rescue: Sequence[tuple[Level, int]] = (),
        unusable: Sequence[Level] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a comparison needs a non-empty name")
        stack = list(levels)
        if stack and isinstance(stack[-1], Else):
            stack.pop()
        if any(isinstance(level, Else) for level in stack):
            raise ValueError(f"comparison {name!r}: Else must be the last level")
        if not stack:
            raise ValueError(f"comparison {name!r} needs at least one level above Else")
        if not all(isinstance(level, Level) for level in stack):
            raise TypeError(f"comparison {name!r}: levels must be Level instances")
        if len(stack) > _MAX_LEVELS - 1:
            raise ValueError(f"comparison {name!r} has too many levels for int8 gamma")
        self.name = name
        self.levels: tuple[Level, ...] = tuple(stack)
        nulls = tuple(null_columns) if null_columns is not None else stack[0].columns
        if not nulls:
            raise ValueError(f"comparison {name!r}: null_columns must name at least one column")
        self.null_columns: tuple[str, ...] = nulls
        for level in unusable:
            if not isinstance(level, Level) or isinstance(level, Else):
                raise TypeError(f"comparison {name!r}: an unusable test must be a Level, not Else")
        self.unusable: tuple[Level, ...] = tuple(unusable)
        self.columns: tuple[str, ...] = tuple(
            dict.fromkeys(
                [*nulls, *(c for level in [*self.unusable, *stack] for c in level.columns)]
            )
        )
        self.tf_column = tf_column
        if tf_column is not None and tf_level is None:
            tf_level = next(
                (
                    self._gamma_of(i)
                    for i, level in enumerate(stack)
                    if isinstance(level, ExactMatch) and level.column == tf_column
                ),
                None,
            )
            if tf_level is None:
                raise ValueError(
                    f"comparison {name!r}: tf_column {tf_column!r} has no ExactMatch level; "
                    "pass tf_level"
                )
        if tf_level is not None and not 0 < tf_level <= len(stack):
            raise ValueError(
                f"comparison {name!r}: tf_level must be a gamma between 1 and {len(stack)}"
            )
        self.tf_level = tf_level
        rescued: list[tuple[Level, int]] = []
        for item in rescue:
            level, gamma = item
            if not isinstance(level, Level) or isinstance(level, Else):
                raise TypeError(f"comparison {name!r}: a rescue level must be a Level, not Else")
            if isinstance(gamma, bool) or not isinstance(gamma, int):
                raise TypeError(f"comparison {name!r}: a rescue gamma must be an integer")
            if not 0 < gamma <= len(stack):
                raise ValueError(
                    f"comparison {name!r}: a rescue gamma must be between 1 and {len(stack)}"
                )
            rescued.append((level, gamma))
        self.rescue: tuple[tuple[Level, int], ...] = tuple(rescued)
        floors: dict[tuple[str, str], float] = {}
        for level in [*self.unusable, *stack, *(level for level, _ in rescued)]:
            for column, metric, threshold in level.floors():
                key = (column, metric)
                floors[key] = min(threshold, floors.get(key, threshold))
        self._floors = floors

    def _gamma_of(self, index: int) -> int:
        """Gamma of ``self.levels[index]`` (the first level listed is the highest)."""
        return len(self.levels) - index

    @property
    def n_levels(self) -> int:
        """Number of gamma values (``else`` included, ``-1`` excluded)."""
        return len(self.levels) + 1

    @property
    def level_labels(self) -> list[str]:
        """Label per gamma value: index 0 is ``"else"``, the last is the closest level."""
        primary = self.null_columns[0]
        return ["else", *(level.label(primary) for level in reversed(self.levels))]

    def compute(
        self,
        features: Features,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        *,
        workers: int = 1,
        cache: FeatureCache | None = None,
    ) -> GammaArray:
        """Gamma per pair (``int8``, ``-1`` = missing).

        ``cache`` lets several comparisons (or chunks) share one factorisation of
        ``features``; ``workers`` is passed to rapidfuzz (``-1`` = all cores).
        """
        cache = cache if cache is not None else FeatureCache(features)
        lpos, rpos = check_pairs(left, right, cache.n_records)
        return self.compute_batch(PairBatch(cache, lpos, rpos, workers=workers))

    def compute_batch(self, pairs: PairBatch) -> GammaArray:
        """Gamma for an existing :class:`PairBatch` (the building block of :meth:`compute`).

        When the pairs repeat few value combinations of :attr:`columns` (given names, cities),
        every level runs once per combination and the result is scattered back. Rescue levels
        then run on the pairs left at ``-1`` only.
        """
        distinct = pairs.distinct(self.columns)
        gamma: GammaArray
        if distinct is not None:
            combos, inverse = distinct
            gamma = self._levels_gamma(combos)[inverse]
        else:
            gamma = self._levels_gamma(pairs)
        if self.rescue:
            self._rescue(pairs, gamma)
        return gamma

    def _rescue(self, pairs: PairBatch, gamma: GammaArray) -> None:
        """Give missing (``-1``) pairs the gamma of the first rescue level that holds."""
        undecided = np.flatnonzero(gamma < 0)
        for level, value in self.rescue:
            if not undecided.size:
                break
            if not all(pairs.has(c) for c in level.columns):
                continue  # e.g. features built before the rescue column existed
            for column, metric, _ in level.floors():
                pairs.declare_floor(column, metric, self._floors[(column, metric)])
            view = pairs.subset(undecided)
            usable = np.ones(undecided.size, dtype=bool)
            for column in level.columns:
                usable &= view.present(column)
            at = np.flatnonzero(usable)
            if not at.size:
                continue
            hit = np.asarray(level.evaluate(pairs.subset(undecided[at])), dtype=bool)
            gamma[undecided[at[hit]]] = value
            keep = np.ones(undecided.size, dtype=bool)
            keep[at[hit]] = False
            undecided = undecided[keep]

    def _levels_gamma(self, pairs: PairBatch) -> GammaArray:
        for (column, metric), floor in self._floors.items():
            pairs.declare_floor(column, metric, floor)
        gamma = np.full(pairs.n, -1, dtype=np.int8)
        known = np.ones(pairs.n, dtype=bool)
        for column in self.null_columns:
            known &= pairs.present(column)
        for level in self.unusable:
            at = np.flatnonzero(known)
            if not at.size:
                break
            view = pairs if at.size == pairs.n else pairs.subset(at)
            known[at[np.asarray(level.evaluate(view), dtype=bool)]] = False
        undecided = np.flatnonzero(known)
        top = len(self.levels)
        for i, level in enumerate(self.levels):
            if not undecided.size:
                break
            # Each level only sees the pairs no closer level has claimed.
            view = pairs if undecided.size == pairs.n else pairs.subset(undecided)
            hit = np.asarray(level.evaluate(view), dtype=bool)
            gamma[undecided[hit]] = top - i
            undecided = undecided[~hit]
        gamma[undecided] = 0
        return gamma

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description; :meth:`from_dict` rebuilds an equal comparison.

        ``rescue`` and ``unusable`` are written only when there are some (older readers and
        files stay valid).
        """
        out: dict[str, Any] = {
            "name": self.name,
            "levels": [level.to_dict() for level in self.levels],
            "tf_column": self.tf_column,
            "tf_level": self.tf_level,
            "null_columns": list(self.null_columns),
        }
        if self.unusable:
            out["unusable"] = [level.to_dict() for level in self.unusable]
        if self.rescue:
            out["rescue"] = [
                {"level": level.to_dict(), "gamma": gamma} for level, gamma in self.rescue
            ]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        levels = data.get("levels")
        if not isinstance(levels, list):
            raise ValueError("comparison: 'levels' must be a list")
        nulls = data.get("null_columns")
        rescue = data.get("rescue") or []
        if not isinstance(rescue, list) or not all(
            isinstance(x, Mapping) and isinstance(x.get("level"), Mapping) for x in rescue
        ):
            raise ValueError("comparison: 'rescue' must be a list of {level, gamma} objects")
        unusable = data.get("unusable") or []
        if not isinstance(unusable, list) or not all(isinstance(x, Mapping) for x in unusable):
            raise ValueError("comparison: 'unusable' must be a list of levels")
        return cls(
            str(data.get("name", "")),
            [level_from_dict(x) for x in levels],
            tf_column=data.get("tf_column"),
            tf_level=data.get("tf_level"),
            null_columns=list(nulls) if nulls is not None else None,
            rescue=[(level_from_dict(x["level"]), x.get("gamma")) for x in rescue],
            unusable=[level_from_dict(x) for x in unusable],
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Comparison) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.name, self.levels))

    def __repr__(self) -> str:
        return f"Comparison({self.name!r}, levels={self.level_labels[::-1]!r})"


def check_pairs(
    left: npt.ArrayLike, right: npt.ArrayLike, n_records: int
) -> tuple[IntArray, IntArray]:
    """Validate candidate pair arrays and return them as ``int64``."""
    out = []
    for side, arr in (("left", left), ("right", right)):
        a = np.asarray(arr)
        if a.ndim != 1:
            raise ValueError(f"{side} must be a one-dimensional array of record positions")
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"{side} must hold integer record positions")
        a = a.astype(np.int64, copy=False)
        if a.size and (int(a.min()) < 0 or int(a.max()) >= n_records):
            raise IndexError(f"{side} holds record positions outside 0..{n_records - 1}")
        out.append(a)
    if out[0].shape != out[1].shape:
        raise ValueError("left and right must have the same length")
    return out[0], out[1]


def compute_gamma(
    features: Features,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    comparisons: Sequence[Comparison],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = 1,
    cache: FeatureCache | None = None,
    threads: int = 1,
    processes: int = 1,
) -> npt.NDArray[np.int8]:
    """The gamma matrix ``int8[n_pairs, n_comparisons]`` for candidate pairs.

    Pairs are processed ``chunk_size`` at a time so temporaries stay bounded (roughly 200
    bytes per pair of a chunk); the factorisation of ``features`` is shared by all chunks and
    comparisons, and by later calls when the same ``cache`` (a :class:`FeatureCache` of these
    features) is passed again. ``workers`` goes to rapidfuzz (``-1`` = all cores).
    ``threads`` > 1 computes chunks in a thread pool (numpy and rapidfuzz release the GIL for
    much of the work); each chunk writes its own rows, so the result is the same.
    ``processes`` > 1 (Linux) computes chunks in forked worker processes instead, which also
    spreads the levels that loop in Python over the pairs they concern (e-mail handles that
    spell the names) over the cores; the result is the same again.

    >>> import numpy as np
    >>> from crmresolve.compare.library import email_comparison, phone_comparison
    >>> feats = {"email": np.array(["a@x.com", "a@x.com", None], dtype=object),
    ...          "phone": np.array(["+4915112345678", "+4915112345679", "+4915112345678"],
    ...                            dtype=object)}
    >>> compute_gamma(feats, [0, 0], [1, 2], [email_comparison(), phone_comparison()]).tolist()
    [[4, 1], [-1, 3]]
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError("chunk_size must be a positive integer")
    if cache is None:
        cache = FeatureCache(features)
    elif not cache.covers(features):
        raise ValueError("cache was built for other features (a FeatureCache serves one mapping)")
    lpos, rpos = check_pairs(left, right, cache.n_records)
    starts = range(0, lpos.size, chunk_size)
    forked = processes > 1 and len(starts) > 1 and can_fork()
    shape = (lpos.size, len(comparisons))
    # Forked workers write their rows into shared memory: nothing to send back.
    out = shared_empty(shape, np.int8) if forked else np.empty(shape, dtype=np.int8)

    def chunk(start: int) -> None:
        stop = min(start + chunk_size, lpos.size)
        pairs = PairBatch(cache, lpos[start:stop], rpos[start:stop], workers=workers)
        for j, comparison in enumerate(comparisons):
            out[start:stop, j] = comparison.compute_batch(pairs)

    if forked:
        # The first chunk fills the shared factorisations before the fork, so every worker
        # inherits them instead of building its own.
        chunk(starts[0])
        fork_map(chunk, list(starts[1:]), workers=processes)
    elif threads > 1 and len(starts) > 1:
        chunk(starts[0])  # the first chunk fills the shared factorisations single-threaded
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(chunk, starts[1:]))
    else:
        for start in starts:
            chunk(start)
    return out
