"""Column-at-a-time normalization with a per-call cache of distinct values.

CRM columns repeat themselves (a million rows may hold fifty thousand distinct e-mails), so
:func:`normalize_column` parses each distinct value once. The cache is a dict local to the call:
nothing survives between calls and no global state is kept. Per-record options (a ``region``
array for phones, a ``country`` array for dates or postcodes) are cached on the pair
``(value, option)``.

>>> col = normalize_column(["Bob@X.com", None, "bob@x.com ", "nope"], "email")
>>> col.values.tolist()
['bob@x.com', None, 'bob@x.com', None]
>>> col.reasons[3], col.n_distinct
(('email.syntax',), 4)
>>> normalize_column(["030 1234567", "030 1234567"], "phone", region=["DE", "AT"]).values.tolist()
['+49301234567', '+43301234567']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from crmresolve.normalize._base import Parsed
from crmresolve.normalize.addresses import parse_address, parse_postcode
from crmresolve.normalize.companies import parse_company
from crmresolve.normalize.dates import parse_date
from crmresolve.normalize.emails import parse_email
from crmresolve.normalize.names import parse_name
from crmresolve.normalize.phones import parse_phone

__all__ = ["KINDS", "Kind", "NormalizedColumn", "normalize_column"]

Kind = Literal[
    "name", "given_name", "surname", "email", "phone", "company", "address", "postcode", "date"
]
#: The kinds :func:`normalize_column` accepts.
KINDS: tuple[str, ...] = get_args(Kind)

ObjArray = npt.NDArray[np.object_]


def _parser(kind: str) -> tuple[Callable[..., Parsed], dict[str, Any]]:
    """The ``parse_*`` function behind a kind and the options the kind implies."""
    table: dict[str, tuple[Callable[..., Parsed], dict[str, Any]]] = {
        "name": (parse_name, {}),
        "given_name": (parse_name, {"part": "given"}),
        "surname": (parse_name, {"part": "surname"}),
        "email": (parse_email, {}),
        "phone": (parse_phone, {}),
        "company": (parse_company, {}),
        "address": (parse_address, {}),
        "postcode": (parse_postcode, {}),
        "date": (parse_date, {}),
    }
    if kind not in table:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return table[kind]


@dataclass(frozen=True, eq=False)
class NormalizedColumn:
    """Normalized values of one column; every array has one entry per input value.

    ``values`` holds ``str | None``, ``reasons`` tuples of reason codes and ``details`` the
    (shared, read-only) detail mappings. ``n_distinct`` is how many values were parsed.
    """

    values: ObjArray
    reasons: ObjArray
    details: ObjArray
    n_distinct: int

    def __len__(self) -> int:
        return len(self.values)

    def detail(self, key: str) -> ObjArray:
        """One entry of ``details`` as a column (``None`` where absent).

        >>> normalize_column(["ann@b.de", None], "email").detail("domain").tolist()
        ['b.de', None]
        """
        out = np.empty(len(self.details), dtype=object)
        for i, details in enumerate(self.details):
            out[i] = details.get(key)
        return out

    def reason_counts(self) -> dict[str, int]:
        """How many values carry each reason code, most frequent first.

        >>> normalize_column(["x", "y", "ann@b.de"], "email").reason_counts()
        {'email.syntax': 2}
        """
        counts: dict[str, int] = {}
        for reasons in self.reasons:
            for code in reasons:
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class _Missing:
    """Cache key shared by every NaN object (NaN != NaN would defeat the dict)."""

    def __repr__(self) -> str:
        return "<missing>"


_NAN_KEY = _Missing()


def _key(value: Any, position: int) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return _NAN_KEY
    try:
        hash(value)
    except TypeError:
        # Unhashable input (a list in a cell): not cached, parsed on its own.
        return (_Missing, position)
    # The type is part of the key because 1 == 1.0 == True would otherwise share an entry.
    return (type(value), value)


def normalize_column(
    values: Sequence[Any] | ObjArray, kind: str, **options: Any
) -> NormalizedColumn:
    """Normalize a column of raw values with the ``parse_*`` function for ``kind``.

    ``kind`` is one of :data:`KINDS` (``given_name``/``surname`` use :func:`parse_name` with
    ``part=``). ``options`` go to that function; an option given as a list, tuple or numpy array
    is per record and must have one entry per value (e.g. ``region=df["country"].to_numpy()``).

    >>> col = normalize_column(["4/5/1990", "4/5/1990"], "date", country=["US", "DE"])
    >>> col.values.tolist(), col.n_distinct
    (['1990-04-05', '1990-05-04'], 2)
    """
    parse, implied = _parser(kind)
    n = len(values)
    scalar: dict[str, Any] = dict(implied)
    per_record: dict[str, Sequence[Any] | ObjArray] = {}
    for name, option in options.items():
        if isinstance(option, list | tuple | np.ndarray):
            if len(option) != n:
                raise ValueError(
                    f"option {name!r} has {len(option)} entries, expected one per value ({n})"
                )
            per_record[name] = option
        else:
            scalar[name] = option

    index: dict[Any, int] = {}
    parsed: list[Parsed] = []
    inverse = np.empty(n, dtype=np.int64)
    if per_record:
        names = list(per_record)
        columns = [per_record[name] for name in names]
        for i, value in enumerate(values):
            row = [column[i] for column in columns]
            key: Any = (_key(value, i), *(_key(option, i) for option in row))
            slot = index.get(key)
            if slot is None:
                slot = index[key] = len(parsed)
                parsed.append(parse(value, **scalar, **dict(zip(names, row, strict=True))))
            inverse[i] = slot
    else:
        for i, value in enumerate(values):
            # Plain strings are by far the most common cell type: key them directly.
            key = value if type(value) is str else _key(value, i)
            slot = index.get(key)
            if slot is None:
                slot = index[key] = len(parsed)
                parsed.append(parse(value, **scalar))
            inverse[i] = slot

    distinct = len(parsed)
    unique_values = np.empty(distinct, dtype=object)
    unique_reasons = np.empty(distinct, dtype=object)
    unique_details = np.empty(distinct, dtype=object)
    for j, result in enumerate(parsed):
        unique_values[j] = result.value
        unique_reasons[j] = result.reasons
        unique_details[j] = result.details
    return NormalizedColumn(
        values=unique_values[inverse],
        reasons=unique_reasons[inverse],
        details=unique_details[inverse],
        n_distinct=distinct,
    )
