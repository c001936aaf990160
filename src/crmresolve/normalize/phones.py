"""Phone numbers to E.164, with extension, number type and validity reasons.

Parsing is delegated to ``phonenumbers`` (libphonenumber's metadata). What this module adds is
the CRM-specific part: region hints from a record's country column (``"Deutschland"``, ``"UK"``),
``00`` international prefixes typed under a region whose own prefix differs, junk placeholders
(``000-000-0000``, ``1234567890``) and a policy for numbers that parse but are not valid.

Policy (documented because matching depends on it):

* A number that parses to a plausible length but is not valid for its region keeps its E.164
  value with ``phone.invalid_for_region``: two records sharing it are still evidence.
* Junk, too short (incl. local-only numbers without area code), too long and unparseable input
  give ``None``: such values would only create false agreement.
* The extension never enters the value; it is returned in ``details["extension"]``.
* Missing input (``None``, NaN, blank) gives ``None`` with ``phone.empty``.

>>> normalize_phone("(415) 555-0100")
'+14155550100'
>>> normalize_phone("030 1234567", region="Deutschland")
'+49301234567'
>>> parse_phone("+44 (0)20 7946 0018 ext. 12").details["extension"]
'12'
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberType,
    ValidationResult,
)

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text

__all__ = ["country_to_region", "normalize_phone", "parse_phone"]

_number_type_helper: Callable[[str, PhoneMetadata], int] | None
try:  # a private helper, stable for years; the public path is the fallback
    from phonenumbers.phonenumberutil import _number_type_helper
except ImportError:  # pragma: no cover
    _number_type_helper = None

# Real entries are well under this; anything longer is pasted text, not a phone number, and
# phonenumbers would reject it anyway after scanning it.
_MAX_LEN = 256

_NON_DIGIT = re.compile(r"\D+")
# Several numbers in one cell; "/" alone is not a separator because "030/1234567" is a common
# German way of writing the area code.
_MULTI_SPLIT = re.compile(r"[;|\n\r]|\s/\s|\s+or\s+|\s+oder\s+|\s+ou\s+", re.IGNORECASE)
_TRUNK_IN_PARENS = re.compile(r"\(\s*0\s*\)")
_LEADING_00 = re.compile(r"^\s*00(?!0)")
_COUNTRY_FOLD = re.compile(r"[^0-9a-z]+")
# Keyboard-run placeholders. Runs starting at 0 are left alone: "01 23 45 67 89" is a
# well-formed French number and "98765 43210" an Indian one.
_JUNK_RUNS = ("1234567890123", "0987654321")
# Their starts of six digits or more, for a set lookup per number.
_JUNK_RUN_PREFIXES = frozenset(run[:k] for run in _JUNK_RUNS for k in range(6, len(run) + 1))

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = _COUNTRY_FOLD.sub(" ", ascii_only.casefold()).strip()
    return folded[4:] if folded.startswith("the ") else folded


_DATA = resources.files("crmresolve") / "data"


@functools.cache
def _country_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(ISO alpha-3 → alpha-2, folded name → alpha-2); built once, read-only afterwards."""
    raw = json.loads((_DATA / "phone_country_aliases.json").read_text("utf-8"))
    iso3: dict[str, str] = dict(raw["iso3"])
    # Shipped precomputed: deriving it from phonenumbers' locale table takes ~0.35 s per process,
    # and ordinary tables spell countries by name ("Germany", "United States").
    names: dict[str, str] = json.loads((_DATA / "country_names.json").read_text("utf-8"))
    # Hand-made aliases win: they fix abbreviations and colloquial names ("UK", "Holland").
    names.update(raw["aliases"])
    return iso3, names


def _locale_country_names() -> dict[str, str]:
    """Folded country name → alpha-2 from phonenumbers' locale table: what
    ``data/country_names.json`` holds (regenerate it with :func:`_write_country_names`)."""
    from phonenumbers.geodata.locale import LOCALE_DATA

    names: dict[str, str] = {}
    # English first so that a name which means another country in some other language (rare)
    # resolves the way an English-speaking CRM user means it.
    langs = ["en", "de", "fr", "es", "it", "nl", "pt"]
    for pass_langs in (langs, None):
        for region, by_lang in LOCALE_DATA.items():
            for lang, name in by_lang.items():
                if pass_langs is not None and lang not in pass_langs:
                    continue
                # "*xx" points at another language's entry; one hop, since a few entries
                # point at themselves.
                if name.startswith("*"):
                    name = by_lang.get(name[1:], "")
                if name.startswith("*"):
                    continue
                key = _fold(name)
                if key:
                    names.setdefault(key, region)
    return names


def _write_country_names() -> None:  # pragma: no cover - run by hand after a phonenumbers update
    """Rewrite ``data/country_names.json`` from the installed phonenumbers."""
    text = json.dumps(_locale_country_names(), ensure_ascii=False, indent=0, sort_keys=True)
    Path(str(_DATA / "country_names.json")).write_text(text + "\n", encoding="utf-8")


def country_to_region(name: Any) -> str | None:
    """Map an ISO-2/ISO-3 code or a country name (many languages) to an ISO 3166-1 alpha-2 code.

    Returns ``None`` when the name is unknown. ``"UK"`` maps to ``"GB"``.

    >>> [country_to_region(x) for x in ("de", "United Kingdom", "UK", "Deutschland", "FRA", "?")]
    ['DE', 'GB', 'GB', 'DE', 'FR', None]
    """
    text = coerce_text(name)
    if text is None or len(text) > 100:
        return None
    stripped = text.strip()
    upper = stripped.upper()
    if len(upper) == 2 and upper in phonenumbers.SUPPORTED_REGIONS:
        return upper
    iso3, names = _country_tables()
    if len(upper) == 3 and upper in iso3:
        return iso3[upper]
    return names.get(_fold(stripped))


def _is_junk_digits(digits: str, *, runs: bool = True) -> bool:
    if len(digits) >= 4 and digits.count(digits[0]) == len(digits):
        return True
    if runs and len(digits) >= 6 and digits in _JUNK_RUN_PREFIXES:
        return True
    # A real subscriber number is never seven zeros; "(415) 000-0000" is a placeholder.
    return len(digits) >= 10 and digits.endswith("0000000")


def _candidates(piece: str, digits: str) -> list[str]:
    """Readings of one piece to try in order; ``digits`` are the piece's digits."""
    out = [piece]
    if _LEADING_00.match(piece):
        # "0044 …" typed under a region whose international prefix is not 00 (US: 011).
        out.append(_LEADING_00.sub("+", piece, count=1))
    if "(" in piece and _TRUNK_IN_PARENS.search(piece):
        out.extend(_TRUNK_IN_PARENS.sub("", c) for c in list(out))
    if len(digits) >= 11 and not piece.lstrip().startswith(("+", "0")):
        # Long enough to be a full international number written without "+".
        out.append("+" + piece)
    return out


def _resolve_region(default_region: str, region: Any) -> str:
    if region is None or isinstance(region, str):
        return _resolve_region_of_text(default_region, region)
    return _resolve_region_of_text(default_region, coerce_text(region))


@functools.lru_cache(maxsize=1024)
def _resolve_region_of_text(default_region: str, region: str | None) -> str:
    # A table holds a handful of country spellings; resolving one is a few dictionary
    # lookups, but it happens once per phone number.
    if region is not None:
        resolved = country_to_region(region)
        if resolved is not None:
            return resolved
    default = country_to_region(default_region)
    return default if default is not None else "US"


def parse_phone(value: Any, *, default_region: str = "US", region: Any = None) -> Parsed:
    """Parse a raw phone value into E.164 plus reasons and details.

    ``region`` (an ISO code or a country name, e.g. a record's country column) overrides
    ``default_region``; unknown region names fall back to ``default_region``. Details:
    ``region`` (of the number), ``country_code``, ``type`` and, when present, ``extension``.

    >>> p = parse_phone("0049 30 1234567")
    >>> p.value, p.details["region"], p.reasons
    ('+49301234567', 'DE', ())
    >>> parse_phone("000-000-0000").reasons
    ('phone.junk',)
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("phone.empty",))
    if len(text) > _MAX_LEN:
        return Parsed(None, ("phone.syntax",))
    reasons: list[str] = []
    pieces = _MULTI_SPLIT.split(text)
    if len(pieces) == 1:  # the common case: one number, its digits taken once
        piece, raw_digits = text, _NON_DIGIT.sub("", text)
        if not raw_digits:
            return Parsed(None, ("phone.syntax",))
    else:
        pieces = [p for p in pieces if _NON_DIGIT.sub("", p)]
        if not pieces:
            return Parsed(None, ("phone.syntax",))
        if len(pieces) > 1:
            reasons.append("phone.multiple")
        piece = pieces[0]
        raw_digits = _NON_DIGIT.sub("", piece)
    if _is_junk_digits(raw_digits.removeprefix("00")):
        return Parsed(None, (*reasons, "phone.junk"))
    region_code = _resolve_region(default_region, region)

    home_code = phonenumbers.country_code_for_region(region_code)
    fallback: PhoneNumber | None = None
    error: str | None = None
    for candidate in _candidates(piece, raw_digits):
        try:
            number = phonenumbers.parse(candidate, region_code)
        except NumberParseException as exc:
            if error is None:
                error = _PARSE_ERRORS.get(exc.error_type, "phone.syntax")
            continue
        # The record's own region is checked first: for +1 numbers the general validity check
        # walks all 25 NANP regions and costs ten times more.
        if number.country_code == home_code:
            # is_valid_number_for_region is "type known in the region's metadata": computing
            # the type once serves both (it is the costliest step of parsing).
            nsn = phonenumbers.national_significant_number(number)
            number_type = _number_type(number, region_code, nsn)
            if number_type != PhoneNumberType.UNKNOWN:
                return _result(
                    number, reasons, region=region_code, number_type=number_type, nsn=nsn
                )
        if phonenumbers.is_valid_number(number):
            return _result(number, reasons, region=phonenumbers.region_code_for_number(number))
        if fallback is None:
            fallback = number
    if fallback is None:
        return Parsed(None, (*reasons, error or "phone.syntax"))
    return _result(fallback, reasons, region=None)


_PARSE_ERRORS: dict[int, str] = {
    NumberParseException.TOO_SHORT_AFTER_IDD: "phone.too_short",
    NumberParseException.TOO_SHORT_NSN: "phone.too_short",
    NumberParseException.TOO_LONG: "phone.too_long",
}

_LENGTH_REASONS: dict[int, str] = {
    ValidationResult.TOO_SHORT: "phone.too_short",
    # A number without its area code cannot be put into E.164 reliably.
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "phone.too_short",
    ValidationResult.TOO_LONG: "phone.too_long",
    ValidationResult.INVALID_COUNTRY_CODE: "phone.syntax",
}


def _result(
    number: PhoneNumber,
    reasons: list[str],
    *,
    region: str | None,
    number_type: int | None = None,
    nsn: str | None = None,
) -> Parsed:
    """Build the result; ``region`` is the number's region when it is valid, else ``None``.

    ``nsn`` is the national significant number when the caller has it already.
    """
    valid = region is not None
    if nsn is None:
        nsn = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    # Runs are judged on the typed and the E.164 digits, never on the national significant
    # number alone: the French "01 23 45 67 89" has the NSN 123456789. Checking the E.164
    # digits keeps the output re-parsing to itself.
    if _is_junk_digits(nsn, runs=False) or _is_junk_digits(code + nsn):
        return Parsed(None, (*reasons, "phone.junk"))
    if region is None:
        length_reason = _LENGTH_REASONS.get(phonenumbers.is_possible_number_with_reason(number))
        if length_reason is not None:
            return Parsed(None, (*reasons, length_reason))
        # Invalid numbers get the region only when the country code has just one.
        regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
        region_name = regions[0] if len(regions) == 1 else ""
        number_type = PhoneNumberType.UNKNOWN
    else:
        region_name = region
        if number_type is None:
            number_type = _number_type(number, region, nsn)
    details: dict[str, str] = {
        "region": region_name,
        "country_code": code,
        "type": _TYPE_NAMES.get(number_type, "unknown"),
    }
    if number.extension:
        details["extension"] = number.extension
    # What format_number(number, E164) builds, without working the NSN out once more.
    e164 = f"+{code}{nsn}"
    if not valid:
        # Invalid numbers with several leading zeros ("+49 0001") do not survive a round trip
        # through E.164; such a value could not be matched consistently.
        if not _round_trips(e164):
            return Parsed(None, (*reasons, "phone.syntax"))
        reasons.append("phone.invalid_for_region")
    return Parsed(e164, tuple(reasons), details)


def _number_type(number: PhoneNumber, region: str, nsn: str) -> int:
    """``phonenumbers.number_type`` for a number whose region is already known.

    The public function first works the region out again, which for +1 numbers means matching
    against every NANP region; the helper it delegates to takes the region's metadata directly.
    """
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code or 0, region)
    if metadata is None:
        return int(PhoneNumberType.UNKNOWN)
    if _number_type_helper is None:  # pragma: no cover - the private helper is gone
        return (
            int(phonenumbers.number_type(number))
            if phonenumbers.is_valid_number_for_region(number, region)
            else int(PhoneNumberType.UNKNOWN)
        )
    return int(_number_type_helper(nsn, metadata))


def _round_trips(e164: str) -> bool:
    try:
        again = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return bool(phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164) == e164)


def normalize_phone(value: Any, *, default_region: str = "US", region: Any = None) -> str | None:
    """E.164 form of a raw phone value, or ``None`` when nothing usable is there.

    >>> [normalize_phone(x) for x in ("415.555.0100", "+1 415 555 0100", 4155550100.0, None)]
    ['+14155550100', '+14155550100', '+14155550100', None]
    """
    return parse_phone(value, default_region=default_region, region=region).value
