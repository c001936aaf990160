"""Pairwise and cluster metrics against ground-truth labels.

Truth is given as one entity id per record (any hashable values: ``str``, ``int``, ...).
Predictions are either *pairs* of record positions (``left[k]``, ``right[k]``) or one
cluster *label* per record. Nothing here enumerates all true pairs: every count comes from
group sizes (``C(k, 2)`` summed over groups) or from contingency counts of
``(cluster, entity)`` combinations, so a benchmark whose largest entity has thousands of
records costs O(n log n), not O(k²).

Link mode (``link_sources=``, one source label per record) scores record *linkage*: only
pairs whose two records come from different sources count, both among the true pairs and
among the predictions.

Zero denominators follow one rule: a ratio with nothing to measure is 1.0 (no predicted
pairs → precision 1.0; no true pairs → recall 1.0), and ``f1 = 2·tp / (2·tp + fp + fn)``,
which agrees with the harmonic mean whenever that is defined.

>>> ent = ["a", "a", "a", "b", "b", "c"]
>>> true_pair_count(ent)
4
>>> m = pairwise_metrics([0, 0, 3], [1, 5, 4], ent)
>>> (m.tp, m.fp, m.fn)
(2, 1, 2)
>>> round(m.f1, 4)
0.5714
>>> cluster_pairwise_metrics([0, 0, 1, 2, 2, 2], ent).to_dict()["tp"]
2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BCubed",
    "BestThreshold",
    "BlockingRecall",
    "ClusterErrors",
    "Metrics",
    "ThresholdCurve",
    "bcubed",
    "best_threshold",
    "blocking_recall",
    "cluster_errors",
    "cluster_pairwise_metrics",
    "metrics_by_threshold",
    "pairwise_metrics",
    "true_pair_count",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- results


def _ratio(num: int, den: int) -> float:
    # Nothing to measure counts as perfect: see the module docstring.
    return 1.0 if den == 0 else num / den


@dataclass(frozen=True)
class Metrics:
    """Pairwise confusion counts and the scores derived from them.

    >>> Metrics.from_counts(tp=3, fp=1, fn=2).to_dict()["precision"]
    0.75
    """

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> Metrics:
        """Build from counts; zero denominators give 1.0 (see module docstring)."""
        tp, fp, fn = int(tp), int(fp), int(fn)
        return cls(
            precision=_ratio(tp, tp + fp),
            recall=_ratio(tp, tp + fn),
            f1=_ratio(2 * tp, 2 * tp + fp + fn),
            tp=tp,
            fp=fp,
            fn=fn,
        )

    def to_dict(self) -> dict[str, float | int]:
        """Plain JSON-ready dict."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class BestThreshold:
    """The threshold with the highest F1 and the metrics at it (pairs with ``p >= threshold``)."""

    threshold: float
    metrics: Metrics

    def to_dict(self) -> dict[str, float | int]:
        """Flat JSON-ready dict: ``threshold`` plus the :class:`Metrics` fields."""
        return {"threshold": self.threshold, **self.metrics.to_dict()}


@dataclass(frozen=True)
class ThresholdCurve:
    """Metrics at each threshold (arrays aligned with ``thresholds``, ascending)."""

    thresholds: FloatArray
    precision: FloatArray
    recall: FloatArray
    f1: FloatArray
    tp: IntArray
    fp: IntArray
    fn: IntArray

    def __len__(self) -> int:
        return int(self.thresholds.shape[0])

    def at(self, i: int) -> Metrics:
        """The :class:`Metrics` of row ``i``."""
        return Metrics(
            precision=float(self.precision[i]),
            recall=float(self.recall[i]),
            f1=float(self.f1[i]),
            tp=int(self.tp[i]),
            fp=int(self.fp[i]),
            fn=int(self.fn[i]),
        )

    def rows(self) -> list[BestThreshold]:
        """One ``(threshold, metrics)`` record per threshold."""
        return [BestThreshold(float(t), self.at(i)) for i, t in enumerate(self.thresholds)]

    def best(self) -> BestThreshold:
        """Row with the highest F1; ties go to the highest threshold (fewest pairs)."""
        if len(self) == 0:
            raise ValueError("empty threshold curve")
        f1 = self.f1
        # argmax on the reversed array returns the last (highest-threshold) maximum.
        i = len(self) - 1 - int(np.argmax(f1[::-1]))
        return BestThreshold(float(self.thresholds[i]), self.at(i))

    def to_dict(self) -> dict[str, list[float] | list[int]]:
        """Columns as plain lists."""
        return {
            "thresholds": [float(x) for x in self.thresholds],
            "precision": [float(x) for x in self.precision],
            "recall": [float(x) for x in self.recall],
            "f1": [float(x) for x in self.f1],
            "tp": [int(x) for x in self.tp],
            "fp": [int(x) for x in self.fp],
            "fn": [int(x) for x in self.fn],
        }


@dataclass(frozen=True)
class BCubed:
    """B-cubed precision / recall / F1 (record-averaged)."""

    precision: float
    recall: float
    f1: float

    def to_dict(self) -> dict[str, float]:
        """Plain JSON-ready dict."""
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class ClusterErrors:
    """Over-merges (clusters mixing entities) and splits (entities over several clusters).

    ``excess_merges`` is Σ (entities in a cluster − 1) and ``excess_splits`` is
    Σ (clusters of an entity − 1): the number of cluster merges / splits needed to repair.
    Examples list record positions (at most ``max_positions`` each) of the worst offenders.
    """

    n_clusters: int
    n_entities: int
    over_merged_clusters: int
    split_entities: int
    excess_merges: int
    excess_splits: int
    over_merged_examples: list[list[int]] = field(default_factory=list)
    split_examples: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "n_clusters": self.n_clusters,
            "n_entities": self.n_entities,
            "over_merged_clusters": self.over_merged_clusters,
            "split_entities": self.split_entities,
            "excess_merges": self.excess_merges,
            "excess_splits": self.excess_splits,
            "over_merged_examples": [list(x) for x in self.over_merged_examples],
            "split_examples": [list(x) for x in self.split_examples],
        }


@dataclass(frozen=True)
class BlockingRecall:
    """How many true pairs the candidate pairs keep, and how much they prune.

    ``reduction_ratio`` = 1 − candidate pairs / all comparable pairs.
    """

    recall: float
    true_pairs_found: int
    true_pairs: int
    candidate_pairs: int
    possible_pairs: int
    reduction_ratio: float

    def to_dict(self) -> dict[str, float | int]:
        """Plain JSON-ready dict."""
        return {
            "recall": self.recall,
            "true_pairs_found": self.true_pairs_found,
            "true_pairs": self.true_pairs,
            "candidate_pairs": self.candidate_pairs,
            "possible_pairs": self.possible_pairs,
            "reduction_ratio": self.reduction_ratio,
        }


# --------------------------------------------------------------------------- helpers


def _codes(values: ArrayLike, name: str, n: int | None = None) -> IntArray:
    """Dense integer codes ``0..k-1`` for arbitrary hashable labels."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries, expected {n}")
    try:
        _, inverse = np.unique(arr, return_inverse=True)
    except TypeError:
        # Mixed types (e.g. str and None in an object array) cannot be sorted; hashing
        # still gives a valid (if differently ordered) coding.
        seen: dict[Any, int] = {}
        return np.fromiter(
            (seen.setdefault(v, len(seen)) for v in arr.tolist()),
            dtype=np.int64,
            count=arr.shape[0],
        )
    return np.asarray(inverse, dtype=np.int64).reshape(-1)


def _combine(a: IntArray, b: IntArray) -> IntArray:
    """Code of the pair ``(a, b)``, unique per combination."""
    width = int(b.max()) + 1 if b.size else 1
    return a * width + b


def _pairs_within(groups: IntArray, sources: IntArray | None = None) -> int:
    """Pairs of records sharing a group; with ``sources``, only cross-source pairs.

    Cross-source pairs of a group of size k with per-source sizes k_s are
    (k² − Σ k_s²) / 2, so both variants need only counts.
    """
    if groups.size == 0:
        return 0
    counts = np.unique(groups, return_counts=True)[1].astype(np.int64)
    if sources is None:
        return int((counts * (counts - 1) // 2).sum())
    sub = np.unique(_combine(groups, sources), return_counts=True)[1].astype(np.int64)
    return int(((counts * counts).sum() - (sub * sub).sum()) // 2)


def _pair_arrays(left: ArrayLike, right: ArrayLike, n: int) -> tuple[IntArray, IntArray]:
    lft = np.asarray(left, dtype=np.int64).reshape(-1)
    rgt = np.asarray(right, dtype=np.int64).reshape(-1)
    if lft.shape != rgt.shape:
        raise ValueError(f"left and right differ in length ({lft.size} != {rgt.size})")
    if lft.size:
        lo = min(int(lft.min()), int(rgt.min()))
        hi = max(int(lft.max()), int(rgt.max()))
        if lo < 0 or hi >= n:
            raise ValueError(f"pair positions must lie in [0, {n}); got [{lo}, {hi}]")
        if np.any(lft == rgt):
            raise ValueError("a pair joins a record with itself")
    return lft, rgt


def _unique_pairs(lft: IntArray, rgt: IntArray, n: int) -> IntArray:
    """Indices of the first occurrence of each unordered pair (duplicates would double count)."""
    lo = np.minimum(lft, rgt)
    hi = np.maximum(lft, rgt)
    _, first = np.unique(lo * np.int64(max(n, 1)) + hi, return_index=True)
    return np.sort(first)


def _scored_pairs(
    left: ArrayLike,
    right: ArrayLike,
    entity_ids: ArrayLike,
    link_sources: ArrayLike | None,
) -> tuple[IntArray, IntArray, NDArray[np.bool_], int, IntArray, IntArray | None]:
    """Validate; return (left, right, counted mask, true pair total, entity codes, sources)."""
    ent = _codes(entity_ids, "entity_ids")
    n = ent.shape[0]
    src = None if link_sources is None else _codes(link_sources, "link_sources", n)
    lft, rgt = _pair_arrays(left, right, n)
    counted = np.ones(lft.shape[0], dtype=bool)
    if src is not None:
        # A same-source pair is not a linkage prediction; it is neither right nor wrong.
        counted = src[lft] != src[rgt]
    return lft, rgt, counted, _pairs_within(ent, src), ent, src


# --------------------------------------------------------------------------- pairwise


def true_pair_count(entity_ids: ArrayLike, *, link_sources: ArrayLike | None = None) -> int:
    """Number of true matching pairs: Σ C(k, 2) over entity group sizes k.

    With ``link_sources`` only pairs whose records come from different sources count.

    >>> true_pair_count(["x", "x", "x", "y"])
    3
    >>> true_pair_count(["x", "x", "x", "y"], link_sources=["a", "b", "b", "a"])
    2
    """
    ent = _codes(entity_ids, "entity_ids")
    src = None if link_sources is None else _codes(link_sources, "link_sources", ent.shape[0])
    return _pairs_within(ent, src)


def pairwise_metrics(
    left: ArrayLike,
    right: ArrayLike,
    entity_ids: ArrayLike,
    *,
    link_sources: ArrayLike | None = None,
) -> Metrics:
    """Precision / recall / F1 of predicted pairs (record positions) against the truth.

    Duplicate pairs (also ``(i, j)`` next to ``(j, i)``) count once. In link mode,
    predicted same-source pairs are ignored.

    >>> pairwise_metrics([0, 2], [1, 3], [7, 7, 8, 9]).to_dict()
    {'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666, 'tp': 1, 'fp': 1, 'fn': 0}
    """
    lft, rgt, counted, total, ent, _ = _scored_pairs(left, right, entity_ids, link_sources)
    keep = _unique_pairs(lft, rgt, ent.shape[0])
    lft, rgt, counted = lft[keep], rgt[keep], counted[keep]
    same = ent[lft] == ent[rgt]
    tp = int(np.count_nonzero(same & counted))
    fp = int(np.count_nonzero(~same & counted))
    return Metrics.from_counts(tp, fp, total - tp)


def metrics_by_threshold(
    left: ArrayLike,
    right: ArrayLike,
    probability: ArrayLike,
    entity_ids: ArrayLike,
    thresholds: ArrayLike | None = None,
    *,
    link_sources: ArrayLike | None = None,
) -> ThresholdCurve:
    """Pairwise metrics of ``{pairs with probability >= t}`` for every threshold ``t``.

    ``probability`` may be any score where higher means "more likely a match" (match
    weights work too). ``thresholds=None`` uses every distinct score, so the curve holds
    the exact optimum. One sort plus a cumulative sum, whatever the number of thresholds.
    A pair listed twice keeps its highest score.

    >>> c = metrics_by_threshold([0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2])
    >>> [round(float(x), 3) for x in c.f1]
    [0.8, 0.5, 0.667]
    """
    lft, rgt, counted, total, ent, _ = _scored_pairs(left, right, entity_ids, link_sources)
    prob = np.asarray(probability, dtype=np.float64).reshape(-1)
    if prob.shape != lft.shape:
        raise ValueError(f"probability has {prob.size} entries, expected {lft.size}")
    if np.isnan(prob).any():
        raise ValueError("probability contains NaN")
    # Highest score first, so np.unique's first occurrence keeps each pair's best score.
    order = np.argsort(-prob, kind="stable")
    lft, rgt, counted, prob = lft[order], rgt[order], counted[order], prob[order]
    keep = _unique_pairs(lft, rgt, ent.shape[0])
    lft, rgt, prob = lft[keep], rgt[keep], prob[keep]
    counted = counted[keep]
    prob, is_true = prob[counted], (ent[lft] == ent[rgt])[counted]

    asc = np.argsort(prob, kind="stable")
    prob_asc = prob[asc]
    # suffix[i] = true pairs among the pairs at ascending positions >= i.
    suffix = np.zeros(prob_asc.shape[0] + 1, dtype=np.int64)
    suffix[:-1] = np.cumsum(is_true[asc][::-1].astype(np.int64))[::-1]

    ts = np.unique(prob_asc) if thresholds is None else np.asarray(thresholds, np.float64)
    ts = np.sort(ts.reshape(-1))
    start = np.searchsorted(prob_asc, ts, side="left")
    predicted = prob_asc.shape[0] - start
    tp = suffix[start]
    fp = predicted - tp
    fn = total - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), 1.0)
        recall = np.full(ts.shape, 1.0) if total == 0 else tp / total
        den = 2 * tp + fp + fn
        f1 = np.where(den > 0, 2 * tp / np.maximum(den, 1), 1.0)
    return ThresholdCurve(
        thresholds=ts,
        precision=np.asarray(precision, dtype=np.float64),
        recall=np.asarray(recall, dtype=np.float64),
        f1=np.asarray(f1, dtype=np.float64),
        tp=tp.astype(np.int64),
        fp=fp.astype(np.int64),
        fn=fn.astype(np.int64),
    )


def best_threshold(
    left: ArrayLike,
    right: ArrayLike,
    probability: ArrayLike,
    entity_ids: ArrayLike,
    thresholds: ArrayLike | None = None,
    *,
    link_sources: ArrayLike | None = None,
) -> BestThreshold:
    """The threshold with the highest pairwise F1 (ties: the highest threshold).

    With no pairs at all the result is threshold ``inf`` (predict nothing).

    >>> best_threshold([0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2]).threshold
    0.3
    """
    curve = metrics_by_threshold(
        left, right, probability, entity_ids, thresholds, link_sources=link_sources
    )
    if len(curve) == 0:
        total = true_pair_count(entity_ids, link_sources=link_sources)
        return BestThreshold(float("inf"), Metrics.from_counts(0, 0, total))
    return curve.best()


def blocking_recall(
    left: ArrayLike,
    right: ArrayLike,
    entity_ids: ArrayLike,
    *,
    link_sources: ArrayLike | None = None,
) -> BlockingRecall:
    """Share of true pairs present among candidate pairs, plus the reduction ratio.

    >>> blocking_recall([0, 1], [1, 2], ["a", "a", "b", "b"]).to_dict()["recall"]
    0.5
    """
    lft, rgt, counted, total, ent, src = _scored_pairs(left, right, entity_ids, link_sources)
    keep = _unique_pairs(lft, rgt, ent.shape[0])
    lft, rgt, counted = lft[keep], rgt[keep], counted[keep]
    found = int(np.count_nonzero((ent[lft] == ent[rgt]) & counted))
    n_cand = int(np.count_nonzero(counted))
    n = ent.shape[0]
    possible = _pairs_within(np.zeros(n, dtype=np.int64), src)
    return BlockingRecall(
        recall=_ratio(found, total),
        true_pairs_found=found,
        true_pairs=total,
        candidate_pairs=n_cand,
        possible_pairs=possible,
        reduction_ratio=1.0 - _ratio(n_cand, possible) if possible else 0.0,
    )


# --------------------------------------------------------------------------- clusters


def cluster_pairwise_metrics(
    labels: ArrayLike,
    entity_ids: ArrayLike,
    *,
    link_sources: ArrayLike | None = None,
) -> Metrics:
    """Pairwise metrics of the pairs implied by clusters (every two records sharing a label).

    O(n log n) through contingency counts: tp = Σ C(n_ij, 2) over (cluster, entity) cells.

    >>> cluster_pairwise_metrics([0, 0, 0, 1], ["a", "a", "b", "b"]).to_dict()["precision"]
    0.3333333333333333
    """
    ent = _codes(entity_ids, "entity_ids")
    n = ent.shape[0]
    lab = _codes(labels, "labels", n)
    src = None if link_sources is None else _codes(link_sources, "link_sources", n)
    tp = _pairs_within(_combine(lab, ent), src)
    predicted = _pairs_within(lab, src)
    total = _pairs_within(ent, src)
    return Metrics.from_counts(tp, predicted - tp, total - tp)


def bcubed(labels: ArrayLike, entity_ids: ArrayLike) -> BCubed:
    """B-cubed scores: per record, the share of its cluster that is its entity (precision)
    and the share of its entity that is in its cluster (recall), averaged over records.

    >>> b = bcubed([0, 0, 1, 1], ["a", "a", "a", "b"])
    >>> (round(b.precision, 4), round(b.recall, 4))
    (0.75, 0.6667)
    """
    ent = _codes(entity_ids, "entity_ids")
    n = ent.shape[0]
    lab = _codes(labels, "labels", n)
    if n == 0:
        return BCubed(1.0, 1.0, 1.0)
    cell = _combine(lab, ent)
    _, cell_first, cell_size = np.unique(cell, return_index=True, return_counts=True)
    lab_size = np.bincount(lab)
    ent_size = np.bincount(ent)
    nij = cell_size.astype(np.float64)
    # Each cell's n_ij records each score n_ij / n_i. (precision) and n_ij / n_.j (recall).
    precision = float((nij * nij / lab_size[lab[cell_first]]).sum() / n)
    recall = float((nij * nij / ent_size[ent[cell_first]]).sum() / n)
    f1 = 2 * precision * recall / (precision + recall)
    return BCubed(precision, recall, f1)


def _worst_groups(
    group: IntArray, other: IntArray, k: int, max_positions: int
) -> tuple[int, int, list[list[int]]]:
    """Groups holding more than one value of ``other``: count, excess, example positions."""
    cells = np.unique(_combine(group, other))
    width = int(other.max()) + 1 if other.size else 1
    distinct = np.bincount(cells // width, minlength=int(group.max()) + 1 if group.size else 0)
    bad = np.flatnonzero(distinct > 1)
    excess = int((distinct[bad] - 1).sum())
    # Worst first (most mixed), then lowest code, so the examples are deterministic.
    bad = bad[np.lexsort((bad, -distinct[bad]))][:k]
    examples = []
    for g in bad:
        pos = np.flatnonzero(group == g)[:max_positions]
        examples.append([int(p) for p in pos])
    return int(np.count_nonzero(distinct > 1)), excess, examples


def cluster_errors(
    labels: ArrayLike,
    entity_ids: ArrayLike,
    *,
    max_examples: int = 5,
    max_positions: int = 20,
) -> ClusterErrors:
    """Count over-merged clusters and split entities, with example record positions.

    >>> e = cluster_errors([0, 0, 1, 2], ["a", "b", "c", "c"])
    >>> (e.over_merged_clusters, e.split_entities, e.over_merged_examples)
    (1, 1, [[0, 1]])
    """
    ent = _codes(entity_ids, "entity_ids")
    n = ent.shape[0]
    lab = _codes(labels, "labels", n)
    merged, excess_m, merged_ex = _worst_groups(lab, ent, max_examples, max_positions)
    split, excess_s, split_ex = _worst_groups(ent, lab, max_examples, max_positions)
    return ClusterErrors(
        n_clusters=int(np.unique(lab).size),
        n_entities=int(np.unique(ent).size),
        over_merged_clusters=merged,
        split_entities=split,
        excess_merges=excess_m,
        excess_splits=excess_s,
        over_merged_examples=merged_ex,
        split_examples=split_ex,
    )
