"""Data-quality profile of a CRM table: completeness, validity, formats, duplicates, freshness.

:func:`profile` answers the questions to ask before matching: which columns are filled, which
values are invalid and why, in how many formats a field arrives, how many records already share
an e-mail, phone or name + birth date, how old the data is and which records are worst.

>>> p = profile([
...     {"id": "1", "Email": "bob@acme.com", "Phone": "+1 415 555 0100"},
...     {"id": "2", "Email": "BOB@acme.com", "Phone": "n/a"},
... ], id_column="id")
>>> p.fields
{'email': ['Email'], 'phone': ['Phone']}
>>> c = p.column("Email")
>>> c.completeness, c.n_shapes, c.top_shapes
(1.0, 2, [('A@a.a', 1), ('a@a.a', 1)])
>>> p.duplicate("email").normalized_records
2

**Privacy.** A profile never contains record values: only counts, column names, reason codes,
record ids and value *shapes* (``"Aa"`` for ``"Bob"``, ``"+9 (9) 9-9"`` for a phone number), so
it can be shared or logged.

**Fields.** ``fields`` maps roles (see :mod:`crmresolve.roles`) to columns. Without it roles are
inferred from header names by a small fixed table (see :func:`_infer_fields`): lower-cased,
non-alphanumerics removed, ``first_name``/``FirstName``/``Vorname`` → ``given_name`` and so on.

**Validity** comes from :mod:`crmresolve.normalize`: ``given_name``, ``surname``,
``full_name``, ``email`` (with provider rules), ``phone``, ``company``, ``street`` (address),
``postcode``, ``dob`` and ``updated_at`` (dates) are parsed; a present value is *valid* when the
normalizer returns a value. A ``country`` column, when mapped, is passed per record as the
region of phones and the country of dates, postcodes and addresses. Reason counts cover present
values only (missing values are what completeness measures).

**Problems** per record (for the worst-records list) are the reason codes of its present
values, except purely informational ones (``email.free_mail``), plus ``<role>.missing`` for each
empty validated field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.io import load_table
from crmresolve.normalize import country_to_region, normalize_column
from crmresolve.roles import FieldMap, FieldSpecError, validate_field_map
from crmresolve.table import ObjArray, Table

__all__ = [
    "ColumnProfile",
    "DuplicateKey",
    "Freshness",
    "Profile",
    "WorstRecord",
    "profile",
    "value_shape",
]

#: Normalizer kind per role; roles not listed are profiled without validation.
ROLE_KINDS: Mapping[str, str] = {
    "given_name": "given_name",
    "surname": "surname",
    "full_name": "name",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "street": "address",
    "postcode": "postcode",
    "dob": "date",
    "updated_at": "date",
}
#: Reason codes that describe a value rather than a problem with it.
INFO_CODES: frozenset[str] = frozenset({"email.free_mail"})
#: Freshness buckets: (label, upper bound of the age in days, exclusive).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<30d", 30),
    ("30d-1y", 365),
    ("1y-3y", 3 * 365),
    (">=3y", math.inf),
)

# ------------------------------------------------------------------------ role inference


def _infer_fields(columns: Sequence[str], exclude: Iterable[str] = ()) -> FieldMap:
    """Roles from header names (one source of truth: :func:`crmresolve.infer.roles_from_headers`).

    Several columns may share a role (``Phone``, ``Mobile``); ``exclude`` (the id column) is
    never mapped. The content-based inference is :func:`crmresolve.infer.infer_roles`.

    >>> _infer_fields(["Id", "First Name", "last_name", "E-Mail", "Phone", "Mobile", "ZIP"])
    {'given_name': ['First Name'], 'surname': ['last_name'], 'email': ['E-Mail'], \
'phone': ['Phone', 'Mobile'], 'postcode': ['ZIP']}
    """
    from crmresolve.infer import roles_from_headers

    return roles_from_headers(columns, exclude)


# ------------------------------------------------------------------------ shapes

_ASCII_SHAPE = str.maketrans(
    {
        **{c: "9" for c in "0123456789"},
        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyz"},
        **{c: "A" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        "\t": " ",
        "\n": " ",
        "\r": " ",
    }
)
_MAX_SHAPE = 30


def value_shape(value: str) -> str:
    """The format of a value without its content: digits → ``9``, letters → ``a``/``A``,
    whitespace → space, other characters kept; runs of one class collapse to one symbol.

    >>> [value_shape(v) for v in ("Bob", "ROBERT SMITH", "+1 (415) 555-0100", "José", "b@x.org")]
    ['Aa', 'A A', '+9 (9) 9-9', 'Aa', 'a@a.a']
    """
    if value.isascii():
        text = value.translate(_ASCII_SHAPE)
    else:
        text = "".join(
            "9"
            if c.isdigit()
            else "A"
            if c.isupper()
            else "a"
            if c.isalpha()
            else " "
            if c.isspace()
            else c
            for c in value
        )
    text = "".join(symbol for symbol, _ in itertools.groupby(text))  # collapse runs
    return text if len(text) <= _MAX_SHAPE else text[:_MAX_SHAPE] + "…"


# ------------------------------------------------------------------------ result types


@dataclass(frozen=True)
class ColumnProfile:
    """Quality figures of one column. ``n_valid`` / ``reasons`` are ``None`` / empty when the
    column's role is not validated."""

    column: str
    role: str | None
    kind: str | None
    n_records: int
    n_present: int
    n_distinct: int
    n_valid: int | None
    reasons: dict[str, int]
    n_shapes: int
    top_shapes: list[tuple[str, int]]

    @property
    def completeness(self) -> float | None:
        """Share of records with a value (``None`` for an empty table)."""
        return self.n_present / self.n_records if self.n_records else None

    @property
    def validity(self) -> float | None:
        """Share of present values the normalizer accepts (``None`` if not validated/empty)."""
        if self.n_valid is None or not self.n_present:
            return None
        return self.n_valid / self.n_present

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["top_shapes"] = [{"shape": s, "count": n} for s, n in self.top_shapes]
        out["completeness"] = self.completeness
        out["validity"] = self.validity
        return out


@dataclass(frozen=True)
class DuplicateKey:
    """How many records share an identity key with another record.

    *Exact* compares raw values, *normalized* the normalizers' canonical values. ``*_groups`` is
    the number of distinct shared values, ``*_records`` the records involved. Shared values are
    not necessarily duplicates: households share a landline, colleagues a switchboard.
    """

    key: str
    columns: list[str]
    n_with_key: int
    exact_groups: int
    exact_records: int
    normalized_groups: int
    normalized_records: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Freshness:
    """Age of the records by their last-modified column, relative to ``now``."""

    column: str
    now: str
    n_parsed: int
    n_unparsed: int
    n_future: int
    min_days: int | None
    median_days: float | None
    max_days: int | None
    buckets: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class WorstRecord:
    """A record id with its problem codes (never its values)."""

    record_id: str
    reasons: list[str]

    @property
    def n_problems(self) -> int:
        return len(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "n_problems": self.n_problems, "reasons": self.reasons}


@dataclass(frozen=True)
class Profile:
    """The result of :func:`profile`; print it, ``to_dict()`` it, or show it in a notebook."""

    n_records: int
    fields: FieldMap
    fields_inferred: bool
    columns: list[ColumnProfile]
    duplicates: list[DuplicateKey]
    freshness: Freshness | None
    worst_records: list[WorstRecord]
    source: str | None = None
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.column == name:
                return col
        raise KeyError(name)

    def duplicate(self, key: str) -> DuplicateKey:
        for dup in self.duplicates:
            if dup.key == key:
                return dup
        raise KeyError(key)

    def reason_totals(self) -> dict[str, int]:
        """Reason code → number of values carrying it, over all columns, most frequent first."""
        totals: Counter[str] = Counter()
        for col in self.columns:
            totals.update(col.reasons)
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (``json.dumps(p.to_dict())``)."""
        return {
            "source": self.source,
            "n_records": self.n_records,
            "n_columns": len(self.columns),
            "fields": self.fields,
            "fields_inferred": self.fields_inferred,
            "columns": [c.to_dict() for c in self.columns],
            "duplicates": [d.to_dict() for d in self.duplicates],
            "freshness": None if self.freshness is None else self.freshness.to_dict(),
            "worst_records": [w.to_dict() for w in self.worst_records],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """A plain-text report for a terminal."""
        lines: list[str] = []
        what = f" ({self.source})" if self.source else ""
        lines.append(
            f"crmresolve profile{what}: {self.n_records} records, {len(self.columns)} columns"
        )
        how = "inferred from header names" if self.fields_inferred else "as given"
        if self.fields:
            mapped = ", ".join(f"{role}={','.join(cols)}" for role, cols in self.fields.items())
            lines.append(f"Fields ({how}): {mapped}")
        else:
            lines.append(f"Fields ({how}): none recognised; use --field ROLE=COLUMN")
        lines.extend(f"Note: {note}" for note in self.notes)

        lines += ["", "Columns"]
        rows = [["column", "role", "complete", "valid", "distinct", "shapes", "top shapes"]]
        for c in self.columns:
            shapes = "  ".join(f"{_q(s)} {n}" for s, n in c.top_shapes[:3])
            rows.append(
                [
                    c.column,
                    c.role or "-",
                    _pct(c.completeness),
                    _pct(c.validity),
                    str(c.n_distinct),
                    str(c.n_shapes),
                    shapes,
                ]
            )
        lines += _table(rows, right={2, 3, 4, 5})

        reason_rows = [
            [c.column, code, str(n)] for c in self.columns for code, n in c.reasons.items()
        ]
        if reason_rows:
            lines += ["", "Validation reasons (present values)"]
            lines += _table([["column", "reason", "values"], *reason_rows], right={2})

        if self.duplicates:
            lines += ["", "Identity keys (records sharing a value with another record)"]
            rows = [["key", "columns", "with key", "exact groups/records", "normalized"]]
            for d in self.duplicates:
                rows.append(
                    [
                        d.key,
                        ",".join(d.columns),
                        str(d.n_with_key),
                        f"{d.exact_groups}/{d.exact_records}",
                        f"{d.normalized_groups}/{d.normalized_records}",
                    ]
                )
            lines += _table(rows, right={2, 3, 4})

        f = self.freshness
        if f is not None:
            lines += ["", f"Freshness ({f.column}, now = {f.now})"]
            if f.n_parsed:
                lines.append(
                    f"  age in days: min {f.min_days}, median {f.median_days:g}, "
                    f"max {f.max_days}; unparsed {f.n_unparsed}, future {f.n_future}"
                )
                total = f.n_parsed - f.n_future
                lines.append(
                    "  "
                    + "  ".join(
                        f"{label} {n} ({_pct(n / total if total else None)})"
                        for label, n in f.buckets.items()
                    )
                )
            else:
                lines.append(f"  no parseable dates ({f.n_unparsed} values)")

        if self.worst_records:
            lines += ["", "Worst records (record id: problem codes)"]
            for w in self.worst_records:
                lines.append(f"  {w.record_id} ({w.n_problems}): {', '.join(w.reasons)}")
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        """HTML tables for notebooks; every string is escaped."""
        e = html.escape
        parts = [
            f"<div><p><b>crmresolve profile</b>{e(' (' + self.source + ')' if self.source else '')}"
            f": {self.n_records} records, {len(self.columns)} columns</p>"
        ]
        parts.append(
            _html_table(
                ["column", "role", "complete", "valid", "distinct", "shapes", "top shapes"],
                [
                    [
                        c.column,
                        c.role or "",
                        _pct(c.completeness),
                        _pct(c.validity),
                        str(c.n_distinct),
                        str(c.n_shapes),
                        ", ".join(f"{s} ({n})" for s, n in c.top_shapes[:3]),
                    ]
                    for c in self.columns
                ],
            )
        )
        totals = self.reason_totals()
        if totals:
            parts.append(
                _html_table(["reason", "values"], [[k, str(v)] for k, v in totals.items()])
            )
        if self.duplicates:
            parts.append(
                _html_table(
                    ["key", "with key", "exact groups/records", "normalized groups/records"],
                    [
                        [
                            d.key,
                            str(d.n_with_key),
                            f"{d.exact_groups}/{d.exact_records}",
                            f"{d.normalized_groups}/{d.normalized_records}",
                        ]
                        for d in self.duplicates
                    ],
                )
            )
        if self.freshness is not None and self.freshness.n_parsed:
            f = self.freshness
            parts.append(
                _html_table(
                    ["column", "median age (days)", *f.buckets],
                    [[f.column, f"{f.median_days:g}", *(str(n) for n in f.buckets.values())]],
                )
            )
        if self.worst_records:
            parts.append(
                _html_table(
                    ["record id", "problems", "reasons"],
                    [
                        [w.record_id, str(w.n_problems), ", ".join(w.reasons)]
                        for w in self.worst_records
                    ],
                )
            )
        parts.append("</div>")
        return "".join(parts)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _q(shape: str) -> str:
    # Quote shapes with edge spaces so that leading/trailing whitespace stays visible.
    return f"'{shape}'" if shape != shape.strip() or not shape else shape


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append(("  " + "  ".join(cells)).rstrip())
    return out


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ------------------------------------------------------------------------ computation


def profile(
    records: Any,
    *,
    fields: Mapping[str, Sequence[str] | str] | None = None,
    id_column: str | None = None,
    updated_at: str | None = None,
    now: dt.datetime | dt.date | None = None,
    top_shapes: int = 5,
    worst: int = 10,
    source: str | None = None,
) -> Profile:
    """Profile ``records`` (anything :func:`crmresolve.io.load_table` accepts).

    ``fields`` maps roles to columns (inferred from headers when ``None``); ``updated_at``
    names the last-modified column (default: the ``updated_at`` role); ``now`` anchors ages
    (default: the current UTC time). ``top_shapes`` and ``worst`` limit the lists reported;
    ``source`` names the input in the report (default: the path, when a path is given).
    Unknown roles or columns raise :class:`~crmresolve.roles.FieldSpecError`.
    """
    if source is None and isinstance(records, (str, os.PathLike)):
        source = os.fspath(records)
    table = load_table(records, id_column=id_column)
    names = table.column_names
    if fields is None:
        field_map = _infer_fields(names, exclude=[id_column] if id_column else ())
        inferred = True
    else:
        field_map = validate_field_map(
            {
                role: [cols] if isinstance(cols, str) else list(cols)
                for role, cols in fields.items()
            },
            columns=names,
        )
        inferred = False
    if updated_at is not None:
        if updated_at not in table.columns:
            raise FieldSpecError(
                f"updated_at column {updated_at!r} is not in the input; columns: "
                + ", ".join(names)
            )
        field_map = {
            r: c for r, c in field_map.items() if r != "updated_at" and updated_at not in c
        }
        field_map["updated_at"] = [updated_at]
    today, now_text = _now(now)

    role_of = {col: role for role, cols in field_map.items() for col in cols}
    country = field_map.get("country")
    country_values = _country_codes(table.columns[country[0]]) if country else None

    n = len(table)
    columns: list[ColumnProfile] = []
    normalized: dict[str, ObjArray] = {}
    # Per validated column: the problem codes of every record (shared tuples, not copies).
    problems: list[list[tuple[str, ...]]] = []
    for name in names:
        values = table.columns[name]
        role = role_of.get(name)
        kind = ROLE_KINDS.get(role) if role else None
        present = _present(values)
        counts = Counter(values[present].tolist())
        shapes: Counter[str] = Counter()
        for value, k in counts.items():
            shapes[value_shape(value)] += k
        n_valid: int | None = None
        reasons: Counter[str] = Counter()
        if kind is not None:
            if role == "updated_at":
                col_values, col_reasons = _parse_timestamps(values, today)
            else:
                col = normalize_column(values, kind, **_options(kind, country_values, today))
                col_values, col_reasons = col.values, col.reasons
            normalized[name] = col_values
            n_valid = int(_present(col_values[present]).sum())
            # Count per distinct reason tuple: a column has few of them.
            by_tuple = Counter(col_reasons[present].tolist())
            for codes, k in by_tuple.items():
                for code in codes:
                    reasons[code] += k
            kept = {t: tuple(c for c in t if c not in INFO_CODES) for t in by_tuple}
            missing = (f"{role}.missing",)
            problems.append(
                [
                    kept[t] if p else missing
                    for t, p in zip(col_reasons.tolist(), present.tolist(), strict=True)
                ]
            )
        columns.append(
            ColumnProfile(
                column=name,
                role=role,
                kind=kind,
                n_records=n,
                n_present=int(present.sum()),
                n_distinct=len(counts),
                n_valid=n_valid,
                reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                n_shapes=len(shapes),
                top_shapes=sorted(shapes.items(), key=lambda kv: (-kv[1], kv[0]))[:top_shapes],
            )
        )

    notes: list[str] = []
    unmapped = [r for r in ("email", "phone") if r not in field_map]
    if not field_map:
        notes.append("no column was recognised as a field; pass fields= (CLI: --field)")
    elif unmapped:
        notes.append(f"no {' or '.join(unmapped)} column recognised")

    return Profile(
        n_records=len(table),
        fields=field_map,
        fields_inferred=inferred,
        columns=columns,
        duplicates=_duplicates(table, field_map, normalized),
        freshness=_freshness(table, field_map, normalized, today, now_text),
        worst_records=_worst(table, problems, worst),
        source=source,
        notes=notes,
    )


def _present(values: ObjArray) -> npt.NDArray[np.bool_]:
    return np.array([v is not None for v in values.tolist()], dtype=bool)


def _now(now: dt.datetime | dt.date | None) -> tuple[dt.date, str]:
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    if isinstance(now, dt.datetime):
        return now.date(), now.isoformat(timespec="seconds")
    return now, now.isoformat()


def _country_codes(values: ObjArray) -> ObjArray:
    """ISO alpha-2 codes for a country column (unknown names stay as written).

    Mapping the few distinct spellings ("UK", "United Kingdom", "GB") to one code first means
    the normalizers' per-(value, country) cache sees one key instead of several.
    """
    codes: dict[str | None, str | None] = {}
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v not in codes:
            codes[v] = country_to_region(v) or v
        out[i] = codes[v]
    return out


def _options(kind: str, country: ObjArray | None, today: dt.date) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if kind == "email":
        opts["provider_rules"] = True  # Gmail dots and +tags: one mailbox, one value
    if kind == "date":
        opts["today"] = today
    if country is not None:
        if kind == "phone":
            opts["region"] = country
        elif kind in ("date", "postcode", "address"):
            opts["country"] = country
    return opts


def _shared(keys: list[tuple[int, Any]], multi: bool) -> tuple[int, int]:
    """(values held by ≥ 2 distinct records, records holding such a value).

    ``keys`` are (record, value) pairs; with ``multi`` (several columns) one record may hold a
    value twice, so pairs are made unique first.
    """
    pairs: Iterable[tuple[int, Any]] = set(keys) if multi else keys
    counts = Counter(value for _, value in pairs)
    groups = sum(1 for k in counts.values() if k > 1)
    records = {rec for rec, value in pairs if counts[value] > 1}
    return groups, len(records)


def _duplicates(
    table: Table, field_map: FieldMap, normalized: dict[str, ObjArray]
) -> list[DuplicateKey]:
    out: list[DuplicateKey] = []
    for role in ("email", "phone"):
        cols = field_map.get(role)
        if not cols:
            continue
        exact = [
            (i, v.strip())
            for col in cols
            for i, v in enumerate(table.columns[col].tolist())
            if v is not None
        ]
        norm = [
            (i, v) for col in cols for i, v in enumerate(normalized[col].tolist()) if v is not None
        ]
        out.append(_key_counts(role, cols, exact, norm))

    dob = field_map.get("dob")
    if dob:
        if "given_name" in field_map and "surname" in field_map:
            name_cols = [field_map["given_name"][0], field_map["surname"][0]]
        elif "full_name" in field_map:
            name_cols = [field_map["full_name"][0]]
        else:
            return out
        cols = [*name_cols, dob[0]]
        raw = list(zip(*(table.columns[c].tolist() for c in cols), strict=True))
        canon = list(zip(*(normalized[c].tolist() for c in cols), strict=True))
        exact_keys = [(i, k) for i, k in enumerate(raw) if all(v is not None for v in k)]
        norm_keys = [(i, k) for i, k in enumerate(canon) if all(v is not None for v in k)]
        out.append(_key_counts("name+dob", cols, exact_keys, norm_keys))
    return out


def _key_counts(
    key: str, cols: list[str], exact: list[tuple[int, Any]], norm: list[tuple[int, Any]]
) -> DuplicateKey:
    multi = key in ("email", "phone") and len(cols) > 1
    eg, er = _shared(exact, multi)
    ng, nr = _shared(norm, multi)
    with_key = len({i for i, _ in exact})
    return DuplicateKey(key, cols, with_key, eg, er, ng, nr)


_ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_timestamps(values: ObjArray, today: dt.date) -> tuple[ObjArray, ObjArray]:
    """Last-modified values to ISO dates with reasons, like ``normalize_column(..., "date")``.

    Timestamps are nearly all distinct, so the usual ISO form takes a fast path; anything else
    goes through :func:`crmresolve.normalize.parse_date`.
    """
    from crmresolve.normalize import parse_date

    cache: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    out_values = np.empty(len(values), dtype=object)
    out_reasons = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v is None:
            out_values[i], out_reasons[i] = None, ("date.empty",)
            continue
        hit = cache.get(v)
        if hit is None:
            text = v.strip()
            try:
                if not _ISO_PREFIX.match(text):
                    raise ValueError
                day = dt.date.fromisoformat(text[:10])
                hit = (day.isoformat(), ("date.future",) if day > today else ())
            except ValueError:
                parsed = parse_date(text, today=today)
                hit = (parsed.value, parsed.reasons)
            cache[v] = hit
        out_values[i], out_reasons[i] = hit
    return out_values, out_reasons


def _freshness(
    table: Table,
    field_map: FieldMap,
    normalized: dict[str, ObjArray],
    today: dt.date,
    now_text: str,
) -> Freshness | None:
    cols = field_map.get("updated_at")
    if not cols:
        return None
    column = cols[0]
    dates = normalized[column]
    ordinal = today.toordinal()
    cache: dict[str, int] = {}
    ages: list[int] = []
    for iso in dates.tolist():
        if iso is not None:
            age = cache.get(iso)
            if age is None:
                age = cache[iso] = ordinal - dt.date.fromisoformat(iso).toordinal()
            ages.append(age)
    n_present = int(_present(table.columns[column]).sum())
    arr = np.array(ages, dtype=np.int64)
    future = int((arr < 0).sum())
    past = arr[arr >= 0]
    buckets: dict[str, int] = {}
    lower = 0.0
    for label, upper in AGE_BUCKETS:
        buckets[label] = int(((past >= lower) & (past < upper)).sum())
        lower = upper
    return Freshness(
        column=column,
        now=now_text,
        n_parsed=len(ages),
        n_unparsed=n_present - len(ages),
        n_future=future,
        min_days=int(arr.min()) if len(arr) else None,
        median_days=float(np.median(arr)) if len(arr) else None,
        max_days=int(arr.max()) if len(arr) else None,
        buckets=buckets,
    )


def _worst(table: Table, problems: list[list[tuple[str, ...]]], limit: int) -> list[WorstRecord]:
    n = len(table)
    if limit <= 0 or not problems or not n:
        return []
    counts = np.zeros(n, dtype=np.int64)
    for column in problems:
        counts += np.fromiter(map(len, column), dtype=np.int64, count=n)
    # Most problems first; ties keep table order (stable sort) so the output is deterministic.
    order = np.argsort(-counts, kind="stable")[:limit]
    return [
        WorstRecord(str(table.ids[i]), sorted(code for column in problems for code in column[i]))
        for i in order.tolist()
        if counts[i]
    ]
