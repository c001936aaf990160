"""Term-frequency tables: how common each value of a column is.

Two records sharing "Smith" (or a switchboard phone number, or ``gmail.com``) are weaker
evidence than two sharing "Zbigniew". For a pair agreeing exactly on value ``v`` the model uses
``u_v = freq(v)`` instead of the level-average u: the chance that a random other record has
``v`` too.

Privacy: tables never hold raw values. Keys are keyed BLAKE2b digests (64 bits, hex), and only
values seen at least ``min_count`` times are listed at all; rarer values share one pooled
frequency. A hash of a common value can still be confirmed by someone who guesses it, which is
why rare (identifying) values are never stored.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crmresolve.score._types import FloatArray
from crmresolve.table import factorize

__all__ = ["TF_HASH", "TermFrequencies", "hash_value"]

TF_HASH = "blake2b-64/crmresolve.tf"
_PERSON = b"crmresolve.tf"


def hash_value(value: str) -> str:
    """Stable 16-hex-digit key of a value for JSON term-frequency tables.

    >>> len(hash_value("smith")), hash_value("smith") == hash_value("smith")
    (16, True)
    """
    return hashlib.blake2b(value.encode("utf-8"), digest_size=8, person=_PERSON).hexdigest()


@dataclass(frozen=True)
class TermFrequencies:
    """Value frequencies of one feature column, keyed by :func:`hash_value`.

    ``counts`` lists only values seen ``>= min_count`` times. Every other value (rare, or never
    seen) gets ``rare_frequency``: the chance that a random record shares a value with a record
    holding a rare value, pooled over all rare values (sum c² / (n · sum c)).

    >>> tf = TermFrequencies.from_values(["a", "a", "a", "b", None], column="x", min_count=2)
    >>> tf.frequencies(np.array(["a", "b", "zz"], dtype=object)).tolist()
    [0.75, 0.25, 0.25]
    """

    column: str
    min_count: int
    n_values: int
    counts: Mapping[str, int]
    rare_frequency: float
    #: The listed values themselves, for a table counted in this process (never saved, never
    #: shown): looking values up needs no hashing then. Complete by construction: every key
    #: of ``counts`` is the hash of one of them.
    _by_value: Mapping[str, int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_values(
        cls, values: Iterable[Any], *, column: str, min_count: int = 5
    ) -> TermFrequencies:
        """Count the non-missing values of a column."""
        if min_count < 1:
            raise ValueError("min_count must be >= 1")
        counter = Counter(str(v) for v in values if v is not None)
        n = sum(counter.values())
        kept: dict[str, int] = {}
        by_value: dict[str, int] = {}
        rare_sq = 0
        rare_n = 0
        for value, c in counter.items():
            if c >= min_count:
                kept[hash_value(value)] = c
                by_value[value] = c
            else:
                rare_sq += c * c
                rare_n += c
        # With no rare values seen, an unseen value is treated as a singleton.
        rare = rare_sq / (n * rare_n) if rare_n else (1.0 / n if n else 1.0)
        counts = dict(sorted(kept.items()))
        return cls(column, int(min_count), int(n), counts, float(rare), by_value)

    def frequency(self, value: str | None) -> float:
        """Frequency of one value (``rare_frequency`` for rare, unseen or missing values)."""
        if value is None or self.n_values == 0:
            return self.rare_frequency
        if self._by_value is not None:
            c = self._by_value.get(str(value))
        else:
            c = self.counts.get(hash_value(str(value)))
        return self.rare_frequency if c is None else c / self.n_values

    def frequencies(self, values: Any) -> FloatArray:
        """Vectorised :meth:`frequency` (looks each distinct value up once)."""
        codes, uniques = factorize(np.asarray(values, dtype=object).reshape(-1).tolist())
        if self._by_value is not None and self.n_values:
            get = self._by_value.get
            counts = np.array(
                [get(v if type(v) is str else str(v), 0) for v in uniques], dtype=np.float64
            )
            # A listed value has a count >= min_count >= 1; 0 is a rare or unseen one.
            per_value = np.where(counts > 0, counts / self.n_values, self.rare_frequency)
        else:
            per_value = np.array([self.frequency(v) for v in uniques], dtype=np.float64)
        # Code -1 (a missing value) picks the trailing entry: the rare frequency.
        out: FloatArray = np.append(per_value, self.rare_frequency)[codes]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (hashed keys only)."""
        return {
            "column": self.column,
            "hash": TF_HASH,
            "min_count": self.min_count,
            "n_values": self.n_values,
            "rare_frequency": self.rare_frequency,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermFrequencies:
        if data.get("hash") != TF_HASH:
            raise ValueError(f"unsupported term-frequency hash {data.get('hash')!r}")
        counts = {str(k): int(v) for k, v in dict(data["counts"]).items()}
        return cls(
            column=str(data["column"]),
            min_count=int(data["min_count"]),
            n_values=int(data["n_values"]),
            counts=counts,
            rare_frequency=float(data["rare_frequency"]),
        )
