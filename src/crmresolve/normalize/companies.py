"""Company names: canonical form without legal form, leading "The" or punctuation.

Steps: NFKC, case-fold, accent-fold; dots inside abbreviations dropped (``L.L.C.`` -> ``llc``,
``G.m.b.H.`` -> ``gmbh``) and other punctuation turned into spaces (apostrophes deleted);
text in parentheses moved to ``details["note"]``; ``&``, ``und``, ``et``, ``y`` between words
unified to ``and``; a leading or trailing ``the`` removed (``"Singer, The"``); legal forms at
the end (``Inc.``, ``GmbH & Co. KG``, ``S.A. de C.V.``, ``Sp. z o.o.``, ... ~80 forms from
``data/legal_forms.csv``) removed repeatedly and reported as canonical codes in
``details["legal_form"]`` (space separated, in written order). A legal form that is the whole
name stays (``"The Company"`` -> ``"company"``).

Reason codes: ``company.empty`` (missing, value ``None``), ``company.junk`` (placeholders such
as ``n/a``, ``none``, ``test``, ``self-employed``, ``retired``, digits or punctuation only;
value ``None``), ``company.legal_form_only`` (the name is just a legal form; value kept).

>>> normalize_company("Acme, Inc."), normalize_company("ACME INCORPORATED")
('acme', 'acme')
>>> p = parse_company("Müller & Söhne GmbH & Co. KG")
>>> p.value, p.details["legal_form"]
('muller and sohne', 'gmbh_co_kg')
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import NamedTuple

from crmresolve.normalize._base import Parsed
from crmresolve.normalize._text import coerce_text, fold_accents, nfkc, strip_punctuation

__all__ = ["normalize_company", "parse_company"]

# A dot right after a lone letter belongs to an abbreviation (L.L.C., S.p.A., e.V.): drop it
# so the letters join; any other dot separates words (Co.Ltd, Amazon.com).
_ABBREV_DOT_RE = re.compile(r"(?<!\w)([^\W\d_])\.")
_PAREN_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_AND_WORDS = frozenset({"and", "und", "et", "y"})
_PLACEHOLDERS = frozenset(
    {
        "n a",
        "na",
        "n",
        "none",
        "null",
        "nil",
        "nan",
        "undefined",
        "unknown",
        "unk",
        "test",
        "testing",
        "test company",
        "tbd",
        "tba",
        "xxx",
        "xx",
        "x",
        "asdf",
        "self",
        "self employed",
        "selfemployed",
        "freelance",
        "freelancer",
        "private",
        "privat",
        "personal",
        "individual",
        "retired",
        "student",
        "unemployed",
        "homemaker",
        "housewife",
        "no company",
        "not applicable",
        "not provided",
        "not available",
        "other",
        "various",
        "dummy",
        "sample",
        "blank",
        "empty",
        "delete",
        "private person",
        "privatperson",
        "the",
    }
)


class _Forms(NamedTuple):
    by_words: dict[tuple[str, ...], str]
    by_compact: dict[str, str]
    max_words: int


def _words(text: str) -> list[str]:
    """Company-name tokenization (shared by names and legal-form variants)."""
    text = fold_accents(nfkc(text).casefold())
    if "." in text:
        text = _ABBREV_DOT_RE.sub(r"\1", text)
    text = text.replace("&", " and ")
    return strip_punctuation(text).split()


@functools.cache
def _forms() -> _Forms:
    raw = resources.files("crmresolve").joinpath("data", "legal_forms.csv").read_text("utf-8")
    lines = [line for line in raw.splitlines() if line.strip() and not line.startswith("#")]
    by_words: dict[tuple[str, ...], str] = {}
    by_compact: dict[str, str] = {}
    for row in list(csv.reader(io.StringIO("\n".join(lines))))[1:]:
        if len(row) < 3:
            continue
        code = row[0].strip()
        for variant in row[2].split("|"):
            words = tuple(_unify_and(_words(variant)))
            if words:
                by_words.setdefault(words, code)
                by_compact.setdefault("".join(words), code)
    return _Forms(by_words, by_compact, max(len(k) for k in by_words))


def _unify_and(words: list[str]) -> list[str]:
    last = len(words) - 1
    return ["and" if w in _AND_WORDS and 0 < i < last else w for i, w in enumerate(words)]


def _match_tail(words: list[str], forms: _Forms) -> tuple[int, str] | None:
    """Longest legal form at the end of ``words`` that leaves at least one word before it."""
    for k in range(min(forms.max_words, len(words) - 1), 0, -1):
        tail = tuple(words[-k:])
        code = forms.by_words.get(tail)
        # Letters spaced out ("S A", "L L C") match their compact form; longer words must
        # match a listed spelling word for word, so "... Ban K" never reads as a form.
        if code is None and all(len(w) <= 2 for w in tail):
            code = forms.by_compact.get("".join(tail))
        if code is not None:
            return k, code
    return None


def parse_company(value: object) -> Parsed:
    """Normalize a company name; legal form(s) and parenthesized notes go to ``details``.

    >>> parse_company("The Boston Consulting Group (BCG)").value
    'boston consulting group'
    >>> parse_company("Société Générale S.A.").details["legal_form"]
    'sa'
    >>> parse_company("GmbH").reasons
    ('company.legal_form_only',)
    """
    text = coerce_text(value)
    if text is None:
        return Parsed(None, ("company.empty",))
    details: dict[str, str] = {}
    if "(" in text or "[" in text:
        notes = [m.group(0) for m in _PAREN_RE.finditer(text)]
        if notes:
            text = _PAREN_RE.sub(" ", text)
            note = " ".join(_words(" ".join(notes)))
            if note:
                details["note"] = note

    words = _unify_and(_words(text))
    if not words:
        return Parsed(None, ("company.junk",), details)

    leading = 0
    while len(words) - leading > 1 and words[leading] == "the":
        leading += 1
    words = words[leading:]

    forms = _forms()
    codes: list[str] = []
    while len(words) > 1:
        if words[-1] in ("and", "the"):  # "Smith &" left by "& Co"; "Singer, The"
            words.pop()
            continue
        found = _match_tail(words, forms)
        if found is None:
            break
        k, code = found
        del words[-k:]
        codes.append(code)
    if codes:
        details["legal_form"] = " ".join(reversed(codes))

    canonical = " ".join(words)
    if canonical in _PLACEHOLDERS or all(w.isdigit() for w in words):
        return Parsed(None, ("company.junk",), details)
    reasons: tuple[str, ...] = ()
    whole = forms.by_words.get(tuple(words))
    if whole is not None:
        reasons = ("company.legal_form_only",)
        details.setdefault("legal_form", whole)
    return Parsed(canonical, reasons, details)


def normalize_company(value: object) -> str | None:
    """Canonical company name, or ``None`` when nothing usable is there.

    >>> normalize_company("Procter and Gamble Co."), normalize_company("N/A")
    ('procter and gamble', None)
    """
    return parse_company(value).value
