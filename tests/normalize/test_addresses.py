"""Tests for crmresolve.normalize.addresses (address lines and postcodes)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize.addresses import (
    normalize_address,
    normalize_postcode,
    parse_address,
    parse_postcode,
)

_VOCAB = [
    "12",
    "5a",
    "12-14",
    "5",
    "a",
    "b",
    "4B",
    "#",
    "#4b",
    "Apt",
    "Apt.",
    "Suite",
    "Unit",
    "Flat",
    "Wohnung",
    "No.",
    "Nr",
    "2nd",
    "Floor",
    "3.",
    "OG",
    "2º",
    "Bldg",
    "PO",
    "P.O.",
    "Box",
    "Postfach",
    "Main",
    "Street",
    "St.",
    "Avenue",
    "Ave",
    "Boulevard",
    "Hauptstraße",
    "Str.",
    "Straße",
    "rue",
    "de",
    "la",
    "Calle",
    "C/",
    "North",
    "West",
    "South",
    "N.E.",
    "First",
    ",",
    ";",
    "\n",
    "-",
    "'",
    "l'",
    "n°",
    "\x00",
    "\u200b",
    "ß",
    "Kalverstraat",
    "laan",
    "n/a",
]
_addresses = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(_VOCAB), st.text(max_size=4)), max_size=10).map(" ".join),
    st.lists(st.sampled_from(_VOCAB), max_size=10).map("".join),
)
_countries = st.sampled_from([None, "US", "GB", "DE", "FR", "ES", "NL", "AU", "CA", "ZZ"])
_postcodes = st.one_of(
    st.text(max_size=14),
    st.lists(
        st.sampled_from(
            [
                "D",
                "CH",
                "-",
                " ",
                "SW1A",
                "1AA",
                "K1A",
                "0B1",
                "94105",
                "1234",
                "AB",
                "0",
                "12",
                "9",
                "x",
                "\x00",
                "°",
            ]
        ),
        max_size=5,
    ).map("".join),
)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("123 Main Street", None, "123 main st"),
        ("123 MAIN ST.", None, "123 main st"),
        ("123 Main St", "US", "123 main st"),
        ("1600 Pennsylvania Avenue NW", None, "1600 pennsylvania ave nw"),
        ("1600 Pennsylvania Ave. N.W.", "US", "1600 pennsylvania ave nw"),
        ("350 Fifth Avenue", None, "350 5th ave"),
        ("95 Ave. A", None, "95 ave a"),
        ("1 Avenue of the Americas", None, "1 ave of the americas"),
        ("10 South West Road", None, "10 sw rd"),
        ("42 Sunset Boulevard", None, "42 sunset blvd"),
        ("42 Sunset Blvd.", None, "42 sunset blvd"),
        ("7 Elm Drive", None, "7 elm dr"),
        ("7 Elm Lane", None, "7 elm ln"),
        ("7 Elm Court", None, "7 elm ct"),
        ("7 Elm Place", "US", "7 elm pl"),
        ("7 Elm Terrace", None, "7 elm ter"),
        ("7 Elm Circle", None, "7 elm cir"),
        ("7 Elm Crescent", "AU", "7 elm cres"),
        ("7 Pacific Highway", "AU", "7 pacific hwy"),
        ("7 Garden State Parkway", None, "7 garden state pkwy"),
        ("7 Russell Square", "GB", "7 russell sq"),
        ("221B Baker Street", "UK", "221b baker st"),
        ("Flat 3, 12 Baker Street", "GB", "12 baker st, unit 3"),
        ("Hauptstraße 5", "DE", "hauptstr 5"),
        ("Hauptstrasse 5", None, "hauptstr 5"),
        ("Hauptstr. 5", None, "hauptstr 5"),
        ("Hauptstr.5", None, "hauptstr 5"),
        ("Hauptstr. 5 a", "DE", "hauptstr 5a"),
        ("Haupt Straße 5", None, "haupt str 5"),
        ("Konrad-Adenauer-Straße 12-14", "DE", "konrad adenauer str 12-14"),
        ("Marienplatz 1", "DE", "marienpl 1"),
        ("Waldweg 3", "DE", "waldweg 3"),
        ("Karl-Marx-Allee 90", "DE", "karl marx allee 90"),
        ("Nordstraße 7", "DE", "nordstr 7"),
        ("Hauptstraße 5, Wohnung 3", "DE", "hauptstr 5, unit 3"),
        ("Karl-Marx-Allee 90, 3. OG", "DE", "karl marx allee 90, fl 3"),
        ("Kalverstraat 92", "NL", "kalverstr 92"),
        ("Stationslaan 5", "NL", "stationsln 5"),
        ("12 rue de la Paix", "FR", "12 rue de la paix"),
        ("12, Avenue des Champs-Élysées", None, "12 av des champs elysees"),
        ("12 av. des Champs Elysees", "FR", "12 av des champs elysees"),
        ("40 Boulevard Haussmann", "FR", "40 bd haussmann"),
        ("Rue de l'Église 3", None, "rue de l eglise 3"),
        ("Calle Mayor, 5", "ES", "c mayor 5"),
        ("C/ Mayor 5", "ES", "c mayor 5"),
        ("C/ Mayor 5, 2º B", "ES", "c mayor 5, fl 2 unit b"),
        ("Avenida de la Constitución 3", "ES", "av de la constitucion 3"),
        ("Avda. de la Constitución 3", "ES", "av de la constitucion 3"),
        ("Via Roma 10", "IT", "via roma 10"),
        ("Piazza Navona 5", "IT", "plz navona 5"),
        ("No. 5 High Street", "GB", "5 high st"),
        ("Calle Mayor nº 5", "ES", "c mayor 5"),
        ("PO Box 1234", None, "po box 1234"),
        ("P.O. Box 1234", "US", "po box 1234"),
        ("Postfach 10 20 30", "DE", "po box 102030"),
        ("  \x00 123\tMain\u200b St ", None, "123 main st"),
        ("１２３ Ｍａｉｎ Ｓｔ", None, "123 main st"),
        (None, None, None),
        (float("nan"), None, None),
        ("", None, None),
        ("n/a", None, None),
        ("Same as above", None, None),
        ("12345", None, None),
        ("---", None, None),
        # A long street type one keystroke off is still the type...
        ("2 Forbes Treet", None, "2 forbes st"),
        ("5 Main Stret", None, "5 main st"),
        ("3 Parade Crescnt", "AU", "3 parade cres"),
        # ...unless a street type follows: then it is the street's name.
        ("12 Terrance Street", None, "12 terrance st"),
        ("12 Terrance Stret", None, "12 terrance st"),
        ("4 Stream Rd", None, "4 stream rd"),  # two edits from "street"
        ("9 Garden Way", None, "9 garden way"),  # "gardens" cut short: a word of its own
    ],
)
def test_normalize_address(raw: object, country: str | None, expected: str | None) -> None:
    assert normalize_address(raw, country=country) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "123 Main St Apt 4B",
        "123 Main St Apt. 4B",
        "123 Main St #4B",
        "123 Main St # 4b",
        "123 Main St, Apartment 4B",
        "Apt 4B, 123 Main Street",
        "123 main st unit 4b",
        "123 Main St Suite 4B",
        "123 Main St Ste. 4B",
        "123 Main St Apt #4B",
    ],
)
def test_unit_forms_agree(raw: str) -> None:
    p = parse_address(raw)
    assert p.value == "123 main st, unit 4b"
    assert p.details == {"house_number": "123", "street": "main st", "unit": "4b"}


@pytest.mark.parametrize(
    ("raw", "country", "house_number", "street"),
    [
        ("123 Main St", None, "123", "main st"),
        ("12-14 Queens Blvd", "US", "12-14", "queens blvd"),
        ("Hauptstraße 5", None, "5", "hauptstr"),
        ("Hauptstr. 5a", "DE", "5a", "hauptstr"),
        ("12 rue de la Paix", "FR", "12", "rue de la paix"),
        ("Calle Mayor, 5", None, "5", "c mayor"),
        ("Rose Cottage, 12 High Street", "GB", "12", "high st"),
        ("Hauptstraße 5, 10115 Berlin", "DE", "5", "hauptstr"),
    ],
)
def test_house_number_and_street(
    raw: str, country: str | None, house_number: str, street: str
) -> None:
    p = parse_address(raw, country=country)
    assert p.details["house_number"] == house_number
    assert p.details["street"] == street


def test_country_decides_style() -> None:
    assert normalize_address("12 Avenue Road", country="GB") == "12 ave rd"
    assert normalize_address("12 Avenue Road") == "12 av rd"
    assert normalize_address("Route 66", country="US") == "rte 66"
    assert "house_number" not in parse_address("Route 66", country="US").details
    assert parse_address("Route 66", country="DE").details["house_number"] == "66"


@pytest.mark.parametrize(
    ("raw", "reasons", "details"),
    [
        (None, ("address.empty",), {}),
        ("unknown", ("address.junk",), {}),
        ("PO Box 12", ("address.po_box",), {"po_box": "12"}),
        ("Main Street", ("address.no_house_number",), {"street": "main st"}),
        ("Apt 5", ("address.no_street",), {"unit": "5"}),
        (
            "Bldg 5, Suite 200, 1 Infinite Loop",
            (),
            {"house_number": "1", "street": "infinite loop", "building": "5", "unit": "200"},
        ),
        (
            "2nd Floor, 10 Downing Street",
            (),
            {"house_number": "10", "street": "downing st", "floor": "2"},
        ),
    ],
)
def test_address_reasons_and_details(
    raw: object, reasons: tuple[str, ...], details: dict[str, str]
) -> None:
    p = parse_address(raw)
    assert p.reasons == reasons
    assert dict(p.details) == details


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("sw1a1aa", None, "SW1A 1AA"),
        ("SW1A 1AA", "GB", "SW1A 1AA"),
        ("ec1a-1bb", "UK", "EC1A 1BB"),
        ("m1 1ae", "GB", "M1 1AE"),
        ("GIR0AA", "GB", "GIR 0AA"),
        ("94105", "US", "94105"),
        ("94105-1234", None, "94105-1234"),
        ("94105 1234", "US", "94105-1234"),
        ("941051234", None, "94105-1234"),
        ("2134", "US", "02134"),
        (2134, "USA", "02134"),
        ("k1a0b1", None, "K1A 0B1"),
        ("K1A 0B1", "Canada", "K1A 0B1"),
        ("10115", "DE", "10115"),
        ("D-10115", None, "10115"),
        ("1067", "Germany", "01067"),
        ("75001", "FR", "75001"),
        ("F-75001", None, "75001"),
        ("1234ab", None, "1234 AB"),
        ("1234 ab", "NL", "1234 AB"),
        ("2000", "AU", "2000"),
        ("800", "AU", "0800"),
        ("1010", "AT", "1010"),
        ("CH-8001", None, "8001"),
        ("11455", "SE", "114 55"),
        ("00950", "PL", "00-950"),
        ("1000001", "PT", "1000-001"),
        ("1000001", "JP", "100-0001"),
        ("d02x285", "IE", "D02 X285"),
        ("94105", None, "94105"),
        (94105.0, None, "94105"),
        ("ab-12 c", "ZZ", "AB-12 C"),
        (None, None, None),
        (float("nan"), None, None),
        ("n/a", None, None),
        ("00000", "US", None),
        ("LONDON", "GB", None),
        ("123456789012345", None, None),
    ],
)
def test_normalize_postcode(raw: object, country: str | None, expected: str | None) -> None:
    assert normalize_postcode(raw, country=country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "reasons"),
    [
        ("12345", "GB", ("postcode.invalid_for_country",)),
        ("1234", "NL", ("postcode.invalid_for_country",)),
        ("ABC 123", "CA", ("postcode.invalid_for_country",)),
        ("2134", "US", ("postcode.zero_padded",)),
        ("94105", "US", ()),
        ("", None, ("postcode.empty",)),
        ("xxx", None, ("postcode.junk",)),
    ],
)
def test_postcode_reasons(raw: object, country: str | None, reasons: tuple[str, ...]) -> None:
    assert parse_postcode(raw, country=country).reasons == reasons


def test_postcode_details() -> None:
    assert parse_postcode("94105-1234").details == {
        "country": "US",
        "zip5": "94105",
        "plus4": "1234",
    }
    assert parse_postcode("sw1a1aa").details == {"country": "GB"}


def test_long_input() -> None:
    text = ("Apt 4B, 123 North Main Street; Hauptstraße 5 " * 3000)[:100_000]
    value = normalize_address(text)
    assert value is not None and normalize_address(value) == value
    assert normalize_address("apt " * 25_000 + "5 " * 25_000) is not None
    assert normalize_postcode("1" * 100_000) is None


@settings(max_examples=200, deadline=None)
@given(_addresses, _countries)
def test_address_idempotent_and_deterministic(raw: str, country: str | None) -> None:
    first = parse_address(raw, country=country)
    assert parse_address(raw, country=country) == first
    assert normalize_address(raw, country=country) == first.value
    if first.value is not None:
        assert first.value == first.value.strip() and "  " not in first.value
        assert normalize_address(first.value, country=country) == first.value


@settings(max_examples=200, deadline=None)
@given(_postcodes, _countries)
def test_postcode_idempotent_and_deterministic(raw: str, country: str | None) -> None:
    first = parse_postcode(raw, country=country)
    assert parse_postcode(raw, country=country) == first
    assert normalize_postcode(raw, country=country) == first.value
    if first.value is not None:
        assert normalize_postcode(first.value, country=country) == first.value


@pytest.mark.parametrize(
    "raw", [None, math.nan, float("inf"), 0, 7, 94105, 10**30, 2.5, True, b"\xff", object()]
)
@pytest.mark.parametrize("country", [None, "US", "DE", object(), 12, math.nan, "Narnia"])
def test_non_text(raw: object, country: object) -> None:
    parse_address(raw, country=country)
    parse_postcode(raw, country=country)
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        assert normalize_address(raw) is None and normalize_postcode(raw) is None
