"""Small text helpers shared by the normalizers: coercion, NFKC, accent folding, punctuation.

Every helper is a pure function of its input and never raises on ``str`` input (control
characters, lone surrogates, very long strings). Lookup tables grow lazily per code point seen,
which keeps import cheap and makes repeated calls run at ``str.translate`` (C) speed.

>>> fold_accents("José Müller-Łukasz Straße Ærø")
'Jose Muller-Lukasz Strasse AEro'
>>> squeeze(strip_punctuation("O'Brien,\\tMary-Jane!"))
'OBrien Mary Jane'
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

__all__ = [
    "APOSTROPHES",
    "coerce_text",
    "fold_accents",
    "nfkc",
    "simple_key",
    "squeeze",
    "strip_punctuation",
]

#: Characters that mark elision or possession (O'Brien, McDonald's); callers usually delete them
#: rather than split the word in two.
APOSTROPHES = "'’‘ʼ`´ʹ′"

# Letters that NFKD does not decompose but that readers treat as accented Latin letters.
_SPECIAL_FOLDS: dict[int, str] = {
    ord(k): v
    for k, v in {
        "ß": "ss",
        "ẞ": "SS",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
        "ŧ": "t",
        "Ŧ": "T",
        "ĸ": "k",
        "ŋ": "n",
        "Ŋ": "N",
        "ƒ": "f",
        "·": "",  # the middle dot NFKD leaves behind from Catalan "ŀ"
    }.items()
}

# Combining marks used by Latin, Greek and Cyrillic accents. Marks of other scripts (Indic vowel
# signs, Arabic harakat, ...) are letters' essential parts there and are kept.
_ACCENT_RANGES = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF))
_FOLD_TABLE: dict[int, str | None] = dict(_SPECIAL_FOLDS)
for _lo, _hi in _ACCENT_RANGES:
    _FOLD_TABLE.update(dict.fromkeys(range(_lo, _hi + 1)))
_FOLD_TABLE.update(dict.fromkeys(range(0xFE20, 0xFE30)))

_WS_RE = re.compile(r"\s+")


def coerce_text(value: object) -> str | None:
    """Turn a raw cell (``str``, ``None``, NaN, numbers, bytes) into ``str`` or ``None``.

    Blank strings and missing markers become ``None``; integral floats lose their ``.0``
    (spreadsheets turn postcodes and ids into floats).

    >>> coerce_text(None), coerce_text(float("nan")), coerce_text(94105.0), coerce_text("  ")
    (None, None, '94105', None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value if value and not value.isspace() else None
    if isinstance(value, bytes | bytearray):
        return coerce_text(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    try:
        text = str(value)
    except Exception:  # a foreign object whose __str__ fails is simply not usable text
        return None
    if text in {"<NA>", "NaT", "nan", "NaN", "None"}:
        return None
    return text if text and not text.isspace() else None


def nfkc(text: str) -> str:
    """Unicode NFKC (full-width letters, ligatures, superscripts to their plain forms).

    >>> nfkc("ＡＣＭＥ ﬁnance №5")
    'ACME finance No5'
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text)


def fold_accents(text: str) -> str:
    """Remove Latin/Greek/Cyrillic accents and fold letters such as ß, ø, æ, ł (NFKD-based).

    The result is NFC so that marks of other scripts stay attached to their letters.

    >>> fold_accents("Ångström Dvořák Šťastný Gdańsk Øresund")
    'Angstrom Dvorak Stastny Gdansk Oresund'
    """
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKD", text).translate(_FOLD_TABLE)
    return folded if folded.isascii() else unicodedata.normalize("NFC", folded)


class _CategoryTable(dict[int, "str | int | None"]):
    """A ``str.translate`` table filled on first sight of a code point from its category.

    Letters, marks and digits map to themselves, characters in ``drop`` are deleted, characters
    in ``keep`` stay, format characters (zero-width space, soft hyphen, BOM, bidi marks) and
    surrogates are deleted, everything else (punctuation, symbols, controls, separators) becomes
    a space.
    """

    def __init__(self, keep: str, drop: str) -> None:
        super().__init__()
        self._keep = frozenset(keep)
        self._drop = frozenset(drop)

    def __missing__(self, cp: int) -> str | int | None:
        char = chr(cp)
        result: str | int | None
        if char in self._drop:
            result = None
        elif char in self._keep:
            result = cp
        else:
            cat = unicodedata.category(char)
            if cat[0] in "LMN":
                result = cp
            elif cat in ("Cf", "Cs"):
                result = None
            else:
                result = " "
        self[cp] = result
        return result


@functools.cache
def _category_table(keep: str, drop: str) -> _CategoryTable:
    return _CategoryTable(keep, drop)


def strip_punctuation(text: str, *, keep: str = "", drop: str = APOSTROPHES) -> str:
    """Replace punctuation, symbols and control characters by spaces (not squeezed).

    Characters in ``drop`` are deleted (default: apostrophes, so ``O'Brien`` stays one word);
    characters in ``keep`` are left alone.

    >>> strip_punctuation("a.b,c&d", keep="&")
    'a b c&d'
    """
    return text.translate(_category_table(keep, drop))


def squeeze(text: str) -> str:
    """Collapse runs of whitespace to one space and trim the ends.

    >>> squeeze("  a \\t b\\n")
    'a b'
    """
    return _WS_RE.sub(" ", text).strip()


def simple_key(text: str) -> str:
    """Lower-case, accent-folded, alphanumerics only: a loose key for word lists.

    >>> simple_key("G.m.b.H."), simple_key("S.à r.l."), simple_key("Dipl.-Ing.")
    ('gmbh', 'sarl', 'dipling')
    """
    folded = fold_accents(nfkc(text).casefold())
    return "".join(ch for ch in folded if ch.isalnum())
