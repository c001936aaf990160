"""Field roles: what each input column means for matching.

A *field map* says which input columns play which role, e.g. ``{"email": ["Email"],
"phone": ["Phone", "Mobile"]}``. Several columns may share a role (multi-valued fields).

>>> parse_field_specs(["email=Email", "phone=Phone,Mobile"])
{'email': ['Email'], 'phone': ['Phone', 'Mobile']}

Most roles hold one value per cell. ``text`` is free text (titles, notes: compared by word
overlap). ``items`` is a *list in one cell*: co-inventors ``"Hiroyuki Mizuno; Kiyoo Itoh"``,
classification codes ``"G05F; G11C"`` or ``"A61N**A61B"``, tags. Each cell is split into items
on ``;``, ``|``, ``**`` and line breaks (not on ``,``, which single items contain too: ``John
Brent, Jr.``; see :func:`crmresolve.features.parse_items`), each item is normalized on its own,
and two records are compared by how many items they share
(:func:`crmresolve.compare.library.items_comparison`), not by how alike the whole strings are.
The items of several ``items`` columns are kept apart: a co-inventor never matches a class
code.

>>> parse_field_specs(["items=coinventors,cpc_subclasses"])
{'items': ['coinventors', 'cpc_subclasses']}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "ITEM_SEPARATOR",
    "ROLES",
    "FieldMap",
    "FieldSpecError",
    "parse_field_specs",
    "validate_field_map",
]

#: Every role crmresolve knows, in the order they are documented.
ROLES: tuple[str, ...] = (
    "given_name",
    "surname",
    "full_name",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "dob",
    "company",
    "identifier",
    "updated_at",
    "source",
    "text",
    "items",
)

#: Joins the items of an ``items`` feature value (``"g05f|g11c"``): the joined value stays one
#: plain ``str`` like every other feature value. Normalized items hold only letters, digits
#: and single spaces (punctuation becomes a space), so none can contain it.
ITEM_SEPARATOR = "|"

FieldMap = dict[str, list[str]]


class FieldSpecError(ValueError):
    """A field specification names an unknown role or uses a column twice."""


def parse_field_specs(specs: Iterable[str]) -> FieldMap:
    """Parse ``ROLE=COLUMN[,COLUMN...]`` strings (the CLI's ``--field``) into a field map."""
    mapping: FieldMap = {}
    for spec in specs:
        role, sep, cols = spec.partition("=")
        role = role.strip()
        if not sep or not role or not cols.strip():
            raise FieldSpecError(f"--field {spec!r}: expected ROLE=COLUMN[,COLUMN...]")
        columns = [c.strip() for c in cols.split(",") if c.strip()]
        mapping.setdefault(role, []).extend(columns)
    validate_field_map(mapping)
    return mapping


def validate_field_map(
    mapping: Mapping[str, Sequence[str]], columns: Sequence[str] | None = None
) -> FieldMap:
    """Check roles are known, no column is used twice, and (optionally) columns exist."""
    out: FieldMap = {}
    used: dict[str, str] = {}
    for role, cols in mapping.items():
        if role not in ROLES:
            raise FieldSpecError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")
        if isinstance(cols, str):
            cols = [cols]
        for col in cols:
            if col in used:
                raise FieldSpecError(
                    f"column {col!r} is given twice (roles {used[col]!r} and {role!r})"
                )
            used[col] = role
            if columns is not None and col not in columns:
                raise FieldSpecError(
                    f"column {col!r} (role {role!r}) is not in the input; columns: "
                    + ", ".join(columns)
                )
        out[role] = list(cols)
    return out
