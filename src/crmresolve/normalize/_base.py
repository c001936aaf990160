"""Shared result type of the normalizers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Parsed"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Parsed:
    """A normalized value with the validation reasons found while normalizing it.

    ``value`` is the canonical string or ``None`` when nothing usable is there. ``reasons`` are
    dotted codes (``"email.role_account"``): a value can be usable and still suspicious.
    ``details`` carries extra parts (a phone's extension and type, a company's legal form ...).

    >>> Parsed("x", ("email.role_account",)).valid
    True
    """

    value: str | None
    reasons: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @property
    def valid(self) -> bool:
        """True when a canonical value exists (it may still carry warnings in ``reasons``)."""
        return self.value is not None
