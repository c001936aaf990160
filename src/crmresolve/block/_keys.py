"""Key functions: how one feature column becomes a blocking key.

A :class:`KeyFunction` names a feature column and a transform (``exact``, ``soundex``,
``prefix``, ...). Transforms run once per *distinct* column value, never per record, so a phonetic
code of a surname shared by 10 000 records is computed once.

>>> soundex("surname").name, prefix("surname", 3).name, digits("phone", last=7).name
('soundex(surname)', 'prefix(surname, 3)', 'digits(phone, last=7)')
>>> soundex("surname").apply("Smyth"), initial("given_name").apply("anna")
('S530', 'a')
>>> exact("surname").apply("unknown") is None  # junk values never form a key
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jellyfish

__all__ = [
    "JUNK_VALUES",
    "KEY_KINDS",
    "ROLE_EMAIL_LOCALS",
    "KeyFunction",
    "clean_value",
    "digits",
    "email_local",
    "exact",
    "half",
    "initial",
    "initials",
    "is_junk",
    "match_rating",
    "metaphone",
    "nysiis",
    "prefix",
    "rare_token",
    "sorted_tokens",
    "soundex",
    "year",
]

#: Placeholder values that people type into CRM fields when they have no real value. Blocking on
#: them would put unrelated records together, so they never form a key (compared lower-cased and
#: stripped). Kept deliberately small: real surnames such as "Na" or "No" must survive.
JUNK_VALUES: frozenset[str] = frozenset(
    {
        "-",
        "--",
        "---",
        ".",
        "?",
        "??",
        "n/a",
        "n.a.",
        "nil",
        "none",
        "null",
        "nan",
        "unknown",
        "unk",
        "test",
        "testing",
        "tbd",
        "tba",
        "xx",
        "xxx",
        "xxxx",
        "dummy",
        "asdf",
        "not available",
        "not applicable",
        "no email",
        "noemail",
        "nomail",
        "no-reply",
        "noreply",
        "test@test.com",
        "test@example.com",
        "example@example.com",
        "email@email.com",
        "none@none.com",
        "noemail@noemail.com",
        "no@email.com",
        "na@na.com",
        "1900-01-01",
        "0001-01-01",
    }
)

#: Shared role mailboxes: ``email_local`` on ``info@a.com`` and ``info@b.com`` says nothing about
#: the person, so these local parts give no ``email_local`` key (the full address still can).
ROLE_EMAIL_LOCALS: frozenset[str] = frozenset(
    {
        "admin",
        "contact",
        "enquiries",
        "hello",
        "info",
        "mail",
        "office",
        "post",
        "reception",
        "sales",
        "service",
        "support",
        "team",
    }
)

_NON_DIGIT = re.compile(r"\D+")
_TOKEN_SPLIT = re.compile(r"[\W_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_HAS_ALNUM = re.compile(r"[^\W_]")
_NOT_LETTER = re.compile(r"[^\w ]|[\d_]")  # keeps letters and spaces
# Ascending/descending runs ("1234567", "9876543") are typed as fake phone numbers.
_RUNS = "01234567890123456789"
_RUNS_DOWN = _RUNS[::-1]


def is_junk(value: str) -> bool:
    """Whether ``value`` is a placeholder that must never form a blocking key.

    Junk: an entry of :data:`JUNK_VALUES`, a value without any letter or digit, or a number
    (digits and punctuation only) that is one digit repeated (five or more: ``00000``) or whose
    last seven digits are one repeated digit or an ascending/descending run (``+1 111 111 1111``,
    ``+49 123456789``), so a country code does not hide a fake phone number.

    >>> [is_junk(v) for v in ["N/A", "  -  ", "00000", "+49 1111 11111", "12345678", "smith"]]
    [True, True, True, True, True, False]
    >>> is_junk("+41 44 668 18 00"), is_junk("1980-01-01")
    (False, False)
    """
    text = value.strip().lower()
    if text in JUNK_VALUES:
        return True
    if text[:1].isalpha():  # names and e-mails: the common case, decided without a regex
        return False
    dig = text[1:] if text[:1] == "+" else text
    if not dig.isdigit():  # fast path above covers E.164 phones
        if _HAS_LETTER.search(text):
            return False
        if not _HAS_ALNUM.search(text):
            return True
        dig = _NON_DIGIT.sub("", text)
    if len(dig) >= 5 and dig == dig[0] * len(dig):
        return True
    tail = dig[-7:]
    return len(tail) == 7 and (tail == tail[0] * 7 or tail in _RUNS or tail in _RUNS_DOWN)


def clean_value(value: Any, *, drop_junk: bool = True) -> str | None:
    """``value`` as text, or ``None`` when it is missing, blank or (with ``drop_junk``) junk.

    >>> clean_value(" x "), clean_value("  "), clean_value("N/A"), clean_value(12)
    (' x ', None, None, '12')
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if drop_junk:
        return None if is_junk(text) else text  # is_junk also rejects blank text
    return text if text.strip() else None


def _exact(value: str, arg: int | None) -> str | None:
    return value


def _phonetic(fn: Callable[[str], str]) -> Callable[[str, int | None], str | None]:
    def transform(value: str, arg: int | None) -> str | None:
        # Phonetic codes of digit-only or punctuation-only strings are meaningless ("1000").
        letters = value if value.isalpha() else _NOT_LETTER.sub("", value).strip()
        if not letters:
            return None
        try:
            code = fn(letters)
        except ValueError:  # jellyfish rejects some non-alphabetic input (match rating)
            return None
        return code or None

    return transform


def _prefix(value: str, arg: int | None) -> str | None:
    return value.strip()[: arg or 1]


def _initial(value: str, arg: int | None) -> str | None:
    for ch in value:
        if ch.isalnum():
            return ch
    return None


def _email_local(value: str, arg: int | None) -> str | None:
    local, at, _domain = value.partition("@")
    if not at:
        local = value  # already a local part (the email_local feature)
    # Sub-addressing ("anna+crm@x") is the same mailbox.
    local = local.split("+", 1)[0].strip().lower()
    if not local or local in ROLE_EMAIL_LOCALS or is_junk(local):
        return None
    return local


def _digits(value: str, arg: int | None) -> str | None:
    dig = _NON_DIGIT.sub("", value)
    if not dig or (arg is not None and len(dig) < arg):
        return None  # too short to identify anything at the requested length
    key = dig if arg is None else dig[-arg:]
    return None if is_junk(key) else key


#: Codes shorter than this give no half key: halves of two characters would block too much.
HALF_MIN_LENGTH = 6


def _half(value: str, arg: int | None) -> str | None:
    code = _TOKEN_SPLIT.sub("", value)  # letters and digits only
    if len(code) < HALF_MIN_LENGTH:
        return None
    cut = (len(code) + 1) // 2
    key = code[:cut] if (arg or 1) == 1 else code[cut:]
    # All zeros is the padding of short numbers ("00001234"), shared by all of them.
    return None if not key.strip("0") or is_junk(key) else key


def _tokens(value: str, min_tokens: int | None) -> list[str] | None:
    text = value.lower()
    # str.split is several times faster than the regex for the common "anna berg" shape
    plain = text.replace(" ", "").isalnum()
    tokens = text.split() if plain else [t for t in _TOKEN_SPLIT.split(text) if t]
    return tokens if tokens and len(tokens) >= (min_tokens or 1) else None


def _sorted_tokens(value: str, arg: int | None) -> str | None:
    tokens = _tokens(value, arg)
    return None if tokens is None else " ".join(sorted(tokens))


def _initials(value: str, arg: int | None) -> str | None:
    tokens = _tokens(value, arg)
    return None if tokens is None else "".join(sorted(t[0] for t in tokens))


def _rare_tokens(texts: Sequence[str], rank: int) -> list[str | None]:
    """Per value, its ``rank``-th rarest word among the words shared with another value.

    Rarity is the number of distinct values holding the word; ties go by the word itself so the
    key does not depend on row order. Words of one value only cannot pair anything and are
    skipped; one-character words are too ambiguous to key on.
    """
    token_sets = []
    for text in texts:
        tokens = _tokens(text, None) or []
        token_sets.append(sorted({t for t in tokens if len(t) > 1}))
    df: dict[str, int] = {}
    for tokens in token_sets:
        for t in tokens:
            df[t] = df.get(t, 0) + 1
    out: list[str | None] = []
    for tokens in token_sets:
        shared = sorted((df[t], t) for t in tokens if df[t] > 1)
        out.append(shared[rank - 1][1] if len(shared) >= rank else None)
    return out


def _year(value: str, arg: int | None) -> str | None:
    text = value.strip()
    head = text[:4]
    return head if len(head) == 4 and head.isdigit() and head != "0000" else None


_TRANSFORMS: dict[str, Callable[[str, int | None], str | None]] = {
    "exact": _exact,
    "soundex": _phonetic(jellyfish.soundex),
    "metaphone": _phonetic(jellyfish.metaphone),
    "nysiis": _phonetic(jellyfish.nysiis),
    "match_rating": _phonetic(jellyfish.match_rating_codex),
    "prefix": _prefix,
    "initial": _initial,
    "email_local": _email_local,
    "digits": _digits,
    "half": _half,
    "year": _year,
    "sorted_tokens": _sorted_tokens,
    "initials": _initials,
    "rare_token": _exact,  # needs the whole column: see _rare_tokens
}

#: Every key kind, in the order documented.
KEY_KINDS: tuple[str, ...] = tuple(_TRANSFORMS)

# Name of the integer argument in names and in to_dict(), per kind that takes one.
_ARG_NAMES: dict[str, str] = {
    "prefix": "length",
    "digits": "last",
    "half": "part",
    "sorted_tokens": "min_tokens",
    "initials": "min_tokens",
    "rare_token": "rank",
}


@dataclass(frozen=True)
class KeyFunction:
    """One component of a blocking key: ``kind`` applied to feature ``column``.

    Build them with the helpers (:func:`exact`, :func:`soundex`, :func:`prefix`, ...).
    ``arg`` is the prefix length or the number of trailing digits.

    >>> KeyFunction.from_dict(prefix("surname", 3).to_dict()) == prefix("surname", 3)
    True
    """

    kind: str
    column: str
    arg: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _TRANSFORMS:
            raise ValueError(f"unknown key kind {self.kind!r}; expected one of {KEY_KINDS}")
        if not isinstance(self.column, str) or not self.column:
            raise ValueError("a key needs a feature column name")
        if self.kind == "prefix" and (self.arg is None or self.arg < 1):
            raise ValueError("prefix() needs a length >= 1")
        if self.kind in ("digits", "sorted_tokens", "initials", "rare_token") and (
            self.arg is not None and self.arg < 1
        ):
            raise ValueError(f"{self.kind}(): the argument must be >= 1")
        if self.kind == "half" and self.arg not in (1, 2):
            raise ValueError("half() needs part 1 or 2")
        if self.kind not in _ARG_NAMES and self.arg is not None:
            raise ValueError(f"key kind {self.kind!r} takes no argument")

    @property
    def name(self) -> str:
        """Readable name, e.g. ``surname``, ``soundex(surname)``, ``prefix(surname, 3)``."""
        if self.kind == "exact":
            return self.column
        if self.kind == "prefix":
            return f"prefix({self.column}, {self.arg})"
        if (
            self.kind in ("digits", "half", "sorted_tokens", "initials", "rare_token")
            and self.arg is not None
        ):
            return f"{self.kind}({self.column}, {_ARG_NAMES[self.kind]}={self.arg})"
        return f"{self.kind}({self.column})"

    def apply(self, value: Any, *, drop_junk: bool = True) -> str | None:
        """The key of one value (``None``: no key). Missing, empty and junk values give no key.

        >>> digits("phone", last=7).apply("+41 44 668 18 00"), year("dob").apply("1980-02-29")
        ('6681800', '1980')
        """
        text = clean_value(value, drop_junk=drop_junk)
        return None if text is None else self.key_of_clean(text)

    def key_of_clean(self, text: str) -> str | None:
        """The key of a value already passed through :func:`clean_value`."""
        return self.keys_of_clean([text])[0]

    def keys_of_clean(self, texts: Sequence[str]) -> list[str | None]:
        """Keys of many cleaned values (the batch path: one call per distinct column value)."""
        if self.kind == "exact":
            return list(texts)
        if self.kind == "rare_token":
            return _rare_tokens(texts, self.arg or 1)
        fn, arg = _TRANSFORMS[self.kind], self.arg
        # Every transform returns a non-blank key or None/"" (mapped to None here).
        return [fn(t, arg) or None for t in texts]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, e.g. ``{"kind": "prefix", "column": "surname", "length": 3}``."""
        out: dict[str, Any] = {"kind": self.kind, "column": self.column}
        if self.arg is not None:
            out[_ARG_NAMES[self.kind]] = self.arg
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyFunction:
        """Inverse of :meth:`to_dict`."""
        kind = str(data["kind"])
        arg_name = _ARG_NAMES.get(kind)
        arg = data.get(arg_name) if arg_name else None
        unknown = set(data) - {"kind", "column"} - ({arg_name} if arg_name else set())
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)} for key kind {kind!r}")
        return cls(kind, str(data["column"]), None if arg is None else int(arg))


def exact(column: str) -> KeyFunction:
    """The value itself (already normalized by the features stage)."""
    return KeyFunction("exact", column)


def soundex(column: str) -> KeyFunction:
    """American Soundex code (``smith``, ``smyth`` → ``S530``)."""
    return KeyFunction("soundex", column)


def metaphone(column: str) -> KeyFunction:
    """Metaphone code (``knight`` → ``NT``)."""
    return KeyFunction("metaphone", column)


def nysiis(column: str) -> KeyFunction:
    """NYSIIS code (``macdonald`` → ``MCDANALD``)."""
    return KeyFunction("nysiis", column)


def match_rating(column: str) -> KeyFunction:
    """Match Rating Approach codex (``catherine`` → ``CTHRN``)."""
    return KeyFunction("match_rating", column)


def prefix(column: str, length: int) -> KeyFunction:
    """The first ``length`` characters (shorter values are their own key)."""
    return KeyFunction("prefix", column, length)


def initial(column: str) -> KeyFunction:
    """The first letter or digit."""
    return KeyFunction("initial", column)


def email_local(column: str = "email") -> KeyFunction:
    """Local part of an e-mail, lower-cased, without ``+tag``; role mailboxes give no key.

    Works on a full address or on the ``email_local`` feature.

    >>> email_local("email").apply("Anna.Berg+crm@example.org"), email_local().apply("info@x.ch")
    ('anna.berg', None)
    """
    return KeyFunction("email_local", column)


def digits(column: str, *, last: int | None = None) -> KeyFunction:
    """The digits of the value; with ``last`` only the trailing ``last`` digits (values with
    fewer digits give no key), which ignores country/trunk prefixes of phone numbers."""
    return KeyFunction("digits", column, last)


def half(column: str, part: int) -> KeyFunction:
    """The first (``part=1``) or second (``part=2``) half of a code's letters and digits; codes
    shorter than six give no key.

    Two codes of one length that differ in one character agree on one of their halves, so the
    two halves together block identifiers with a typo (a social-security or customer number)
    that the exact key misses. For an odd length the first half is the longer one.

    >>> half("identifier", 1).apply("765-7500"), half("identifier", 2).apply("765-7050")
    ('7657', '050')
    >>> half("identifier", 1).apply("12345") is None, half("identifier", 2).name
    (True, 'half(identifier, part=2)')
    """
    return KeyFunction("half", column, part)


def sorted_tokens(column: str, *, min_tokens: int | None = None) -> KeyFunction:
    """The words, lower-cased, in sorted order: swapped name fields and reordered company words
    agree. With ``min_tokens`` values with fewer words give no key (a lone "smith" in
    ``full_name`` would otherwise block with every other lone "smith").

    >>> key = sorted_tokens("full_name", min_tokens=2)
    >>> key.apply("Dent, Bailee"), key.apply("bailee dent"), key.apply("dent"), key.name
    ('bailee dent', 'bailee dent', None, 'sorted_tokens(full_name, min_tokens=2)')
    """
    return KeyFunction("sorted_tokens", column, min_tokens)


def initials(column: str, *, min_tokens: int | None = None) -> KeyFunction:
    """The first letters of the words, sorted (``anna maria berg`` → ``abm``); ``min_tokens`` as
    for :func:`sorted_tokens`."""
    return KeyFunction("initials", column, min_tokens)


def rare_token(column: str, rank: int = 1) -> KeyFunction:
    """The ``rank``-th rarest word of the value among the words it shares with *other* values of
    the column (free text, company names): records sharing an unusual word block together, in
    whatever position and company of other words. Several ranks are several rules.

    The key depends on the whole column, so :meth:`KeyFunction.apply` on one value alone (no
    other value to share a word with) gives no key; blocking computes it over the column.

    >>> key = rare_token("company")
    >>> key.keys_of_clean(["acme berg", "berg acme ag", "acme lind", "lind acme", "acme"])
    ['berg', 'berg', 'lind', 'lind', 'acme']
    >>> key.name, rare_token("text", 2).name
    ('rare_token(company)', 'rare_token(text, rank=2)')
    """
    return KeyFunction("rare_token", column, None if rank == 1 else rank)


def year(column: str) -> KeyFunction:
    """The year of an ISO date (``1980-02-29`` → ``1980``)."""
    return KeyFunction("year", column)
