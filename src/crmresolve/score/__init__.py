"""Fellegi–Sunter scoring: u by random sampling, m and the prior by EM, TF adjustment.

:class:`FellegiSunter` is the model (see :mod:`crmresolve.score.model` for how it estimates
its parameters); :func:`estimate_u`/:func:`sample_pairs`/:class:`USample` expose the random-pair
sampling for callers that compute gamma themselves (e.g. with a shared feature cache).

>>> from crmresolve.score import FellegiSunter  # doctest: +SKIP
>>> model = FellegiSunter(comparisons).fit(gamma, features)  # doctest: +SKIP
>>> model.predict(gamma).match_probability  # doctest: +SKIP
"""

from __future__ import annotations

from crmresolve.score._explain import Explanation, ExplanationRow
from crmresolve.score._sampling import USample, count_total_pairs, estimate_u, sample_pairs
from crmresolve.score._tf import TermFrequencies, hash_value
from crmresolve.score._types import ComparisonLike
from crmresolve.score.model import (
    EMWarning,
    FellegiSunter,
    ScoredPairs,
    cluster_pair_labels,
    match_probability,
)

__all__ = [
    "ComparisonLike",
    "EMWarning",
    "Explanation",
    "ExplanationRow",
    "FellegiSunter",
    "ScoredPairs",
    "TermFrequencies",
    "USample",
    "cluster_pair_labels",
    "count_total_pairs",
    "estimate_u",
    "hash_value",
    "match_probability",
    "sample_pairs",
]
