"""Dates (birth dates above all) to ISO ``YYYY-MM-DD``.

Accepted forms:

* ISO ``1984-03-12`` (also ``1984/03/12``, ``1984.3.12``), with or without a time
  (``1984-03-12T10:22:00Z``, ``1984-03-12 10:22:00+02:00``). The date is taken **as written**:
  no time-zone conversion, because a birth date must not move by a day.
* compact ``19840312`` (and ``12031984`` when ``YYYYMMDD`` is impossible, unless that reading
  puts the year outside 1800–2199 while the first four digits are a year inside it:
  ``19119124`` is a mistyped ``1911-91-24``, not 19 Nov 9124);
* numeric day/month/year with ``/``, ``.``, ``-`` or spaces: ``03/12/1984``, ``12.03.1984``;
* month names in English, German, French, Spanish, Italian, Dutch and Portuguese:
  ``12 Mar 1984``, ``March 12, 1984``, ``12. März 1984``, ``1er mars 1984``,
  ``12 de marzo de 1984``, ``Monday, 12 March 1984``; and ``1984年3月12日``;
* numbers: 5 digits are Excel serial days (1900 system, fraction = time of day, i.e. 1927–2173);
  9–10 digits (or negative) are Unix epoch seconds, 12–13 digits epoch milliseconds (UTC).
  Other bare numbers are ``date.syntax`` except a 4-digit year (``date.partial``).

Day/month order, when both numbers are ≤ 12 and differ: an explicit ``dayfirst`` wins; else the
record's ``country`` (month first for US and its territories, CA, PH, FM, MH, PW; day first
elsewhere); else the separator (``/`` month first as in the US; ``.``, ``-``, space and none,
as in ``12031984``, day first). Such values carry ``date.ambiguous_day_month`` and
``details["order_source"]``.

Two-digit years take the century that puts them in the 100 years ending with the current year
(in 2026: ``26`` → 2026, ``27`` → 1927) and carry ``date.two_digit_year``.

Value policy: impossible (``date.impossible``: Feb 30, month 13), unparseable (``date.syntax``),
partial (``date.partial``: year or month missing) and placeholder dates (``date.placeholder``:
1900-01-01, 1970-01-01, 1111-11-11, …) give ``None``. Future dates (``date.future``) and dates
before 1900 (``date.implausible_dob``) keep their value; missing input gives ``date.empty``.
ISO output re-parses to itself.

An impossible date written with a clear year, month and day (a 4-digit year and a 1–2 digit
month and day in a known order: ISO and other year-first forms, ``1984年3月12日``, a month name,
``d/m/yyyy`` or ``m/d/yyyy`` with one number above 12, compact ``yyyymmdd`` starting with a
year 1800–2199, else compact ``ddmmyyyy`` as above) also carries ``details["typed"]``: the date
as typed, in ISO shape (``1959-03-92``, ``19501905`` → ``1950-19-05``, ``31/04/1984`` →
``1984-04-31``). Such a date is almost always a typo of the real one, so a matcher may compare
it with a valid date one edit away; it is still no date (the value stays ``None``). Two numbers
both above 12, two-digit years, a zero year and the year-only ``YYYY-00-00`` get none.

>>> normalize_date("12. März 1984"), normalize_date("03/12/1984"), normalize_date("12.03.1984")
('1984-03-12', '1984-03-12', '1984-03-12')
>>> parse_date("04/05/1990", country="Germany").details["order"]
'dmy'
>>> p = parse_date("1959-03-92")
>>> p.value, p.reasons, p.details["typed"]
(None, ('date.impossible',), '1959-03-92')
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from importlib import resources
from typing import Any

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text
from crmresolve.normalize.phones import country_to_region

__all__ = ["MONTH_FIRST_REGIONS", "normalize_date", "parse_date"]

#: Regions whose numeric dates put the month first.
MONTH_FIRST_REGIONS: frozenset[str] = frozenset(
    {"US", "PR", "GU", "VI", "AS", "MP", "UM", "CA", "PH", "FM", "MH", "PW"}
)

_PLACEHOLDERS = frozenset(
    {
        "0001-01-01",
        "1111-11-11",
        "1601-01-01",  # Windows FILETIME zero
        "1753-01-01",  # SQL Server datetime minimum
        "1800-01-01",
        "1899-12-30",  # Excel/OLE serial zero
        "1899-12-31",
        "1900-01-01",
        "1970-01-01",  # Unix epoch zero
        "2999-12-31",
        "9999-01-01",
        "9999-12-31",
    }
)

# Dates are short; anything longer is not one and is rejected before any regex runs.
_MAX_LEN = 80

_TIME = re.compile(
    r"(?:(?<=\d)t|\s+|,\s*|(?<=\d)(?=\d{1,2}:))"
    r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:[ap]\.?m\.?)?"
    r"\s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_YMD = re.compile(r"(\d{4})\s*([-/.\s])\s*(\d{1,2})\s*\2\s*(\d{1,2})\.?")
_ABC = re.compile(r"(\d{1,2})\s*([-/.\s])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})\.?")
_PARTIAL_MY = re.compile(r"(\d{1,2})\s*[-/.\s]\s*(\d{4})|(\d{4})\s*[-/.\s]\s*(\d{1,2})")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CJK = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th|er|eme|e|o|a)\b")
_WORDS = re.compile(r"[a-z]+|\d+")
_HAS_LETTER = re.compile(r"[a-z]")
_ALL_ZERO = re.compile(r"[0\s\-/.:tz]*0[0\s\-/.:tz]*")

#: An impossible compact date starting with a year in this range is read as typed ``yyyymmdd``.
_COMPACT_YEARS = (1800, 2199)

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_UNIX_EPOCH = dt.datetime(1970, 1, 1)


class _Names:
    def __init__(self) -> None:
        text = (resources.files("crmresolve") / "data" / "date_month_names.json").read_text("utf-8")
        raw = json.loads(text)
        self.months: dict[str, int] = {}
        for by_name in raw["months"].values():
            self.months.update(by_name)
        self.skip = frozenset(
            [w for words in raw["weekdays"].values() for w in words] + list(raw["fillers"])
        )


@functools.cache
def _names() -> _Names:
    return _Names()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Fail(Exception):
    """Internal: parsing stops with this reason (and optional details)."""

    def __init__(self, reason: str, details: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details or {}


def _year(text: str, today: dt.date, reasons: list[str]) -> int:
    year = int(text)
    if len(text) == 2:
        reasons.append("date.two_digit_year")
        year += 2000 if 2000 + year <= today.year else 1900
    return year


def _typed(year: int, month: int, day: int) -> str | None:
    """An impossible date in ISO shape, unless it says "unknown" (zero year, ``YYYY-00-00``)."""
    if year < 1 or (month, day) == (0, 0):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _make(year: int, month: int, day: int, *, typed: bool = False) -> dt.date:
    """The date, or ``date.impossible``; with ``typed`` (the caller read a 4-digit year and a
    1–2 digit month and day, in a known order) the failure carries ``details["typed"]``."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        shaped = _typed(year, month, day) if typed else None
        raise _Fail("date.impossible", {"typed": shaped} if shaped else None) from None


def _day_first(
    sep: str, country: Any, dayfirst: bool | None, reasons: list[str], details: dict[str, str]
) -> bool:
    """Resolve an ambiguous day/month order (see module docstring)."""
    reasons.append("date.ambiguous_day_month")
    if dayfirst is not None:
        details["order_source"] = "dayfirst"
        return dayfirst
    region = country_to_region(country) if country is not None else None
    if region is not None:
        details["order_source"] = "country"
        return region not in MONTH_FIRST_REGIONS
    details["order_source"] = "separator"
    return sep != "/"


def _numeric(
    a: int,
    b: int,
    sep: str,
    country: Any,
    dayfirst: bool | None,
    reasons: list[str],
    details: dict[str, str],
) -> tuple[int, int]:
    """(month, day) from two leading numbers of a d/m or m/d date."""
    if a > 12 and b > 12:
        raise _Fail("date.impossible")
    if a > 12:
        first = True
    elif b > 12:
        first = False
    elif a == b:
        first = True
    else:
        first = _day_first(sep, country, dayfirst, reasons, details)
    details["order"] = "dmy" if first else "mdy"
    return (b, a) if first else (a, b)


def _from_number(text: str) -> tuple[dt.date, str]:
    """(date, format) for a bare number: Excel serial or Unix epoch (see module docstring)."""
    digits = text.lstrip("-").split(".", 1)[0]
    number = float(text)
    negative = text.startswith("-")
    if len(digits) == 5 and not negative:
        return _EXCEL_EPOCH + dt.timedelta(days=int(number)), "excel_serial"
    if negative or len(digits) in (9, 10):
        seconds, kind = number, "epoch_seconds"
    elif len(digits) in (12, 13):
        seconds, kind = number / 1000.0, "epoch_milliseconds"
    else:
        raise _Fail("date.syntax")
    try:
        return (_UNIX_EPOCH + dt.timedelta(seconds=seconds)).date(), kind
    except OverflowError:
        raise _Fail("date.impossible") from None


def _month_name(text: str, today: dt.date, reasons: list[str], details: dict[str, str]) -> dt.date:
    names = _names()
    month: int | None = None
    numbers: list[str] = []
    for token in _WORDS.findall(_ORDINAL.sub("", text)):
        if token.isdigit():
            numbers.append(token)
        elif token in names.months:
            if month is not None:
                raise _Fail("date.syntax")
            month = names.months[token]
        elif token not in names.skip:
            raise _Fail("date.syntax")
    if month is None or not numbers or len(numbers) > 2:
        raise _Fail("date.syntax")
    details["format"] = "month_name"
    if len(numbers) == 1:
        if len(numbers[0]) == 4:
            raise _Fail("date.partial", {"year": numbers[0], "month": f"{month:02d}"})
        raise _Fail("date.partial", {"month": f"{month:02d}"})
    first, last = numbers
    if len(first) == 4 or (len(first) > 2 and len(last) <= 2):
        year_text, day_text = first, last
    else:
        day_text, year_text = first, last
    if len(year_text) not in (2, 4) or len(day_text) > 2:
        raise _Fail("date.syntax")
    return _make(_year(year_text, today, reasons), month, int(day_text), typed=len(year_text) == 4)


def _parse(
    text: str,
    country: Any,
    dayfirst: bool | None,
    today: dt.date,
    reasons: list[str],
    details: dict[str, str],
) -> dt.date:
    text = _fold(text).strip().rstrip(".")
    if _ALL_ZERO.fullmatch(text):
        # MySQL-style zero dates ("0000-00-00") stand for "unknown".
        raise _Fail("date.placeholder")
    without_time = _TIME.sub("", text)
    if without_time != text and without_time:
        details["had_time"] = "true"
        text = without_time.strip()

    if m := _YMD.fullmatch(text):
        details["format"] = "iso" if m[2] == "-" else "ymd"
        details["order"] = "ymd"
        return _make(int(m[1]), int(m[3]), int(m[4]), typed=True)
    if m := _ABC.fullmatch(text):
        a, b, c = m[1], m[3], m[4]
        if len(c) == 2 and int(a) > 31:
            # "84/03/12": a two-digit year written first.
            details["format"] = "numeric"
            details["order"] = "ymd"
            return _make(_year(a, today, reasons), int(b), int(c))
        details["format"] = "numeric"
        month, day = _numeric(int(a), int(b), m[2], country, dayfirst, reasons, details)
        return _make(_year(c, today, reasons), month, day, typed=len(c) == 4)
    if m := _CJK.fullmatch(text):
        details["format"] = "cjk"
        return _make(int(m[1]), int(m[2]), int(m[3]), typed=True)
    if _NUMBER.fullmatch(text):
        return _compact_or_number(text, country, dayfirst, reasons, details)
    if m := _PARTIAL_MY.fullmatch(text):
        month_text, year_text = (m[1], m[2]) if m[1] else (m[4], m[3])
        if 1 <= int(month_text) <= 12:
            raise _Fail("date.partial", {"year": year_text, "month": f"{int(month_text):02d}"})
        raise _Fail("date.syntax")
    if _HAS_LETTER.search(text):
        return _month_name(text, today, reasons, details)
    raise _Fail("date.syntax")


def _compact_or_number(
    text: str,
    country: Any,
    dayfirst: bool | None,
    reasons: list[str],
    details: dict[str, str],
) -> dt.date:
    if len(text) == 8 and text.isdigit():
        details["format"] = "compact"
        try:
            date = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
        else:
            details["order"] = "ymd"
            return date
        try:
            lo, hi = _COMPACT_YEARS
            if lo <= int(text[:4]) <= hi and not lo <= int(text[4:]) <= hi:
                # "19119124" is no 19 Nov 9124 but a mistyped yyyymmdd.
                raise _Fail("date.impossible")
            month, day = _numeric(
                int(text[:2]), int(text[2:4]), "", country, dayfirst, reasons, details
            )
            return _make(int(text[4:]), month, day, typed=True)
        except _Fail as failure:
            year = int(text[:4])
            if _COMPACT_YEARS[0] <= year <= _COMPACT_YEARS[1]:
                # "19590392": read as typed yyyymmdd, the usual compact order.
                typed = _typed(year, int(text[4:6]), int(text[6:]))
                failure.details = {"typed": typed} if typed else {}
                details["order"] = "ymd"
            raise
    if len(text) == 4 and text.isdigit():
        raise _Fail("date.partial", {"year": text})
    date, details["format"] = _from_number(text)
    return date


def parse_date(
    value: Any,
    *,
    country: Any = None,
    dayfirst: bool | None = None,
    today: dt.date | None = None,
) -> Parsed:
    """Parse a raw date value into ISO ``YYYY-MM-DD`` plus reasons and details.

    ``country`` (ISO code or name, e.g. the record's country column) and ``dayfirst`` resolve
    ambiguous numeric dates; ``today`` (default: the local date) anchors two-digit years and
    ``date.future``. Details: ``format`` and, for numeric dates, ``order`` (``dmy``, ``mdy``,
    ``ymd``) and ``order_source`` when the order was ambiguous.

    >>> p = parse_date("04/05/1990")
    >>> p.value, p.reasons, p.details["order_source"]
    ('1990-04-05', ('date.ambiguous_day_month',), 'separator')
    >>> parse_date("1984-02-30").reasons
    ('date.impossible',)
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("date.empty",))
    if len(text) > _MAX_LEN:
        return Parsed(None, ("date.syntax",))
    today = today or dt.date.today()
    reasons: list[str] = []
    details: dict[str, str] = {}
    try:
        date = _parse(text, country, dayfirst, today, reasons, details)
    except _Fail as failure:
        details.update(failure.details)
        return Parsed(None, (*reasons, failure.reason), details)
    except (ValueError, OverflowError):
        return Parsed(None, (*reasons, "date.syntax"), details)
    iso = f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
    if iso in _PLACEHOLDERS:
        details["placeholder"] = iso
        return Parsed(None, (*reasons, "date.placeholder"), details)
    if date > today:
        reasons.append("date.future")
    if date.year < 1900:
        reasons.append("date.implausible_dob")
    return Parsed(iso, tuple(reasons), details)


def normalize_date(
    value: Any,
    *,
    country: Any = None,
    dayfirst: bool | None = None,
    today: dt.date | None = None,
) -> str | None:
    """ISO ``YYYY-MM-DD`` form of a raw date, or ``None`` when nothing usable is there.

    >>> [normalize_date(x) for x in ("March 12, 1984", "19840312", "1984-03-12T10:22:00Z")]
    ['1984-03-12', '1984-03-12', '1984-03-12']
    """
    return parse_date(value, country=country, dayfirst=dayfirst, today=today).value
