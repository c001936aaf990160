"""Tests for crmresolve.normalize.emails."""

from __future__ import annotations

import math

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize.emails import _validate, normalize_email, parse_email

CANONICAL = [
    ("bob@acme.com", "bob@acme.com"),
    ("  Bob@ACME.com \t", "bob@acme.com"),
    ("BOB.SMITH@Acme.Co.UK", "bob.smith@acme.co.uk"),
    ("mailto:bob@acme.com", "bob@acme.com"),
    ("MAILTO:bob@acme.com?subject=Hello%20there", "bob@acme.com"),
    ("<bob@acme.com>", "bob@acme.com"),
    ("Bob <bob@acme.com>", "bob@acme.com"),
    ('"Smith, Bob" <Bob@Acme.com>', "bob@acme.com"),
    ("<mailto:bob@acme.com>", "bob@acme.com"),
    ("'bob@acme.com'", "bob@acme.com"),
    ("(bob@acme.com)", "bob@acme.com"),
    ("bob@acme.com.", "bob@acme.com"),
    ("bob@acme.com;", "bob@acme.com"),
    ("bob @ acme.com", "bob@acme.com"),
    ("bob [at] acme [dot] com", "bob@acme.com"),
    ("bob(at)acme.com", "bob@acme.com"),
    ("\u200bbob@acme.com\ufeff", "bob@acme.com"),
    ("Bob Smith bob@acme.com", "bob@acme.com"),
    (".bob@acme.com", "bob@acme.com"),
    ("o'brien@acme.ie", "o'brien@acme.ie"),
    ("first_last-99@sub.acme.com", "first_last-99@sub.acme.com"),
    ("bob+crm@acme.com", "bob+crm@acme.com"),
    # IDN: Unicode form whichever way it was typed.
    ("bob@münchen.de", "bob@münchen.de"),
    ("bob@MÜNCHEN.DE", "bob@münchen.de"),
    ("bob@xn--mnchen-3ya.de", "bob@münchen.de"),
    ("jürgen@bücher.example.net", None),  # example domains are junk
    ("josé@empresa.es", "josé@empresa.es"),
    ("ÄÖ@über.de", "äö@über.de"),
]


@pytest.mark.parametrize(("raw", "expected"), CANONICAL)
def test_canonical_form(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected


SYNTAX = [
    "bob",
    "bob@",
    "@acme.com",
    "bob@@acme.com",
    "bob@acme",
    "bob@localhost",
    "bob@acme..com",
    "bob..smith@acme.com",
    "bob@-acme.com",
    "bob@acme.123",
    "bob@x.test",
    "\x00bob@acme.com",
    "a" * 65 + "@" + "b" * 64 + ".com",
    "bob@" + "a" * 64 + ".com",
    "1234",
    "n/a",
]


@pytest.mark.parametrize("raw", SYNTAX)
def test_syntax_errors_give_none(raw: str) -> None:
    parsed = parse_email(raw)
    assert parsed.value is None
    assert parsed.reasons[-1] == "email.syntax"


@pytest.mark.parametrize(
    "raw",
    [
        "test@test.com",
        "TEST@acme.com",
        "noreply@acme.com",
        "no-reply@acme.com",
        "no_reply@acme.com",
        "donotreply@acme.de",
        "do-not-reply@acme.de",
        "a@a.com",
        "x@xx.de",
        "asdf@acme.com",
        "xxx@acme.com",
        "aaaa@acme.com",
        "bob@example.com",
        "jane@example.org",
        "jane@mail.example.net",
        "none@none.com",
        "no@email.com",
        "fake@acme.com",
        "unknown@acme.com",
    ],
)
def test_junk_gives_none_with_details(raw: str) -> None:
    parsed = parse_email(raw)
    assert parsed.value is None
    assert "email.junk" in parsed.reasons
    assert "@" not in parsed.details["local"]
    assert parsed.details["domain"]


@pytest.mark.parametrize(
    "raw",
    [
        "info@acme.com",
        "sales@acme.com",
        "support@acme.com",
        "admin@acme.com",
        "office@acme.at",
        "contact@acme.fr",
        "hello@acme.io",
        "billing@acme.com",
        "hr@acme.com",
        "team@acme.com",
        "marketing@acme.com",
        "kontakt@firma.de",
        "Info.Berlin@acme.de",
        "sales-emea@acme.com",
        "customer.service@acme.com",
        "info+crm@acme.com",
    ],
)
def test_role_accounts_are_kept_and_flagged(raw: str) -> None:
    parsed = parse_email(raw)
    assert parsed.value is not None
    assert "email.role_account" in parsed.reasons


@pytest.mark.parametrize(
    "raw", ["jane.doe@acme.com", "hrvoje@acme.hr", "it.smith@acme.com", "post.malone@acme.com"]
)
def test_personal_addresses_are_not_roles(raw: str) -> None:
    assert "email.role_account" not in parse_email(raw).reasons


@pytest.mark.parametrize(
    ("raw", "domain_type"),
    [
        ("jane@gmail.com", "free"),
        ("jane@yahoo.co.uk", "free"),
        ("jane@hotmail.com", "free"),
        ("jane@outlook.com", "free"),
        ("jane@live.de", "free"),
        ("jane@aol.com", "free"),
        ("jane@icloud.com", "free"),
        ("jane@gmx.de", "free"),
        ("jane@web.de", "free"),
        ("jane@mail.ru", "free"),
        ("jane@yandex.ru", "free"),
        ("jane@orange.fr", "free"),
        ("jane@free.fr", "free"),
        ("jane@libero.it", "free"),
        ("jane@qq.com", "free"),
        ("jane@163.com", "free"),
        ("jane@acme.com", "corporate"),
        ("jane@uni-heidelberg.de", "corporate"),
    ],
)
def test_domain_type(raw: str, domain_type: str) -> None:
    parsed = parse_email(raw)
    assert parsed.details["domain_type"] == domain_type
    assert ("email.free_mail" in parsed.reasons) == (domain_type == "free")


@pytest.mark.parametrize(
    "raw", ["bob@mailinator.com", "bob@guerrillamail.com", "x1@yopmail.com", "qq7@a.mailinator.com"]
)
def test_disposable_kept_and_flagged(raw: str) -> None:
    parsed = parse_email(raw)
    assert parsed.value is not None
    assert "email.disposable" in parsed.reasons


PROVIDER_RULES = [
    ("Bob.Smith@gmail.com", "bobsmith@gmail.com"),
    ("b.o.b.smith+newsletter@GoogleMail.com", "bobsmith@gmail.com"),
    ("bobsmith+a+b@gmail.com", "bobsmith@gmail.com"),
    ("bob+shop@hotmail.com", "bob@hotmail.com"),
    ("bob+shop@outlook.com", "bob@outlook.com"),
    ("bob+x@icloud.com", "bob@icloud.com"),
    ("bob+x@fastmail.com", "bob@fastmail.com"),
    ("bob+x@protonmail.com", "bob@protonmail.com"),
    ("bob+x@proton.me", "bob@proton.me"),
    # Dots matter outside Gmail; +tags at unknown domains are kept.
    ("bob.smith+x@acme.com", "bob.smith+x@acme.com"),
    ("bob.smith@hotmail.com", "bob.smith@hotmail.com"),
    ("jane@gmail.con", "jane@gmail.com"),
    ("jane@hotmial.com", "jane@hotmail.com"),
]


@pytest.mark.parametrize(("raw", "expected"), PROVIDER_RULES)
def test_provider_rules(raw: str, expected: str) -> None:
    assert normalize_email(raw, provider_rules=True) == expected
    assert normalize_email(expected, provider_rules=True) == expected


def test_provider_rules_off_by_default() -> None:
    parsed = parse_email("B.o.b+crm@GoogleMail.com")
    assert parsed.value == "b.o.b+crm@googlemail.com"
    assert parsed.details["tag"] == "crm"


def test_domain_typo_flagged_not_changed_without_provider_rules() -> None:
    parsed = parse_email("jane@gmail.con")
    assert parsed.value == "jane@gmail.con"
    assert "email.domain_typo" in parsed.reasons
    assert parsed.details["suggested_domain"] == "gmail.com"


def test_details_and_display_name() -> None:
    parsed = parse_email('"Bob Smith" <Bob@Bücher.de>')
    assert parsed.value == "bob@bücher.de"
    assert parsed.details["local"] == "bob"
    assert parsed.details["domain"] == "bücher.de"
    assert parsed.details["ascii_domain"] == "xn--bcher-kva.de"
    assert parsed.details["display_name"] == "Bob Smith"


def test_multiple_addresses_take_first() -> None:
    parsed = parse_email("bob@acme.com; Jane@acme.com")
    assert parsed.value == "bob@acme.com"
    assert "email.multiple" in parsed.reasons


@pytest.mark.parametrize("raw", [None, float("nan"), "", "   ", "\t\n"])
def test_missing(raw: object) -> None:
    parsed = parse_email(raw)
    assert parsed.value is None
    assert parsed.reasons == ("email.empty",)


def test_large_string_is_rejected_quickly() -> None:
    assert parse_email("a" * 100_000 + "@acme.com").reasons == ("email.syntax",)
    assert normalize_email("x" * 100_000) is None
    assert normalize_email("<" * 50_000 + "@" * 50_000) is None


# -- properties ---------------------------------------------------------------------------

raw_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True),
    st.integers(),
    st.text(),
    st.emails(),
    st.builds(lambda e, n: f"{n} <{e.upper()}>", st.emails(), st.text(max_size=10)),
)


@settings(max_examples=200, deadline=None)
@given(raw_values, st.booleans())
def test_never_raises_and_idempotent(raw: object, rules: bool) -> None:
    once = normalize_email(raw, provider_rules=rules)
    assert once is None or (isinstance(once, str) and once == once.strip())
    assert normalize_email(once, provider_rules=rules) == once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_deterministic(raw: str) -> None:
    assert parse_email(raw) == parse_email(raw)


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_valid_addresses_survive(address: str) -> None:
    parsed = parse_email(address)
    assert parsed.value is not None or "email.junk" in parsed.reasons


_ascii_address = st.from_regex(
    r"[a-z0-9._+\-!#$%&'*/=?^`{|}~]{1,70}@[a-z0-9.\-]{1,30}\.[a-z0-9\-]{1,8}", fullmatch=True
)


@settings(max_examples=200, deadline=None)
@given(_ascii_address)
def test_fast_path_agrees_with_email_validator(address: str) -> None:
    try:
        info = validate_email(address, check_deliverability=False)
        expected = (info.local_part.lower(), info.domain.lower(), info.ascii_domain.lower())
    except EmailNotValidError:
        expected = None
    assert _validate(address) == expected


def test_nan_like_numbers() -> None:
    assert normalize_email(math.inf) is None
    assert normalize_email(12.5) is None
