"""Shared by the blocking tests: the three ways to get a rule set's pairs, side by side."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from crmresolve.block import (
    BlockingDiagnostics,
    BlockingRule,
    CandidatePairs,
    OversizedBlockWarning,
    diagnose,
    generate_pairs,
    iter_pairs,
)

Triple = tuple[int, int, int]


def three_ways(
    features: dict[str, np.ndarray],
    rules: Sequence[BlockingRule],
    *,
    chunk_size: int,
    **options: Any,
) -> tuple[CandidatePairs, list[Triple], BlockingDiagnostics]:
    """``generate_pairs``, the sorted ``(left, right, rule)`` triples of ``iter_pairs`` and
    ``diagnose`` with the same options (split warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        got = generate_pairs(features, rules, **options)
        chunks = list(iter_pairs(features, rules, chunk_size=chunk_size, **options))
        diag = diagnose(features, rules, **options)
    streamed = sorted(
        t
        for c in chunks
        for t in zip(c.left.tolist(), c.right.tolist(), c.rule.tolist(), strict=True)
    )
    return got, streamed, diag
