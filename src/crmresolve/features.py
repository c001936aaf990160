"""From a raw :class:`~crmresolve.table.Table` and a field map to matching features.

This is the bridge between the normalize stage and the matching stages: every role's columns are
normalized once per distinct value and turned into the canonical feature columns documented in
``docs/architecture.md`` (``given_name``, ``given_name_canonical``, ``surname``, ``full_name``,
``email``, ``email_local``, ``email_domain``, ``phone``, ``phone_mobile``, ``dob``, ``dob_typed``,
``house_number``, ``street``, ``city``, ``postcode``, ``country``, ``company``, ``identifier``,
``source``, ``text``, ``items``).

``dob`` holds valid dates only. ``dob_typed`` is ``dob`` where that is present, else an
impossible date as typed in ISO shape (``1959-03-92``, see
:func:`~crmresolve.normalize.parse_date`'s ``details["typed"]``), else ``None``: the dob
comparison lets such a date reach its one-typo level, nothing else reads it.

``phone_mobile`` is the first phone that the numbering plan calls a mobile (``None`` where there
is none, and wherever the plan cannot tell mobiles from landlines, as in North America): a
personal line, which the evidence guards (:mod:`crmresolve.score.guards`) read.

``items`` is the set of items listed in the cells of the ``items`` role (:func:`parse_items`),
sorted and joined by :data:`~crmresolve.roles.ITEM_SEPARATOR`, so equal sets are equal strings;
with several columns each item carries its column's position (``0:g05f``, ``1:kiyoo itoh``).

It also reports, per raw column, which values are valid (for survivorship's ``ValidOnly`` rule)
and the validation reasons (for the profile), so nothing is normalized twice.

>>> from crmresolve.table import Table
>>> t = Table.from_columns({"name": ["Bob Smith", "SMITH, Robert"], "mail": ["B@X.com", None]})
>>> f = build_features(t, {"full_name": ["name"], "email": ["mail"]})
>>> f.columns["given_name_canonical"].tolist(), f.columns["surname"].tolist()
(['robert', 'robert'], ['smith', 'smith'])
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from crmresolve._fork import default_workers, fork_map
from crmresolve.normalize import (
    canonical_given_name,
    country_to_region,
    normalize_company,
    normalize_date,
    normalize_name,
    normalize_postcode,
    parse_address,
    parse_date,
    parse_email,
    parse_phone,
    split_name,
)
from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import (
    coerce_text,
    fold_accents,
    nfkc,
    squeeze,
    strip_punctuation,
)
from crmresolve.roles import ITEM_SEPARATOR, FieldMap, validate_field_map
from crmresolve.table import ObjArray, Table

__all__ = ["Features", "build_features", "parse_items"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Features:
    """Normalized matching columns plus per-raw-column validity.

    ``columns`` maps feature keys to object arrays (``str | None`` per record). ``valid`` maps a
    raw column name to a boolean array (value present and valid) for the roles where validity
    is defined (email, phone, dob).
    """

    columns: dict[str, ObjArray]
    valid: dict[str, np.ndarray] = field(default_factory=dict)
    n_records: int = 0

    def __contains__(self, key: object) -> bool:
        return key in self.columns

    def __getitem__(self, key: str) -> ObjArray:
        return self.columns[key]

    def keys(self) -> list[str]:
        return list(self.columns)


#: Below this many distinct values a column is normalized in this process (a pool costs more).
PARALLEL_MIN_DISTINCT = 20_000
#: Distinct values per task sent to a worker process.
_TASK_SIZE = 10_000


def _per_distinct(values: Sequence[K], fn: Callable[[K], T], *, workers: int = 1) -> list[T]:
    """Apply ``fn`` once per distinct value: CRM columns repeat values a lot.

    With several ``workers``, columns with many distinct values are normalized by forked
    worker processes (normalizers are pure functions, so the results are the same, in the
    same order).
    """
    if workers > 1:
        keys = list(dict.fromkeys(values))
        if len(keys) >= PARALLEL_MIN_DISTINCT:
            chunks = [keys[i : i + _TASK_SIZE] for i in range(0, len(keys), _TASK_SIZE)]
            parts = fork_map(lambda chunk: [fn(k) for k in chunk], chunks, workers=workers)
            table = dict(zip(keys, itertools.chain.from_iterable(parts), strict=True))
            return list(map(table.__getitem__, values))  # the loop in C
    cache: dict[K, T] = {}
    out: list[T] = []
    for v in values:
        try:
            r = cache[v]
        except KeyError:
            r = cache[v] = fn(v)
        out.append(r)
    return out


def _obj(values: Sequence[Any]) -> ObjArray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _first_present(arrays: Sequence[Sequence[Any]], n: int) -> list[Any]:
    """Per record, the first non-missing value across several columns of one role."""
    if len(arrays) == 1:  # one column for the role: its values as they are
        return list(arrays[0])
    out: list[Any] = [None] * n
    for arr in reversed(arrays):
        for i, v in enumerate(arr):
            if v is not None:
                out[i] = v
    return out


def _simple(value: str | None) -> str | None:
    text = coerce_text(value)
    if text is None:
        return None
    text = squeeze(strip_punctuation(fold_accents(text).casefold()))
    return text or None


def _first_token(value: str | None) -> str | None:
    return value.split(" ", 1)[0] if value else None


def build_features(
    table: Table,
    fields: Mapping[str, Sequence[str]],
    *,
    default_region: str = "US",
    workers: int | None = None,
) -> Features:
    """Normalize the identity columns of ``table`` named by ``fields`` into matching features.

    ``default_region`` is used for phone numbers when a record has no country. Several columns
    of one role (``phone=Phone,Mobile``) are read in order: the first present value is the
    record's matching value.

    ``workers``: processes that normalize columns with many distinct values (at a million
    records most e-mails and phones are distinct, and parsing them is pure Python); default
    :func:`default_workers`. Forked workers on Linux only; the result never depends on it.
    """
    n_workers = default_workers() if workers is None else workers
    return _build_features(table, fields, default_region=default_region, workers=n_workers)


def _build_features(
    table: Table,
    fields: Mapping[str, Sequence[str]],
    *,
    default_region: str,
    workers: int,
) -> Features:
    per_distinct = functools.partial(_per_distinct, workers=workers)
    fmap: FieldMap = validate_field_map(fields, table.column_names)
    n = len(table)
    cols: dict[str, ObjArray] = {}
    valid: dict[str, np.ndarray] = {}

    def raw(role: str) -> list[list[Any]]:
        return [table.columns[c].tolist() for c in fmap.get(role, [])]

    # Country first: phones, dates and postcodes read it per record.
    region: list[str | None] = [None] * n
    if "country" in fmap:
        region = per_distinct(_first_present(raw("country"), n), country_to_region)
        cols["country"] = _obj(
            [
                r.lower() if r else _simple(v)
                for r, v in zip(region, _first_present(raw("country"), n), strict=True)
            ]
        )

    given: list[str | None] = [None] * n
    surname: list[str | None] = [None] * n
    full: list[str | None] = [None] * n
    if "full_name" in fmap:
        parts = per_distinct(_first_present(raw("full_name"), n), split_name)
        given = [_first_token(normalize_name(p[0], part="given")) if p[0] else None for p in parts]
        surname = [normalize_name(p[2], part="surname") if p[2] else None for p in parts]
    if "given_name" in fmap:
        g = per_distinct(
            _first_present(raw("given_name"), n),
            lambda v: _first_token(normalize_name(v, part="given")),
        )
        given = [a if a is not None else b for a, b in zip(g, given, strict=True)]
    if "surname" in fmap:
        s = per_distinct(
            _first_present(raw("surname"), n), lambda v: normalize_name(v, part="surname")
        )
        surname = [a if a is not None else b for a, b in zip(s, surname, strict=True)]
    if {"full_name", "given_name", "surname"} & fmap.keys():
        full = [
            " ".join(p for p in (a, b) if p) or None for a, b in zip(given, surname, strict=True)
        ]
        cols["given_name"] = _obj(given)
        cols["given_name_canonical"] = _obj(
            per_distinct(given, lambda v: canonical_given_name(v) if v else None)
        )
        cols["surname"] = _obj(surname)
        cols["full_name"] = _obj(full)

    if "email" in fmap:
        # Provider rules: Gmail ignores dots and +tags, several providers +tags, so such
        # spellings are one mailbox (and one person) for matching.
        parsed_emails = [
            per_distinct(c, lambda v: _brief(parse_email(v, provider_rules=True)))
            for c in raw("email")
        ]
        for name, parsed in zip(fmap["email"], parsed_emails, strict=True):
            valid[name] = np.array([ok for _, ok in parsed])
        emails = _first_present([[v for v, _ in pc] for pc in parsed_emails], n)
        cols["email"] = _obj(emails)
        cols["email_local"] = _obj([e.rsplit("@", 1)[0] if e else None for e in emails])
        cols["email_domain"] = _obj([e.rsplit("@", 1)[1] if e else None for e in emails])

    if "phone" in fmap:
        per_col: list[list[str | None]] = []
        mobile_col: list[list[str | None]] = []
        for name, values in zip(fmap["phone"], raw("phone"), strict=True):
            phones = per_distinct(
                list(zip(values, region, strict=True)),
                lambda vr: _brief_phone(
                    parse_phone(vr[0], default_region=default_region, region=vr[1])
                ),
            )
            valid[name] = np.array([ok for _, ok, _ in phones])
            per_col.append([v for v, _, _ in phones])
            mobile_col.append([v if mobile else None for v, _, mobile in phones])
        cols["phone"] = _obj(_first_present(per_col, n))
        # A mobile is a personal line, unlike a household's landline or an office
        # switchboard: the evidence guards read it.
        cols["phone_mobile"] = _obj(_first_present(mobile_col, n))

    if "dob" in fmap:
        per_col = []
        typed_col: list[list[str | None]] = []
        for name, values in zip(fmap["dob"], raw("dob"), strict=True):
            dates = per_distinct(
                list(zip(values, region, strict=True)),
                lambda vr: _brief_date(parse_date(vr[0], country=vr[1])),
            )
            valid[name] = np.array([ok for _, ok, _ in dates])
            per_col.append([v for v, _, _ in dates])
            typed_col.append([t for _, _, t in dates])
        dob = _first_present(per_col, n)
        cols["dob"] = _obj(dob)
        # The valid date when there is one (in any dob column), else an impossible date as
        # typed: only the dob comparison's typo level reads it (guards and conflicts do not).
        typed = _first_present(typed_col, n)
        cols["dob_typed"] = _obj(
            [d if d is not None else t for d, t in zip(dob, typed, strict=True)]
        )

    if "street" in fmap:
        # Several street columns (address_1, address_2) form one address line.
        lines = [
            " ".join(str(v) for v in vals if v is not None) or None
            for vals in zip(*raw("street"), strict=True)
        ]
        parsed_addr = per_distinct(
            list(zip(lines, region, strict=True)),
            lambda vr: _address_parts(parse_address(vr[0], country=vr[1])),
        )
        cols["street"] = _obj([a[0] for a in parsed_addr])
        cols["house_number"] = _obj([a[1] for a in parsed_addr])
        cols["address"] = _obj([a[2] for a in parsed_addr])

    if "city" in fmap:
        cols["city"] = _obj(per_distinct(_first_present(raw("city"), n), _simple))
    if "postcode" in fmap:
        cols["postcode"] = _obj(
            per_distinct(
                list(zip(_first_present(raw("postcode"), n), region, strict=True)),
                lambda vr: normalize_postcode(vr[0], country=vr[1]),
            )
        )
    if "company" in fmap:
        cols["company"] = _obj(per_distinct(_first_present(raw("company"), n), normalize_company))
    if "identifier" in fmap:
        cols["identifier"] = _obj(
            per_distinct(
                _first_present(raw("identifier"), n),
                lambda v: squeeze(str(v)).upper().replace(" ", "") or None if v else None,
            )
        )
    if "source" in fmap:
        cols["source"] = _obj(_first_present(raw("source"), n))
    if "text" in fmap:
        cols["text"] = _obj(
            per_distinct(
                [
                    " ".join(str(v) for v in vals if v is not None) or None
                    for vals in zip(*raw("text"), strict=True)
                ],
                _simple,
            )
        )
    if "items" in fmap:
        cols["items"] = _obj(_items_feature(per_distinct, raw("items")))
    if "updated_at" in fmap:
        stamps = [_timestamp_day(v) for v in _first_present(raw("updated_at"), n)]
        cols["updated_at"] = _obj(per_distinct(stamps, normalize_date))
    return Features(cols, valid, n)


# Separators of the items in one cell. "**" and not "*": a lone asterisk is a mark inside a
# value ("* AKZO NOBEL N.V."), and the item normalization drops it anyway.
_ITEM_SPLIT = re.compile(r"\*\*|[;|\r\n]")


def parse_items(value: object) -> tuple[str, ...]:
    """The distinct normalized items listed in one cell, sorted.

    Items are separated by ``;``, ``|``, ``**`` or line breaks. Not by ``,``: a comma is part
    of many single items (``John Brent, Jr.``, ``Acme, Inc.``, ``Smith, John``), and splitting
    there would invent items (``jr``, ``inc``) that unrelated records share. Nor is it judged
    per column: a record's items would then depend on the other records of its batch, and a
    record added to a :class:`~crmresolve.store.Store` on its own would get other items than
    the same record in a full run. A list written with commas (``Golf, Tennis``) is one item
    here; turn its commas into ``;`` before matching.

    Each item is folded like free text (NFKC, case, accents, punctuation to spaces, spacing),
    so ``Müller, K.`` and ``MULLER K`` are one item; empty items are dropped and repeated ones
    kept once.

    >>> parse_items("Hiroyuki Mizuno; KIYOO  ITOH ;; kiyoo itoh")
    ('hiroyuki mizuno', 'kiyoo itoh')
    >>> parse_items("A61N**A61B"), parse_items("John Brent, Jr.|Yu Lai"), parse_items(" ; ")
    (('a61b', 'a61n'), ('john brent jr', 'yu lai'), ())
    """
    text = coerce_text(value)
    if text is None:
        return ()
    # NFKC first: full-width separators (；｜) become the plain ones.
    parts = _ITEM_SPLIT.split(nfkc(text))
    items = {squeeze(strip_punctuation(fold_accents(p).casefold())) for p in parts}
    items.discard("")
    return tuple(sorted(items))


def _prefixed_items(prefix: str, value: object) -> tuple[str, ...]:
    return tuple(prefix + item for item in parse_items(value))


def _items_feature(
    per_distinct: Callable[..., list[Any]], columns: Sequence[list[Any]]
) -> list[str | None]:
    """Per record, the canonical item set of the ``items`` columns (see :func:`parse_items`)."""
    if len(columns) == 1:
        return per_distinct(columns[0], lambda v: ITEM_SEPARATOR.join(parse_items(v)) or None)
    # The column's position keeps items of different columns apart (a co-inventor never
    # matches a class code); normalized items hold no ":", so the prefix is unambiguous.
    per_column = [
        per_distinct(values, functools.partial(_prefixed_items, f"{k}:"))
        for k, values in enumerate(columns)
    ]
    return per_distinct(
        list(zip(*per_column, strict=True)),
        lambda ts: ITEM_SEPARATOR.join(sorted(i for t in ts for i in t)) or None,
    )


# A strict ISO timestamp: its date is taken as written (no time-zone shift, see
# crmresolve.normalize.dates), so it normalizes exactly like its first ten characters.
_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)


def _timestamp_day(value: Any) -> Any:
    """The date part of a strict ISO timestamp, else the value itself.

    Change timestamps are nearly as many as the records (a million distinct at a million
    records, ~19 µs each to parse) while their days are a few thousand: normalizing per day
    gives the same dates for a fraction of the work.
    """
    if isinstance(value, str) and _ISO_TIMESTAMP.fullmatch(value):
        return value[:10]
    return value


def _brief(parsed: Parsed) -> tuple[str | None, bool]:
    """The normalized value and whether it is usable as a survivor (small, picklable)."""
    return parsed.value, parsed.valid and not _has_error(parsed.reasons)


def _brief_phone(parsed: Parsed) -> tuple[str | None, bool, bool]:
    """:func:`_brief` plus whether the number is a mobile (by the numbering plan; where a plan
    cannot tell mobiles from landlines, as in North America, it is not)."""
    value, ok = _brief(parsed)
    return value, ok, value is not None and parsed.details.get("type") == "mobile"


def _brief_date(parsed: Parsed) -> tuple[str | None, bool, str | None]:
    """:func:`_brief` plus the ISO-shaped impossible date as typed (``1959-03-92``), if any."""
    value, ok = _brief(parsed)
    return value, ok, parsed.details.get("typed") if value is None else None


def _address_parts(parsed: Parsed) -> tuple[str | None, str | None, str | None]:
    """Street (without number), house number and the whole normalized address."""
    street = parsed.details.get("street") or parsed.value if parsed.value else None
    return street, parsed.details.get("house_number"), parsed.value


def _has_error(reasons: Sequence[str]) -> bool:
    """Reasons that make a present value unusable as a survivor (syntax, junk, impossible)."""
    bad = ("syntax", "junk", "invalid", "impossible", "placeholder", "disposable")
    return any(r.split(".", 1)[-1].startswith(bad) for r in reasons)
