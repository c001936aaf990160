"""Street address lines and postcodes.

:func:`parse_address` canonicalizes one address line (street, house number, unit; a city or
postcode after a comma is kept as a further comma part):

* NFKC, case-fold, accent-fold (``Straße`` -> ``strasse``), punctuation to spaces, dots of
  single-letter abbreviations joined (``P.O.`` -> ``po``, ``N.E.`` -> ``ne``);
* street types to one abbreviation each (``data/street_types.csv``): USPS style for English
  (street -> st, avenue -> ave, boulevard -> blvd, ...), German/Dutch ``straße``/``straat``
  -> ``str`` also inside compounds (``Hauptstraße`` -> ``hauptstr``), ``platz`` -> ``pl``,
  ``laan`` -> ``ln``, French/Spanish/Italian types (``avenue``/``avenida`` -> ``av`` and
  ``boulevard`` -> ``bd`` when the type comes first, ``calle`` -> ``c``, ``chemin`` -> ``ch``);
  whether ``avenue`` is French or English is decided by ``country`` when given, else by its
  position (first word -> French style);
* a street type mistyped by one keystroke (``Main Stret``, ``Forbes Treet``, ``Oak Avneue``)
  -> its abbreviation, for the long written-out types (6 letters or more) and words of 5 letters
  or more that are not followed by a street type (``Terrance Street`` keeps ``terrance``) and
  are not a truncation or an extension of the type (``Garden State Parkway`` keeps ``garden``);
* directionals (north/nord/norte -> n, south west -> sw, ...) and ordinal words (first -> 1st);
* units (apt, apartment, suite, ste, unit, #, flat, wohnung, ...) -> ``unit <id>``, floors
  (floor 2, 2nd floor, 3. OG, 3e étage) -> ``fl <n>``, buildings -> ``bldg <id>``; they are
  moved into their own comma part right after the street, so ``"Apt 4B, 12 Main St"`` and
  ``"12 Main St #4b"`` give the same value;
* number markers (No., Nr., nº) dropped; PO boxes (P.O. Box, Postfach, BP, Apartado) ->
  ``po box <n>``.

``details``: ``house_number`` (``"12"``, ``"5a"``, ``"5-7"``; taken from the start for
US/UK/FR-style lines and from the end for DE/NL/ES/IT-style ones), ``street`` (street part
without number), ``unit``, ``floor``, ``building``, ``po_box``.

Reason codes: ``address.empty``, ``address.junk`` (placeholders such as ``n/a``, ``unknown``,
``same``, digits or punctuation only; value ``None``), ``address.po_box``,
``address.no_house_number``, ``address.no_street`` (only unit information).

:func:`parse_postcode` formats postcodes per country (GB, US ZIP/ZIP+4, CA, DE, FR, NL, AU and
~25 more); reason codes ``postcode.empty``, ``postcode.junk`` (value ``None``),
``postcode.invalid_for_country`` (value kept in a generic form: upper case, single spaces),
``postcode.zero_padded`` (leading zeros restored after a spreadsheet dropped them).

>>> normalize_address("Hauptstraße 5")
'hauptstr 5'
>>> normalize_address("Apt. 4B, 123 North Main Street")
'123 n main st, unit 4b'
>>> p = parse_address("123 N. Main St. #4b")
>>> p.value, p.details["house_number"], p.details["street"], p.details["unit"]
('123 n main st, unit 4b', '123', 'n main st', '4b')
>>> normalize_postcode("sw1a1aa"), normalize_postcode("94105-1234"), normalize_postcode("k1a0b1")
('SW1A 1AA', '94105-1234', 'K1A 0B1')
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import NamedTuple

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text, fold_accents, nfkc, strip_punctuation

__all__ = ["normalize_address", "normalize_postcode", "parse_address", "parse_postcode"]

# ---------------------------------------------------------------------------------------------
# Countries

_COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB",
    "GBR": "GB",
    "UNITED KINGDOM": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "USA": "US",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "CAN": "CA",
    "CANADA": "CA",
    "DEU": "DE",
    "GER": "DE",
    "GERMANY": "DE",
    "DEUTSCHLAND": "DE",
    "FRA": "FR",
    "FRANCE": "FR",
    "NLD": "NL",
    "NETHERLANDS": "NL",
    "THE NETHERLANDS": "NL",
    "HOLLAND": "NL",
    "NEDERLAND": "NL",
    "AUS": "AU",
    "AUSTRALIA": "AU",
    "AUT": "AT",
    "AUSTRIA": "AT",
    "OSTERREICH": "AT",
    "CHE": "CH",
    "SWITZERLAND": "CH",
    "SCHWEIZ": "CH",
    "SUISSE": "CH",
    "SVIZZERA": "CH",
    "BEL": "BE",
    "BELGIUM": "BE",
    "BELGIQUE": "BE",
    "BELGIE": "BE",
    "ESP": "ES",
    "SPAIN": "ES",
    "ESPANA": "ES",
    "ITA": "IT",
    "ITALY": "IT",
    "ITALIA": "IT",
    "PRT": "PT",
    "PORTUGAL": "PT",
    "SWE": "SE",
    "SWEDEN": "SE",
    "SVERIGE": "SE",
    "NOR": "NO",
    "NORWAY": "NO",
    "NORGE": "NO",
    "DNK": "DK",
    "DENMARK": "DK",
    "DANMARK": "DK",
    "FIN": "FI",
    "FINLAND": "FI",
    "SUOMI": "FI",
    "POL": "PL",
    "POLAND": "PL",
    "POLSKA": "PL",
    "CZE": "CZ",
    "CZECHIA": "CZ",
    "CZECH REPUBLIC": "CZ",
    "SVK": "SK",
    "SLOVAKIA": "SK",
    "HUN": "HU",
    "HUNGARY": "HU",
    "IRL": "IE",
    "IRELAND": "IE",
    "LUX": "LU",
    "LUXEMBOURG": "LU",
    "NZL": "NZ",
    "NEW ZEALAND": "NZ",
    "JPN": "JP",
    "JAPAN": "JP",
    "BRA": "BR",
    "BRAZIL": "BR",
    "BRASIL": "BR",
    "MEX": "MX",
    "MEXICO": "MX",
    "IND": "IN",
    "INDIA": "IN",
}

# House number first ("12 Baker Street", "12 rue de la Paix") ...
_NUMBER_FIRST = frozenset({"US", "CA", "GB", "IE", "AU", "NZ", "FR", "LU", "MC", "ZA", "IN"})
# ... or last ("Hauptstraße 5", "Calle Mayor 5", "Via Roma 10").
_NUMBER_LAST = frozenset(
    [
        "DE",
        "AT",
        "CH",
        "LI",
        "NL",
        "BE",
        "ES",
        "IT",
        "PT",
        "PL",
        "CZ",
        "SK",
        "DK",
        "SE",
        "NO",
        "FI",
        "IS",
        "HU",
        "HR",
        "SI",
        "RS",
        "BA",
        "GR",
        "RO",
        "BG",
        "EE",
        "LV",
        "LT",
        "BR",
        "MX",
        "AR",
        "CL",
        "CO",
        "PE",
        "VE",
        "UY",
        "TR",
    ]
)
# Street type before the name ("Avenue Foch", "Avenida Reforma") or after ("Fifth Avenue").
_TYPE_FIRST = frozenset(
    [
        "FR",
        "BE",
        "LU",
        "MC",
        "ES",
        "PT",
        "IT",
        "BR",
        "MX",
        "AR",
        "CL",
        "CO",
        "PE",
        "VE",
        "UY",
        "EC",
        "BO",
        "PY",
        "CR",
        "PA",
        "GT",
        "HN",
        "SV",
        "NI",
        "DO",
        "CU",
    ]
)
_TYPE_LAST = frozenset({"US", "GB", "IE", "AU", "NZ", "ZA"})


def _country_code(country: object) -> str | None:
    """ISO-3166 alpha-2 code from a code, alpha-3 or common English/native name."""
    text = coerce_text(country)
    if text is None:
        return None
    key = " ".join(strip_punctuation(fold_accents(nfkc(text))).split()).upper()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) == 2 and key.isalpha() and key.isascii():
        return key
    return None


# ---------------------------------------------------------------------------------------------
# Address vocabulary


class _StreetTypes(NamedTuple):
    exact: dict[str, tuple[str, str]]  # word -> (canonical, prefix form)
    compound: tuple[tuple[str, str], ...]  # (suffix, canonical), longest suffix first
    prefix_forms: dict[str, str]  # canonical -> prefix form (only where they differ)
    compound_suffixes: tuple[str, ...]


@functools.cache
def _street_types() -> _StreetTypes:
    raw = resources.files("crmresolve").joinpath("data", "street_types.csv").read_text("utf-8")
    lines = [line for line in raw.splitlines() if line.strip() and not line.startswith("#")]
    exact: dict[str, tuple[str, str]] = {}
    compound: list[tuple[str, str]] = []
    prefix_forms: dict[str, str] = {}
    for row in list(csv.reader(io.StringIO("\n".join(lines))))[1:]:
        if len(row) < 4:
            continue
        canonical, prefix, is_compound = row[0].strip(), row[1].strip(), row[2].strip()
        if prefix != canonical:
            prefix_forms[canonical] = prefix
        for variant in row[3].split("|"):
            word = variant.strip()
            exact.setdefault(word, (canonical, prefix))
            if is_compound == "yes":
                compound.append((word, canonical))
        exact.setdefault(canonical, (canonical, prefix))
        exact.setdefault(prefix, (canonical, prefix))
    compound.sort(key=lambda item: -len(item[0]))
    suffixes = tuple(suffix for suffix, _ in compound)
    return _StreetTypes(exact, tuple(compound), prefix_forms, suffixes)


#: Written-out street types at least this long are recognised with one typo.
TYPO_TYPE_MIN_LENGTH = 6


class _TypoTypes(NamedTuple):
    words: dict[str, str]  # written-out type -> canonical
    # (first two letters, length) and (last two letters, length) of a word -> the types it
    # may be one edit from: one edit keeps one end of a 5+ letter word and changes the length
    # by at most one, so most words meet no candidate at all.
    by_end: dict[tuple[str, int], tuple[str, ...]]


@functools.cache
def _typo_types() -> _TypoTypes:
    types = _street_types()
    compound = {suffix for suffix, _ in types.compound}
    words = {
        w: canonical
        for w, (canonical, _) in types.exact.items()
        if len(w) >= TYPO_TYPE_MIN_LENGTH and w.isalpha() and w not in compound
    }
    by_end: dict[tuple[str, int], set[str]] = {}
    for w in words:
        for size in (len(w) - 1, len(w), len(w) + 1):
            by_end.setdefault((w[:2], size), set()).add(w)
            by_end.setdefault(("-" + w[-2:], size), set()).add(w)
    return _TypoTypes(words, {k: tuple(sorted(v)) for k, v in by_end.items()})


# Street names repeat (Church, Maple, Station…): a small memo of pure results.
@functools.lru_cache(maxsize=16384)
def _typo_type(word: str) -> str | None:
    """The canonical type of a long street type mistyped by one edit, else ``None``."""
    if len(word) < TYPO_TYPE_MIN_LENGTH - 1 or not word.isalpha():
        return None
    typo = _typo_types()
    size = len(word)
    candidates = typo.by_end.get((word[:2], size), ()) + typo.by_end.get(
        ("-" + word[-2:], size), ()
    )
    if not candidates:
        return None
    hit = extractOne(word, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=1)
    if hit is None or hit[0].startswith(word) or word.startswith(hit[0]):
        return None  # "garden" is no mistyped "gardens", nor "streets" a "street"
    return typo.words[hit[0]]


_DIRECTIONALS: dict[str, str] = {
    **dict.fromkeys(("north", "nord", "norte", "noord"), "n"),
    **dict.fromkeys(("south", "sud", "sued", "zuid"), "s"),
    **dict.fromkeys(("east", "ost", "oost"), "e"),
    **dict.fromkeys(("west", "ouest", "oeste"), "w"),
    **dict.fromkeys(("northeast", "nordost", "noordoost"), "ne"),
    **dict.fromkeys(("northwest", "nordwest", "noordwest"), "nw"),
    **dict.fromkeys(("southeast", "sudost", "suedost", "zuidoost"), "se"),
    **dict.fromkeys(("southwest", "sudwest", "suedwest", "zuidwest"), "sw"),
}
_ORDINALS: dict[str, str] = {
    word: f"{i}{'th' if 10 < i < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(i % 10, 'th')}"
    for i, word in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}
_UNIT_WORDS = frozenset(
    [
        "apt",
        "apartment",
        "appt",
        "apart",
        "apartement",
        "appartement",
        "app",
        "unit",
        "flat",
        "suite",
        "ste",
        "wohnung",
        "whg",
        "whng",
        "room",
        "rm",
        "depto",
        "dpto",
        "departamento",
    ]
)
_FLOOR_BEFORE = frozenset(
    ["floor", "fl", "flr", "level", "lvl", "etage", "stock", "piso", "planta"]
)
_FLOOR_AFTER = frozenset(
    [
        "floor",
        "fl",
        "flr",
        "etage",
        "stock",
        "stockwerk",
        "og",
        "obergeschoss",
        "piso",
        "planta",
        "verdieping",
        "level",
    ]
)
_BUILDING_WORDS = frozenset(
    [
        "building",
        "bldg",
        "bld",
        "bat",
        "batiment",
        "edificio",
        "edif",
        "geb",
        "gebaude",
        "tower",
        "twr",
        "torre",
        "block",
        "blk",
    ]
)
_NUMBER_MARKERS = frozenset(["no", "nr", "nro", "num", "numero"])
_UNIT_KINDS = ("bldg", "fl", "unit")
_DETAIL_KEY = {"bldg": "building", "fl": "floor", "unit": "unit"}
_PO_BOX_WORDS: tuple[tuple[str, ...], ...] = (
    ("post", "office", "box"),
    ("p", "o", "box"),
    ("po", "box"),
    ("pobox",),
    ("pob",),
    ("postfach",),
    ("bp",),
    ("apartado", "de", "correos"),
    ("apartado",),
    ("postbus",),
    ("postboks",),
    ("caixa", "postal"),
    ("casilla",),
)
_JUNK = frozenset(
    {
        "n a",
        "na",
        "none",
        "null",
        "nil",
        "nan",
        "unknown",
        "unk",
        "test",
        "tbd",
        "tba",
        "same",
        "same as above",
        "see above",
        "no address",
        "not provided",
        "not available",
        "not applicable",
        "xxx",
        "xx",
        "x",
        "asdf",
        "dummy",
        "homeless",
        "blank",
    }
)

_UNIT_ID_RE = re.compile(r"[a-z0-9]{1,8}(?:-[a-z0-9]{1,8})?")
_FLOOR_ID_RE = re.compile(r"(\d{1,3})(?:st|nd|rd|th|e|er|re|eme|o|a|te|ste)?")
# Spanish/Portuguese "2º B" (NFKC: "2o b"): floor 2, door B
_IBERIAN_FLOOR_RE = re.compile(r"(\d{1,2})[oa]")
_HOUSE_NUMBER_RE = re.compile(r"\d{1,6}[a-z]?(?:-\d{1,6}[a-z]?)?")
_ABBREV_DOT_RE = re.compile(r"(?<!\w)([^\W\d_])\.")
_ELISION_RE = re.compile(r"(?<!\w)([a-z])['’]")
_NUMERO_RE = re.compile(r"\bn\s?°")
_HYPHEN_RE = re.compile(r"(?<![0-9a-z])-|(?<=[a-z])(?<![0-9][a-z])-|-(?![0-9])")
_LETTER_DIGIT_RE = re.compile(r"(?<=[^\W\d_]{2})(?=\d)")
_SEGMENT_RE = re.compile(r"[,;\n\r]+")


def _is_unit_id(token: str) -> bool:
    if not _UNIT_ID_RE.fullmatch(token):
        return False
    return len(token) == 1 or any(c.isdigit() for c in token)


def _floor_id(token: str) -> str | None:
    m = _FLOOR_ID_RE.fullmatch(token)
    return m.group(1) if m else None


def _prepare(text: str) -> list[list[str]]:
    """Folded, punctuation-free words per comma part; ``#`` is kept glued to its id."""
    text = fold_accents(nfkc(text).casefold())
    if "°" in text:
        text = _NUMERO_RE.sub("no ", text)
    if "." in text:
        text = _ABBREV_DOT_RE.sub(r"\1", text)
    if "'" in text or "’" in text:
        text = _ELISION_RE.sub(r"\1 ", text)
    if "-" in text:
        text = _HYPHEN_RE.sub(" ", text)
    text = strip_punctuation(text, keep="-#,;\n\r")
    text = _LETTER_DIGIT_RE.sub(" ", text)
    text = text.replace("#", " # ")
    segments: list[list[str]] = []
    for segment in _SEGMENT_RE.split(text):
        words = [w.strip("-") for w in segment.split()]
        segments.append([w for w in words if w])
    return segments


def _map_words(words: list[str]) -> list[str]:
    """Directionals, ordinal words and street types to canonical forms (position-free)."""
    types = _street_types()
    short = TYPO_TYPE_MIN_LENGTH - 1
    typos = [_typo_type(w) if len(w) >= short and w not in types.exact else None for w in words]
    out: list[str] = []
    for i, word in enumerate(words):
        mapped = _DIRECTIONALS.get(word)
        if mapped is not None:
            prev = out[-1] if out else ""
            # "south west" / "north-east" -> "sw" / "ne"
            if prev in ("n", "s") and mapped in ("e", "w"):
                out[-1] = prev + mapped
                continue
            out.append(mapped)
            continue
        mapped = _ORDINALS.get(word)
        if mapped is not None:
            out.append(mapped)
            continue
        entry = types.exact.get(word)
        if entry is not None:
            out.append(entry[0])
            continue
        if not word.endswith(types.compound_suffixes):
            # A type-like word before a street type is the street's name ("Terrance Stret").
            named = i + 1 < len(words) and (words[i + 1] in types.exact or typos[i + 1] is not None)
            out.append(word if named else typos[i] or word)
            continue
        for suffix, canonical in types.compound:
            if word.endswith(suffix) and len(word) > len(suffix) + 1:
                word = word[: -len(suffix)] + canonical
                break
        out.append(word)
    return out


def _extract_units(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Remove number markers, units, floors and buildings in one stack pass.

    The stack makes the result a fixed point: whatever stays has no designator directly
    followed by an id, so normalizing the output again finds nothing new.
    """
    # A "#" not followed by an id carries nothing; dropping it first (not after the pass)
    # keeps the words around it from becoming adjacent later.
    words = [
        w
        for i, w in enumerate(words)
        if w != "#" or (i + 1 < len(words) and _is_unit_id(words[i + 1]))
    ]
    stack: list[str] = []
    units: list[tuple[str, str]] = []
    for word in words:
        if word[0].isdigit():
            while stack and stack[-1] in _NUMBER_MARKERS:
                stack.pop()
        if word in _FLOOR_AFTER and stack:
            level = _floor_id(stack[-1])
            if level is not None:
                stack.pop()
                units.append(("fl", level))
                continue
        if stack:
            top = stack[-1]
            if top in _FLOOR_BEFORE:
                level = _floor_id(word)
                if level is not None:
                    stack.pop()
                    units.append(("fl", level))
                    continue
            if top == "#" and _is_unit_id(word):
                stack.pop()
                if stack and stack[-1] in _UNIT_WORDS:  # "Apt #4B"
                    stack.pop()
                units.append(("unit", word))
                continue
            iberian = _IBERIAN_FLOOR_RE.fullmatch(top)
            if iberian is not None and _is_unit_id(word):
                stack.pop()
                units.append(("fl", iberian.group(1)))
                units.append(("unit", word))
                continue
            if (top in _UNIT_WORDS or top in _BUILDING_WORDS) and _is_unit_id(word):
                stack.pop()
                units.append(("bldg" if top in _BUILDING_WORDS else "unit", word))
                continue
        stack.append(word)
    return stack, units


_PO_BOX_FIRST = frozenset(pattern[0] for pattern in _PO_BOX_WORDS)


def _po_box(words: list[str]) -> tuple[list[str], str | None]:
    if _PO_BOX_FIRST.isdisjoint(words):
        return words, None
    for i in range(len(words)):
        if words[i] not in _PO_BOX_FIRST:
            continue
        for pattern in _PO_BOX_WORDS:
            end = i + len(pattern)
            if tuple(words[i:end]) != pattern:
                continue
            if pattern in (("pob",), ("bp",), ("casilla",)) and i > 0:
                continue
            digits: list[str] = []
            j = end
            while j < len(words) and words[j].isdigit():
                digits.append(words[j])
                j += 1
            if not digits and j < len(words) and any(c.isdigit() for c in words[j]):
                digits.append(words[j])
                j += 1
            if digits:
                number = "".join(digits)
                return [*words[:i], "po", "box", number, *words[j:]], number
    return words, None


def _position_types(words: list[str], country: str | None) -> list[str]:
    prefix_forms = _street_types().prefix_forms
    if not prefix_forms.keys() & set(words):
        return words
    first = 1 if len(words) > 1 and _HOUSE_NUMBER_RE.fullmatch(words[0]) else 0
    out = list(words)
    for i, word in enumerate(words):
        prefix = prefix_forms.get(word)
        if prefix is None:
            continue
        if country in _TYPE_LAST:
            use_prefix = False
        elif country in _TYPE_FIRST:
            use_prefix = True
        else:
            # "Avenue Foch" is French style; "Avenue A", "Avenue 5", "Avenue of the
            # Americas" are American names that merely start with the type.
            after = words[i + 1] if i + 1 < len(words) else ""
            use_prefix = (
                i == first
                and len(after) > 1
                and after != "of"
                and not any(c.isdigit() for c in after)
            )
        if use_prefix:
            out[i] = prefix
    return out


def _house_number(words: list[str], country: str | None) -> tuple[list[str], str, str] | None:
    """Return (words with the number glued, number, street) when a house number is found."""
    if len(words) < 2:
        return None
    if country in _NUMBER_FIRST:
        order: tuple[str, ...] = ("start",)
    elif country in _NUMBER_LAST:
        order = ("end", "start")
    else:
        order = ("start", "end")
    for where in order:
        if where == "start" and _HOUSE_NUMBER_RE.fullmatch(words[0]):
            return words, words[0], " ".join(words[1:])
        if where == "end":
            # "Hauptstraße 5 a" -> "5a"
            if (
                len(words) >= 3
                and len(words[-1]) == 1
                and words[-1].isalpha()
                and words[-2].isdigit()
            ):
                words = [*words[:-2], words[-2] + words[-1]]
            if _HOUSE_NUMBER_RE.fullmatch(words[-1]):
                return words, words[-1], " ".join(words[:-1])
    return None


def parse_address(value: object, *, country: object = None) -> Parsed:
    """Canonical street address line with house number, street, unit and PO box details.

    ``country`` (ISO code or name, optional) decides where the house number sits and whether
    ``avenue``/``boulevard`` are French/Spanish (``av``/``bd``) or English (``ave``/``blvd``).

    >>> parse_address("Flat 3, 221B Baker Street", country="UK").details["house_number"]
    '221b'
    >>> normalize_address("12, Avenue des Champs-Élysées"), normalize_address("C/ Mayor, 5")
    ('12 av des champs elysees', 'c mayor 5')
    >>> parse_address("P.O. Box 1234").value
    'po box 1234'
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("address.empty",))
    code = _country_code(country)
    segments = _prepare(text)
    flat = [w for seg in segments for w in seg if w != "#"]
    if not flat or " ".join(flat) in _JUNK:
        return Parsed(None, ("address.junk",))

    reasons: list[str] = []
    details: dict[str, str] = {}
    units: list[tuple[str, str]] = []
    cleaned: list[list[str]] = []
    po_box: str | None = None
    for seg in segments:
        words, found = _extract_units(_map_words(seg))
        units.extend(found)
        words, box = _po_box(words)
        if box is not None and po_box is None:
            po_box = box
        if words:
            cleaned.append(words)

    # A part that is only a house number belongs to its neighbour ("Calle Mayor, 5").
    merged: list[list[str]] = []
    for i, words in enumerate(cleaned):
        if len(words) == 1 and _HOUSE_NUMBER_RE.fullmatch(words[0]) and len(cleaned) > 1:
            if merged and _house_number(merged[-1], code) is None:
                merged[-1] = [*merged[-1], words[0]]
                continue
            if i + 1 < len(cleaned):
                cleaned[i + 1] = [words[0], *cleaned[i + 1]]
                continue
        merged.append(words)
    # Merging can bring a designator next to an id ("Apt, 12"): extract again so that the
    # value is a fixed point.
    rechecked: list[list[str]] = []
    for words in merged:
        words, found = _extract_units(words)
        units.extend(found)
        if words:
            rechecked.append(words)

    merged = [_position_types(words, code) for words in rechecked]
    candidates = [i for i, w in enumerate(merged) if not (po_box and w[:2] == ["po", "box"])]
    street_index: int | None = candidates[0] if candidates else None
    if street_index is not None:
        found_number = _house_number(merged[street_index], code)
        if (
            found_number is None
            and code in _NUMBER_FIRST
            and len(candidates) > 1
            and not any(c.isdigit() for w in merged[street_index] for c in w)
        ):
            # "Rose Cottage, 12 High Street": a house name before the street
            second = _house_number(merged[candidates[1]], code)
            if second is not None and len(second[1]) <= 4:
                street_index, found_number = candidates[1], second
        if found_number is not None:
            merged[street_index], number, street = found_number
            details["house_number"] = number
            if street:
                details["street"] = street
        else:
            details["street"] = " ".join(merged[street_index])

    # Judged on the result, so that normalizing the value again reaches the same verdict.
    remaining = [w for words in merged for w in words]
    if not units and (
        not remaining or " ".join(remaining) in _JUNK or all(w.isdigit() for w in remaining)
    ):
        return Parsed(None, ("address.junk",))
    parts = [" ".join(words) for words in merged]
    if units:
        ordered = sorted(units, key=lambda u: _UNIT_KINDS.index(u[0]))
        for kind in _UNIT_KINDS:
            ids = [uid for k, uid in ordered if k == kind]
            if ids:
                details[_DETAIL_KEY[kind]] = " ".join(ids)
        unit_text = " ".join(f"{kind} {uid}" for kind, uid in ordered)
        parts.insert(street_index + 1 if street_index is not None else len(parts), unit_text)

    if po_box is not None:
        details["po_box"] = po_box
        reasons.append("address.po_box")
    elif "house_number" not in details:
        reasons.append("address.no_house_number" if "street" in details else "address.no_street")
    return Parsed(", ".join(parts), tuple(reasons), details)


def normalize_address(value: object, *, country: object = None) -> str | None:
    """Canonical address line, or ``None`` when nothing usable is there.

    >>> normalize_address("Kalverstraat 92"), normalize_address("1600 Pennsylvania Avenue NW")
    ('kalverstr 92', '1600 pennsylvania ave nw')
    """
    return parse_address(value, country=country).value


# ---------------------------------------------------------------------------------------------
# Postcodes


class _PostcodeRule(NamedTuple):
    pattern: re.Pattern[str]  # on the compact form: upper case, no spaces or hyphens
    template: str  # re.Match.expand template producing the canonical form
    pad_to: int  # zero-pad all-digit input shorter than this (0 = never)


def _rule(pattern: str, template: str = r"\g<0>", pad_to: int = 0) -> _PostcodeRule:
    return _PostcodeRule(re.compile(pattern), template, pad_to)


_D4 = _rule(r"\d{4}", pad_to=4)
_D5 = _rule(r"\d{5}", pad_to=5)
_POSTCODE_RULES: dict[str, _PostcodeRule] = {
    "GB": _rule(r"([A-Z]{1,2}\d[A-Z\d]?|GIR)(\d[A-Z]{2})", r"\1 \2"),
    "CA": _rule(r"([A-Z]\d[A-Z])(\d[A-Z]\d)", r"\1 \2"),
    "NL": _rule(r"([1-9]\d{3})([A-Z]{2})", r"\1 \2"),
    "SE": _rule(r"(\d{3})(\d{2})", r"\1 \2"),
    "CZ": _rule(r"(\d{3})(\d{2})", r"\1 \2"),
    "SK": _rule(r"(\d{3})(\d{2})", r"\1 \2"),
    "GR": _rule(r"(\d{3})(\d{2})", r"\1 \2"),
    "PL": _rule(r"(\d{2})(\d{3})", r"\1-\2"),
    "PT": _rule(r"(\d{4})(\d{3})", r"\1-\2"),
    "JP": _rule(r"(\d{3})(\d{4})", r"\1-\2"),
    "BR": _rule(r"(\d{5})(\d{3})", r"\1-\2"),
    "IE": _rule(r"([AC-FHKNPRTV-Y]\d{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})", r"\1 \2"),
    "IN": _rule(r"[1-9]\d{5}"),
    "RU": _rule(r"\d{6}"),
    "CN": _rule(r"\d{6}"),
    "SG": _rule(r"\d{6}"),
    "AU": _D4,
    "NZ": _D4,
    "AT": _D4,
    "CH": _D4,
    "LI": _D4,
    "BE": _D4,
    "LU": _D4,
    "DK": _D4,
    "NO": _D4,
    "HU": _D4,
    "ZA": _D4,
    "DE": _D5,
    "FR": _D5,
    "MC": _D5,
    "IT": _D5,
    "ES": _D5,
    "FI": _D5,
    "EE": _D5,
    "HR": _D5,
    "MX": _D5,
    "TR": _D5,
    "MY": _D5,
}
# Country prefixes written before the code ("D-10115", "F-75001", "CH-8001").
_POSTCODE_PREFIXES: dict[str, str] = {
    "D": "DE",
    "DE": "DE",
    "F": "FR",
    "FR": "FR",
    "CH": "CH",
    "A": "AT",
    "AT": "AT",
    "NL": "NL",
    "B": "BE",
    "BE": "BE",
    "L": "LU",
    "LU": "LU",
    "I": "IT",
    "IT": "IT",
    "E": "ES",
    "ES": "ES",
    "DK": "DK",
    "S": "SE",
    "SE": "SE",
    "FIN": "FI",
    "FI": "FI",
    "N": "NO",
    "NO": "NO",
    "PL": "PL",
    "CZ": "CZ",
    "P": "PT",
    "PT": "PT",
}
_PREFIX_RE = re.compile(r"([A-Z]{1,3})[- ]+(?=\d)")
_POSTCODE_JUNK = frozenset({"NA", "NONE", "NULL", "NIL", "UNKNOWN", "TBD", "XXX", "XXXXX", "TEST"})
_GENERIC_RE = re.compile(r"[^A-Z0-9 -]+")
_MAX_POSTCODE = 12
_ZIP_RE = re.compile(r"(\d{5})(\d{4})?")
_ZIP9_RE = re.compile(r"\d{9}")
_ZIP4_RE = re.compile(r"\d{5}-\d{4}")


def _format(rule: _PostcodeRule, compact: str) -> tuple[str, bool] | None:
    """Canonical form under ``rule`` and whether zeros were padded, or ``None``."""
    padded = False
    if rule.pad_to and compact.isdigit() and 3 <= len(compact) < rule.pad_to:
        compact = compact.zfill(rule.pad_to)
        padded = True
    m = rule.pattern.fullmatch(compact)
    if m is None:
        return None
    return m.expand(rule.template), padded


def parse_postcode(value: object, *, country: object = None) -> Parsed:
    """Canonical postcode for ``country`` (ISO code or name), or a generic form without one.

    Without a country, unambiguous shapes are still recognised and reported in
    ``details["country"]``: UK, Canadian, Dutch and ZIP+4 codes.

    >>> parse_postcode("2134", country="US").value, parse_postcode("1234ab").value
    ('02134', '1234 AB')
    >>> parse_postcode("D-10115").value, parse_postcode("ABC", country="DE").reasons
    ('10115', ('postcode.junk',))
    >>> parse_postcode("123", country="NL").reasons
    ('postcode.invalid_for_country',)
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("postcode.empty",))
    code = _country_code(country)
    generic = " ".join(_GENERIC_RE.sub(" ", fold_accents(nfkc(text)).upper()).split())
    generic = generic.strip("- ")
    compact = generic.replace(" ", "").replace("-", "")
    if (
        not compact
        or compact in _POSTCODE_JUNK
        or not any(c.isdigit() for c in compact)
        or set(compact) == {"0"}
    ):
        return Parsed(None, ("postcode.junk",))
    if len(compact) > _MAX_POSTCODE:
        return Parsed(None, ("postcode.junk",))

    m = _PREFIX_RE.match(generic)
    if m is not None:
        prefixed = _POSTCODE_PREFIXES.get(m.group(1))
        if prefixed is not None and (code is None or code == prefixed):
            rest = generic[m.end() :].replace(" ", "").replace("-", "")
            rule = _POSTCODE_RULES.get(prefixed)
            if rule is not None and _format(rule, rest) is not None:
                code = prefixed
                compact = rest
                generic = rest

    details: dict[str, str] = {}
    if code == "US" or (
        code is None and (_ZIP9_RE.fullmatch(compact) or _ZIP4_RE.fullmatch(generic))
    ):
        return _parse_zip(compact, generic)
    if code is not None:
        rule = _POSTCODE_RULES.get(code)
        if rule is None:  # no rule for this country: the generic form, unjudged
            return Parsed(generic)
        formatted = _format(rule, compact)
        if formatted is None:
            return Parsed(generic, ("postcode.invalid_for_country",))
        canonical, padded = formatted
        details["country"] = code
        return Parsed(canonical, ("postcode.zero_padded",) if padded else (), details)
    for cand in ("GB", "CA", "NL"):  # shapes no other country uses
        formatted = _format(_POSTCODE_RULES[cand], compact)
        if formatted is not None:
            details["country"] = cand
            return Parsed(formatted[0], (), details)
    return Parsed(generic)


def _parse_zip(compact: str, generic: str) -> Parsed:
    reasons: tuple[str, ...] = ()
    if compact.isdigit() and len(compact) in (3, 4, 7, 8):
        # spreadsheets drop the leading zeros of New England ZIP codes
        compact = compact.zfill(5 if len(compact) < 5 else 9)
        reasons = ("postcode.zero_padded",)
    m = _ZIP_RE.fullmatch(compact)
    if m is None:
        return Parsed(generic, ("postcode.invalid_for_country",))
    details = {"country": "US", "zip5": m.group(1)}
    if m.group(2):
        details["plus4"] = m.group(2)
        return Parsed(f"{m.group(1)}-{m.group(2)}", reasons, details)
    return Parsed(m.group(1), reasons, details)


def normalize_postcode(value: object, *, country: object = None) -> str | None:
    """Canonical postcode, or ``None`` when nothing usable is there.

    >>> normalize_postcode(" 75001 ", country="France"), normalize_postcode("3000", country="AU")
    ('75001', '3000')
    """
    return parse_postcode(value, country=country).value
