"""u-probabilities from comparisons of random record pairs.

Two records drawn at random are almost never the same entity, so the distribution of their
comparison levels estimates u = P(level | non-match). The few true matches that do land in the
sample can be down-weighted later with the fitted model (:meth:`USample.u_probabilities` takes
per-pattern weights), which matters for rare agreement levels: with a prior of 1e-4 and an exact
date-of-birth u of 3e-5, matches would otherwise dominate the observed agreement rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.score._em import compress, level_probabilities, weighted_level_counts
from crmresolve.score._types import (
    ComparisonLike,
    Features,
    FloatArray,
    Int8Array,
    Int64Array,
    validate_gamma,
)

__all__ = ["USample", "count_total_pairs", "estimate_u", "sample_pairs"]

#: Pairs handed to ``Comparison.compute`` at once (bounds peak memory on big samples).
_CHUNK = 250_000


def _source_codes(link_sources: npt.ArrayLike, n_records: int) -> Int64Array:
    src = np.asarray(link_sources, dtype=object)
    if src.shape != (n_records,):
        raise ValueError(f"link_sources must have one entry per record ({n_records})")
    _, codes = np.unique(src.astype(str), return_inverse=True)
    out: Int64Array = codes.astype(np.int64).reshape(-1)
    return out


def count_total_pairs(n_records: int, link_sources: npt.ArrayLike | None = None) -> int:
    """Number of comparable pairs: all ``i < j`` (dedupe) or all cross-source pairs (link).

    >>> count_total_pairs(4), count_total_pairs(4, ["a", "a", "b", "b"])
    (6, 4)
    """
    if link_sources is None:
        return n_records * (n_records - 1) // 2
    codes = _source_codes(link_sources, n_records)
    sizes = np.bincount(codes).astype(object)  # Python ints: no overflow for huge inputs
    return int((n_records * n_records - int(np.sum(sizes * sizes))) // 2)


def sample_pairs(
    n_records: int,
    sample_size: int,
    rng: np.random.Generator,
    link_sources: npt.ArrayLike | None = None,
) -> tuple[Int64Array, Int64Array]:
    """Uniform random record pairs ``(left < right)``; all pairs if there are few enough.

    Dedupe mode draws from all ``i < j``; link mode from pairs whose sources differ (rejection
    sampling keeps the draw uniform over cross-source pairs). Sampling is with replacement,
    which does not bias frequencies.
    """
    codes = None if link_sources is None else _source_codes(link_sources, n_records)
    total = count_total_pairs(n_records, link_sources)
    if total == 0:
        raise ValueError("no comparable record pairs (need 2+ records, or 2+ sources to link)")
    if n_records * (n_records - 1) // 2 <= sample_size:
        # Small input: enumerate instead of sampling, the u estimate is then exact.
        left, right = np.triu_indices(n_records, k=1)
        left, right = left.astype(np.int64), right.astype(np.int64)
        if codes is not None:
            keep = codes[left] != codes[right]
            left, right = left[keep], right[keep]
        return left, right
    lefts: list[Int64Array] = []
    rights: list[Int64Array] = []
    have = 0
    for _ in range(10_000):
        want = sample_size - have
        if want <= 0:
            break
        draw = int(want * 1.2) + 16
        i = rng.integers(0, n_records, size=draw, dtype=np.int64)
        j = rng.integers(0, n_records, size=draw, dtype=np.int64)
        keep = i != j
        if codes is not None:
            keep &= codes[i] != codes[j]
        i, j = i[keep][:want], j[keep][:want]
        lefts.append(np.minimum(i, j))
        rights.append(np.maximum(i, j))
        have += len(i)
    else:  # pragma: no cover - would need a vanishing share of cross-source pairs
        raise ValueError("could not draw enough cross-source pairs; are the sources balanced?")
    return np.concatenate(lefts), np.concatenate(rights)


@dataclass(frozen=True)
class USample:
    """Comparison levels of random pairs, compressed to distinct patterns with counts.

    ``u_probabilities()`` turns it into u per comparison; ``patterns``/``counts`` let the model
    down-weight the few matches hidden in the sample once m and the prior are known.

    >>> s = USample.from_gamma(np.array([[0], [0], [0], [1]]), n_levels=[2])
    >>> s.u_probabilities(pseudo_count=0.0)[0].tolist()
    [0.75, 0.25]
    """

    patterns: Int8Array
    counts: Int64Array
    n_levels: tuple[int, ...]
    n_sampled: int
    n_total_pairs: int | None = None

    @classmethod
    def from_gamma(
        cls,
        gamma: npt.ArrayLike,
        n_levels: Sequence[int],
        *,
        n_total_pairs: int | None = None,
    ) -> USample:
        """Wrap gamma computed on random pairs elsewhere (e.g. on a cluster)."""
        g = validate_gamma(gamma, n_levels, what="random-pair gamma")
        patterns, counts = compress(g, n_levels)
        return cls(patterns, counts, tuple(int(n) for n in n_levels), len(g), n_total_pairs)

    def u_probabilities(
        self,
        *,
        pseudo_count: float = 1.0,
        floor: float = 0.0,
        pattern_weights: FloatArray | None = None,
        fixed: Sequence[Mapping[int, float]] | None = None,
    ) -> list[FloatArray]:
        """u per comparison: level frequency among non-missing sampled pairs.

        ``pattern_weights`` (one per pattern, e.g. ``1 - P(match)``) down-weights patterns.
        """
        w = self.counts.astype(np.float64)
        if pattern_weights is not None:
            w = w * pattern_weights
        level_counts = weighted_level_counts(self.patterns, w, self.n_levels)
        return [
            level_probabilities(
                c,
                pseudo_count=pseudo_count,
                floor=floor,
                fixed=None if fixed is None else fixed[k],
            )
            for k, c in enumerate(level_counts)
        ]

    @property
    def u(self) -> list[FloatArray]:
        """Plain level frequencies (no smoothing, no down-weighting)."""
        return self.u_probabilities(pseudo_count=0.0)


def pair_levels(
    features: Features,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    comparisons: Sequence[ComparisonLike],
    *,
    cache: object = None,
    threads: int = 1,
) -> npt.NDArray[np.int8]:
    """``int8[n_pairs, n_comparisons]`` levels of the pairs.

    Comparisons built with :mod:`crmresolve.compare` go through
    :func:`crmresolve.compare.compute_gamma` (one shared factorisation of the features for
    every chunk and comparison instead of one per chunk and comparison); other comparison
    objects get the plain ``compute(features, left, right)`` call, ``_CHUNK`` pairs at a time.
    The levels are the same either way. ``cache``: a :class:`crmresolve.compare.FeatureCache`
    of these ``features`` to reuse (its factorisations and tables are kept for later calls);
    ``threads``: see :func:`crmresolve.compare.compute_gamma` (same levels on any number).
    """
    feats: dict[str, npt.NDArray[Any]] = dict(features)
    # score does not depend on compare (comparisons only follow its protocol): imported here.
    from crmresolve.compare import Comparison, FeatureCache, compute_gamma

    if cache is not None and not isinstance(cache, FeatureCache):
        raise TypeError(f"cache must be a crmresolve.compare.FeatureCache, not {type(cache)}")
    compare_comps = [c for c in comparisons if isinstance(c, Comparison)]
    if compare_comps and len(compare_comps) == len(comparisons):
        return compute_gamma(feats, left, right, compare_comps, cache=cache, threads=threads)
    gamma = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for start in range(0, len(left), _CHUNK):
        sl = slice(start, start + _CHUNK)
        for k, comp in enumerate(comparisons):
            gamma[sl, k] = comp.compute(feats, left[sl], right[sl])
    return gamma


def estimate_u(
    features: Features,
    n_records: int,
    comparisons: Sequence[ComparisonLike],
    *,
    sample_size: int = 1_000_000,
    link_sources: npt.ArrayLike | None = None,
    seed: int = 0,
    cache: object = None,
    threads: int = 1,
) -> USample:
    """Compare ``sample_size`` random record pairs and collect their levels.

    Deterministic for a given ``seed`` (``np.random.default_rng(seed)``). In link mode
    (``link_sources``: one source label per record) only cross-source pairs are drawn.
    ``cache`` and ``threads``: see :func:`pair_levels`.

    >>> class Eq:  # a one-level-plus-else stand-in comparison
    ...     name, columns, level_labels = "x", ("x",), ["else", "exact"]
    ...     tf_column = tf_level = None
    ...     def compute(self, f, l, r): return (f["x"][l] == f["x"][r]).astype(np.int8)
    ...     def to_dict(self): return {}
    >>> f = {"x": np.array(["a", "a", "b", "c"], dtype=object)}
    >>> estimate_u(f, 4, [Eq()]).u[0].tolist()  # 1 of the 6 pairs agrees
    [0.8333333333333334, 0.16666666666666666]
    """
    if sample_size < 1:
        raise ValueError("sample_size must be positive")
    if n_records < 2:
        raise ValueError("need at least 2 records to sample pairs")
    n_levels = [len(c.level_labels) for c in comparisons]
    rng = np.random.default_rng(seed)
    left, right = sample_pairs(n_records, sample_size, rng, link_sources)
    gamma = pair_levels(features, left, right, comparisons, cache=cache, threads=threads)
    return USample.from_gamma(
        gamma, n_levels, n_total_pairs=count_total_pairs(n_records, link_sources)
    )
