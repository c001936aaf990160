"""Survivorship rules: small named objects chained into per-field tie-break chains.

A rule looks at the *candidates* of one golden field in one cluster (member records with a
value) and keeps the best ones; the chain applies rules in order until a single value is left
(the rule that got there is recorded in the lineage). Every chain ends with a deterministic
tie-break: the value of the smallest record id.

>>> FieldRule("Email", [ValidOnly(), MostRecent(), MostFrequent()]).describe()
'Email: valid_only > most_recent > most_frequent'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from crmresolve.survive._engine import Scope

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "Candidate",
    "Custom",
    "Earliest",
    "FieldGroup",
    "FieldRule",
    "Longest",
    "MostComplete",
    "MostFrequent",
    "MostRecent",
    "Rule",
    "SourcePriority",
    "ValidOnly",
    "default_chain",
]


class Candidate(NamedTuple):
    """What a :class:`Custom` rule sees of one candidate record."""

    record_id: str
    value: str | None
    values: Mapping[str, str | None]
    source: str | None
    updated_at: float | None
    valid: bool


class Rule:
    """Base class: ``score`` gives every candidate a number; the highest scores survive.

    Scores are computed for all candidates at once (vectorised) from the :class:`Scope`.
    """

    name: str = "rule"

    def score(self, scope: Scope) -> FloatArray:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def to_config(self) -> str | dict[str, Any]:
        """The TOML form of this rule (a name, or an inline table with options)."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(vars(self).items()))))


class ValidOnly(Rule):
    """Prefer values that passed validation; if none did, keep them all (a preference)."""

    name = "valid_only"

    def score(self, scope: Scope) -> FloatArray:
        return scope.valid().astype(np.float64)


class MostRecent(Rule):
    """Prefer the record updated last (``column`` = timestamp column; default: the table's
    ``updated_at``). Records without a parseable timestamp lose to any dated record."""

    name = "most_recent"

    def __init__(self, column: str | None = None) -> None:
        self.column = column

    def score(self, scope: Scope) -> FloatArray:
        return scope.timestamps(self.column)

    def describe(self) -> str:
        return f"{self.name}({self.column})" if self.column else self.name

    def to_config(self) -> str | dict[str, Any]:
        return {"rule": self.name, "column": self.column} if self.column else self.name

    def __repr__(self) -> str:
        return f"MostRecent({self.column!r})" if self.column else "MostRecent()"


class Earliest(MostRecent):
    """Prefer the record created/updated first (the original capture)."""

    name = "earliest"

    def score(self, scope: Scope) -> FloatArray:
        ts = scope.timestamps(self.column)
        # Undated records must not count as "earliest": keep them lowest.
        return np.where(np.isfinite(ts), -ts, -np.inf)

    def __repr__(self) -> str:
        return f"Earliest({self.column!r})" if self.column else "Earliest()"


class MostFrequent(Rule):
    """Prefer the value held by most member records (values compared by normalized form)."""

    name = "most_frequent"

    def score(self, scope: Scope) -> FloatArray:
        return scope.frequency().astype(np.float64)


class Longest(Rule):
    """Prefer the longest (normalized) value: a full name over an initial."""

    name = "longest"

    def score(self, scope: Scope) -> FloatArray:
        return scope.key_length().astype(np.float64)


class MostComplete(Rule):
    """Prefer the value of the record with the most non-missing fields overall."""

    name = "most_complete"

    def score(self, scope: Scope) -> FloatArray:
        return scope.completeness().astype(np.float64)


class SourcePriority(Rule):
    """Prefer sources listed earlier (case-insensitive); unlisted and unknown sources come
    last. ``priority=None`` uses the run's ``source_priority``."""

    name = "source_priority"

    def __init__(self, priority: Sequence[str] | None = None, column: str | None = None) -> None:
        self.priority = None if priority is None else tuple(priority)
        self.column = column

    def score(self, scope: Scope) -> FloatArray:
        return scope.source_score(self.priority, self.column)

    def describe(self) -> str:
        return f"{self.name}({','.join(self.priority)})" if self.priority else self.name

    def to_config(self) -> str | dict[str, Any]:
        out: dict[str, Any] = {"rule": self.name}
        if self.priority is not None:
            out["priority"] = list(self.priority)
        if self.column:
            out["column"] = self.column
        return out if len(out) > 1 else self.name

    def __repr__(self) -> str:
        return f"SourcePriority({self.priority!r}, column={self.column!r})"


class Custom(Rule):
    """A rule from a function ``fn(candidate) -> number`` (higher wins; ``bool`` works).

    Called once per candidate of clusters that are still undecided when the chain reaches it.

    >>> prefer_work = Custom(lambda c: (c.value or "").endswith("@acme.com"), name="work_mail")
    >>> prefer_work.describe()
    'work_mail'
    """

    def __init__(self, fn: Callable[[Candidate], float | int | bool], name: str = "custom") -> None:
        self.fn = fn
        self.name = name

    def score(self, scope: Scope) -> FloatArray:
        return scope.custom_score(self.fn)

    def to_config(self) -> str | dict[str, Any]:
        raise ValueError(f"rule {self.name!r} is a Python function and cannot go into TOML")

    def __repr__(self) -> str:
        return f"Custom(name={self.name!r})"


@dataclass(frozen=True)
class FieldRule:
    """How one golden column is chosen: a rule chain, and whether to keep every distinct value.

    >>> FieldRule("Phone", [MostRecent()], keep_all=True).keep_all
    True
    """

    column: str
    chain: Sequence[Rule] = field(default_factory=tuple)
    keep_all: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "chain", tuple(self.chain))

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    @property
    def name(self) -> str:
        return self.column

    def describe(self) -> str:
        return f"{self.column}: " + " > ".join(r.describe() for r in self.chain)


@dataclass(frozen=True)
class FieldGroup:
    """Columns chosen *together* from one winning record, e.g. an address, so that a golden
    record never mixes the street of one record with the city of another.

    Candidates are the members with a value in the group's first column that any member has
    (street before city before postcode ...); values are compared as whole tuples. A part the
    winning record lacks is filled from a member whose other parts agree with it (lineage rule
    ``group_fill``); a contradicting member never contributes.

    >>> FieldGroup("address", ["Street", "City"], [MostRecent()]).columns
    ('Street', 'City')
    """

    name: str
    columns: Sequence[str]
    chain: Sequence[Rule] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "chain", tuple(self.chain))
        if not self.columns:
            raise ValueError(f"field group {self.name!r} has no columns")

    keep_all = False

    def describe(self) -> str:
        return f"{self.name} ({', '.join(self.columns)}): " + " > ".join(
            r.describe() for r in self.chain
        )


#: Roles whose columns are chosen together as one :class:`FieldGroup` named ``"address"``.
ADDRESS_ROLES: tuple[str, ...] = ("street", "city", "postcode", "country")

#: Roles whose golden record also lists every distinct value (``<column>__all``).
MULTI_VALUED_ROLES: frozenset[str] = frozenset({"email", "phone", "source"})


def default_chain(role: str | None) -> tuple[Rule, ...]:
    """The built-in rule chain for a column of this role (``None``: unmapped column).

    >>> [r.name for r in default_chain("email")]
    ['valid_only', 'most_recent', 'most_frequent', 'source_priority']
    >>> [r.name for r in default_chain("surname")]
    ['most_frequent', 'longest', 'source_priority', 'most_recent']
    """
    if role in ("email", "phone"):
        # Contact data goes stale: a valid, current value beats a frequent old one.
        return (ValidOnly(), MostRecent(), MostFrequent(), SourcePriority())
    if role in ("given_name", "surname", "full_name", "company"):
        # Names rarely change; agreement across records is the best evidence, and the
        # longest form avoids keeping an initial or an abbreviation.
        return (MostFrequent(), Longest(), SourcePriority(), MostRecent())
    if role == "dob":
        return (ValidOnly(), MostFrequent(), SourcePriority(), MostRecent())
    if role == "identifier":
        return (MostFrequent(), SourcePriority(), MostRecent())
    if role in ADDRESS_ROLES:
        # People move: the latest address is the current one.
        return (MostRecent(), MostFrequent(), SourcePriority())
    if role in ("updated_at", "source"):
        return (MostRecent(),)
    if role == "text":
        return (MostRecent(), Longest())
    return (MostRecent(), MostFrequent())


#: Rule classes by TOML name.
RULES_BY_NAME: dict[str, type[Rule]] = {
    "valid_only": ValidOnly,
    "most_recent": MostRecent,
    "earliest": Earliest,
    "most_frequent": MostFrequent,
    "longest": Longest,
    "most_complete": MostComplete,
    "source_priority": SourcePriority,
}
