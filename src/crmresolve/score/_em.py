"""Expectation–maximisation for the two-class Fellegi–Sunter mixture.

Everything here works on *distinct* gamma patterns with counts: a few million candidate pairs
usually collapse to a few thousand patterns, so one EM iteration costs microseconds per pattern
instead of per pair. Missing codes (``-1``) contribute a factor of 1 to both classes, which the
log tables express as a 0 at index 0 (tables are indexed by ``gamma + 1``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crmresolve.score._types import FloatArray, Int8Array, Int64Array

__all__ = [
    "EMResult",
    "PatternIndex",
    "active_comparisons",
    "agreement_score",
    "class_log_terms",
    "class_loglik",
    "class_posteriors",
    "compress",
    "initial_m",
    "level_probabilities",
    "posterior_match",
    "posteriors",
    "run_em",
]

#: Bounds for the mixing weight; exactly 0 or 1 would make ``log`` blow up.
LAMBDA_MIN = 1e-12
LAMBDA_MAX = 1.0 - 1e-9


def compress(gamma: Int8Array, n_levels: Sequence[int]) -> tuple[Int8Array, Int64Array]:
    """Distinct gamma rows and how often each occurs (rows sorted, deterministic).

    Rows are packed into one ``int64`` key in mixed radix ``n_levels[k] + 1`` when that fits,
    which is several times faster than ``np.unique(axis=0)`` on millions of rows.

    >>> p, c = compress(np.array([[1, 0], [1, 0], [-1, 2]], dtype=np.int8), [2, 3])
    >>> p.tolist(), c.tolist()
    ([[-1, 2], [1, 0]], [1, 2])
    """
    n, k = gamma.shape
    if n == 0:
        return np.zeros((0, k), dtype=np.int8), np.zeros(0, dtype=np.int64)
    radix = [int(levels) + 1 for levels in n_levels]
    if math.prod(radix) >= 2**62:
        patterns, counts = np.unique(gamma, axis=0, return_counts=True)
        return patterns.astype(np.int8), counts.astype(np.int64)
    # Column 0 is the most significant digit, so sorting keys sorts rows lexicographically.
    key = np.zeros(n, dtype=np.int64)
    for j in range(k):
        key *= radix[j]
        key += gamma[:, j].astype(np.int64) + 1
    keys, counts = np.unique(key, return_counts=True)
    patterns = np.empty((len(keys), k), dtype=np.int8)
    rest = keys.copy()
    for j in range(k - 1, -1, -1):
        patterns[:, j] = (rest % radix[j]) - 1
        rest //= radix[j]
    return patterns, counts.astype(np.int64)


def initial_m(n_levels: int) -> FloatArray:
    """Starting m-probabilities: most mass on the closest levels (ratio 4 per level).

    Matches mostly agree, so starting there makes EM converge to the match class rather than
    to some other structure in the candidate pairs.

    >>> initial_m(2).round(2).tolist()
    [0.2, 0.8]
    """
    w = np.power(4.0, np.arange(n_levels, dtype=np.float64))
    out: FloatArray = w / w.sum()
    return out


def level_probabilities(
    counts: FloatArray,
    *,
    pseudo_count: float,
    floor: float,
    fixed: Mapping[int, float] | None = None,
) -> FloatArray:
    """Turn (weighted) level counts into probabilities.

    ``pseudo_count`` is added to every level before normalising (additive smoothing: a level
    never observed among, say, 3 000 matches gets about 1/3 000, not 0, so one typo cannot
    veto a match with an infinite weight). ``floor`` is a hard lower bound applied after
    smoothing. ``fixed`` levels keep their value; the free levels share the remaining mass.

    >>> level_probabilities(np.array([0.0, 3.0]), pseudo_count=1.0, floor=1e-9).tolist()
    [0.2, 0.8]
    """
    n = len(counts)
    out = np.empty(n, dtype=np.float64)
    free = np.ones(n, dtype=bool)
    fixed_mass = 0.0
    for level, value in (fixed or {}).items():
        out[level] = value
        free[level] = False
        fixed_mass += value
    n_free = int(free.sum())
    if n_free == 0:
        return out
    c = np.maximum(counts[free], 0.0) + pseudo_count
    total = float(c.sum())
    q = c / total if total > 0 else np.full(n_free, 1.0 / n_free)
    q = np.maximum(q, floor)
    out[free] = q / q.sum() * (1.0 - fixed_mass)
    return out


def log_tables(probs: Sequence[FloatArray]) -> list[FloatArray]:
    """Natural-log lookup tables indexed by ``gamma + 1`` (index 0 = missing = log 1)."""
    return [np.concatenate(([0.0], np.log(p))) for p in probs]


def pattern_log_likelihood(patterns: Int8Array, tables: Sequence[FloatArray]) -> FloatArray:
    """Sum over comparisons of the log level probability of each pattern."""
    out = np.zeros(len(patterns), dtype=np.float64)
    for k, table in enumerate(tables):
        out += table[patterns[:, k].astype(np.intp) + 1]
    return out


def posterior_match(
    patterns: Int8Array,
    m: Sequence[FloatArray],
    u: Sequence[FloatArray],
    lam: float,
) -> FloatArray:
    """P(match | gamma pattern) under the conditional-independence model."""
    a = math.log(lam) + pattern_log_likelihood(patterns, log_tables(m))
    b = math.log1p(-lam) + pattern_log_likelihood(patterns, log_tables(u))
    out: FloatArray = np.exp(a - np.logaddexp(a, b))
    return out


def weighted_level_counts(
    patterns: Int8Array, weights: FloatArray, n_levels: Sequence[int]
) -> list[FloatArray]:
    """Per comparison, the weighted number of patterns at each level (missing ignored)."""
    out = []
    for k, n in enumerate(n_levels):
        c = np.bincount(patterns[:, k].astype(np.intp) + 1, weights=weights, minlength=n + 1)
        out.append(c[1:].astype(np.float64))
    return out


def agreement_score(probs: Sequence[FloatArray], active: Sequence[bool] | None = None) -> float:
    """Mean expected level (scaled to [0, 1]) across comparisons; used to orient the classes.

    The match class must put more mass on the close levels than the non-match class; if EM
    ends with the opposite, the classes have switched labels. ``active`` restricts the mean to
    comparisons that were observed at all.
    """
    scores = []
    for k, p in enumerate(probs):
        if len(p) < 2 or (active is not None and not active[k]):
            continue
        scores.append(float(np.dot(p, np.arange(len(p))) / (len(p) - 1)))
    return float(np.mean(scores)) if scores else 0.0


def active_comparisons(patterns: Int8Array) -> list[bool]:
    """Which comparisons are non-missing in at least one pattern."""
    if len(patterns) == 0:
        return [False] * patterns.shape[1]
    seen: npt.NDArray[np.bool_] = np.asarray((patterns >= 0).any(axis=0))
    return [bool(x) for x in seen]


@dataclass(frozen=True)
class EMResult:
    """Outcome of one EM run."""

    m: list[FloatArray]
    u: list[FloatArray]
    lam: float
    n_iter: int
    converged: bool
    log_likelihood: float
    switched: bool = False
    lam_related: float = 0.0


class PatternIndex:
    """Lookup indices of a pattern matrix, built once per EM run.

    Each comparison's levels (plus the missing slot) get a block of one flat table, so the
    per-iteration work is a gather and a ``bincount`` per comparison on precomputed indices.
    """

    def __init__(self, patterns: Int8Array, n_levels: Sequence[int]) -> None:
        self.sizes = [int(n) + 1 for n in n_levels]
        offsets = np.concatenate(([0], np.cumsum(self.sizes)[:-1])).astype(np.intp)
        self.offsets = [int(o) for o in offsets]
        self.columns = [
            np.ascontiguousarray(patterns[:, k].astype(np.intp) + 1 + self.offsets[k])
            for k in range(patterns.shape[1])
        ]
        self.local = [col - off for col, off in zip(self.columns, self.offsets, strict=True)]
        self.n_patterns = patterns.shape[0]

    def flat_table(self, probs: Sequence[FloatArray]) -> FloatArray:
        """Natural-log table for :meth:`log_likelihood` (missing slots hold log 1 = 0)."""
        return np.concatenate([np.concatenate(([0.0], np.log(p))) for p in probs])

    def log_likelihood(self, table: FloatArray, subset: Sequence[bool] | None = None) -> FloatArray:
        """Per pattern, the sum of log level probabilities (of ``subset`` comparisons only)."""
        out = np.zeros(self.n_patterns, dtype=np.float64)
        for k, col in enumerate(self.columns):
            if subset is None or subset[k]:
                out += table[col]
        return out

    def level_counts(self, weights: FloatArray) -> list[FloatArray]:
        out: list[FloatArray] = []
        for col, size in zip(self.local, self.sizes, strict=True):
            c = np.asarray(np.bincount(col, weights=weights, minlength=size), dtype=np.float64)
            out.append(c[1:])
        return out


def class_loglik(
    index: PatternIndex,
    m: Sequence[FloatArray],
    u: Sequence[FloatArray],
    related: Sequence[bool] | None,
) -> tuple[FloatArray, FloatArray | None, FloatArray]:
    """Log-likelihood of each pattern under the match, related and non-match classes.

    The *related* class (same household or company, different entity) is pinned: it agrees
    like a match on the ``related`` comparisons (those such records share: surname, address,
    phone ...) and like a random pair on all others, so it has no parameters but its share.
    It is ``None`` when no comparison is flagged.
    """
    tm = index.flat_table(m)
    tu = index.flat_table(u)
    if not related or not any(related):
        return index.log_likelihood(tm), None, index.log_likelihood(tu)
    shared = list(related)
    own = [not x for x in shared]
    m_shared = index.log_likelihood(tm, shared)
    u_own = index.log_likelihood(tu, own)
    return (
        m_shared + index.log_likelihood(tm, own),
        m_shared + u_own,
        index.log_likelihood(tu, shared) + u_own,
    )


def class_log_terms(
    parts: tuple[FloatArray, FloatArray | None, FloatArray], lam: float, lam_related: float
) -> tuple[FloatArray, FloatArray | None, FloatArray]:
    """Log joint (prior times likelihood) of each pattern with each class."""
    ll_m, ll_r, ll_u = parts
    if ll_r is None:
        return math.log(lam) + ll_m, None, math.log1p(-lam) + ll_u
    lam_u = max(1.0 - lam - lam_related, LAMBDA_MIN)
    return math.log(lam) + ll_m, math.log(lam_related) + ll_r, math.log(lam_u) + ll_u


def posteriors(
    parts: tuple[FloatArray, FloatArray | None, FloatArray], lam: float, lam_related: float
) -> tuple[FloatArray, FloatArray]:
    """P(match | pattern) and P(related | pattern) (zeros without a related class)."""
    a, r, b = class_log_terms(parts, lam, lam_related)
    if r is None:
        lse = np.logaddexp(a, b)
        return np.exp(a - lse), np.zeros(len(a))
    lse = np.logaddexp(np.logaddexp(a, r), b)
    return np.exp(a - lse), np.exp(r - lse)


def class_posteriors(
    patterns: Int8Array,
    n_levels: Sequence[int],
    m: Sequence[FloatArray],
    u: Sequence[FloatArray],
    lam: float,
    lam_related: float = 0.0,
    related: Sequence[bool] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """P(match | pattern) and P(related | pattern) for raw patterns."""
    parts = class_loglik(PatternIndex(patterns, n_levels), m, u, related)
    return posteriors(parts, lam, lam_related)


def run_em(
    patterns: Int8Array,
    counts: Int64Array,
    n_levels: Sequence[int],
    m0: Sequence[FloatArray],
    u0: Sequence[FloatArray],
    lam0: float,
    *,
    estimate_u: bool,
    fixed_m: Sequence[Mapping[int, float]],
    fixed_u: Sequence[Mapping[int, float]],
    pseudo_count: float,
    m_floor: float,
    u_floor: float,
    max_iter: int,
    tol: float,
    related: Sequence[bool] | None = None,
    lam_related0: float = 0.0,
) -> EMResult:
    """Run EM from ``(m0, u0, lam0)`` until the largest parameter change is below ``tol``.

    With ``estimate_u=False`` (the default in :class:`FellegiSunter`) u stays at ``u0``: u from
    random pairs is far more reliable than u re-estimated on blocked candidates, which are
    not a random sample of non-matches. Label switching is corrected at the end (only
    possible when u is estimated too); ``switched`` reports it.

    With ``related`` (one flag per comparison, some True) a third, pinned class models related
    records (see :func:`class_log_terms`); its share starts at ``lam_related0``. m of the
    related comparisons is then learnt from matches and related pairs together.
    """
    w = counts.astype(np.float64)
    total = float(w.sum())
    index = PatternIndex(patterns, n_levels)
    m = [np.asarray(p, dtype=np.float64).copy() for p in m0]
    u = [np.asarray(p, dtype=np.float64).copy() for p in u0]
    lam = float(min(max(lam0, LAMBDA_MIN), LAMBDA_MAX))
    three = bool(related) and any(related or ())
    lam_r = float(min(max(lam_related0, LAMBDA_MIN), LAMBDA_MAX - lam)) if three else 0.0
    converged = False
    n_iter = 0
    log_lik = -math.inf
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
        parts = class_loglik(index, m, u, related if three else None)
        a, r, b = class_log_terms(parts, lam, lam_r)
        if r is None:
            lse = np.logaddexp(a, b)
            wr = np.zeros_like(w)
        else:
            lse = np.logaddexp(np.logaddexp(a, r), b)
            wr = w * np.exp(r - lse)
        log_lik = float(np.dot(w, lse))
        wm = w * np.exp(a - lse)
        counts_m = index.level_counts(wm)
        if r is not None and related is not None:
            # The related class shares m on the related comparisons.
            counts_r = index.level_counts(wr)
            counts_m = [
                cm + cr if related[k] else cm
                for k, (cm, cr) in enumerate(zip(counts_m, counts_r, strict=True))
            ]
        new_m = [
            level_probabilities(c, pseudo_count=pseudo_count, floor=m_floor, fixed=fixed_m[k])
            for k, c in enumerate(counts_m)
        ]
        delta = max(float(np.max(np.abs(nm - om))) for nm, om in zip(new_m, m, strict=True))
        if estimate_u:
            new_u = [
                level_probabilities(c, pseudo_count=pseudo_count, floor=u_floor, fixed=fixed_u[k])
                for k, c in enumerate(index.level_counts(w - wm - wr))
            ]
            delta = max(
                delta,
                max(float(np.max(np.abs(nu - ou))) for nu, ou in zip(new_u, u, strict=True)),
            )
            u = new_u
        new_lam = float(min(max(float(wm.sum()) / total, LAMBDA_MIN), LAMBDA_MAX))
        delta = max(delta, abs(new_lam - lam))
        if three:
            new_r = float(min(max(float(wr.sum()) / total, LAMBDA_MIN), LAMBDA_MAX - new_lam))
            delta = max(delta, abs(new_r - lam_r))
            lam_r = new_r
        m, lam = new_m, new_lam
        if delta < tol:
            converged = True
            break
    switched = False
    active = active_comparisons(patterns)
    if estimate_u and not three and agreement_score(m, active) < agreement_score(u, active):
        # The "match" class ended up as the less-agreeing one: swap the labels.
        m, u, lam = u, m, 1.0 - lam
        switched = True
    return EMResult(
        m=m,
        u=u,
        lam=lam,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=log_lik,
        switched=switched,
        lam_related=lam_r,
    )
