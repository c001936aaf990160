"""Person names: canonical lower-case form for matching, plus honorifics, suffixes and parts.

The canonical form is NFKC, case-folded, accent-folded (optional), with punctuation turned into
spaces (apostrophes deleted: ``O'Brien`` -> ``obrien``), honorifics (``Dr.``, ``Frau``, ``M.``)
and generational/academic suffixes (``Jr.``, ``III``, ``PhD``) removed and reported in
``details``, and ``"Last, First"`` turned into ``"first last"``.

Reason codes (all in ``Parsed.reasons``):

* ``name.empty`` - missing or blank (value ``None``);
* ``name.junk`` - a placeholder (``test``, ``asdf``, ``n/a``, ``unknown``, ``xxx``, ``???``,
  ``null``), digits or punctuation only, or nothing but honorifics (value ``None``);
* ``name.email_like`` - an e-mail address was found in the name and dropped (value ``None`` when
  nothing else was there);
* ``name.contains_digits`` - some token contains a digit (value kept);
* ``name.single_token`` - a full name with one word only;
* ``name.initial_only`` - every word is a single letter (``"J."``, ``"J. R."``);
* ``name.given_initial`` - a full name whose first given name is an initial (``"J. Smith"``);
* ``name.reordered`` - ``"Last, First"`` was turned into ``"first last"``;
* ``name.ambiguous_order`` - a full name with several commas; words kept in input order;
* ``name.too_long`` - longer than 100 characters after normalization (value kept).

``details`` keys: ``honorific`` and ``suffix`` (canonical codes, space separated, e.g. ``"dr"``,
``"jr phd"``), ``note`` (text in parentheses or quotes, usually a nickname or maiden name,
normalized), and for ``part="full"`` the split ``given``, ``middle``, ``surname``.

>>> normalize_name("Dr. José  MÜLLER-Lüdenscheidt, Jr.")
'jose muller ludenscheidt'
>>> p = parse_name("Smith, Mr. John")
>>> p.value, p.reasons, p.details["honorific"]
('john smith', ('name.reordered',), 'mr')
>>> split_name("Ludwig van Beethoven")
('ludwig', None, 'van beethoven')
"""

from __future__ import annotations

import re
from typing import Literal

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text, nfkc, strip_punctuation
from crmresolve.normalize._text import fold_accents as _fold

__all__ = ["NamePart", "normalize_name", "parse_name", "split_name"]

NamePart = Literal["full", "given", "surname"]
_PARTS = ("full", "given", "surname")
_MAX_LEN = 100

# Honorifics (matched on the folded, punctuation-free word) -> canonical code.
_HONORIFICS: dict[str, str] = {
    "dr": "dr",
    "doctor": "dr",
    "dres": "dr",
    "drmed": "dr",
    "drphil": "dr",
    "drjur": "dr",
    "drrernat": "dr",
    "dring": "dr",
    "hc": "hc",
    "mult": "hc",
    "mr": "mr",
    "mister": "mr",
    "mrs": "mrs",
    "ms": "ms",
    "miss": "miss",
    "mx": "mx",
    "prof": "prof",
    "professor": "prof",
    "sir": "sir",
    "dame": "dame",
    "lord": "lord",
    "lady": "lady",
    "rev": "rev",
    "revd": "rev",
    "reverend": "rev",
    "herr": "herr",
    "hr": "herr",
    "frau": "frau",
    "fr": "frau",
    "dipl": "dipl",
    "ing": "ing",
    "mag": "mag",
    "univ": "univ",
    "monsieur": "m",
    "mme": "mme",
    "madame": "mme",
    "mlle": "mlle",
    "mademoiselle": "mlle",
    "sr": "sr",
    "senor": "sr",
    "sra": "sra",
    "senora": "sra",
    "srta": "srta",
    "senorita": "srta",
    "dott": "dott",
    "dottssa": "dott",
    "dottoressa": "dott",
    "sigra": "sig",
    "signor": "sig",
    "signora": "sig",
}

# Faculty qualifiers after a doctorate ("Dr. med.", "Dr. rer. nat.", "Dr. med. dent."): which
# word may follow which title. "phil" is left out: "Dr. Phil Meyer" is more often a given name.
_QUALIFIERS: dict[str, frozenset[str]] = {
    "dr": frozenset({"med", "rer", "jur", "oec", "habil", "sc", "techn", "ing", "hc"}),
    "rer": frozenset({"nat", "pol", "oec", "soc"}),
    "med": frozenset({"dent", "vet", "univ"}),
}

# Generational and academic/professional suffixes -> canonical code.
_SUFFIXES: dict[str, str] = {
    "jr": "jr",
    "jnr": "jr",
    "junior": "jr",
    "sr": "sr",
    "snr": "sr",
    "senior": "sr",
    "ii": "ii",
    "2nd": "ii",
    "iii": "iii",
    "3rd": "iii",
    "iv": "iv",
    "4th": "iv",
    "phd": "phd",
    "md": "md",
    "esq": "esq",
    "esquire": "esq",
    "dds": "dds",
    "dmd": "dmd",
    "dvm": "dvm",
    "cpa": "cpa",
    "mba": "mba",
    "msc": "msc",
    "bsc": "bsc",
    "jd": "jd",
    "llm": "llm",
    "rn": "rn",
    "obe": "obe",
    "mbe": "mbe",
    "cbe": "cbe",
    "kbe": "kbe",
    "qc": "qc",
    "kc": "kc",
    "ret": "ret",
}

# Words that start a multi-word surname ("van der Berg", "de la Cruz", "bin Laden").
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "du",
        "des",
        "del",
        "della",
        "dei",
        "di",
        "la",
        "le",
        "lo",
        "der",
        "den",
        "ter",
        "ten",
        "te",
        "vom",
        "zu",
        "zur",
        "bin",
        "ibn",
        "bint",
        "binti",
        "al",
        "el",
        "abu",
        "ben",
        "ap",
    ]
)

# Whole values that are placeholders rather than names (after normalization).
_JUNK_VALUES = frozenset(
    {
        "test",
        "testing",
        "tester",
        "test test",
        "test user",
        "test name",
        "test account",
        "asdf",
        "asd",
        "asdfg",
        "asdfgh",
        "asdfasdf",
        "qwer",
        "qwerty",
        "qwertz",
        "azerty",
        "zxcv",
        "jkl",
        "n a",
        "none",
        "null",
        "nil",
        "nan",
        "undefined",
        "unknown",
        "unkown",
        "unk",
        "tbd",
        "tba",
        "dummy",
        "sample",
        "fake",
        "anonymous",
        "anon",
        "no name",
        "noname",
        "nobody",
        "name",
        "first name",
        "last name",
        "firstname",
        "lastname",
        "first",
        "last",
        "fname",
        "lname",
        "surname",
        "given name",
        "customer",
        "client",
        "user",
        "not provided",
        "not available",
        "not applicable",
        "blank",
        "empty",
        "delete",
        "deleted",
        "do not use",
        "dont use",
        "x",
        "xx",
    }
)
# Words that make a value junk when *every* word is one of them ("Test Test", "Unknown Dummy").
_JUNK_TOKENS = frozenset(
    {"test", "asdf", "unknown", "null", "none", "dummy", "fake", "sample", "tbd", "xxx"}
)

_PAREN_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\"[^\"]*\"|“[^“”]*”|«[^«»]*»")
_PAREN_CHARS_RE = re.compile(r"[()\[\]\"“”«»]")
# "M. Dupont": a capital M with a period at the start of a part is French "Monsieur"; without
# the period it is an initial and stays.
_MONSIEUR_RE = re.compile(r"(?:^|(?<=[,;]))\s*M\.(?=\s)")
_HONORIS_CAUSA_RE = re.compile(r"\bh\.\s?c\.", re.IGNORECASE)
_PART_SPLIT_RE = re.compile(r"[,;]")
_HYPHENS = "-\u2010"
_HYPHEN_RE = re.compile(r"[-\u2010]+")


def _groups(text: str, fold: bool) -> list[list[str]]:
    """Words of ``text`` as hyphen groups: ``"Anne-Marie Dupont"`` -> ``[[anne, marie], [dupont]]``.

    Titles are matched on single words, so the canonical value (words joined by spaces) parses
    back to the same words; the groups only keep hyphenated names together when splitting.
    """
    text = text.casefold()
    if fold:
        text = _fold(text)
    groups = []
    for word in strip_punctuation(text, keep=_HYPHENS).split():
        sub = _HYPHEN_RE.split(word)
        sub = [w for w in sub if w]
        if sub:
            groups.append(sub)
    return groups


def _words(text: str, fold: bool) -> list[str]:
    return [w for g in _groups(text, fold) for w in g]


def _key(word: str) -> str:
    return word if word.isascii() else _fold(word)


def _is_junk(words: list[str], value: str) -> bool:
    if value in _JUNK_VALUES:
        return True
    if all(w in _JUNK_TOKENS for w in words):
        return True
    if all(w.isdigit() for w in words):
        return True
    # keyboard mashing of one repeated character ("xxxx", "aaa")
    return all(len(w) >= 3 and len(set(w)) == 1 for w in words)


def _split_groups(
    groups: list[list[str]],
) -> tuple[str | None, str | None, str | None]:
    if not groups:
        return None, None, None
    if len(groups) == 1:
        return " ".join(groups[0]), None, None
    start = len(groups) - 1
    while start > 1 and len(groups[start - 1]) == 1 and _key(groups[start - 1][0]) in _PARTICLES:
        start -= 1
    middle = " ".join(w for g in groups[1:start] for w in g) or None
    return " ".join(groups[0]), middle, " ".join(w for g in groups[start:] for w in g)


def parse_name(value: object, *, part: NamePart = "full", fold_accents: bool = True) -> Parsed:
    """Normalize a person name and report honorifics, suffixes and data-quality reasons.

    ``part`` says what the field holds: ``"full"`` (reorders ``"Last, First"`` and splits
    into given/middle/surname details), ``"given"`` or ``"surname"``.

    >>> parse_name("  Prof. Dr. Hans-Jürgen Weiß  ").value
    'hans jurgen weiss'
    >>> parse_name("Müller", part="surname", fold_accents=False).value
    'müller'
    >>> parse_name("N/A").reasons
    ('name.junk',)
    """
    if part not in _PARTS:
        raise ValueError(f"part must be one of {_PARTS}")
    fold = fold_accents
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("name.empty",))
    text = nfkc(text)
    reasons: list[str] = []
    details: dict[str, str] = {}

    if "@" in text:
        kept = [w for w in text.split() if "@" not in w]
        reasons.append("name.email_like")
        text = " ".join(kept)

    if any(c in text for c in '(["“«'):
        notes = [m.group(0) for m in _PAREN_RE.finditer(text)]
        if notes:
            text = _PAREN_RE.sub(" ", text)
            note = " ".join(_words(" ".join(notes), fold))
            if note:
                details["note"] = note
    text = _PAREN_CHARS_RE.sub(" ", text)
    if "M." in text:
        text = _MONSIEUR_RE.sub(" monsieur ", text)
    if "." in text:
        text = _HONORIS_CAUSA_RE.sub(" hc ", text)

    parts = [g for g in (_groups(p, fold) for p in _PART_SPLIT_RE.split(text)) if g]
    honorifics: list[str] = []
    suffixes: list[str] = []

    # A later comma part made only of suffixes ("Smith, John, Sr.") is a suffix list; doing
    # this first keeps "Sr." there from being read as the Spanish honorific.
    kept_parts: list[list[list[str]]] = []
    for i, groups in enumerate(parts):
        words = [w for g in groups for w in g]
        if i > 0 and all(_key(w) in _SUFFIXES for w in words):
            suffixes.extend(_SUFFIXES[_key(w)] for w in words)
        else:
            kept_parts.append(groups)
    parts = kept_parts

    stripped: list[list[list[str]]] = []
    for groups in parts:
        previous = ""
        gi = wi = 0  # position of the first word that is not a title
        while gi < len(groups):
            key = _key(groups[gi][wi])
            if key in _QUALIFIERS.get(previous, ()):
                code = key
            elif key in _HONORIFICS:
                code = _HONORIFICS[key]
            else:
                break
            honorifics.append(code)
            previous = code
            wi += 1
            if wi == len(groups[gi]):
                gi, wi = gi + 1, 0
        if gi < len(groups):
            stripped.append([groups[gi][wi:], *groups[gi + 1 :]])
    parts = stripped
    if not parts:
        # punctuation only, or nothing but titles: not a name
        return Parsed(None, (*reasons, "name.junk"), details)

    total = sum(len(g) for p in parts for g in p)
    trailing_by_part: list[list[str]] = []
    for groups in reversed(parts):
        trailing: list[str] = []
        while total > 1 and groups and _key(groups[-1][-1]) in _SUFFIXES:
            trailing.append(_SUFFIXES[_key(groups[-1].pop())])
            total -= 1
            if not groups[-1]:
                groups.pop()
        trailing.reverse()
        trailing_by_part.append(trailing)
    part_suffixes = [code for trailing in reversed(trailing_by_part) for code in trailing]
    suffixes = part_suffixes + suffixes
    parts = [p for p in parts if p]

    if part == "full" and len(parts) == 2:
        ordered = parts[1] + parts[0]
        reasons.append("name.reordered")
    else:
        if part == "full" and len(parts) > 2:
            reasons.append("name.ambiguous_order")
        ordered = [g for p in parts for g in p]
    words = [w for g in ordered for w in g]

    if honorifics:
        details["honorific"] = " ".join(honorifics)
    if suffixes:
        details["suffix"] = " ".join(suffixes)

    canonical = " ".join(words)
    if _is_junk(words, canonical):
        return Parsed(None, (*reasons, "name.junk"), details)

    if any(c.isdigit() for c in canonical):
        reasons.append("name.contains_digits")
    if all(len(w) == 1 for w in words):
        reasons.append("name.initial_only")
    elif part == "full":
        if len(words) == 1:
            reasons.append("name.single_token")
        elif len(words[0]) == 1:
            reasons.append("name.given_initial")
    if len(canonical) > _MAX_LEN:
        reasons.append("name.too_long")

    if part == "full":
        given, middle, surname = _split_groups(ordered)
        for key, val in (("given", given), ("middle", middle), ("surname", surname)):
            if val is not None:
                details[key] = val
    return Parsed(canonical, tuple(reasons), details)


def normalize_name(
    value: object, *, part: NamePart = "full", fold_accents: bool = True
) -> str | None:
    """Canonical name string, or ``None`` when nothing usable is there.

    >>> normalize_name("O'Brien, Mary-Jane"), normalize_name(None), normalize_name("???")
    ('mary jane obrien', None, None)
    """
    return parse_name(value, part=part, fold_accents=fold_accents).value


def split_name(
    value: object, *, fold_accents: bool = True
) -> tuple[str | None, str | None, str | None]:
    """Split a full name into ``(given, middle, surname)``, normalized.

    Surname particles (van, von, de, da, del, di, la, le, van der, de la, bin, al, ...) stay
    with the surname. A single word is taken as the given name.

    >>> split_name("Juan Carlos de la Cruz")
    ('juan', 'carlos', 'de la cruz')
    >>> split_name("Smith, John Paul")
    ('john', 'paul', 'smith')
    >>> split_name("")
    (None, None, None)
    """
    details = parse_name(value, part="full", fold_accents=fold_accents).details
    return details.get("given"), details.get("middle"), details.get("surname")
