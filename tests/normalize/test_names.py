"""Tests for crmresolve.normalize.names (and the shared text helpers it uses)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize._text import coerce_text, fold_accents, simple_key, strip_punctuation
from crmresolve.normalize.names import normalize_name, parse_name, split_name

# Words that exercise the special cases, mixed with arbitrary text by the property tests.
_VOCAB = [
    "Dr.",
    "Mr",
    "Mrs.",
    "M.",
    "Mme",
    "Sr.",
    "Jr.",
    "III",
    "PhD",
    "Herr",
    "Frau",
    "Prof.",
    "h.c.",
    "Dipl.-Ing.",
    "van",
    "der",
    "de",
    "la",
    "al-",
    ",",
    ";",
    "(",
    ")",
    '"',
    "-",
    "'",
    "John",
    "Smith",
    "José",
    "Müller",
    "O'Brien",
    "Anne-Marie",
    "test",
    "n/a",
    "xxx",
    "???",
    "12",
    "J.",
    "@",
    "bob@x.com",
    "\x00",
    "\u200b",
    "ß",
    "Ø",
    "İ",
    "ǰ",
    "Junior",
    "Sir",
]
_names = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(_VOCAB), st.text(max_size=4)), max_size=8).map(" ".join),
    st.lists(st.sampled_from(_VOCAB), max_size=8).map("".join),
)
_parts = st.sampled_from(["full", "given", "surname"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John Smith", "john smith"),
        ("  JOHN   SMITH ", "john smith"),
        ("Smith, John", "john smith"),
        ("Smith,John", "john smith"),
        ("Dr. John Smith", "john smith"),
        ("Mr John Smith Jr.", "john smith"),
        ("Smith, John, Sr.", "john smith"),
        ("John Smith, PhD", "john smith"),
        ("John Smith III", "john smith"),
        ("Prof. Dr. Hans-Jürgen Weiß", "hans jurgen weiss"),
        ("Herr Jörg Müller", "jorg muller"),
        ("Frau Dr. med. Anna Schäfer", "anna schafer"),
        ("Dr. rer. nat. Phil Meyer", "phil meyer"),
        ("Phil Collins", "phil collins"),
        ("M. Jean Dupont", "jean dupont"),
        ("Mme Élise Brontë", "elise bronte"),
        ("Sra. María José Núñez", "maria jose nunez"),
        ("Sr. Juan Pérez", "juan perez"),
        ("Juan Pérez Sr.", "juan perez"),
        ("José", "jose"),
        ("Łukasz Żółć", "lukasz zolc"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Æsa Ðórr", "aesa dorr"),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", "john smith"),  # full-width (NFKC)
        ("O'Brien, Mary-Jane", "mary jane obrien"),
        ("D’Angelo", "dangelo"),
        ('Robert "Bob" Smith', "robert smith"),
        ("Mary Smith (née Jones)", "mary smith"),
        ("Bob Smith <bob@example.com>", "bob smith"),
        ("van der Berg, Jan", "jan van der berg"),
        ("\x00John\u200b Smith\x07", "john smith"),
        ("J. R. R. Tolkien", "j r r tolkien"),
        ("李小龍", "李小龍"),
        ("अमित शर्मा", "अमित शर्मा"),
        ("Junior", "junior"),
        ("Mr Junior", "junior"),
        (None, None),
        (float("nan"), None),
        ("", None),
        ("   ", None),
        ("n/a", None),
        ("N/A", None),
        ("test", None),
        ("Test Test", None),
        ("asdf", None),
        ("unknown", None),
        ("xxxx", None),
        ("???", None),
        ("null", None),
        ("12345", None),
        (12345, None),
        ("Mr.", None),
        ("bob@example.com", None),
    ],
)
def test_normalize_name_examples(raw: object, expected: str | None) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "part", "expected"),
    [
        ("Jean-Luc", "given", "jean luc"),
        ("Dr. Jean", "given", "jean"),
        ("van der Berg", "surname", "van der berg"),
        ("Smith Jr.", "surname", "smith"),
        ("Müller", "surname", "muller"),
        ("Smith, Jones", "surname", "smith jones"),  # no reordering outside full names
    ],
)
def test_normalize_name_parts(raw: str, part: str, expected: str) -> None:
    assert normalize_name(raw, part=part) == expected  # type: ignore[arg-type]


def test_fold_accents_option() -> None:
    assert normalize_name("José Müller", fold_accents=False) == "josé müller"
    assert normalize_name("WEISS", fold_accents=False) == normalize_name("weiß", fold_accents=False)


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        (None, ("name.empty",)),
        ("test", ("name.junk",)),
        ("???", ("name.junk",)),
        ("John2 Smith", ("name.contains_digits",)),
        ("Madonna", ("name.single_token",)),
        ("J.", ("name.initial_only",)),
        ("J. Smith", ("name.given_initial",)),
        ("Smith, John", ("name.reordered",)),
        ("a, b, c", ("name.ambiguous_order", "name.initial_only")),
        ("john@example.com", ("name.email_like", "name.junk")),
        ("Jon Smith", ()),
    ],
)
def test_parse_name_reasons(raw: object, reasons: tuple[str, ...]) -> None:
    assert parse_name(raw).reasons == reasons


def test_parse_name_details() -> None:
    p = parse_name("Dr. Prof. José de la Cruz Jr., PhD")
    assert p.value == "jose de la cruz"
    assert p.details["honorific"] == "dr prof"
    assert p.details["suffix"] == "jr phd"
    assert (p.details["given"], p.details["surname"]) == ("jose", "de la cruz")
    assert "middle" not in p.details
    assert parse_name('Robert "Bob" Smith').details["note"] == "bob"
    assert parse_name("Sr. Juan Pérez").details["honorific"] == "sr"
    assert parse_name("Juan Pérez Sr.").details["suffix"] == "sr"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ludwig van Beethoven", ("ludwig", None, "van beethoven")),
        ("Vincent Willem van der Berg", ("vincent", "willem", "van der berg")),
        ("Juan Carlos de la Cruz", ("juan", "carlos", "de la cruz")),
        ("Leonardo da Vinci", ("leonardo", None, "da vinci")),
        ("Osama bin Laden", ("osama", None, "bin laden")),
        ("Omar al-Rashid", ("omar", None, "al rashid")),
        ("Anna Le", ("anna", None, "le")),
        ("Anne-Marie Dupont-Moretti", ("anne marie", None, "dupont moretti")),
        ("Smith, John Paul", ("john", "paul", "smith")),
        ("Cher", ("cher", None, None)),
        ("Dr. John A. Smith Jr.", ("john", "a", "smith")),
        ("", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_split_name(raw: object, expected: tuple[str | None, str | None, str | None]) -> None:
    assert split_name(raw) == expected


def test_invalid_part_raises_without_echoing_value() -> None:
    with pytest.raises(ValueError) as info:
        parse_name("Secret Person", part="nickname")  # type: ignore[arg-type]
    assert "Secret" not in str(info.value)


def test_long_input() -> None:
    text = ("Dr. José Müller-Lüdenscheidt, " * 4000)[:100_000]
    p = parse_name(text)
    assert p.value is not None and "name.too_long" in p.reasons
    assert normalize_name(p.value) == p.value
    assert normalize_name("x" * 100_000) is None
    assert normalize_name("(" * 50_000 + '"' * 50_000) is None


@settings(max_examples=200, deadline=None)
@given(_names, _parts, st.booleans())
def test_name_properties(raw: str, part: str, fold: bool) -> None:
    first = parse_name(raw, part=part, fold_accents=fold)  # type: ignore[arg-type]
    assert parse_name(raw, part=part, fold_accents=fold) == first  # type: ignore[arg-type]
    assert normalize_name(raw, part=part, fold_accents=fold) == first.value  # type: ignore[arg-type]
    if first.value is not None:
        assert first.value == first.value.strip() and "  " not in first.value
        again = normalize_name(first.value, part=part, fold_accents=fold)  # type: ignore[arg-type]
        assert again == first.value
    given_name, middle, surname = split_name(raw)
    if given_name is None:
        assert middle is None and surname is None
    folded = fold_accents(raw)
    assert fold_accents(folded) == folded


@pytest.mark.parametrize(
    "raw", [None, math.nan, float("inf"), -0.0, 0, 7, 10**30, 1.5e-300, True, b"\xff\xfe", object()]
)
def test_name_non_text(raw: object) -> None:
    p = parse_name(raw)
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        assert p.value is None and p.reasons == ("name.empty",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), (float("nan"), None), ("  ", None), (94105.0, "94105"), (1.5, "1.5"),
     (b"caf\xc3\xa9", "café"), (True, None), ("x", "x")],
)  # fmt: skip
def test_coerce_text(raw: object, expected: str | None) -> None:
    assert coerce_text(raw) == expected


def test_text_helpers() -> None:
    assert fold_accents("ßøæœłđþı") == "ssoaeoeldthi"
    assert fold_accents("नमस्ते") == "नमस्ते"  # marks of other scripts stay
    assert strip_punctuation("a\x00b\u200bc") == "a bc"
    assert simple_key("S.à r.l.") == "sarl"
