"""Blocking keys of single records as 64-bit integers (for the indexed ``block_keys`` table).

A record's key for rule ``r`` is the blake2b-64 digest of ``r`` and the rule's component keys
(the same :class:`~crmresolve.block.KeyFunction` transforms as batch blocking), so two records
share a stored key exactly when batch blocking would put them in one block of that rule.
Sorted-neighbourhood rules (``window > 1``) have no equality key and are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from crmresolve.block import BlockingRule, KeyFunction

__all__ = ["record_keys"]

IntArray = npt.NDArray[np.int64]
_MISS = object()


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, person=b"crmresolve.bk")
    return int.from_bytes(digest.digest(), "big", signed=True)


def record_keys(
    rules: Sequence[BlockingRule], features: Mapping[str, Any], n: int
) -> tuple[IntArray, IntArray]:
    """``(position, key)`` arrays: every blocking key of every record (records without a key
    for a rule get no row for it)."""
    positions: list[int] = []
    keys: list[int] = []
    memo: dict[KeyFunction, dict[Any, str | None]] = {}
    for r, rule in enumerate(rules):
        if rule.window != 1 or any(k.column not in features for k in rule.keys):
            continue
        parts: list[list[str | None]] = []
        for kf in rule.keys:
            cache = memo.setdefault(kf, {})
            out: list[str | None] = []
            for v in features[kf.column]:
                got = cache.get(v, _MISS)
                if got is _MISS:
                    got = cache[v] = kf.apply(v)
                out.append(cast("str | None", got))
            parts.append(out)
        prefix = f"{r}\x1f"
        hashed: dict[tuple[str | None, ...], int] = {}
        for i, combo in enumerate(zip(*parts, strict=True)):
            if None in combo:
                continue
            h = hashed.get(combo)
            if h is None:
                h = hashed[combo] = _hash(prefix + "\x1f".join(cast("tuple[str, ...]", combo)))
            positions.append(i)
            keys.append(h)
    return np.asarray(positions, dtype=np.int64), np.asarray(keys, dtype=np.int64)
