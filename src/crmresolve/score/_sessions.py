"""Which comparisons did blocking fix? EM sessions in the Splink spirit, found from the data.

Blocking distorts the candidate pairs: if every candidate agrees on the surname initial, that
agreement says nothing about matching among candidates, yet with u from random pairs EM would
read it as overwhelming match evidence and call every candidate a match.

Splink's remedy is to train m in *sessions*, one blocking rule at a time, leaving out the
comparisons the rule uses. Here the sessions are found without knowing the rules: for a
condition such as ``gamma_k >= l`` (or ``gamma_a >= l1 and gamma_b >= l2`` for compound keys)
compare how many candidate pairs satisfy it with how many of *all* pairs are expected to
(random-pair share times the number of all pairs). When the candidates hold (nearly) all of
them, blocking covers the condition, so the candidates satisfying it are an untruncated
population given the condition. Under conditional independence the other comparisons keep
their unconditional m and u there, so EM with u from random pairs is valid on that subset once
the conditioning comparisons are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from crmresolve.score._em import weighted_level_counts
from crmresolve.score._sampling import USample
from crmresolve.score._types import FloatArray, Int8Array, Int64Array

__all__ = ["Session", "find_sessions"]

#: Share of all pairs meeting a condition that must be among the candidates for the condition
#: to count as covered by blocking. Below 1 to absorb sampling noise in the expected count.
MIN_COVERAGE = 0.7
#: Sessions smaller than this are too noisy to help.
MIN_SESSION_PAIRS = 30


@dataclass(frozen=True)
class Session:
    """EM on candidate pairs with ``gamma[c] >= level`` for each ``c, level`` in
    ``zip(comparisons, levels)``; those comparisons are left out of that EM."""

    comparisons: tuple[int, ...]
    levels: tuple[int, ...]
    coverage: float
    n_pairs: int

    def rows(self, patterns: Int8Array) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
        keep = np.ones(len(patterns), dtype=bool)
        for c, level in zip(self.comparisons, self.levels, strict=True):
            keep &= patterns[:, c] >= level
        return keep


def _expected(sampled: float, n_sampled: int, n_total_pairs: int) -> float:
    # +1: with no sampled pair meeting the condition the expected count is still not zero.
    return (sampled + 1.0) / n_sampled * n_total_pairs


def _joint_tail(
    patterns: Int8Array, weights: FloatArray, a: int, b: int, na: int, nb: int
) -> FloatArray:
    """``out[l1, l2]`` = weight of patterns with ``gamma_a >= l1`` and ``gamma_b >= l2``."""
    ga = patterns[:, a].astype(np.intp)
    gb = patterns[:, b].astype(np.intp)
    seen = (ga >= 0) & (gb >= 0)
    hist = np.bincount(ga[seen] * nb + gb[seen], weights=weights[seen], minlength=na * nb)
    tail: FloatArray = hist.reshape(na, nb)[::-1, ::-1].cumsum(0).cumsum(1)[::-1, ::-1]
    return tail


def find_sessions(
    patterns: Int8Array,
    counts: Int64Array,
    sample: USample,
    n_total_pairs: int,
    n_levels: Sequence[int],
    *,
    scale: float = 1.0,
    min_coverage: float = MIN_COVERAGE,
) -> list[Session]:
    """Sessions for comparisons (and pairs of comparisons) whose close levels blocking covers.

    Per comparison the lowest covered level is used (the largest subset). Pairs are only tried
    for comparisons not covered on their own, for compound blocking keys. No sessions when the
    candidates are (nearly) all pairs. ``scale`` converts
    counts in ``patterns`` to the full candidate set when gamma is a subsample.
    """
    w_cand = counts.astype(np.float64) * scale
    if float(w_cand.sum()) >= min_coverage * n_total_pairs:
        # The candidates are (nearly) all pairs: nothing to correct for, and one EM over all
        # comparisons identifies the classes best.
        return []
    w_samp = sample.counts.astype(np.float64)
    cand = weighted_level_counts(patterns, w_cand, n_levels)
    sampled = weighted_level_counts(sample.patterns, w_samp, sample.n_levels)
    out: list[Session] = []
    single: set[int] = set()
    for k, n in enumerate(n_levels):
        for level in range(1, n):
            have = float(cand[k][level:].sum())
            coverage = have / _expected(
                float(sampled[k][level:].sum()), sample.n_sampled, n_total_pairs
            )
            if coverage >= min_coverage and have >= MIN_SESSION_PAIRS:
                out.append(Session((k,), (level,), min(coverage, 1.0), round(have)))
                single.add(k)
                break
    rest = [k for k in range(len(n_levels)) if k not in single]
    for i, a in enumerate(rest):
        for b in rest[i + 1 :]:
            tail_c = _joint_tail(patterns, w_cand, a, b, n_levels[a], n_levels[b])
            tail_s = _joint_tail(sample.patterns, w_samp, a, b, n_levels[a], n_levels[b])
            best: Session | None = None
            for la in range(1, n_levels[a]):
                for lb in range(1, n_levels[b]):
                    have = float(tail_c[la, lb])
                    coverage = have / _expected(
                        float(tail_s[la, lb]), sample.n_sampled, n_total_pairs
                    )
                    if coverage < min_coverage or have < MIN_SESSION_PAIRS:
                        continue
                    if best is None or have > best.n_pairs:
                        best = Session((a, b), (la, lb), min(coverage, 1.0), round(have))
            if best is not None:
                out.append(best)
    return out
