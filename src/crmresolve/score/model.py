"""The Fellegi–Sunter model: u by random sampling, m and the prior by EM, TF-adjusted scoring.

A pair's *match weight* is ``log2(prior odds) + sum_k log2(m_k / u_k)`` where, for comparison
``k`` at level ``g``, ``m_k = P(level g | match)`` and ``u_k = P(level g | non-match)``. A missing
comparison (gamma ``-1``) contributes 0. The *match probability* is ``2**w / (1 + 2**w)``.

How parameters are estimated (see :meth:`FellegiSunter.fit`):

* **u** from comparisons of random record pairs (:func:`~crmresolve.score.estimate_u`); random
  pairs are nearly all non-matches. Once m and the prior are known, the sampled pairs are
  re-weighted by ``1 - P(match)`` so the few true matches in the sample do not inflate u of the
  close levels (``u_match_correction``), and m is re-fitted; a few rounds settle.
* **m** by EM over the distinct gamma patterns of the candidate pairs, u held fixed (the
  Splink approach: blocked candidates are not a random sample of non-matches, so u estimated
  on them is biased). Blocking also fixes some comparisons (every candidate shares a surname
  initial, say), which would make EM call every candidate a match. So, like Splink's training
  sessions, EM runs on subsets such as "candidates with an exact surname" with that comparison
  left out; which subsets are safe is read off the data (:mod:`~crmresolve.score._sessions`:
  a subset is safe when the candidates hold nearly all pairs meeting its condition). m is the
  match-weighted mean over sessions; a final EM over all candidates fills in comparisons no
  session could estimate. Each EM tries several starting priors, briefly, and runs the most
  likely one to convergence; starts whose "match" class agrees less than the non-match class
  are rejected (label guard).
* **prior** ``λ`` = P(match) for a random pair: the λ for which the expected number of matches
  among the candidates, scored exactly as :meth:`FellegiSunter.predict` scores them, is
  ``λ · n_total_pairs`` (EM for λ when pairs outside the candidates are non-matches, i.e.
  blocking recall ~ 1). ``lambda_candidates_`` is that expected number over the candidate
  count. A known prior (e.g. pairs caught by strict deterministic rules divided by their
  recall and by the number of all pairs) can be passed as ``prior=``.
* **smoothing**: every level gets ``pseudo_count`` extra (weighted) pairs before normalising,
  then ``m_floor``/``u_floor`` bound each probability from below, so no level is exactly 0 or 1
  and no single disagreement can veto a match with an infinite weight.
* **TF**: for the exact level of comparisons with a ``tf_column``, ``u`` is replaced by the
  value's frequency among the records (:class:`~crmresolve.score.TermFrequencies`). EM itself
  ignores TF (as Splink does); it is applied when scoring.
* **related records** (opt-in, ``related=``): household members or colleagues share surname,
  address, phone ... but are different entities. Conditional independence then makes them look
  like matches. A third class "related" agrees like a match on the ``related`` comparisons and
  like a random pair on the others; its share is learnt with the rest. The weight becomes
  ``log2 P(match) / (P(related) + P(unrelated))`` = the usual sum plus a correction
  ``-log2(1 + 2**s)`` where ``s`` is the related-vs-unrelated log odds (its prior plus the
  weights of the related comparisons); :class:`~crmresolve.score.Explanation` shows it as a
  row of its own.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.score._em import (
    LAMBDA_MAX,
    LAMBDA_MIN,
    EMResult,
    PatternIndex,
    active_comparisons,
    agreement_score,
    class_loglik,
    class_posteriors,
    compress,
    initial_m,
    level_probabilities,
    posterior_match,
    posteriors,
    run_em,
    weighted_level_counts,
)
from crmresolve.score._explain import Explanation, ExplanationRow, mask_value
from crmresolve.score._sampling import USample, count_total_pairs, estimate_u, pair_levels
from crmresolve.score._sessions import Session, find_sessions
from crmresolve.score._tf import TermFrequencies
from crmresolve.score._types import (
    ComparisonLike,
    Features,
    FloatArray,
    Int8Array,
    Int64Array,
    as_index_array,
    validate_gamma,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "EMWarning",
    "FellegiSunter",
    "ScoredPairs",
    "cluster_pair_labels",
    "match_probability",
]

FORMAT = "crmresolve.score.FellegiSunter"
FORMAT_VERSION = 1

#: Per-comparison term-frequency input of :meth:`FellegiSunter.predict`: raw values (object or
#: str array, looked up in the model's table), frequencies (float array), or a ``(left, right)``
#: pair of either (the larger frequency is used).
TFInput = Any
ComparisonFactory = Callable[[Mapping[str, Any]], ComparisonLike]

_CHUNK = 250_000
#: EM iterations every starting point gets before the best one is run to convergence.
_PROBE_ITER = 10
_U_CORRECTION_ROUNDS = 8


class EMWarning(UserWarning):
    """EM ended in a doubtful state (no convergence, or no match class found)."""


@dataclass(frozen=True)
class ScoredPairs:
    """Scores of candidate pairs, aligned with the rows of the gamma matrix.

    ``match_weight`` is the log2 posterior odds (prior included), ``match_probability`` its
    logistic transform ``2**w / (1 + 2**w)``.
    """

    match_weight: FloatArray
    match_probability: FloatArray

    def __len__(self) -> int:
        return len(self.match_weight)


def match_probability(weight: npt.ArrayLike) -> FloatArray:
    """``2**w / (1 + 2**w)``, computed without overflow and monotone in ``w``.

    >>> match_probability([0.0, 1.0, -1.0]).tolist()
    [0.5, 0.6666666666666666, 0.3333333333333333]
    """
    w = np.asarray(weight, dtype=np.float64)
    # Clipping keeps exp2 finite; |w| >= 1000 bits is already 0 or 1 in float64.
    out: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(w, -1000.0, 1000.0)))
    return out


def cluster_pair_labels(
    entity_ids: npt.ArrayLike, left: npt.ArrayLike, right: npt.ArrayLike
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Pair labels from known entity ids per record: ``(is_match, known)``.

    A pair is known when both records have an entity id (``None`` = unlabelled record).

    >>> m, k = cluster_pair_labels(["a", "a", None, "b"], [0, 0, 1], [1, 2, 3])
    >>> m.tolist(), k.tolist()
    ([True, False, False], [True, False, True])
    """
    ids = np.asarray(entity_ids, dtype=object)
    lft = as_index_array(left, what="left")
    rgt = as_index_array(right, what="right")
    if len(lft) != len(rgt):
        raise ValueError("left and right must have the same length")
    if len(lft) and (min(lft.min(), rgt.min()) < 0 or max(lft.max(), rgt.max()) >= len(ids)):
        raise ValueError("pair positions out of range of entity_ids")
    labelled = np.array([v is not None for v in ids], dtype=bool)
    known = labelled[lft] & labelled[rgt]
    is_match = known & (ids[lft] == ids[rgt])
    return is_match.astype(bool), known.astype(bool)


@dataclass(frozen=True)
class _Spec:
    name: str
    labels: tuple[str, ...]
    tf_column: str | None
    tf_level: int | None


def _spec_of(comparison: ComparisonLike) -> _Spec:
    labels = tuple(str(x) for x in comparison.level_labels)
    if len(labels) < 2:
        raise ValueError(f"comparison {comparison.name!r} needs at least 2 levels")
    tf_column = comparison.tf_column
    tf_level = comparison.tf_level
    if tf_column is not None and tf_level is None:
        tf_level = len(labels) - 1  # the closest level is the exact one by convention
    if tf_level is not None and not 0 <= tf_level < len(labels):
        raise ValueError(f"comparison {comparison.name!r} has tf_level out of range")
    return _Spec(str(comparison.name), labels, tf_column, tf_level if tf_column else None)


class FellegiSunter:
    """Fellegi–Sunter record-linkage model (scikit-learn conventions).

    Configuration goes in the constructor; :meth:`fit` (EM) or :meth:`fit_labelled` learn the
    fitted attributes ``m_``, ``u_`` (per comparison, per level), ``lambda_candidates_``,
    ``prior_`` and ``tf_tables_``.

    Parameters:
        comparisons: comparison objects (see "Comparison protocol"); their order is the
            column order of gamma.
        prior: fixed overall P(match) of a random pair; ``None`` estimates it (see module doc).
        max_iter, tol: EM stops after ``max_iter`` iterations or when no parameter moves by
            more than ``tol``.
        seed: seed of the random-pair sampler.
        u_sample_size: number of random pairs compared to estimate u.
        tf_adjust, tf_min_freq: term-frequency adjustment on/off; values seen fewer than
            ``tf_min_freq`` times are pooled and never stored.
        m_floor, u_floor: lower bounds of every m and u.
        pseudo_count: additive smoothing per level, in pairs.
        estimate_u_by_em: also re-estimate u on the candidate pairs (not recommended).
        u_match_correction: down-weight likely matches among the random pairs when
            estimating u.
        em_sessions: ``"auto"`` (EM sessions on blocking-covered subsets, see module doc) or
            ``"global"`` (one EM over all candidates; right when candidates are all pairs or a
            random sample of them).
        related: names of comparisons that related but different entities share (household:
            surname, address, phone; company: company, address, phone, email domain). Empty:
            the classic two-class model.

    >>> class Eq:
    ...     name, columns, level_labels = "x", ("x",), ["else", "exact"]
    ...     tf_column = tf_level = None
    ...     def compute(self, f, l, r): return (f["x"][l] == f["x"][r]).astype(np.int8)
    ...     def to_dict(self): return {"name": "x"}
    >>> model = FellegiSunter([Eq()], prior=0.01).set_m("x", "exact", 0.9).set_u("x", 1, 0.1)
    >>> model.predict(np.array([[1], [0], [-1]])).match_weight.round(3).tolist()
    [-3.459, -9.799, -6.629]
    """

    def __init__(
        self,
        comparisons: Sequence[ComparisonLike],
        *,
        prior: float | None = None,
        max_iter: int = 1000,
        tol: float = 1e-6,
        seed: int = 0,
        u_sample_size: int = 1_000_000,
        tf_adjust: bool = True,
        tf_min_freq: int = 5,
        m_floor: float = 1e-6,
        u_floor: float = 1e-9,
        pseudo_count: float = 1.0,
        estimate_u_by_em: bool = False,
        u_match_correction: bool = True,
        em_sessions: str = "auto",
        related: Sequence[str] = (),
    ) -> None:
        self.comparisons = list(comparisons)
        self.prior = prior
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.u_sample_size = u_sample_size
        self.tf_adjust = tf_adjust
        self.tf_min_freq = tf_min_freq
        self.m_floor = m_floor
        self.u_floor = u_floor
        self.pseudo_count = pseudo_count
        self.estimate_u_by_em = estimate_u_by_em
        self.u_match_correction = u_match_correction
        self.em_sessions = em_sessions
        self.related = tuple(related)
        self._specs = [_spec_of(c) for c in self.comparisons]
        names = [s.name for s in self._specs]
        if len(set(names)) != len(names):
            raise ValueError("comparison names must be unique")
        self._fixed_m: list[dict[int, float]] = [{} for _ in self._specs]
        self._fixed_u: list[dict[int, float]] = [{} for _ in self._specs]
        # Fitted state (scikit-learn style trailing underscores).
        self.m_: list[FloatArray] | None = None
        self.u_: list[FloatArray] | None = None
        self.prior_: float | None = None
        self.lambda_candidates_: float | None = None
        self.tf_tables_: dict[str, TermFrequencies] = {}
        self.n_iter_: int = 0
        self.converged_: bool = False
        self.log_likelihood_: float | None = None
        self.n_candidate_pairs_: int | None = None
        self.n_total_pairs_: int | None = None
        self.fit_method_: str | None = None
        self.em_sessions_: list[dict[str, Any]] = []
        self.related_prior_: float = 0.0

    # ------------------------------------------------------------------ configuration
    def get_params(self) -> dict[str, Any]:
        """Constructor parameters except ``comparisons`` (JSON-ready)."""
        return {
            "prior": self.prior,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "seed": self.seed,
            "u_sample_size": self.u_sample_size,
            "tf_adjust": self.tf_adjust,
            "tf_min_freq": self.tf_min_freq,
            "m_floor": self.m_floor,
            "u_floor": self.u_floor,
            "pseudo_count": self.pseudo_count,
            "estimate_u_by_em": self.estimate_u_by_em,
            "u_match_correction": self.u_match_correction,
            "em_sessions": self.em_sessions,
            "related": list(self.related),
        }

    def _validate_params(self) -> None:
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            raise ValueError("prior must be in (0, 1)")
        if self.max_iter < 1:
            raise ValueError("max_iter must be >= 1")
        if not self.tol > 0:
            raise ValueError("tol must be > 0")
        if self.u_sample_size < 1:
            raise ValueError("u_sample_size must be >= 1")
        if self.tf_min_freq < 1:
            raise ValueError("tf_min_freq must be >= 1")
        for what, v in (("m_floor", self.m_floor), ("u_floor", self.u_floor)):
            if not 0.0 <= v < 0.01:
                raise ValueError(f"{what} must be in [0, 0.01)")
        if self.pseudo_count < 0:
            raise ValueError("pseudo_count must be >= 0")
        if self.em_sessions not in ("auto", "global"):
            raise ValueError("em_sessions must be 'auto' or 'global'")
        unknown = sorted(set(self.related) - set(self.comparison_names))
        if unknown:
            raise ValueError(f"related names unknown comparisons: {unknown}")

    @property
    def comparison_names(self) -> list[str]:
        return [s.name for s in self._specs]

    def _related_mask(self) -> list[bool] | None:
        if not self.related:
            return None
        return [s.name in self.related for s in self._specs]

    @property
    def n_levels(self) -> list[int]:
        return [len(s.labels) for s in self._specs]

    def _index(self, comparison: str) -> int:
        for k, s in enumerate(self._specs):
            if s.name == comparison:
                return k
        raise KeyError(f"unknown comparison {comparison!r}; known: {self.comparison_names}")

    def _level(self, k: int, level: int | str) -> int:
        labels = self._specs[k].labels
        if isinstance(level, str):
            if level not in labels:
                raise KeyError(f"comparison {self._specs[k].name!r} has no level {level!r}")
            return labels.index(level)
        if not 0 <= int(level) < len(labels):
            raise KeyError(f"comparison {self._specs[k].name!r} has no level {level}")
        return int(level)

    def set_m(self, comparison: str, level: int | str, value: float) -> FellegiSunter:
        """Fix ``m`` of one level (EM will not change it); returns ``self``.

        ``level`` is the gamma value or the level label. The other levels share the rest.
        """
        self._set_fixed(self._fixed_m, comparison, level, value)
        return self

    def set_u(self, comparison: str, level: int | str, value: float) -> FellegiSunter:
        """Fix ``u`` of one level (sampling/EM will not change it); returns ``self``."""
        self._set_fixed(self._fixed_u, comparison, level, value)
        return self

    def _set_fixed(
        self, store: list[dict[int, float]], comparison: str, level: int | str, value: float
    ) -> None:
        k = self._index(comparison)
        lvl = self._level(k, level)
        if not 0.0 < value < 1.0:
            raise ValueError("a fixed probability must be in (0, 1)")
        trial = {**store[k], lvl: float(value)}
        mass = sum(trial.values())
        if len(trial) == len(self._specs[k].labels):
            if abs(mass - 1.0) > 1e-9:
                raise ValueError(
                    f"fixed probabilities of all levels of {comparison!r} must sum to 1"
                )
        elif mass >= 1.0:
            raise ValueError(f"fixed probabilities of {comparison!r} leave no mass for others")
        store[k] = trial
        fitted = self.m_ if store is self._fixed_m else self.u_
        if fitted is not None:
            fitted[k] = _impose(fitted[k], trial)

    @property
    def fixed_m(self) -> dict[str, dict[int, float]]:
        """Hand-fixed m values: ``{comparison: {level: value}}``."""
        return {s.name: dict(f) for s, f in zip(self._specs, self._fixed_m, strict=True) if f}

    @property
    def fixed_u(self) -> dict[str, dict[int, float]]:
        """Hand-fixed u values: ``{comparison: {level: value}}``."""
        return {s.name: dict(f) for s, f in zip(self._specs, self._fixed_u, strict=True) if f}

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        gamma: npt.ArrayLike,
        features: Features | None = None,
        *,
        link_sources: npt.ArrayLike | str | None = None,
        u_sample: USample | None = None,
        n_total_pairs: int | None = None,
        n_candidate_pairs: int | None = None,
        cache: object = None,
    ) -> FellegiSunter:
        """Learn u (random pairs), m and the prior (EM on ``gamma``), and TF tables.

        Args:
            gamma: ``int8[n_pairs, n_comparisons]`` of the candidate pairs (``-1`` missing).
            features: the record features; used to sample random pairs for u (unless
                ``u_sample`` is given) and to build term-frequency tables.
            link_sources: per-record source labels (or the feature key holding them) for link
                mode: random pairs and the pair count are then cross-source only.
            u_sample: random-pair levels computed elsewhere (:func:`estimate_u`).
            n_total_pairs: number of all comparable pairs (default: from ``features`` or
                ``u_sample``); rescales ``λ_cand`` to the overall prior.
            n_candidate_pairs: number of candidate pairs when ``gamma`` is a subsample.
            cache: a :class:`crmresolve.compare.FeatureCache` of ``features`` (e.g. the one that
                computed ``gamma``), reused for the random pairs instead of factorising again.

        Without features or ``u_sample``, u must be fixed by hand (:meth:`set_u`) or
        ``estimate_u_by_em=True`` must be set.
        """
        self._validate_params()
        g = validate_gamma(gamma, self.n_levels)
        if len(g) == 0:
            raise ValueError("gamma has no rows; need candidate pairs to fit")
        feats, n_records, sources = self._prepare_features(features, link_sources)
        u_sample = self._sample_u(u_sample, feats, n_records, sources, cache)
        if u_sample is not None and list(u_sample.n_levels) != self.n_levels:
            raise ValueError("u_sample levels do not match the model's comparisons")
        n_total = self._n_total(n_total_pairs, u_sample, n_records, sources)
        n_cand = len(g) if n_candidate_pairs is None else int(n_candidate_pairs)

        patterns, counts = compress(g, self.n_levels)
        scale = n_cand / len(g)
        if self.estimate_u_by_em:
            # Candidate-conditional model: u re-estimated among candidates, so the prior that
            # goes with it is the share of matches among candidates.
            u0 = self._initial_u(u_sample, patterns, counts)
            result, ok = self._em_multistart(patterns, counts, u0, estimate_u=True)
            if not ok:
                _warn_no_match_class()
            self._store(result.m, result.u, result.lam, self.prior or result.lam, n_cand, n_total)
            self.related_prior_ = result.lam_related
            self.n_iter_, self.converged_ = result.n_iter, result.converged
            self.log_likelihood_, self.em_sessions_ = result.log_likelihood, []
            if not result.converged:
                warnings.warn(
                    f"EM did not converge within max_iter={self.max_iter} iterations",
                    EMWarning,
                    stacklevel=2,
                )
            self._fit_tf(feats)
            return self

        u = self._initial_u(u_sample, patterns, counts)
        sessions: list[Session] = []
        if u_sample is not None and n_total is not None and self.em_sessions == "auto":
            sessions = find_sessions(
                patterns, counts, u_sample, n_total, self.n_levels, scale=scale
            )
        m: list[FloatArray] | None = None
        related = self._related_mask()
        for _ in range(_U_CORRECTION_ROUNDS):
            m, completion, diags = self._fit_m(patterns, counts, u, sessions, m)
            lam_all, lam_rel = self._prior_from_candidates(
                patterns, counts, m, u, completion, n_cand, n_total, scale
            )
            if u_sample is None or not self.u_match_correction:
                break
            if self.prior is None and n_total is None:
                break
            # The matches EM finds among the candidates are a floor for all matches. Big true
            # entities put many matches among the random pairs, inflating u of the close
            # levels so much that the prior's fixed point collapses towards 0 and u is never
            # corrected; correcting u with at least that floor breaks the circle (the prior
            # itself stays the fixed point, re-estimated with the corrected u).
            lam_floor = completion.lam * n_cand / n_total if n_total else 0.0
            post_m, post_r = class_posteriors(
                u_sample.patterns,
                self.n_levels,
                m,
                u,
                min(max(lam_all, lam_floor), LAMBDA_MAX),
                lam_rel,
                related,
            )
            new_u = u_sample.u_probabilities(
                pseudo_count=self.pseudo_count,
                floor=self.u_floor,
                pattern_weights=1.0 - post_m - post_r,
                fixed=self._fixed_u,
            )
            change = max(
                float(np.max(np.abs(np.log(a) - np.log(b)))) for a, b in zip(new_u, u, strict=True)
            )
            if change < 1e-3:
                break
            u = new_u
        assert m is not None
        # With a known pair count the share of matches among candidates follows from the
        # prior's fixed point (expected matches / candidates); the completion EM's own mixing
        # weight is distorted by blocking-fixed comparisons.
        lam_cand = completion.lam if n_total is None else lam_all * n_total / n_cand
        self._store(m, u, min(lam_cand, 1.0), lam_all, n_cand, n_total)
        self.related_prior_ = lam_rel
        self.n_iter_ = completion.n_iter + sum(int(d["n_iter"]) for d in diags)
        self.converged_ = completion.converged and all(bool(d["converged"]) for d in diags)
        self.log_likelihood_ = completion.log_likelihood
        self.em_sessions_ = diags
        if not self.converged_:
            warnings.warn(
                f"EM did not converge within max_iter={self.max_iter} iterations",
                EMWarning,
                stacklevel=2,
            )
        self._fit_tf(feats)
        return self

    def _fit_m(
        self,
        patterns: Int8Array,
        counts: Int64Array,
        u: list[FloatArray],
        sessions: Sequence[Session],
        warm: list[FloatArray] | None,
    ) -> tuple[list[FloatArray], EMResult, list[dict[str, Any]]]:
        """m by EM sessions (each leaving out a blocking-fixed comparison), then a completion
        EM over all candidates for the comparisons no session could estimate and for
        ``λ_cand``. Without sessions that completion is a plain EM over all candidates."""
        n_levels = self.n_levels
        sums = [np.zeros(n) for n in n_levels]
        weight = [0.0] * len(n_levels)
        diags: list[dict[str, Any]] = []
        for sess in sessions:
            rows = sess.rows(patterns)
            pat = patterns[rows].copy()
            pat[:, list(sess.comparisons)] = -1
            cnt = counts[rows]
            res, ok = self._em_multistart(pat, cnt, u, m0=warm)
            matches = res.lam * float(cnt.sum())
            if ok:  # a session without a match class says nothing about m
                for j, is_active in enumerate(active_comparisons(pat)):
                    if is_active:
                        sums[j] += matches * res.m[j]
                        weight[j] += matches
            diags.append(
                {
                    "condition": " & ".join(
                        f"{self._specs[c].name} >= {level}"
                        for c, level in zip(sess.comparisons, sess.levels, strict=True)
                    ),
                    "coverage": sess.coverage,
                    "n_pairs": sess.n_pairs,
                    "lambda": res.lam,
                    "lambda_related": res.lam_related,
                    "n_iter": res.n_iter,
                    "converged": res.converged,
                    "used": ok,
                }
            )
        fixed_m: list[dict[int, float]] = []
        m0: list[FloatArray] = []
        for j, n in enumerate(n_levels):
            if weight[j] > 0:
                mj = _impose(sums[j] / weight[j], self._fixed_m[j])
                fixed_m.append(dict(enumerate(float(x) for x in mj)))
                m0.append(mj)
            else:
                fixed_m.append(self._fixed_m[j])
                m0.append(warm[j] if warm is not None else _impose(initial_m(n), fixed_m[j]))
        completion, ok = self._em_multistart(patterns, counts, u, m0=m0, fixed_m=fixed_m)
        if not ok and not any(d["used"] for d in diags):
            _warn_no_match_class()
        return completion.m, completion, diags

    def _prior_from_candidates(
        self,
        patterns: Int8Array,
        counts: Int64Array,
        m: list[FloatArray],
        u: list[FloatArray],
        completion: EMResult,
        n_cand: int,
        n_total: int | None,
        scale: float,
    ) -> tuple[float, float]:
        """Overall prior (and related-class share): the λ for which the expected number of
        matches among the candidate pairs (scored as :meth:`predict` scores them) equals
        ``λ · n_total_pairs``.

        This is EM for the class shares alone over all pairs when pairs outside the candidates
        are taken as unrelated non-matches (blocking recall ~ 1). Without ``n_total`` the
        shares among candidates are used.
        """
        if n_total is None:
            lam = completion.lam if self.prior is None else float(self.prior)
            return lam, completion.lam_related
        parts = class_loglik(PatternIndex(patterns, self.n_levels), m, u, self._related_mask())
        w = counts.astype(np.float64) * scale
        lam = min(max(completion.lam * n_cand / n_total, LAMBDA_MIN), LAMBDA_MAX)
        # When EM finds most candidates to be matches (big true entities: one company on
        # hundreds of patents), those matches are a floor for all matches: random pairs are
        # then often matches too, and their inflated u would otherwise pull the fixed point
        # far below the matches already in hand.
        floor = lam if completion.lam >= 0.5 else LAMBDA_MIN
        if self.prior is not None:
            lam = float(self.prior)
        lam_r = 0.0
        if parts[1] is not None:
            lam_r = min(max(completion.lam_related * n_cand / n_total, LAMBDA_MIN), 0.5)
        for _ in range(1000):
            post_m, post_r = posteriors(parts, lam, lam_r)
            new = lam
            if self.prior is None:
                new = min(max(float(np.dot(w, post_m)) / n_total, floor), LAMBDA_MAX)
            new_r = lam_r
            if parts[1] is not None:
                new_r = min(max(float(np.dot(w, post_r)) / n_total, LAMBDA_MIN), 0.5)
            done = abs(new - lam) <= 1e-10 * lam and abs(new_r - lam_r) <= 1e-10 * max(
                lam_r, 1e-300
            )
            lam, lam_r = new, new_r
            if done:
                break
        return lam, lam_r

    def fit_labelled(
        self,
        gamma: npt.ArrayLike,
        is_match: npt.ArrayLike,
        features: Features | None = None,
        *,
        link_sources: npt.ArrayLike | str | None = None,
        u_sample: USample | None = None,
        n_total_pairs: int | None = None,
        n_candidate_pairs: int | None = None,
    ) -> FellegiSunter:
        """Learn from labelled pairs: m = level frequencies among the matches.

        u comes from random pairs when ``features``/``u_sample`` are given (preferred: labelled
        non-matches are usually near-misses, not random pairs), else from the labelled
        non-matches. ``λ_cand`` is the share of matches; the prior is rescaled to all pairs
        as in :meth:`fit`. Smoothing and floors apply, so with ``pseudo_count=0`` and zero
        floors m is exactly the empirical frequency.
        """
        self._validate_params()
        g = validate_gamma(gamma, self.n_levels)
        y = np.asarray(is_match)
        if y.shape != (len(g),):
            raise ValueError("is_match must have one entry per gamma row")
        y = y.astype(bool)
        n_match = int(y.sum())
        if n_match == 0:
            raise ValueError("is_match has no matches; cannot estimate m")
        feats, n_records, sources = self._prepare_features(features, link_sources)
        u_sample = self._sample_u(u_sample, feats, n_records, sources)
        n_total = self._n_total(n_total_pairs, u_sample, n_records, sources)
        n_cand = len(g) if n_candidate_pairs is None else int(n_candidate_pairs)
        ones = np.ones(len(g), dtype=np.float64)
        m = [
            level_probabilities(c, pseudo_count=self.pseudo_count, floor=self.m_floor, fixed=f)
            for c, f in zip(
                weighted_level_counts(g[y], ones[y], self.n_levels), self._fixed_m, strict=True
            )
        ]
        lam_cand = min(max(n_match / len(g), LAMBDA_MIN), LAMBDA_MAX)
        prior = self._overall_prior(lam_cand, n_cand, n_total)
        related = self._related_mask()
        non = g[~y]
        if u_sample is None and not self._determined(self._fixed_u) and len(non) == 0:
            raise ValueError("is_match has no non-matches and no features to sample u")
        if u_sample is not None:
            u = u_sample.u_probabilities(
                pseudo_count=self.pseudo_count, floor=self.u_floor, fixed=self._fixed_u
            )
        elif self._determined(self._fixed_u):
            u = [_impose(np.zeros(n), f) for n, f in zip(self.n_levels, self._fixed_u, strict=True)]
        else:
            u = self._counts_to_u(non, None)
        correct_sample = (
            u_sample is not None
            and self.u_match_correction
            and (self.prior is not None or n_total is not None)
        )
        correct_non = u_sample is None and not self._determined(self._fixed_u)
        lam_r = 0.0
        for _ in range(_U_CORRECTION_ROUNDS):
            share = self._related_share(non, m, u) if related is not None else 0.0
            n_related = share * len(non) * (n_cand / len(g))
            lam_r = n_related / n_total if n_total else n_related / n_cand
            if correct_sample and u_sample is not None:
                # Random pairs hold a few matches (and related pairs): down-weight them.
                post_m, post_r = class_posteriors(
                    u_sample.patterns, self.n_levels, m, u, prior, lam_r, related
                )
                u = u_sample.u_probabilities(
                    pseudo_count=self.pseudo_count,
                    floor=self.u_floor,
                    pattern_weights=1.0 - post_m - post_r,
                    fixed=self._fixed_u,
                )
            elif correct_non and related is not None:
                # u of unrelated pairs: labelled non-matches minus the related ones.
                parts = class_loglik(PatternIndex(non, self.n_levels), m, u, related)
                _, post_r = posteriors(parts, LAMBDA_MIN, max(share, LAMBDA_MIN))
                u = self._counts_to_u(non, 1.0 - post_r)
            else:
                break
        self.m_, self.u_ = m, u
        self.lambda_candidates_ = lam_cand
        self.prior_ = prior
        self.related_prior_ = lam_r
        self.n_iter_, self.converged_, self.log_likelihood_ = 0, True, None
        self.n_candidate_pairs_, self.n_total_pairs_ = n_cand, n_total
        self.fit_method_ = "labelled"
        self._fit_tf(feats)
        return self

    def _counts_to_u(self, gamma: Int8Array, weights: FloatArray | None) -> list[FloatArray]:
        w = np.ones(len(gamma)) if weights is None else weights
        return [
            level_probabilities(c, pseudo_count=self.pseudo_count, floor=self.u_floor, fixed=f)
            for c, f in zip(
                weighted_level_counts(gamma, w, self.n_levels), self._fixed_u, strict=True
            )
        ]

    def _related_share(
        self, non_matches: Int8Array, m: list[FloatArray], u: list[FloatArray]
    ) -> float:
        """Share of related pairs among labelled non-matches (EM on that share alone)."""
        if len(non_matches) == 0:
            return 0.0
        pat, cnt = compress(non_matches, self.n_levels)
        parts = class_loglik(PatternIndex(pat, self.n_levels), m, u, self._related_mask())
        w = cnt.astype(np.float64)
        share = 0.5
        for _ in range(500):
            _, post_r = posteriors(parts, LAMBDA_MIN, share)
            new = min(max(float(np.dot(w, post_r)) / float(w.sum()), LAMBDA_MIN), 0.999)
            done = abs(new - share) <= 1e-10 * share
            share = new
            if done:
                break
        return share

    def fit_clusters(
        self,
        gamma: npt.ArrayLike,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        entity_ids: npt.ArrayLike,
        features: Features | None = None,
        **kwargs: Any,
    ) -> FellegiSunter:
        """:meth:`fit_labelled` with labels from known entity ids per record.

        Pairs where either record has no entity id (``None``) are left out.
        """
        g = validate_gamma(gamma, self.n_levels)
        is_match, known = cluster_pair_labels(entity_ids, left, right)
        if len(is_match) != len(g):
            raise ValueError("left/right must have one entry per gamma row")
        return self.fit_labelled(g[known], is_match[known], features, **kwargs)

    def _prepare_features(
        self, features: Features | None, link_sources: npt.ArrayLike | str | None
    ) -> tuple[dict[str, npt.NDArray[Any]] | None, int, npt.ArrayLike | None]:
        if features is None:
            if link_sources is not None and not isinstance(link_sources, str):
                return None, len(np.asarray(link_sources)), link_sources
            return None, 0, None
        feats = {str(k): np.asarray(v) for k, v in features.items()}
        lengths = {len(v) for v in feats.values()}
        if len(lengths) > 1:
            raise ValueError("feature arrays must all have one entry per record")
        n_records = lengths.pop() if lengths else 0
        needed = {c for comp in self.comparisons for c in comp.columns}
        missing = sorted(needed - set(feats))
        if missing:
            raise KeyError(f"features lack columns needed by the comparisons: {missing}")
        sources: npt.ArrayLike | None
        if isinstance(link_sources, str):
            if link_sources not in feats:
                raise KeyError(f"link_sources feature {link_sources!r} not found")
            sources = feats[link_sources]
        else:
            sources = link_sources
        return feats, n_records, sources

    def _sample_u(
        self,
        u_sample: USample | None,
        feats: Mapping[str, npt.NDArray[Any]] | None,
        n_records: int,
        sources: npt.ArrayLike | None,
        cache: object = None,
    ) -> USample | None:
        """The caller's u sample, else random pairs from ``feats`` unless u is fixed by hand."""
        if u_sample is None and feats is not None and not self._determined(self._fixed_u):
            return estimate_u(
                feats,
                n_records,
                self.comparisons,
                sample_size=self.u_sample_size,
                link_sources=sources,
                seed=self.seed,
                cache=cache,
            )
        return u_sample

    def _determined(self, fixed: Sequence[Mapping[int, float]]) -> bool:
        """Whether hand-fixed values pin down every level (the last free one takes the rest)."""
        return all(len(f) >= n - 1 for f, n in zip(fixed, self.n_levels, strict=True))

    def _n_total(
        self,
        n_total_pairs: int | None,
        u_sample: USample | None,
        n_records: int,
        sources: npt.ArrayLike | None,
    ) -> int | None:
        if n_total_pairs is not None:
            if n_total_pairs < 1:
                raise ValueError("n_total_pairs must be positive")
            return int(n_total_pairs)
        if n_records >= 2:
            return count_total_pairs(n_records, sources)
        if u_sample is not None:
            return u_sample.n_total_pairs
        return None

    def _overall_prior(self, lam_cand: float, n_cand: int, n_total: int | None) -> float:
        if self.prior is not None:
            return float(self.prior)
        if n_total is None:
            return lam_cand
        # Matches outside the candidate pairs are assumed negligible (blocking recall ~ 1).
        return float(min(max(lam_cand * n_cand / n_total, LAMBDA_MIN), LAMBDA_MAX))

    def _initial_u(
        self, u_sample: USample | None, patterns: Int8Array, counts: Int64Array
    ) -> list[FloatArray]:
        if u_sample is not None:
            return u_sample.u_probabilities(
                pseudo_count=self.pseudo_count, floor=self.u_floor, fixed=self._fixed_u
            )
        if self._determined(self._fixed_u):
            return [
                _impose(np.zeros(n), f) for n, f in zip(self.n_levels, self._fixed_u, strict=True)
            ]
        if self.estimate_u_by_em:
            # Candidates are mostly non-matches under loose blocking: a rough but safe start.
            level_counts = weighted_level_counts(patterns, counts.astype(np.float64), self.n_levels)
            return [
                level_probabilities(c, pseudo_count=self.pseudo_count, floor=self.u_floor, fixed=f)
                for c, f in zip(level_counts, self._fixed_u, strict=True)
            ]
        raise ValueError(
            "no source for u: pass features (random pairs are sampled), a u_sample, fix all "
            "u values with set_u, or set estimate_u_by_em=True"
        )

    def _run_em(
        self,
        patterns: Int8Array,
        counts: Int64Array,
        m0: Sequence[FloatArray],
        u0: Sequence[FloatArray],
        lam0: float,
        estimate_u: bool,
        fixed_m: Sequence[Mapping[int, float]],
        max_iter: int,
    ) -> EMResult:
        return run_em(
            patterns,
            counts,
            self.n_levels,
            m0,
            u0,
            lam0,
            estimate_u=estimate_u,
            fixed_m=fixed_m,
            fixed_u=self._fixed_u,
            pseudo_count=self.pseudo_count,
            m_floor=self.m_floor,
            u_floor=self.u_floor,
            max_iter=max_iter,
            tol=self.tol,
            related=self._related_mask(),
            lam_related0=min(lam0, (1.0 - lam0) / 2),
        )

    def _em_multistart(
        self,
        patterns: Int8Array,
        counts: Int64Array,
        u0: list[FloatArray],
        *,
        m0: Sequence[FloatArray] | None = None,
        estimate_u: bool = False,
        fixed_m: Sequence[Mapping[int, float]] | None = None,
    ) -> tuple[EMResult, bool]:
        """EM from several starting priors; keep the most likely oriented solution.

        Returns the result and whether it is oriented (its "match" class agrees more than the
        non-match class and is not empty)."""
        fixed = self._fixed_m if fixed_m is None else fixed_m
        if m0 is None:
            m0 = [_impose(initial_m(n), f) for n, f in zip(self.n_levels, fixed, strict=True)]
        if len(patterns) == 0:
            return EMResult(list(m0), list(u0), LAMBDA_MIN, 0, True, 0.0), False
        # Data-driven start: share of candidates whose initial Bayes factor favours a match.
        bf_pos = posterior_match(patterns, m0, u0, 0.5) > 0.5
        share = float(np.dot(counts, bf_pos)) / float(counts.sum())
        starts = [min(max(share, 1e-4), 0.9)]
        for lam0 in (0.5, 0.05, 0.005):
            # Starts within a factor 3 of one already tried add nothing.
            if all(abs(math.log(lam0 / s)) > math.log(3.0) for s in starts):
                starts.append(lam0)
        active = active_comparisons(patterns)
        # Every start gets a short probe; only the most likely one is run to convergence
        # (EM never lowers the likelihood, so the ranking after the probe rarely changes).
        probe = min(self.max_iter, _PROBE_ITER)
        best: EMResult | None = None
        fallback: EMResult | None = None
        for lam0 in starts:
            res = self._run_em(patterns, counts, m0, u0, lam0, estimate_u, fixed, probe)
            ok = (
                agreement_score(res.m, active) > agreement_score(res.u, active)
                and res.lam > 2 * LAMBDA_MIN
            )
            if ok and (best is None or res.log_likelihood > best.log_likelihood):
                best = res
            if fallback is None or res.log_likelihood > fallback.log_likelihood:
                fallback = res
        assert fallback is not None
        ok = best is not None
        target = best if best is not None else fallback
        if not target.converged and self.max_iter > probe:
            more = self._run_em(
                patterns, counts, target.m, target.u, target.lam, estimate_u, fixed,
                self.max_iter - probe,
            )  # fmt: skip
            target = replace(more, n_iter=more.n_iter + probe)
            ok = ok and agreement_score(target.m, active) > agreement_score(target.u, active)
        return target, ok

    def _store(
        self,
        m: list[FloatArray],
        u: list[FloatArray],
        lam_cand: float,
        prior: float,
        n_cand: int,
        n_total: int | None,
    ) -> None:
        self.m_ = [np.asarray(p, dtype=np.float64) for p in m]
        self.u_ = [np.asarray(p, dtype=np.float64) for p in u]
        self.lambda_candidates_ = float(lam_cand)
        self.prior_ = float(prior)
        self.n_candidate_pairs_ = n_cand
        self.n_total_pairs_ = n_total
        self.fit_method_ = "em"

    def fit_tf(self, features: Features) -> FellegiSunter:
        """(Re)build the term-frequency tables from ``features`` (e.g. for a new batch)."""
        self._validate_params()
        self._fit_tf({str(k): np.asarray(v) for k, v in features.items()})
        return self

    def _fit_tf(self, feats: Mapping[str, npt.NDArray[Any]] | None) -> None:
        self.tf_tables_ = {}
        if not self.tf_adjust or feats is None:
            return
        for spec in self._specs:
            if spec.tf_column is None:
                continue
            if spec.tf_column not in feats:
                warnings.warn(
                    f"tf_column {spec.tf_column!r} of comparison {spec.name!r} is not in the "
                    "features; scoring it without term-frequency adjustment",
                    stacklevel=3,
                )
                continue
            self.tf_tables_[spec.name] = TermFrequencies.from_values(
                feats[spec.tf_column], column=spec.tf_column, min_count=self.tf_min_freq
            )

    # ------------------------------------------------------------------ scoring
    def _params(self) -> tuple[list[FloatArray], list[FloatArray], float]:
        if self.m_ is not None and self.u_ is not None and self.prior_ is not None:
            return self.m_, self.u_, self.prior_
        if self._determined(self._fixed_m) and self._determined(self._fixed_u) and self.prior:
            # A fully hand-specified model needs no fitting.
            m = [_impose(np.zeros(n), f) for n, f in zip(self.n_levels, self._fixed_m, strict=True)]
            u = [_impose(np.zeros(n), f) for n, f in zip(self.n_levels, self._fixed_u, strict=True)]
            return m, u, float(self.prior)
        raise ValueError(
            "model is not fitted: call fit/fit_labelled, or fix every m and u and pass prior="
        )

    def _class_weights(self, prior: float) -> tuple[float, float | None]:
        """log2 prior odds of match vs unrelated, and of related vs unrelated (or ``None``)."""
        lam_r = self.related_prior_ if self._related_mask() is not None else 0.0
        lam_r = min(lam_r, (1.0 - prior) * LAMBDA_MAX)  # a hand-set prior may leave less room
        if lam_r <= 0.0:
            return math.log2(prior / (1.0 - prior)), None
        lam_u = 1.0 - prior - lam_r
        return math.log2(prior / lam_u), math.log2(lam_r / lam_u)

    def _weight_tables(self) -> list[FloatArray]:
        m, u, _ = self._params()
        # Python's math.log2 per level (not numpy's vectorised log) so explain() and
        # predict() use the very same float for a level, whatever SIMD path numpy takes.
        return [
            np.array(
                [0.0] + [math.log2(float(a) / float(b)) for a, b in zip(mk, uk, strict=True)],
                dtype=np.float64,
            )
            for mk, uk in zip(m, u, strict=True)
        ]

    def _contribution(
        self, k: int, col: Int8Array, table: FloatArray, tf_freq: FloatArray | None
    ) -> tuple[FloatArray, FloatArray | None]:
        """Weights of comparison ``k`` per pair, and the u_tf used (NaN where none)."""
        c: FloatArray = table[col.astype(np.intp) + 1]
        level = self._specs[k].tf_level
        if tf_freq is None or level is None or not self.tf_adjust:
            return c, None
        mask = (col == level) & np.isfinite(tf_freq)
        u_tf = np.full(len(col), np.nan)
        if mask.any():
            m, _, _ = self._params()
            m_level = float(m[k][level])
            f = np.maximum(tf_freq[mask], max(self.u_floor, 1e-300))
            distinct, inverse = np.unique(f, return_inverse=True)
            w = np.array([math.log2(m_level / float(x)) for x in distinct], dtype=np.float64)
            c[mask] = w[inverse.reshape(-1)]
            u_tf[mask] = f
        return c, u_tf

    def _resolve_tf(
        self, tf_values: Mapping[str, TFInput] | None, n: int
    ) -> list[FloatArray | None]:
        out: list[FloatArray | None] = [None] * len(self._specs)
        if not tf_values or not self.tf_adjust:
            return out
        for name, spec_in in tf_values.items():
            k = self._index(name)
            if self._specs[k].tf_level is None:
                raise ValueError(f"comparison {name!r} has no term-frequency level")
            if isinstance(spec_in, tuple):
                if len(spec_in) != 2:
                    raise ValueError(f"tf_values[{name!r}] must be values or a (left, right) pair")
                a = self._tf_array(k, spec_in[0], n)
                b = self._tf_array(k, spec_in[1], n)
                out[k] = np.fmax(a, b)
            else:
                out[k] = self._tf_array(k, spec_in, n)
        return out

    def _tf_array(self, k: int, values: Any, n: int) -> FloatArray:
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.shape != (n,):
            raise ValueError(
                f"tf_values[{self._specs[k].name!r}] must have one entry per pair ({n})"
            )
        if arr.dtype.kind == "f":
            # No copy when already float64 (tens of millions of pairs); never written to.
            return np.asarray(arr, dtype=np.float64)
        table = self.tf_tables_.get(self._specs[k].name)
        if table is None:
            raise ValueError(
                f"no term-frequency table for comparison {self._specs[k].name!r}: fit with "
                "features (or call fit_tf), or pass frequencies as floats"
            )
        return table.frequencies(arr.astype(object))

    def predict(
        self, gamma: npt.ArrayLike, *, tf_values: Mapping[str, TFInput] | None = None
    ) -> ScoredPairs:
        """Score pairs: ``match_weight`` (log2 odds incl. prior) and ``match_probability``.

        ``tf_values`` maps a comparison name to, per pair, the agreed value (looked up in the
        model's TF table), its frequency (float array), or a ``(left, right)`` pair of either.
        It only changes pairs at the comparison's TF level.
        """
        g = validate_gamma(gamma, self.n_levels)
        _, _, prior = self._params()
        tables = self._weight_tables()
        tf = self._resolve_tf(tf_values, len(g))
        prior_w, related_w = self._class_weights(prior)
        related = self._related_mask()
        w = np.full(len(g), prior_w, dtype=np.float64)
        rel = None if related_w is None else np.full(len(g), related_w, dtype=np.float64)
        for k, table in enumerate(tables):
            # Added one comparison at a time, in order: explain() sums identically.
            c = self._contribution(k, g[:, k], table, tf[k])[0]
            w += c
            if rel is not None and related is not None and related[k]:
                rel += c
        if rel is not None:
            w += _related_correction(rel)
        return ScoredPairs(w, match_probability(w))

    def record_tf(
        self, feats: Mapping[str, npt.NDArray[Any]], tf_source: str = "model"
    ) -> dict[int, FloatArray]:
        """Per comparison index with a TF column: each record's term frequency of its value
        (``tf_source`` as in :meth:`predict_pairs`); empty without ``tf_adjust``."""
        if tf_source not in ("model", "data"):
            raise ValueError("tf_source must be 'model' or 'data'")
        out: dict[int, FloatArray] = {}
        if not self.tf_adjust:
            return out
        for k, spec in enumerate(self._specs):
            if spec.tf_column is None or spec.tf_column not in feats:
                continue
            table: TermFrequencies | None
            if tf_source == "data":
                table = TermFrequencies.from_values(
                    feats[spec.tf_column], column=spec.tf_column, min_count=self.tf_min_freq
                )
            else:
                table = self.tf_tables_.get(spec.name)
            if table is not None:
                out[k] = table.frequencies(feats[spec.tf_column])
        return out

    def compute_gamma(
        self,
        features: Features,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        *,
        cache: object = None,
    ) -> Int8Array:
        """Gamma of the given pairs with the model's comparisons (validated).

        ``cache``: a :class:`crmresolve.compare.FeatureCache` of ``features``, for callers that
        compute gamma for several batches of pairs of the same records.
        """
        feats = {str(k): np.asarray(v) for k, v in features.items()}
        lft = as_index_array(left, what="left")
        rgt = as_index_array(right, what="right")
        if len(lft) != len(rgt):
            raise ValueError("left and right must have the same length")
        gamma = pair_levels(feats, lft, rgt, self.comparisons, cache=cache)
        return validate_gamma(gamma, self.n_levels, what="computed gamma")

    def predict_pairs(
        self,
        features: Features,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        *,
        tf_source: str = "model",
    ) -> ScoredPairs:
        """Compute gamma for record pairs and score them with term frequencies per record.

        ``tf_source="model"`` looks values up in the stored TF tables (a loaded model scores
        identical data identically); ``"data"`` recomputes frequencies from ``features``
        with the same ``tf_min_freq`` pooling (for a new batch; call :meth:`fit_tf` to keep).
        """
        feats = {str(k): np.asarray(v) for k, v in features.items()}
        lft = as_index_array(left, what="left")
        rgt = as_index_array(right, what="right")
        gamma = self.compute_gamma(feats, lft, rgt)
        per_record = self.record_tf(feats, tf_source)
        tf_values: dict[str, TFInput] = {
            self._specs[k].name: (f[lft], f[rgt]) for k, f in per_record.items()
        }
        return self.predict(gamma, tf_values=tf_values)

    # ------------------------------------------------------------------ explanation
    def explain(
        self,
        gamma_row: npt.ArrayLike,
        *,
        values: Mapping[str, tuple[str | None, str | None]] | None = None,
        tf_values: Mapping[str, TFInput] | None = None,
        show_values: bool = False,
    ) -> Explanation:
        """Break one pair's weight into the prior and one term per comparison.

        ``values`` maps comparison names to the pair's ``(left, right)`` values for display;
        they are masked (``"rob***"``) unless ``show_values=True``. ``tf_values`` maps names
        to the agreed value, its frequency, or a ``(left, right)`` pair, as in
        :meth:`predict`. ``prior_weight + sum(row.weight)`` (left to right) equals the
        predicted weight bit for bit.
        """
        g = validate_gamma(np.asarray(gamma_row).reshape(1, -1), self.n_levels)
        m, u, prior = self._params()
        tables = self._weight_tables()
        tf_in: dict[str, TFInput] = {}
        for name, v in (tf_values or {}).items():
            if isinstance(v, tuple):
                tf_in[name] = tuple(_one(x) for x in v)
            else:
                tf_in[name] = _one(v)
        tf = self._resolve_tf(tf_in, 1)
        prior_w, related_w = self._class_weights(prior)
        related = self._related_mask()
        rel = related_w
        total = prior_w
        rows = []
        for k, (spec, table) in enumerate(zip(self._specs, tables, strict=True)):
            c, u_tf = self._contribution(k, g[:, k], table, tf[k])
            weight = float(c[0])
            total += weight
            if rel is not None and related is not None and related[k]:
                rel += weight
            level = int(g[0, k])
            left_v, right_v = (values or {}).get(spec.name, (None, None))
            if not show_values:
                left_v = None if left_v is None else mask_value(left_v)
                right_v = None if right_v is None else mask_value(right_v)
            utf = None if u_tf is None or not np.isfinite(u_tf[0]) else float(u_tf[0])
            rows.append(
                ExplanationRow(
                    comparison=spec.name,
                    left=left_v,
                    right=right_v,
                    gamma=level,
                    level="missing" if level < 0 else spec.labels[level],
                    m=None if level < 0 else float(m[k][level]),
                    u=None if level < 0 else float(u[k][level]),
                    u_tf=utf,
                    bayes_factor=float(2.0**weight),
                    weight=weight,
                )
            )
        correction = None
        if rel is not None:
            correction = float(_related_correction(np.array([rel]))[0])
            total += correction
        prob = float(match_probability(np.array([total]))[0])
        return Explanation(tuple(rows), float(prior), prior_w, total, prob, correction)

    def explain_pair(
        self,
        features: Features,
        left: int,
        right: int,
        *,
        show_values: bool = False,
        tf_source: str = "model",
    ) -> Explanation:
        """:meth:`explain` for records ``left`` and ``right`` of ``features``."""
        feats = {str(k): np.asarray(v) for k, v in features.items()}
        lft = np.array([left], dtype=np.int64)
        rgt = np.array([right], dtype=np.int64)
        gamma = self.compute_gamma(feats, lft, rgt)
        values: dict[str, tuple[str | None, str | None]] = {}
        for comp in self.comparisons:
            values[comp.name] = (
                _joined(feats, comp.columns, left),
                _joined(feats, comp.columns, right),
            )
        per_record = self.record_tf(feats, tf_source)
        tf_values: dict[str, TFInput] = {
            self._specs[k].name: (float(f[left]), float(f[right])) for k, f in per_record.items()
        }
        return self.explain(gamma[0], values=values, tf_values=tf_values, show_values=show_values)

    def m_u_table(self) -> list[dict[str, Any]]:
        """One record per comparison level: m, u, Bayes factor and weight (for charts).

        ``pandas.DataFrame(model.m_u_table())`` gives a tidy table.
        """
        m, u, _ = self._params()
        tables = self._weight_tables()
        rows: list[dict[str, Any]] = []
        for k, spec in enumerate(self._specs):
            for level, label in enumerate(spec.labels):
                rows.append(
                    {
                        "comparison": spec.name,
                        "gamma": level,
                        "level": label,
                        "m": float(m[k][level]),
                        "u": float(u[k][level]),
                        "bayes_factor": float(m[k][level] / u[k][level]),
                        "weight": float(tables[k][level + 1]),
                        "m_fixed": level in self._fixed_m[k],
                        "u_fixed": level in self._fixed_u[k],
                        "tf_adjusted": spec.tf_level == level and spec.name in self.tf_tables_,
                        "related": spec.name in self.related,
                    }
                )
        return rows

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (no raw record values; TF keys are hashed)."""
        fitted = self.m_ is not None and self.u_ is not None
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": self.get_params(),
            "comparisons": [c.to_dict() for c in self.comparisons],
            "levels": [
                {
                    "name": s.name,
                    "labels": list(s.labels),
                    "tf_column": s.tf_column,
                    "tf_level": s.tf_level,
                    "fixed_m": {str(k): v for k, v in sorted(fm.items())},
                    "fixed_u": {str(k): v for k, v in sorted(fu.items())},
                }
                for s, fm, fu in zip(self._specs, self._fixed_m, self._fixed_u, strict=True)
            ],
            "fitted": None
            if not fitted
            else {
                "m": [[float(x) for x in p] for p in self.m_ or []],
                "u": [[float(x) for x in p] for p in self.u_ or []],
                "prior": self.prior_,
                "lambda_candidates": self.lambda_candidates_,
                "n_candidate_pairs": self.n_candidate_pairs_,
                "n_total_pairs": self.n_total_pairs_,
                "n_iter": self.n_iter_,
                "converged": self.converged_,
                "log_likelihood": self.log_likelihood_,
                "fit_method": self.fit_method_,
                "related_prior": self.related_prior_,
                "em_sessions": self.em_sessions_,
            },
            "tf_tables": {name: t.to_dict() for name, t in sorted(self.tf_tables_.items())},
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON text of :meth:`to_dict` (floats round-trip exactly)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, comparison_factory: ComparisonFactory | None = None
    ) -> FellegiSunter:
        """Rebuild a model from :meth:`to_dict` output.

        Comparisons are rebuilt with ``comparison_factory`` (default:
        ``crmresolve.compare.Comparison.from_dict``, imported only when needed).
        """
        if data.get("format") != FORMAT:
            raise ValueError("not a crmresolve Fellegi–Sunter model")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported model format version {version!r}")
        factory = comparison_factory or _default_factory()
        comps = [factory(d) for d in data["comparisons"]]
        config = dict(data["config"])
        model = cls(comps, **config)
        levels = data["levels"]
        if [(s.name, list(s.labels)) for s in model._specs] != [
            (lv["name"], list(lv["labels"])) for lv in levels
        ]:
            raise ValueError("stored comparisons do not match their stored levels")
        for k, lv in enumerate(levels):
            model._fixed_m[k] = {int(a): float(b) for a, b in lv["fixed_m"].items()}
            model._fixed_u[k] = {int(a): float(b) for a, b in lv["fixed_u"].items()}
        fitted = data.get("fitted")
        if fitted is not None:
            model.m_ = [np.array(p, dtype=np.float64) for p in fitted["m"]]
            model.u_ = [np.array(p, dtype=np.float64) for p in fitted["u"]]
            if [len(p) for p in model.m_] != model.n_levels or [
                len(p) for p in model.u_
            ] != model.n_levels:
                raise ValueError("stored m/u do not match the comparisons' levels")
            model.prior_ = float(fitted["prior"])
            lam = fitted.get("lambda_candidates")
            model.lambda_candidates_ = None if lam is None else float(lam)
            model.n_candidate_pairs_ = fitted.get("n_candidate_pairs")
            model.n_total_pairs_ = fitted.get("n_total_pairs")
            model.n_iter_ = int(fitted.get("n_iter", 0))
            model.converged_ = bool(fitted.get("converged", False))
            model.log_likelihood_ = fitted.get("log_likelihood")
            model.fit_method_ = fitted.get("fit_method")
            model.related_prior_ = float(fitted.get("related_prior", 0.0))
            model.em_sessions_ = [dict(d) for d in fitted.get("em_sessions", [])]
        model.tf_tables_ = {
            str(name): TermFrequencies.from_dict(t) for name, t in data.get("tf_tables", {}).items()
        }
        return model

    @classmethod
    def from_json(
        cls, text: str, *, comparison_factory: ComparisonFactory | None = None
    ) -> FellegiSunter:
        """Rebuild a model from :meth:`to_json` text."""
        return cls.from_dict(json.loads(text), comparison_factory=comparison_factory)

    @classmethod
    def load(
        cls, path: str | Path, *, comparison_factory: ComparisonFactory | None = None
    ) -> FellegiSunter:
        """Read a model written by :meth:`save`."""
        return cls.from_json(
            Path(path).read_text(encoding="utf-8"), comparison_factory=comparison_factory
        )

    def __repr__(self) -> str:
        state = "fitted" if self.m_ is not None else "unfitted"
        return f"FellegiSunter({self.comparison_names}, {state})"


def _related_correction(related_weight: FloatArray) -> FloatArray:
    """``-log2(1 + 2**s)``: how much of the evidence a related, different entity explains.

    ``s`` is the log2 odds of "related" vs "unrelated": its prior plus the weights of the
    comparisons related records share. Weight = log2(P(match) / (P(related) + P(unrelated))).
    """
    out: FloatArray = -np.logaddexp2(0.0, related_weight)
    return out


def _warn_no_match_class() -> None:
    warnings.warn(
        "EM found no match class (the fitted m does not agree more than u); "
        "check the blocking rules and comparisons",
        EMWarning,
        stacklevel=4,
    )


def _impose(p: FloatArray, fixed: Mapping[int, float]) -> FloatArray:
    """Set fixed levels and rescale the free ones to the remaining mass."""
    out = np.asarray(p, dtype=np.float64).copy()
    if not fixed:
        return out
    free = np.ones(len(out), dtype=bool)
    for level, value in fixed.items():
        out[level] = value
        free[level] = False
    if free.any():
        rest = 1.0 - sum(fixed.values())
        s = float(out[free].sum())
        out[free] = out[free] / s * rest if s > 0 else rest / int(free.sum())
    return out


def _one(value: Any) -> Any:
    """A scalar TF input as a 1-element array (float stays float, value stays object)."""
    if isinstance(value, float):
        return np.array([value], dtype=np.float64)
    return np.array([value], dtype=object)


def _joined(feats: Mapping[str, npt.NDArray[Any]], columns: Sequence[str], i: int) -> str | None:
    parts = [feats[c][i] for c in columns if c in feats and feats[c][i] is not None]
    return " | ".join(str(p) for p in parts) if parts else None


def _default_factory() -> ComparisonFactory:
    import importlib

    try:
        module = importlib.import_module("crmresolve.compare")
    except ImportError as exc:  # pragma: no cover - the compare package ships with crmresolve
        raise ImportError(
            "loading a model needs crmresolve.compare, or pass comparison_factory="
        ) from exc
    factory: ComparisonFactory = module.Comparison.from_dict
    return factory
