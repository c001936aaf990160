"""Tests for crmresolve.normalize.batch and the reason catalogue."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmresolve.normalize as normalize
from crmresolve.normalize import (
    KINDS,
    REASONS,
    NormalizedColumn,
    normalize_column,
    parse_address,
    parse_company,
    parse_date,
    parse_email,
    parse_name,
    parse_phone,
    parse_postcode,
)

RAW: dict[str, list[Any]] = {
    "email": ["Bob@Acme.com", "bob@acme.com", None, "nope", float("nan"), "info@acme.de", 42],
    "phone": ["(415) 555-0100", "+1 415 555 0100", 4155550100.0, "000-000-0000", None, "x"],
    "date": ["12.03.1984", "1984-03-12", 19840312, "13/13/1984", None, "March 12, 1984"],
    "name": ["Dr. Bob Smith", "Smith, Bob", None, "n/a", "José Müller"],
    "given_name": ["Bob", " bob ", "J.", None],
    "surname": ["van Beethoven", "O'Brien", None],
    "company": ["Acme, Inc.", "ACME INCORPORATED", None, "n/a"],
    "address": ["123 N. Main St. #4b", "Hauptstraße 5", None],
    "postcode": ["sw1a1aa", "94105-1234", 2134.0, None],
}

SCALAR: dict[str, Any] = {
    "email": parse_email,
    "phone": parse_phone,
    "date": parse_date,
    "name": parse_name,
    "given_name": lambda v: parse_name(v, part="given"),
    "surname": lambda v: parse_name(v, part="surname"),
    "company": parse_company,
    "address": parse_address,
    "postcode": parse_postcode,
}


def test_kinds_are_all_covered() -> None:
    assert set(KINDS) == set(RAW) == set(SCALAR)


@pytest.mark.parametrize("kind", sorted(RAW))
def test_cached_column_equals_per_value_calls(kind: str) -> None:
    values = RAW[kind] * 3
    col = normalize_column(values, kind)
    assert isinstance(col, NormalizedColumn)
    assert len(col) == len(values)
    expected = [SCALAR[kind](v) for v in values]
    assert col.values.tolist() == [p.value for p in expected]
    assert col.reasons.tolist() == [p.reasons for p in expected]
    assert [dict(d) for d in col.details] == [dict(p.details) for p in expected]
    assert col.n_distinct <= len(RAW[kind]) + 1  # NaN objects share one cache entry


def test_arrays_are_object_arrays_of_the_right_shape() -> None:
    col = normalize_column(np.array(["a@b.de", None, "x"], dtype=object), "email")
    for arr in (col.values, col.reasons, col.details):
        assert arr.dtype == object
        assert arr.shape == (3,)
    assert col.reasons[1] == ("email.empty",)
    assert isinstance(col.reasons[0], tuple)


def test_empty_column() -> None:
    col = normalize_column([], "phone")
    assert len(col) == 0
    assert col.n_distinct == 0


def test_equal_but_differently_typed_values_are_not_conflated() -> None:
    col = normalize_column([1, 1.0, True, "1"], "date")
    assert col.n_distinct == 4
    assert col.values.tolist() == [parse_date(v).value for v in [1, 1.0, True, "1"]]


def test_nan_objects_share_a_cache_entry() -> None:
    values = [float("nan") for _ in range(1000)] + [np.float64("nan")]
    col = normalize_column(values, "email")
    assert col.n_distinct == 1
    assert set(col.reasons.tolist()) == {("email.empty",)}


def test_unhashable_values_are_parsed_individually() -> None:
    col = normalize_column([["a"], ["a"], "bob@acme.com"], "email")
    assert col.values.tolist()[2] == "bob@acme.com"
    assert col.n_distinct == 3


def test_per_record_options() -> None:
    phones = ["030 1234567", "030 1234567", "030 1234567", "+1 415 555 0100"]
    regions = np.array(["DE", "Österreich", "DE", "FR"], dtype=object)
    col = normalize_column(phones, "phone", region=regions)
    assert col.values.tolist() == ["+49301234567", "+43301234567", "+49301234567", "+14155550100"]
    assert col.n_distinct == 3
    for value, region, got in zip(phones, regions, col.values, strict=True):
        assert got == parse_phone(value, region=region).value


def test_per_record_and_scalar_options_mix() -> None:
    today = dt.date(2026, 1, 15)
    col = normalize_column(
        ["04/05/1990", "04/05/1990", "04/05/1990"],
        "date",
        country=["US", None, float("nan")],
        dayfirst=None,
        today=today,
    )
    assert col.values.tolist() == ["1990-04-05", "1990-04-05", "1990-04-05"]
    assert [d["order_source"] for d in col.details] == ["country", "separator", "separator"]
    col = normalize_column(["94105", "SW1A1AA"], "postcode", country=["US", "GB"])
    assert col.values.tolist() == [parse_postcode("94105", country="US").value, "SW1A 1AA"]


def test_scalar_options_pass_through() -> None:
    col = normalize_column(["B.o.b@googlemail.com"], "email", provider_rules=True)
    assert col.values.tolist() == ["bob@gmail.com"]
    col = normalize_column(["030 1234567"], "phone", default_region="DE")
    assert col.values.tolist() == ["+49301234567"]


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        normalize_column(["x"], "shoe_size")
    with pytest.raises(ValueError, match="one per value"):
        normalize_column(["x", "y"], "phone", region=["DE"])
    with pytest.raises(TypeError):
        normalize_column(["x"], "email", no_such_option=True)


def test_detail_and_reason_counts() -> None:
    col = normalize_column(["Bob@Acme.com", "x", "y", "info@acme.com", None], "email")
    assert col.detail("domain").tolist() == ["acme.com", None, None, "acme.com", None]
    assert col.reason_counts() == {
        "email.syntax": 2,
        "email.empty": 1,
        "email.role_account": 1,
    }


def test_cache_bounds_work_on_many_repeats() -> None:
    values = np.array([f"user{i % 500}@acme{i % 7}.com" for i in range(20_000)], dtype=object)
    col = normalize_column(values, "email")
    assert col.n_distinct == len(set(values.tolist()))
    assert col.values[0] == "user0@acme0.com"
    assert col.values[19_999] == parse_email(values[19_999]).value


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["12.03.1984", "3/4/1990", "x", ""]), st.text()),
        max_size=30,
    ),
    st.data(),
)
def test_column_matches_scalar_property(values: list[Any], data: st.DataObject) -> None:
    countries = data.draw(
        st.lists(st.sampled_from(["US", "DE", None]), min_size=len(values), max_size=len(values))
    )
    today = dt.date(2026, 1, 15)
    col = normalize_column(values, "date", country=countries, today=today)
    assert col.values.tolist() == [
        parse_date(v, country=c, today=today).value for v, c in zip(values, countries, strict=True)
    ]


# -- reason catalogue ------------------------------------------------------------------------

_CODE = re.compile(r"\"((?:email|phone|date|name|company|address|postcode)\.[a-z_]+)\"")


def test_every_emitted_reason_is_catalogued() -> None:
    package = resources.files("crmresolve") / "normalize"
    emitted: set[str] = set()
    for module in ("emails", "phones", "dates", "names", "companies", "addresses"):
        emitted |= set(_CODE.findall((package / f"{module}.py").read_text("utf-8")))
    assert emitted, "no reason codes found in the sources"
    assert emitted <= set(REASONS), sorted(emitted - set(REASONS))


def test_catalogue_entries_are_one_line() -> None:
    for code, text in REASONS.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", code)
        assert text and "\n" not in text


def test_public_surface() -> None:
    for name in normalize.__all__:
        assert hasattr(normalize, name), name
