"""Shared types and edge validation for the scoring stage.

The scoring stage never imports :mod:`crmresolve.compare`; it only relies on the comparison
protocol described in ``docs/architecture.md``, spelled out here as :class:`ComparisonLike`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "ComparisonLike",
    "Features",
    "FloatArray",
    "Int8Array",
    "Int64Array",
    "validate_gamma",
]

Int8Array = npt.NDArray[np.int8]
Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Features = Mapping[str, npt.NDArray[Any]]


@runtime_checkable
class ComparisonLike(Protocol):
    """What the scoring stage needs from a comparison (see "Comparison protocol").

    ``level_labels[g]`` names gamma value ``g``: ``0`` is the "else" level and the last one is
    the closest agreement. ``tf_column``/``tf_level`` name the feature whose value frequency
    adjusts the weight of level ``tf_level`` (usually the exact-match level).
    """

    @property
    def name(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    @property
    def level_labels(self) -> Sequence[str]: ...

    @property
    def tf_column(self) -> str | None: ...

    @property
    def tf_level(self) -> int | None: ...

    def compute(
        self,
        features: dict[str, npt.NDArray[Any]],
        left: npt.NDArray[np.int64],
        right: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.int8]: ...

    def to_dict(self) -> dict[str, Any]: ...


def validate_gamma(gamma: Any, n_levels: Sequence[int], *, what: str = "gamma") -> Int8Array:
    """Check a comparison-vector matrix at the edge and return it as ``int8[n, k]``.

    Values must lie in ``[-1, n_levels[k] - 1]`` for column ``k``; ``-1`` means missing.
    Only gamma codes appear in messages, never record values.

    >>> validate_gamma([[0, 1], [-1, 2]], [2, 3]).dtype
    dtype('int8')
    """
    arr = np.asarray(gamma)
    if arr.ndim == 1 and len(n_levels) == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-d array [n_pairs, n_comparisons], got {arr.ndim}-d")
    if arr.shape[1] != len(n_levels):
        raise ValueError(
            f"{what} has {arr.shape[1]} columns but the model has {len(n_levels)} comparisons"
        )
    integral = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating) and bool(np.all(np.equal(np.mod(arr, 1), 0)))
    )
    if arr.size and not integral:
        raise ValueError(f"{what} must hold integer level codes, got dtype {arr.dtype}")
    if arr.size:
        lo = arr.min(axis=0)
        hi = arr.max(axis=0)
        for k, n in enumerate(n_levels):
            if lo[k] < -1 or hi[k] > n - 1:
                raise ValueError(
                    f"{what} column {k} has codes in [{int(lo[k])}, {int(hi[k])}], "
                    f"allowed [-1, {n - 1}]"
                )
    if arr.dtype == np.int8:
        return arr
    return arr.astype(np.int8)


def as_index_array(values: Any, *, what: str) -> Int64Array:
    """Pair index arrays (record positions) as ``int64``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-d array of record positions")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{what} must hold integer record positions, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)
