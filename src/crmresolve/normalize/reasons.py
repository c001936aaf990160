"""Catalogue of every reason code the normalizers put into ``Parsed.reasons``.

Codes are ``<field>.<reason>``. A code marked "value None" means the normalizer returned no
value; every other code is a warning beside a usable value. The ``name.*``, ``company.*``,
``address.*`` and ``postcode.*`` entries mirror the docstrings of
:mod:`crmresolve.normalize.names`, :mod:`~crmresolve.normalize.companies` and
:mod:`~crmresolve.normalize.addresses`; a test checks that every code those modules emit is here.

>>> REASONS["phone.invalid_for_region"]
'parses to a plausible length but is not a valid number for its region (value kept)'
>>> describe("email.nonsense")
'unknown reason code'
>>> sorted(codes_for("date"))[:2]
['date.ambiguous_day_month', 'date.empty']
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["REASONS", "codes_for", "describe"]

_REASONS: dict[str, str] = {
    # e-mail (crmresolve.normalize.emails)
    "email.empty": "missing or blank (value None)",
    "email.syntax": "not a valid address under email-validator's syntax rules (value None)",
    "email.junk": "placeholder such as test@test.com, noreply@, a@a.com, @example.com (value None)",
    "email.multiple": "several addresses in one cell; the first was used",
    "email.role_account": "shared role mailbox (info@, sales@, support@, kontakt@ ...)",
    "email.free_mail": "consumer mailbox provider (gmail, yahoo, gmx ...), not an employer",
    "email.disposable": "throw-away mailbox service (mailinator-style)",
    "email.domain_typo": "known domain misspelling (gmail.con); see details['suggested_domain']",
    # phone (crmresolve.normalize.phones)
    "phone.empty": "missing or blank (value None)",
    "phone.syntax": "no phone number could be parsed, or unknown country code (value None)",
    "phone.junk": "placeholder such as 000-000-0000, 1234567890 or one repeated digit (value None)",
    "phone.too_short": "too few digits, or a local number without area code (value None)",
    "phone.too_long": "too many digits for the country (value None)",
    "phone.invalid_for_region": (
        "parses to a plausible length but is not a valid number for its region (value kept)"
    ),
    "phone.multiple": "several numbers in one cell; the first was used",
    # date (crmresolve.normalize.dates)
    "date.empty": "missing or blank (value None)",
    "date.syntax": "not a recognised date format (value None)",
    "date.impossible": "no such calendar date, e.g. Feb 30 or month 13 (value None)",
    "date.partial": "year or month only; see details['year'] / details['month'] (value None)",
    "date.placeholder": "stand-in date such as 1900-01-01, 1970-01-01, 0000-00-00 (value None)",
    "date.ambiguous_day_month": "day and month both <= 12; order from dayfirst, country, separator",
    "date.two_digit_year": "century inferred for a two-digit year",
    "date.future": "date lies after today (value kept)",
    "date.implausible_dob": "before 1900, implausible as a birth date (value kept)",
    # name (crmresolve.normalize.names)
    "name.empty": "missing or blank (value None)",
    "name.junk": "placeholder, digits/punctuation only or honorifics only (value None)",
    "name.email_like": "an e-mail address was found in the name and dropped",
    "name.contains_digits": "some token contains a digit (value kept)",
    "name.single_token": "a full name with one word only",
    "name.initial_only": "every word is a single letter",
    "name.given_initial": "the first given name of a full name is an initial",
    "name.reordered": "'Last, First' was turned into 'first last'",
    "name.ambiguous_order": "several commas in a full name; words kept in input order",
    "name.too_long": "longer than 100 characters after normalization (value kept)",
    # company (crmresolve.normalize.companies)
    "company.empty": "missing or blank (value None)",
    "company.junk": "placeholder such as n/a, none, self-employed, digits only (value None)",
    "company.legal_form_only": "the name is just a legal form (value kept)",
    # address (crmresolve.normalize.addresses)
    "address.empty": "missing or blank (value None)",
    "address.junk": "placeholder such as n/a, unknown, same, digits only (value None)",
    "address.po_box": "a PO box rather than a street address",
    "address.no_house_number": "a street without house number",
    "address.no_street": "only unit information, no street",
    # postcode (crmresolve.normalize.addresses)
    "postcode.empty": "missing or blank (value None)",
    "postcode.junk": "placeholder postcode (value None)",
    "postcode.invalid_for_country": "does not fit the country's format (value kept, generic form)",
    "postcode.zero_padded": "leading zeros restored after a spreadsheet dropped them",
}

#: Reason code → one-line description (read-only).
REASONS: Mapping[str, str] = MappingProxyType(_REASONS)


def describe(code: str) -> str:
    """One-line description of a reason code (``"unknown reason code"`` if not catalogued).

    >>> describe("date.future")
    'date lies after today (value kept)'
    """
    return REASONS.get(code, "unknown reason code")


def codes_for(field: str) -> tuple[str, ...]:
    """All catalogued codes of one field (``"email"``, ``"phone"``, ``"date"``, ``"name"`` ...).

    >>> codes_for("company")
    ('company.empty', 'company.junk', 'company.legal_form_only')
    """
    prefix = field + "."
    return tuple(code for code in REASONS if code.startswith(prefix))
