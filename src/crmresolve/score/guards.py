"""Evidence guards: hard evidence against a match that a sum of independent weights misses.

Fellegi–Sunter adds each field's weight as if fields were independent. In CRM data the
location fields are not: household members share surname, address, postcode and landline;
colleagues share company, address and switchboard number. Summed, those agreements outweigh two
different first names, and Splink-style models merge brothers. A guard caps the match weight
of pairs whose comparison vector carries decisive evidence against a match:

* :class:`DisagreeUnless` — a field disagrees outright (its lowest, "else" level, both values
  present) and none of the *personal* fields that could overrule it (date of birth, e-mail,
  identifier) agrees. "Two different full first names at one address are two people; so are two
  valid, different dates of birth."
* :class:`RequireAny` — none of the identity fields agrees at all: location alone (same
  address, same switchboard) never makes two records one person.
* :class:`OneSided` — one record names a person and the other names nobody (a role mailbox
  such as ``sales@``, a company or household account), and no personal field agrees. Missing
  values are normally neutral, but a record *without any name* is not a person record with
  its name left out: it shares the company, address and switchboard of every colleague.

Guards are configuration (JSON-serialisable), applied after scoring, vectorised over gamma,
and reported per pair so that explanations say why a weight was capped.

>>> import numpy as np
>>> g = DisagreeUnless("given_name", unless=("dob",))
>>> gamma = np.array([[0, 0, -1], [0, 3, 3], [5, 0, -1]], dtype=np.int8)
>>> names = ("given_name", "dob", "phone")
>>> g.applies(gamma, names, (6, 4, 3)).tolist()
[True, False, False]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from crmresolve.table import notnull

__all__ = [
    "DEFAULT_CAP_WEIGHT",
    "NEAR_LEVELS",
    "DisagreeUnless",
    "Guard",
    "OneSided",
    "RequireAny",
    "apply_guards",
    "default_guards",
    "guard_from_dict",
]

#: Capped pairs get at most this match weight: probability ≈ 0.01.
DEFAULT_CAP_WEIGHT = math.log2(0.01 / 0.99)

Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Per-record feature columns and the pairs' record positions, for guards reading values.
Records = tuple[Mapping[str, npt.NDArray[np.object_]], IntArray, IntArray]

#: Personal fields whose agreement overrules a disagreement of another field.
PERSONAL = ("dob", "email", "identifier")
#: Feature columns whose equal values overrule like agreeing personal fields: a mobile number.
PERSONAL_LINE = ("phone_mobile",)
#: Feature columns that name a person.
PERSON_NAME = ("given_name", "surname", "full_name")
#: Fields that identify a person or an organisation by themselves.
IDENTITY = ("given_name", "surname", "full_name", "email", "dob", "identifier", "company")


#: How many of a comparison's closest levels count as agreement when it overrules a guard
#: (default 2: exact and its near-equivalent). Every identifier level above else is a near
#: match of a long code (one edit; two edits in 6+ characters:
#: :func:`~crmresolve.compare.identifier_comparison`). A birth date counts down to one
#: keystroke away (exact, day/month transposed, one edit:
#: :func:`~crmresolve.compare.dob_comparison`): two people of one household are almost never
#: born one keystroke apart (that takes the same day and month and years such as 1955/1985).
NEAR_LEVELS: Mapping[str, int] = {"identifier": 3, "dob": 3}


def _agrees(col: Int8Array, n_levels: int, name: str = "") -> BoolArray:
    """Agreement = one of the two closest levels (exact, or its near-equivalent such as a
    transposed date or a one-character identifier typo); never the weak middle levels.
    :data:`NEAR_LEVELS` widens that for comparisons whose every level is a near match."""
    top = n_levels - 1
    depth = NEAR_LEVELS.get(name, 2)
    result: BoolArray = col >= max(1, top - depth + 1)
    return result


class Guard(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def cap_weight(self) -> float: ...

    def applies(
        self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int]
    ) -> BoolArray: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DisagreeUnless:
    """Cap pairs where ``comparison`` is at its "else" level unless a field in ``unless``
    agrees, or both records hold one value in a feature column of ``unless_same`` (such as
    ``phone_mobile``: the same mobile number is a personal line, where a shared landline is
    a household's). Comparisons absent from the model are ignored (a guard on a missing field
    never fires); ``unless_same`` is read from the records, so it overrules only when
    :func:`apply_guards` gets them."""

    comparison: str
    unless: tuple[str, ...] = PERSONAL
    cap_weight: float = DEFAULT_CAP_WEIGHT
    unless_same: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        same = "".join(f" and no {c} is shared" for c in self.unless_same)
        return f"{self.comparison} disagrees and none of {', '.join(self.unless)} agrees{same}"

    def applies(self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int]) -> BoolArray:
        if self.comparison not in names:
            return np.zeros(len(gamma), dtype=bool)
        fires: BoolArray = gamma[:, names.index(self.comparison)] == 0
        for other in self.unless:
            if other in names and other != self.comparison:
                k = names.index(other)
                fires &= ~_agrees(gamma[:, k], n_levels[k], other)
        return fires

    def applies_records(
        self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int], records: Records
    ) -> BoolArray:
        fires = self.applies(gamma, names, n_levels)
        features, left, right = records
        for column in self.unless_same:
            values = features.get(column)
            hit = np.flatnonzero(fires)
            if values is None or not hit.size:
                continue
            a, b = values[left[hit]], values[right[hit]]
            same = np.equal(a, b) & notnull(a)
            fires[hit[same]] = False
        return fires

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "disagree_unless",
            "comparison": self.comparison,
            "unless": list(self.unless),
            "cap_weight": self.cap_weight,
        }
        if self.unless_same:
            out["unless_same"] = list(self.unless_same)
        return out


@dataclass(frozen=True)
class RequireAny:
    """Cap pairs where none of ``comparisons`` agrees above its "else" level."""

    comparisons: tuple[str, ...] = IDENTITY
    cap_weight: float = DEFAULT_CAP_WEIGHT

    @property
    def name(self) -> str:
        return f"none of {', '.join(self.comparisons)} agrees"

    def applies(self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int]) -> BoolArray:
        present = [names.index(c) for c in self.comparisons if c in names]
        if not present:
            return np.zeros(len(gamma), dtype=bool)
        any_agree = np.zeros(len(gamma), dtype=bool)
        for k in present:
            any_agree |= gamma[:, k] >= 1
        result: BoolArray = ~any_agree
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "require_any",
            "comparisons": list(self.comparisons),
            "cap_weight": self.cap_weight,
        }


@dataclass(frozen=True)
class OneSided:
    """Cap pairs where exactly one record has a value in any of ``columns`` (feature keys)
    and none of the comparisons in ``unless`` agrees.

    Reads the records' values (gamma says "missing" for one-sided and two-sided gaps alike),
    so it only fires when :func:`apply_guards` gets ``records``."""

    columns: tuple[str, ...] = PERSON_NAME
    unless: tuple[str, ...] = PERSONAL
    cap_weight: float = DEFAULT_CAP_WEIGHT

    @property
    def name(self) -> str:
        return (
            f"only one record has any of {', '.join(self.columns)} "
            f"and none of {', '.join(self.unless)} agrees"
        )

    def applies(self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int]) -> BoolArray:
        return np.zeros(len(gamma), dtype=bool)

    def applies_records(
        self, gamma: Int8Array, names: Sequence[str], n_levels: Sequence[int], records: Records
    ) -> BoolArray:
        features, left, right = records
        cols = [features[c] for c in self.columns if c in features]
        if not cols:
            return np.zeros(len(gamma), dtype=bool)
        # Per pair, not per record of the table: callers score small batches of pairs too.
        has_left = np.zeros(len(left), dtype=bool)
        has_right = np.zeros(len(right), dtype=bool)
        for col in cols:
            has_left |= notnull(col[left])
            has_right |= notnull(col[right])
        fires: BoolArray = has_left != has_right
        for other in self.unless:
            if other in names:
                k = names.index(other)
                fires &= ~_agrees(gamma[:, k], n_levels[k], other)
        return fires

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "one_sided",
            "columns": list(self.columns),
            "unless": list(self.unless),
            "cap_weight": self.cap_weight,
        }


def guard_from_dict(data: Mapping[str, Any]) -> Guard:
    """Inverse of ``to_dict`` (for JSON configs)."""
    kind = data.get("type")
    cap = float(data.get("cap_weight", DEFAULT_CAP_WEIGHT))
    if kind == "disagree_unless":
        return DisagreeUnless(
            str(data["comparison"]),
            tuple(data.get("unless", PERSONAL)),
            cap,
            tuple(data.get("unless_same", ())),
        )
    if kind == "require_any":
        return RequireAny(tuple(data.get("comparisons", IDENTITY)), cap)
    if kind == "one_sided":
        columns = tuple(data.get("columns", PERSON_NAME))
        return OneSided(columns, tuple(data.get("unless", PERSONAL)), cap)
    raise ValueError(f"unknown guard type {kind!r}")


def default_guards(comparison_names: Sequence[str]) -> list[Guard]:
    """The guards that make sense for the comparisons present.

    Person data (a given name or a date of birth is compared): different first names and
    different dates of birth are decisive unless a personal identifier agrees; and some
    identity field must agree. With person names compared, a record naming nobody is not
    matched to a named one on shared location alone (:class:`OneSided`). Without person
    fields (companies, places) only :class:`RequireAny` is used, over the identity fields
    present.
    """
    names = set(comparison_names)
    guards: list[Guard] = []
    if "given_name" in names:
        guards.append(DisagreeUnless("given_name", unless_same=PERSONAL_LINE))
    if "dob" in names:
        guards.append(
            DisagreeUnless("dob", unless=("email", "identifier"), unless_same=PERSONAL_LINE)
        )
    if names & set(IDENTITY) and names - set(IDENTITY):
        guards.append(RequireAny())
    if names & set(PERSON_NAME):
        guards.append(OneSided())
    return guards


def apply_guards(
    weight: FloatArray,
    gamma: Int8Array,
    names: Sequence[str],
    n_levels: Sequence[int],
    guards: Sequence[Guard],
    *,
    records: Records | None = None,
) -> tuple[FloatArray, npt.NDArray[np.int16]]:
    """Capped weights and, per pair, the index of the first guard that capped it (-1: none).

    ``records`` = ``(features, left, right)`` lets guards that read record values (such as
    :class:`OneSided`) fire; without it they never do."""
    out = weight.copy()
    fired = np.full(len(weight), -1, dtype=np.int16)
    for i, guard in enumerate(guards):
        by_records = getattr(guard, "applies_records", None)
        if by_records is not None and records is not None:
            applies: BoolArray = by_records(gamma, list(names), n_levels, records)
        else:
            applies = guard.applies(gamma, list(names), n_levels)
        hit = applies & (out > guard.cap_weight)
        out[hit] = guard.cap_weight
        fired[hit & (fired < 0)] = i
    return out, fired
