"""Tests for crmresolve.normalize.dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize.dates import normalize_date, parse_date

TODAY = dt.date(2026, 1, 15)

SAME_DATE = [
    "1984-03-12",
    "1984-3-12",
    "1984/03/12",
    "1984.03.12",
    "19840312",
    "12031984",
    "03/12/1984",
    "3/12/1984",
    "12.03.1984",
    "12.3.1984",
    "12-03-1984",
    "12 03 1984",
    "12.03.1984.",
    "12 Mar 1984",
    "12-Mar-1984",
    "12 March 1984",
    "March 12, 1984",
    "Mar 12 1984",
    "Monday, March 12, 1984",
    "12th March 1984",
    "March 12th, 1984",
    "1984 March 12",
    "12. März 1984",
    "12. Maerz 1984",
    "Montag, 12. März 1984",
    "12 mars 1984",
    "lundi 12 mars 1984",
    "12 de marzo de 1984",
    "12 marzo 1984",
    "12 maart 1984",
    "12 mrt 1984",
    "12 de março de 1984",
    "12 MAR 84",
    "1984年3月12日",
    "1984-03-12T10:22:00Z",
    "1984-03-12T10:22:00.123+02:00",
    "1984-03-12 10:22:00",
    "1984-03-12 10:22",
    "12.03.1984 10:22",
    "03/12/1984 10:22 PM",
    "Mon, 12 Mar 1984 10:22:00 +0000",
    "  1984-03-12  ",
    "30753",
    30753,
    30753.25,
    19840312,
]


@pytest.mark.parametrize("raw", SAME_DATE)
def test_formats(raw: object) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value == "1984-03-12", parsed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1er mars 1984", "1984-03-01"),
        ("2nd Feb 1999", "1999-02-02"),
        ("1 janvier 2000", "2000-01-01"),
        ("31 dicembre 1999", "1999-12-31"),
        ("5 giugno 1975", "1975-06-05"),
        ("7 juli 1967", "1967-07-07"),
        ("15 août 1969", "1969-08-15"),
        ("29 februari 2000", "2000-02-29"),
        ("3 octobre 1950", "1950-10-03"),
        ("1º de setembro de 1980", "1980-09-01"),
        ("9 Dezember 1988", "1988-12-09"),
        ("20 Jänner 1990", "1990-01-20"),
        ("448000000", "1984-03-13"),  # epoch seconds
        ("448000000000", "1984-03-13"),  # epoch milliseconds
        (-100000000, "1966-10-31"),  # epoch seconds before 1970
        ("31/12/1990", "1990-12-31"),  # unambiguous: 31 cannot be a month
        ("12/31/1990", "1990-12-31"),
        ("5/5/1990", "1990-05-05"),
        ("84/03/12", "1984-03-12"),  # two-digit year first
    ],
)
def test_more_examples(raw: object, expected: str) -> None:
    assert normalize_date(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected", "source"),
    [
        ("04/05/1990", {}, "1990-04-05", "separator"),
        ("04.05.1990", {}, "1990-05-04", "separator"),
        ("04-05-1990", {}, "1990-05-04", "separator"),
        ("04/05/1990", {"country": "DE"}, "1990-05-04", "country"),
        ("04/05/1990", {"country": "Germany"}, "1990-05-04", "country"),
        ("04/05/1990", {"country": "United Kingdom"}, "1990-05-04", "country"),
        ("04.05.1990", {"country": "US"}, "1990-04-05", "country"),
        ("04.05.1990", {"country": "USA"}, "1990-04-05", "country"),
        ("04/05/1990", {"country": "Philippines"}, "1990-04-05", "country"),
        ("04/05/1990", {"country": "Canada"}, "1990-04-05", "country"),
        ("04/05/1990", {"country": "Narnia"}, "1990-04-05", "separator"),
        ("04/05/1990", {"dayfirst": True}, "1990-05-04", "dayfirst"),
        ("04.05.1990", {"dayfirst": False, "country": "DE"}, "1990-04-05", "dayfirst"),
        ("04051990", {}, "1990-05-04", "separator"),
    ],
)
def test_ambiguous_day_month(raw: str, kwargs: dict[str, Any], expected: str, source: str) -> None:
    parsed = parse_date(raw, today=TODAY, **kwargs)
    assert parsed.value == expected
    assert "date.ambiguous_day_month" in parsed.reasons
    assert parsed.details["order_source"] == source


@pytest.mark.parametrize("raw", ["1984-03-12", "12/31/1990", "31.12.1990", "5/5/1990", "12 Mar 84"])
def test_not_ambiguous(raw: str) -> None:
    assert "date.ambiguous_day_month" not in parse_date(raw, today=TODAY).reasons


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.03.84", "1984-03-12"),
        ("1/2/26", "2026-01-02"),
        ("1/2/27", "1927-01-02"),
        ("3/4/00", "2000-03-04"),
    ],
)
def test_two_digit_year_window(raw: str, expected: str) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value == expected
    assert "date.two_digit_year" in parsed.reasons


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1984-02-30", "date.impossible"),
        ("1983-02-29", "date.impossible"),
        ("1984-13-01", "date.impossible"),
        ("13/13/1984", "date.impossible"),
        ("31/02/1984", "date.impossible"),
        ("30 February 1984", "date.impossible"),
        ("19841301", "date.impossible"),
        ("hello", "date.syntax"),
        ("12", "date.syntax"),
        ("123", "date.syntax"),
        ("12 foo 1984", "date.syntax"),
        ("12 Mar Apr 1984", "date.syntax"),
        ("1.2.3.4", "date.syntax"),
        ("\x00\x01", "date.syntax"),
        ("1984", "date.partial"),
        ("03/1984", "date.partial"),
        ("1984-03", "date.partial"),
        ("March 1984", "date.partial"),
        ("12 March", "date.partial"),
        ("1900-01-01", "date.placeholder"),
        ("01/01/1900", "date.placeholder"),
        ("1970-01-01", "date.placeholder"),
        ("1111-11-11", "date.placeholder"),
        ("9999-12-31", "date.placeholder"),
        ("0000-00-00", "date.placeholder"),
        ("00.00.0000", "date.placeholder"),
        ("x" * 100_000, "date.syntax"),
    ],
)
def test_unusable_gives_none(raw: str, reason: str) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value is None
    assert parsed.reasons[-1] == reason


def test_partial_details() -> None:
    assert dict(parse_date("March 1984").details) == {
        "format": "month_name",
        "year": "1984",
        "month": "03",
    }


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [
        ("2030-01-01", "2030-01-01", "date.future"),
        ("2026-01-16", "2026-01-16", "date.future"),
        ("1850-05-05", "1850-05-05", "date.implausible_dob"),
        ("0984-03-12", "0984-03-12", "date.implausible_dob"),
    ],
)
def test_suspicious_dates_keep_value(raw: str, value: str, reason: str) -> None:
    parsed = parse_date(raw, today=TODAY)
    assert parsed.value == value
    assert reason in parsed.reasons


def test_today_defaults_to_the_local_date() -> None:
    assert normalize_date(dt.date.today().isoformat()) == dt.date.today().isoformat()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert "date.future" in parse_date(tomorrow.isoformat()).reasons


@pytest.mark.parametrize("raw", [None, float("nan"), "", "  "])
def test_missing(raw: object) -> None:
    assert parse_date(raw).reasons == ("date.empty",)


# -- properties ---------------------------------------------------------------------------

_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d %B %Y", "%B %d, %Y", "%Y%m%d", "%d-%b-%y"]


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=TODAY), st.sampled_from(_FORMATS))
def test_round_trip_from_strftime(date: dt.date, fmt: str) -> None:
    parsed = parse_date(date.strftime(fmt), dayfirst=fmt.startswith("%d"), today=TODAY)
    if date.isoformat() in {"1970-01-01"}:
        assert parsed.value is None
    elif fmt == "%d-%b-%y" and date.year <= 1926:
        # Two-digit years resolve into the 100 years ending today.
        assert parsed.value == date.replace(year=date.year + 100).isoformat()
    else:
        assert parsed.value == date.isoformat()


raw_values = st.one_of(
    st.none(),
    st.floats(),
    st.integers(),
    st.text(),
    st.text("0123456789./- :T", max_size=25),
    st.dates().map(dt.date.isoformat),
)


@settings(max_examples=200, deadline=None)
@given(raw_values, st.sampled_from([None, "US", "DE"]), st.sampled_from([None, True, False]))
def test_never_raises_and_idempotent(
    raw: object, country: str | None, dayfirst: bool | None
) -> None:
    once = normalize_date(raw, country=country, dayfirst=dayfirst, today=TODAY)
    assert once is None or (len(once) == 10 and dt.date.fromisoformat(once))
    # ISO output re-parses to itself, whatever the day/month rule.
    assert normalize_date(once, country="US", dayfirst=True, today=TODAY) == once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_deterministic(raw: str) -> None:
    assert parse_date(raw, today=TODAY) == parse_date(raw, today=TODAY)
