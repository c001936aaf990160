"""Blocking rules: conjunctions of key functions, optionally with a sorted-neighbourhood window.

A rule reads like a sentence: ``block_on(initial("given_name"), "surname")`` pairs records whose
given-name initial *and* surname are equal.

>>> from crmresolve.block import initial, prefix, soundex
>>> rule = block_on(initial("given_name"), "surname")
>>> rule.name
'initial(given_name) & surname'
>>> BlockingRule.from_dict(rule.to_dict()) == rule
True
>>> sorted_neighbourhood("surname", window=3).name
'sorted_neighbourhood(surname, window=3)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmresolve.block._keys import KeyFunction, exact

__all__ = ["BlockingRule", "block_on", "sorted_neighbourhood"]


@dataclass(frozen=True)
class BlockingRule:
    """Records pair when every key component is present and the combined keys are close.

    ``window == 1`` (the default): the combined key values are equal (classic blocking).
    ``window == w > 1``: sorted neighbourhood over the *distinct* combined key values in sorted
    order: two records pair when the ranks of their key values differ by less than ``w``.
    Working on distinct values (not records) keeps the result independent of row order.

    ``max_block_size`` overrides the limit given to :func:`~crmresolve.block.generate_pairs`
    for this rule (``None``: use the call's limit).
    """

    keys: tuple[KeyFunction, ...]
    window: int = 1
    max_block_size: int | None = None

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a blocking rule needs at least one key")
        if not all(isinstance(k, KeyFunction) for k in self.keys):
            raise TypeError("blocking rule keys must be KeyFunction objects")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise ValueError("window must be an integer >= 1")
        if self.max_block_size is not None and self.max_block_size < 2:
            raise ValueError("max_block_size must be >= 2 (or None)")

    @property
    def key_name(self) -> str:
        """The key components joined with ``&``."""
        return " & ".join(k.name for k in self.keys)

    @property
    def name(self) -> str:
        """Readable name, e.g. ``initial(given_name) & surname``."""
        if self.window == 1:
            return self.key_name
        return f"sorted_neighbourhood({self.key_name}, window={self.window})"

    @property
    def columns(self) -> tuple[str, ...]:
        """Feature keys the rule reads, without repeats."""
        return tuple(dict.fromkeys(k.column for k in self.keys))

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for saved configurations)."""
        out: dict[str, Any] = {"keys": [k.to_dict() for k in self.keys]}
        if self.window != 1:
            out["window"] = self.window
        if self.max_block_size is not None:
            out["max_block_size"] = self.max_block_size
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockingRule:
        """Inverse of :meth:`to_dict`."""
        unknown = set(data) - {"keys", "window", "max_block_size"}
        if unknown:
            raise ValueError(f"unknown blocking rule field(s): {sorted(unknown)}")
        keys = tuple(KeyFunction.from_dict(k) for k in data["keys"])
        mbs = data.get("max_block_size")
        return cls(keys, int(data.get("window", 1)), None if mbs is None else int(mbs))


def _as_key(key: KeyFunction | str) -> KeyFunction:
    if isinstance(key, str):
        return exact(key)
    if isinstance(key, KeyFunction):
        return key
    raise TypeError(f"expected a KeyFunction or a feature name, got {type(key).__name__}")


def block_on(*keys: KeyFunction | str, max_block_size: int | None = None) -> BlockingRule:
    """Rule pairing records whose keys are all present and all equal.

    A plain string is ``exact(string)``.

    >>> from crmresolve.block import soundex
    >>> block_on("email").name, block_on(soundex("surname"), "dob").name
    ('email', 'soundex(surname) & dob')
    """
    return BlockingRule(tuple(_as_key(k) for k in keys), 1, max_block_size)


def sorted_neighbourhood(
    *keys: KeyFunction | str, window: int = 3, max_block_size: int | None = None
) -> BlockingRule:
    """Sorted-neighbourhood rule: sort the distinct key values and pair records whose values are
    less than ``window`` positions apart (``window=1`` is :func:`block_on`).

    Catches typos late in a value (``smith``/``smiht`` sort next to each other) that exact and
    prefix keys miss; with a conjunction the order is lexicographic over the components.

    >>> from crmresolve.block import prefix
    >>> sorted_neighbourhood(prefix("surname", 3), "postcode", window=5).window
    5
    """
    return BlockingRule(tuple(_as_key(k) for k in keys), window, max_block_size)
