"""Tests for crmresolve.normalize.phones."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize.phones import (
    _locale_country_names,
    country_to_region,
    normalize_phone,
    parse_phone,
)

SAME_NUMBER = [
    # (raw, region, E.164)
    ("415.555.0100", "US", "+14155550100"),
    ("(415) 555-0100", "US", "+14155550100"),
    ("+1 415 555 0100", "US", "+14155550100"),
    ("1-415-555-0100", "US", "+14155550100"),
    ("415 555 0100", None, "+14155550100"),
    ("4155550100", None, "+14155550100"),
    ("011 1 415 555 0100", "US", "+14155550100"),
    ("+1 (416) 555-0199", "CA", "+14165550199"),
    ("416-555-0199", "Canada", "+14165550199"),
    ("020 7946 0018", "GB", "+442079460018"),
    ("+44 (0)20 7946 0018", "GB", "+442079460018"),
    ("+44 (0) 20 7946 0018", "US", "+442079460018"),
    ("0044 20 7946 0018", "GB", "+442079460018"),
    ("0044 20 7946 0018", "US", "+442079460018"),
    ("020 7946 0018", "United Kingdom", "+442079460018"),
    ("020 7946 0018", "UK", "+442079460018"),
    ("030 1234567", "DE", "+49301234567"),
    ("030/1234567", "Deutschland", "+49301234567"),
    ("+49 (0)30 1234567", "DE", "+49301234567"),
    ("0049 30 1234567", "DE", "+49301234567"),
    ("0049 (0)30 1234567", "US", "+49301234567"),
    ("01 23 45 67 89", "FR", "+33123456789"),
    ("+33 1 23 45 67 89", "FR", "+33123456789"),
    ("0033 1 23 45 67 89", "France", "+33123456789"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("020 123 4567", "NL", "+31201234567"),
    ("06-12345678", "Netherlands", "+31612345678"),
    ("+31 (0)6 12345678", "NL", "+31612345678"),
    ("912 345 678", "ES", "+34912345678"),
    ("0034 912 345 678", "Spain", "+34912345678"),
    ("06 1234 5678", "IT", "+390612345678"),
    ("+39 06 1234 5678", "DE", "+390612345678"),
    ("0039 06 1234 5678", "IT", "+390612345678"),
    ("02 1234 5678", "AU", "+61212345678"),
    ("0412 345 678", "AU", "+61412345678"),
    ("+61 (0)2 1234 5678", "AU", "+61212345678"),
    ("0011 44 20 7946 0018", "AU", "+442079460018"),
    ("044 668 18 00", "CH", "+41446681800"),
    ("+41 (0)44 668 18 00", "Schweiz", "+41446681800"),
    ("01 5123456", "AT", "+4315123456"),
    ("0043 1 5123456", "Österreich", "+4315123456"),
    ("098765 43210", "IN", "+919876543210"),
    ("+91 98765 43210", "India", "+919876543210"),
    ("(11) 91234-5678", "BR", "+5511912345678"),
    ("0 11 91234 5678", "Brasil", "+5511912345678"),
    ("03-1234-5678", "JP", "+81312345678"),
    ("090-1234-5678", "Japan", "+819012345678"),
    ("1-800-FLOWERS", "US", "+18003569377"),
]


@pytest.mark.parametrize(("raw", "region", "expected"), SAME_NUMBER)
def test_to_e164(raw: str, region: str | None, expected: str) -> None:
    parsed = parse_phone(raw, region=region)
    assert parsed.value == expected, parsed
    assert "phone.invalid_for_region" not in parsed.reasons


def test_default_region_and_region_override() -> None:
    assert normalize_phone("030 1234567", default_region="DE") == "+49301234567"
    assert normalize_phone("030 1234567", default_region="DE", region="AT") == "+43301234567"
    # An unknown region name falls back to the default region.
    assert normalize_phone("030 1234567", default_region="DE", region="Narnia") == "+49301234567"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (4155550100, "+14155550100"),
        (4155550100.0, "+14155550100"),
        (442079460018.0, "+442079460018"),
    ],
)
def test_numbers_as_numbers(raw: float, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "extension"),
    [
        ("415-555-0100 ext. 12", "12"),
        ("415-555-0100 x12", "12"),
        ("+44 20 7946 0018 extension 345", "345"),
        ("(415) 555-0100 #7", "7"),
    ],
)
def test_extension_kept_apart(raw: str, extension: str) -> None:
    parsed = parse_phone(raw, region="GB" if raw.startswith("+44") else "US")
    assert parsed.value is not None and parsed.value.startswith("+")
    assert "x" not in parsed.value and "#" not in parsed.value
    assert parsed.details["extension"] == extension


@pytest.mark.parametrize(
    ("raw", "region", "kind"),
    [
        ("0412 345 678", "AU", "mobile"),
        ("030 1234567", "DE", "fixed_line"),
        ("0171 1234567", "DE", "mobile"),
        ("0800 123 4567", "GB", "toll_free"),
        ("(415) 555-0100", "US", "fixed_line_or_mobile"),
    ],
)
def test_number_type(raw: str, region: str, kind: str) -> None:
    assert parse_phone(raw, region=region).details["type"] == kind


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("000-000-0000", "phone.junk"),
        ("0000000000", "phone.junk"),
        ("1234567890", "phone.junk"),
        ("123-456-7890", "phone.junk"),
        ("+1 234 567 8901", "phone.junk"),
        ("555-555-5555", "phone.junk"),
        ("99999999", "phone.junk"),
        ("(415) 000-0000", "phone.junk"),
        ("123456", "phone.junk"),
        ("12345", "phone.too_short"),
        ("42", "phone.too_short"),
        ("555-0100", "phone.too_short"),
        ("+1 212 555 01", "phone.too_short"),
        ("+49 30 1", "phone.too_short"),
        ("n/a", "phone.syntax"),
        ("call me", "phone.syntax"),
        ("+999 123 4567", "phone.syntax"),
        ("\x00\x07", "phone.syntax"),
        ("+1 415 555 0100 2222 3333 4444 5555", "phone.too_long"),
    ],
)
def test_unusable_gives_none(raw: str, reason: str) -> None:
    parsed = parse_phone(raw)
    assert parsed.value is None
    assert parsed.reasons[-1] == reason


def test_invalid_without_round_trip_gives_none() -> None:
    # Several leading zeros do not survive E.164 ("+4900001" re-parses as "+490001").
    assert parse_phone("000 0 0 1", region="DE").value is None


def test_invalid_but_parseable_keeps_value() -> None:
    parsed = parse_phone("+1 999 555 0100")
    assert parsed.value == "+19995550100"
    assert parsed.reasons == ("phone.invalid_for_region",)
    assert parsed.details["type"] == "unknown"


def test_fictional_555_numbers_are_normalized() -> None:
    for i in range(100, 200, 17):
        assert normalize_phone(f"(212) 555-0{i}") == f"+12125550{i}"


def test_multiple_numbers_take_first() -> None:
    parsed = parse_phone("030 1234567; 0171 1234567", region="DE")
    assert parsed.value == "+49301234567"
    assert "phone.multiple" in parsed.reasons


@pytest.mark.parametrize("raw", [None, float("nan"), "", "  "])
def test_missing(raw: object) -> None:
    assert parse_phone(raw).reasons == ("phone.empty",)
    assert normalize_phone(raw) is None


def test_large_string() -> None:
    assert parse_phone("1" * 100_000).reasons == ("phone.syntax",)
    assert normalize_phone("+49 30 " + "x" * 100_000) is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("de", "DE"),
        ("DE", "DE"),
        (" us ", "US"),
        ("UK", "GB"),
        ("GBR", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("France", "FR"),
        ("Frankreich", "FR"),
        ("the Netherlands", "NL"),
        ("Holland", "NL"),
        ("Nederland", "NL"),
        ("España", "ES"),
        ("Spain", "ES"),
        ("Italia", "IT"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Brasil", "BR"),
        ("Côte d'Ivoire", "CI"),
        ("South Korea", "KR"),
        ("Bosnia & Herzegovina", "BA"),
        ("Narnia", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("x" * 10_000, None),
    ],
)
def test_country_to_region(name: object, code: str | None) -> None:
    assert country_to_region(name) == code


def test_shipped_country_names_are_phonenumbers_locale_names() -> None:
    shipped = json.loads(
        (resources.files("crmresolve") / "data" / "country_names.json").read_text("utf-8")
    )
    assert shipped == _locale_country_names(), (
        "phonenumbers' locale table changed: regenerate the file with "
        "python -c 'from crmresolve.normalize.phones import _write_country_names as w; w()'"
    )


# -- properties ---------------------------------------------------------------------------

phone_like = st.builds(
    lambda prefix, groups, sep: prefix + sep.join(groups),
    st.sampled_from(["", "+", "00", "+1 ", "+44 ", "0", "+49 (0)", "011 "]),
    st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from([" ", "-", ".", "/", ""]),
)
regions = st.sampled_from([None, "US", "GB", "DE", "FR", "AU", "Japan", "xx"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.floats(), st.integers(), st.text(), phone_like), regions)
def test_never_raises_and_idempotent(raw: object, region: str | None) -> None:
    once = normalize_phone(raw, region=region)
    assert once is None or once.startswith("+")
    # E.164 carries its country code, so the region no longer matters.
    assert normalize_phone(once, region=region) == once
    assert normalize_phone(once, region="JP") == once


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), phone_like))
def test_deterministic(raw: str) -> None:
    assert parse_phone(raw) == parse_phone(raw)
