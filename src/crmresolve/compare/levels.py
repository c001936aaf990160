"""Comparison levels: small named tests that say *how* two records agree on a field.

Each level is a frozen dataclass with a readable :meth:`~Level.label` and a vectorised
:meth:`~Level.evaluate` returning one boolean per candidate pair. A
:class:`~crmresolve.compare.Comparison` stacks levels from the closest agreement down to
:class:`Else`; the first level that holds for a pair decides its gamma value.

Levels never see a Python object per pair: they read ``int32`` codes and per-distinct-value
tables from a :class:`~crmresolve.compare._batch.PairBatch`. A level returns ``False`` where a
column it reads is missing on either side.

>>> import numpy as np
>>> from crmresolve.compare._batch import FeatureCache, PairBatch
>>> feats = {"given_name": np.array(["j", "john", "jon"], dtype=object)}
>>> pairs = PairBatch(FeatureCache(feats), np.array([0, 1]), np.array([1, 2]))
>>> InitialMatch("given_name").evaluate(pairs).tolist()
[True, False]
>>> JaroWinklerAtLeast("given_name", 0.92).evaluate(pairs).tolist()
[False, True]
>>> level_from_dict(JaroWinklerAtLeast("given_name", 0.92).to_dict())
JaroWinklerAtLeast(column='given_name', threshold=0.92)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import itertools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, NamedTuple, cast

import jellyfish
import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import cpdist

from crmresolve.compare._batch import (
    BoolArray,
    CodeArray,
    FloatArray,
    IntArray,
    ObjArray,
    PairBatch,
    _popcount,
    factorize,
    parse_iso_date,
    per_unique,
)
from crmresolve.roles import ITEM_SEPARATOR
from crmresolve.table import notnull

__all__ = [
    "LEVEL_TYPES",
    "AllOf",
    "DamerauLevenshteinAtMost",
    "DateOutsideYears",
    "DateWithin",
    "DayMonthTransposed",
    "Else",
    "EmailDomainMatch",
    "EmailLocalMatch",
    "EmailLocalSpellsName",
    "EmailNumberedVariant",
    "ExactMatch",
    "HouseNumberAndStreet",
    "InitialMatch",
    "ItemsSharedAtLeast",
    "JaccardAtLeast",
    "JaroWinklerAtLeast",
    "Level",
    "LevenshteinAtMost",
    "NicknameMatch",
    "PhoneLastDigits",
    "PhoneticMatch",
    "PrefixMatch",
    "SwappedNames",
    "TokenSetRatioAtLeast",
    "YearMonthMatch",
    "level_from_dict",
]

#: Every level class by its serialised ``type`` name.
LEVEL_TYPES: dict[str, type[Level]] = {}

PHONETIC_ALGORITHMS: Final[Mapping[str, Callable[[str], str]]] = {
    "metaphone": jellyfish.metaphone,
    "soundex": jellyfish.soundex,
    "nysiis": jellyfish.nysiis,
}


def _on(text: str, column: str, primary: str | None) -> str:
    """Name the column in a label only when it is not the comparison's own column."""
    return text if column == primary else f"{text} ({column})"


def _check_unit(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0 and not math.isnan(value)):
        raise ValueError(f"{name} must be a number between 0 and 1")


def _check_count(name: str, value: int, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}")


def _check_column(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError("column names must be non-empty strings")


class Level(ABC):
    """One agreement level. Subclasses are frozen dataclasses registered by class name."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # shared bases are no level types
            LEVEL_TYPES[cls.__name__] = cls

    @property
    @abstractmethod
    def columns(self) -> tuple[str, ...]:
        """Feature keys the level reads."""

    @abstractmethod
    def evaluate(self, pairs: PairBatch) -> BoolArray:
        """``True`` where the pair agrees at this level (never where a needed value is missing)."""

    @abstractmethod
    def label(self, primary: str | None = None) -> str:
        """Readable name; ``primary`` is the comparison's main column (not repeated)."""

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        """``(column, metric, threshold)`` for each similarity the level tests against.

        A comparison declares the lowest threshold per metric so similarities far below it
        need not be computed exactly.
        """
        return ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, ``{"type": <class name>, <field>: <value>, ...}``."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(cast(Any, self)):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [v.to_dict() if isinstance(v, Level) else v for v in value]
            out[f.name] = value
        return out

    @classmethod
    def _from_params(cls, params: dict[str, Any]) -> Level:
        return cls(**params)


class _OneColumn(Level):
    """A level on one feature column (``column``, declared by each subclass)."""

    column: str

    def __post_init__(self) -> None:
        _check_column(self.column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)


def level_from_dict(data: Mapping[str, Any]) -> Level:
    """Rebuild a level from :meth:`Level.to_dict` output."""
    kind = data.get("type")
    cls = LEVEL_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown comparison level type {kind!r}")
    params = {k: v for k, v in data.items() if k != "type"}
    names = {f.name for f in dataclasses.fields(cast(Any, cls))}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"level {kind}: unknown parameters {unknown}")
    return cls._from_params(params)


# --- exact and string similarity ---------------------------------------------------------


@dataclass(frozen=True)
class ExactMatch(_OneColumn):
    """Both values equal.

    >>> ExactMatch("email").label("email"), ExactMatch("email_local").label("email")
    ('exact match', 'exact match (email_local)')
    """

    column: str

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return pairs.equal(self.column)

    def label(self, primary: str | None = None) -> str:
        return _on("exact match", self.column, primary)


@dataclass(frozen=True)
class JaroWinklerAtLeast(_OneColumn):
    """Jaro-Winkler similarity (prefix weight 0.1) at least ``threshold``."""

    column: str
    threshold: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unit("threshold", self.threshold)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return _at_least(pairs.metric(self.column, "jaro_winkler"), self.threshold)

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        return ((self.column, "jaro_winkler", float(self.threshold)),)

    def label(self, primary: str | None = None) -> str:
        return _on(f"jaro-winkler >= {self.threshold:g}", self.column, primary)


@dataclass(frozen=True)
class TokenSetRatioAtLeast(_OneColumn):
    """rapidfuzz ``token_set_ratio`` / 100 at least ``threshold``.

    Word order does not matter and a value whose words are a subset of the other's scores 1.0
    (``"smith john"`` vs ``"john a smith"``).
    """

    column: str
    threshold: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unit("threshold", self.threshold)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return _at_least(pairs.metric(self.column, "token_set_ratio"), self.threshold)

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        return ((self.column, "token_set_ratio", float(self.threshold)),)

    def label(self, primary: str | None = None) -> str:
        return _on(f"token set ratio >= {self.threshold:g}", self.column, primary)


@dataclass(frozen=True)
class JaccardAtLeast(_OneColumn):
    """Jaccard similarity of the whitespace-separated word sets at least ``threshold``."""

    column: str
    threshold: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_unit("threshold", self.threshold)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return _at_least(pairs.metric(self.column, "jaccard"), self.threshold)

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        return ((self.column, "jaccard", float(self.threshold)),)

    def label(self, primary: str | None = None) -> str:
        return _on(f"token jaccard >= {self.threshold:g}", self.column, primary)


@dataclass(frozen=True)
class LevenshteinAtMost(_OneColumn):
    """At most ``distance`` single-character insertions, deletions or substitutions."""

    column: str
    distance: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("distance", self.distance)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        if self.distance == 0:
            return pairs.equal(self.column)
        if self.distance == 1:
            return pairs.within_one_edit(self.column)
        return _at_most(pairs.metric(self.column, "levenshtein", self.distance), self.distance)

    def label(self, primary: str | None = None) -> str:
        return _on(f"levenshtein <= {self.distance}", self.column, primary)


@dataclass(frozen=True)
class DamerauLevenshteinAtMost(_OneColumn):
    """Like :class:`LevenshteinAtMost`, but swapping two characters also counts as one edit.

    ``min_length`` > 0 asks both values to be at least that long: two edits in a 7-digit
    code leave most of it intact, in a 3-digit one they leave almost nothing.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> f = {"id": np.array(["1234567", "1234657", "1294657", "123", "321"], dtype=object)}
    >>> pairs = PairBatch(FeatureCache(f), np.array([0, 0, 3]), np.array([1, 2, 4]))
    >>> DamerauLevenshteinAtMost("id", 2, min_length=6).evaluate(pairs).tolist()
    [True, True, False]
    """

    column: str
    distance: int
    min_length: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("distance", self.distance)
        _check_count("min_length", self.min_length)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        if self.distance == 0:
            return pairs.equal(self.column)
        d = pairs.metric(self.column, "damerau_levenshtein", self.distance)
        out = _at_most(d, self.distance)
        if self.min_length:
            ll, lr = pairs.lookup(self.column, "length", _length_table)
            out &= np.minimum(ll, lr) >= self.min_length
        return out

    def label(self, primary: str | None = None) -> str:
        text = f"damerau-levenshtein <= {self.distance}"
        if self.min_length:
            text += f" (>= {self.min_length} characters)"
        return _on(text, self.column, primary)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if not self.min_length:
            del out["min_length"]  # files written before the field existed stay identical
        return out


@dataclass(frozen=True)
class PrefixMatch(_OneColumn):
    """The first ``length`` characters agree (both values at least that long)."""

    column: str
    length: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("length", self.length, 1)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        n = self.length

        def build(uniques: ObjArray) -> CodeArray:
            prefixes = (u[:n] if len(u) >= n else None for u in uniques)
            return _with_missing(factorize(prefixes, len(uniques)))

        kl, kr = pairs.lookup(self.column, f"prefix{n}", build)
        return _same_key(kl, kr)

    def label(self, primary: str | None = None) -> str:
        return _on(f"first {self.length} characters match", self.column, primary)


@dataclass(frozen=True)
class PhoneticMatch(_OneColumn):
    """Same phonetic key (``metaphone``, ``soundex`` or ``nysiis`` from jellyfish)."""

    column: str
    algorithm: str = "metaphone"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.algorithm not in PHONETIC_ALGORITHMS:
            raise ValueError(
                f"unknown phonetic algorithm {self.algorithm!r}; "
                f"expected one of {', '.join(PHONETIC_ALGORITHMS)}"
            )

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        encode = PHONETIC_ALGORITHMS[self.algorithm]

        def build(uniques: ObjArray) -> CodeArray:
            return _with_missing(factorize((_phonetic(encode, u) for u in uniques), len(uniques)))

        kl, kr = pairs.lookup(self.column, f"phonetic:{self.algorithm}", build)
        return _same_key(kl, kr)

    def label(self, primary: str | None = None) -> str:
        return _on(f"{self.algorithm} match", self.column, primary)


# --- names -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NicknameMatch(Level):
    """Given names standing for the same formal name (``bob`` ~ ``robert``).

    Compares ``canonical_column`` (one representative formal name per record, filled by the
    features stage). Without that column it derives the representative from ``column`` with
    ``crmresolve.normalize.nicknames.canonical_given_name``, once per distinct name.

    Only equal representatives match: the sets of *possible* formal names are broad
    (``al`` may be albert, alan, alex, ...), and intersecting them would turn this level into
    a loose one.
    """

    column: str = "given_name"
    canonical_column: str = "given_name_canonical"

    def __post_init__(self) -> None:
        _check_column(self.column)
        _check_column(self.canonical_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.canonical_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        if pairs.has(self.canonical_column):
            return pairs.equal(self.canonical_column)
        nick = _nickname_module()
        if nick is None:
            return np.zeros(pairs.n, dtype=bool)
        canonical: Callable[[str], str] = nick.canonical_given_name

        def build(uniques: ObjArray) -> CodeArray:
            keys = (_safe(canonical, u) or None for u in uniques)
            return _with_missing(factorize(keys, len(uniques)))

        kl, kr = pairs.lookup(self.column, "nickname:canonical", build)
        return _same_key(kl, kr)

    def label(self, primary: str | None = None) -> str:
        return _on("nickname match", self.column, primary)


@dataclass(frozen=True)
class InitialMatch(_OneColumn):
    """One side is a single letter that starts the other side (``j`` ~ ``john``)."""

    column: str

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        ll, lr = pairs.lookup(self.column, "length", _length_table)
        fl, fr = pairs.lookup(self.column, "first_char", _first_char_table)
        out: BoolArray = ((ll == 1) | (lr == 1)) & (fl == fr) & (fl >= 0)
        return out

    def label(self, primary: str | None = None) -> str:
        return _on("initial match", self.column, primary)


@dataclass(frozen=True)
class SwappedNames(Level):
    """Given name and surname swapped between the records (``john smith`` ~ ``smith john``).

    With ``typo``, a swap whose one crossing is exact and the other one typo apart also counts
    (``ryna chloe`` ~ ``chloe ryan``): one Damerau-Levenshtein edit between names of at least
    four letters, and neither name a prefix of the other, because a surname that extends a
    given name is a patronymic (``peter frank`` vs ``frank peters``), not a typo.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> f = {"given_name": np.array(["ryna", "chloe", "peter", "frank"], dtype=object),
    ...      "surname": np.array(["chloe", "ryan", "frank", "peters"], dtype=object)}
    >>> pairs = PairBatch(FeatureCache(f), np.array([0, 2]), np.array([1, 3]))
    >>> SwappedNames(typo=True).evaluate(pairs).tolist(), SwappedNames().evaluate(pairs).tolist()
    ([True, False], [False, False])
    """

    given_column: str = "given_name"
    surname_column: str = "surname"
    typo: bool = False

    def __post_init__(self) -> None:
        _check_column(self.given_column)
        _check_column(self.surname_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.given_column, self.surname_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        (gl, gr), (sl, sr) = pairs.shared_codes(self.columns)
        present = (gl >= 0) & (sl >= 0) & (gr >= 0) & (sr >= 0)
        cross_given, cross_surname = gl == sr, sl == gr
        # Names already equal in order are no swap, whatever their crossings.
        self._compound_crossings(
            pairs, present & ((gl != gr) | (sl != sr)), cross_given, cross_surname
        )
        out: BoolArray = present & cross_given & cross_surname
        if not self.typo:
            return out
        # Exactly one crossing exact; names already equal in order are no swap.
        one = np.flatnonzero(present & (cross_given != cross_surname) & (gl != gr) & (sl != sr))
        if one.size:
            given = pairs.cache.features[self.given_column]
            surname = pairs.cache.features[self.surname_column]
            left, right = pairs.left[one], pairs.right[one]
            # The other crossing: left's surname vs right's given name, or the reverse.
            flip = cross_given[one]
            a = np.where(flip, surname[left], given[left])
            b = np.where(flip, given[right], surname[right])
            out[one] = _one_typo_not_prefix(a, b)
        return out

    def _compound_crossings(
        self,
        pairs: PairBatch,
        candidates: BoolArray,
        cross_given: BoolArray,
        cross_surname: BoolArray,
    ) -> None:
        """Count a crossing as exact where a compound surname met as a given name is its
        first word (``graham jones`` ~ ``graham``): the given-name feature keeps one word, so
        a swapped ``graham-jones`` arrives as ``graham``. Updates the crossings in place."""
        head_l, head_r = pairs.lookup(self.surname_column, "first_word_of_compound", _heads)
        given = pairs.cache.features[self.given_column]
        for cross, head, side in (
            (cross_given, head_r, pairs.left),
            (cross_surname, head_l, pairs.right),
        ):
            todo = np.flatnonzero(candidates & ~cross & notnull(head))
            if todo.size:
                cross[todo] = np.equal(given[side[todo]], head[todo])

    def label(self, primary: str | None = None) -> str:
        if self.typo:
            return "given name and surname swapped (one typo allowed)"
        return "given name and surname swapped"


# --- dates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateWithin(_OneColumn):
    """Two valid ISO dates at most ``days`` apart."""

    column: str
    days: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("days", self.days)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        ol, orr = _date_lookup(pairs, self.column, _ORDINAL)
        out: BoolArray = (ol >= 0) & (orr >= 0) & (np.abs(ol - orr) <= self.days)
        return out

    def label(self, primary: str | None = None) -> str:
        return _on(f"within {self.days} days", self.column, primary)


@dataclass(frozen=True)
class DayMonthTransposed(_OneColumn):
    """Same year with day and month swapped (``1984-03-12`` ~ ``1984-12-03``)."""

    column: str

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        al, ar = _date_lookup(pairs, self.column, _YMD)
        _, sr = _date_lookup(pairs, self.column, _DMY)
        # One date read with day and month swapped is the other (and they differ).
        out: BoolArray = (al == sr) & (al != ar) & (al > 0)
        return out

    def label(self, primary: str | None = None) -> str:
        return _on("day and month transposed", self.column, primary)


@dataclass(frozen=True)
class YearMonthMatch(_OneColumn):
    """Two valid dates in the same year and month."""

    column: str

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        al, ar = _date_lookup(pairs, self.column, _YM)
        out: BoolArray = (al == ar) & (al > 0)
        return out

    def label(self, primary: str | None = None) -> str:
        return _on("same year and month", self.column, primary)


@dataclass(frozen=True)
class DateOutsideYears(_OneColumn):
    """Either side is a valid date whose year is outside ``earliest..latest`` (``latest``
    ``None`` = the current year).

    Not an agreement level: :class:`~crmresolve.compare.Comparison` uses it as an
    ``unusable`` test, so that a birth date in the year 6003 or 1046 (a mangled entry) counts
    as missing instead of as a different date of birth.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> f = {"dob": np.array(["1950-01-02", "6003-10-19", "1046-03-19", None], dtype=object)}
    >>> pairs = PairBatch(FeatureCache(f), np.array([0, 0, 0]), np.array([1, 2, 3]))
    >>> DateOutsideYears("dob", 1875).evaluate(pairs).tolist()
    [True, True, False]
    """

    column: str
    earliest: int = 1875
    latest: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("earliest", self.earliest, 1)
        if self.latest is not None:
            _check_count("latest", self.latest, self.earliest)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        al, ar = _date_lookup(pairs, self.column, _YMD)
        latest = self.latest if self.latest is not None else dt.date.today().year
        lo, hi = self.earliest * 10000, latest * 10000 + 1231

        def outside(ymd: CodeArray) -> BoolArray:
            out: BoolArray = (ymd > 0) & ((ymd < lo) | (ymd > hi))
            return out

        return outside(al) | outside(ar)

    def label(self, primary: str | None = None) -> str:
        latest = "now" if self.latest is None else str(self.latest)
        return _on(f"a year outside {self.earliest}..{latest}", self.column, primary)


# --- e-mail, phone, address --------------------------------------------------------------


@dataclass(frozen=True)
class EmailLocalMatch(Level):
    """Same e-mail local part (the part before ``@``), whatever the domain.

    Reads ``column`` when the features have it, else splits ``email_column``.
    """

    column: str = "email_local"
    email_column: str = "email"

    def __post_init__(self) -> None:
        _check_column(self.column)
        _check_column(self.email_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.email_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return _email_part(pairs, self.column, self.email_column, local=True)

    def label(self, primary: str | None = None) -> str:
        return "local part match"


@dataclass(frozen=True)
class EmailNumberedVariant(_OneColumn):
    """Two addresses at one domain whose local parts differ in their digits and otherwise at
    most in separators (``maria.rodriguez1@x`` vs ``maria.rodriguez3@x``, ``f.wagner@x`` vs
    ``f_wagner8@x``).

    A mail provider numbers a name that is already taken, so such addresses usually belong to
    two people of one name: no evidence of one person.
    :func:`~crmresolve.compare.email_comparison` lists it as ``unusable``: the pair counts as
    missing instead of reaching the one-typo level.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> f = {"email": np.array(["ann.lee1@x.com", "ann.lee3@x.com", "ann.lee@x.com",
    ...                         "ann.lee@y.com", "anne.lee@x.com", "ann_lee@x.com"], dtype=object)}
    >>> pairs = PairBatch(FeatureCache(f), np.array([0, 0, 0, 2, 2]), np.array([1, 2, 3, 4, 5]))
    >>> EmailNumberedVariant().evaluate(pairs).tolist()
    [True, True, False, False, False]
    """

    column: str = "email"

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        kl, kr = pairs.lookup(self.column, "email:without_digits", _email_without_digits)
        cl, cr = pairs.codes(self.column)
        # Few pairs of different addresses share that key: digits are compared on those only.
        out: BoolArray = _same_key(kl, kr) & (cl != cr)
        at = np.flatnonzero(out)
        if at.size:
            uniques = pairs.cache.factorized(self.column).uniques
            out[at] = [
                _local_digits(uniques[a]) != _local_digits(uniques[b])
                for a, b in zip(cl[at].tolist(), cr[at].tolist(), strict=True)
            ]
        return out

    def label(self, primary: str | None = None) -> str:
        return _on("numbered variant", self.column, primary)


@dataclass(frozen=True)
class EmailLocalSpellsName(Level):
    """Two different addresses whose local parts only spell the name both records carry:
    one local part at two providers (``lotte.boer@xs4all.nl`` vs ``lotte.boer@ziggo.nl``), or
    two spellings at one provider that differ in separators only (``lotteboer@ziggo.nl`` vs
    ``lotte_boer@ziggo.nl``: two mailboxes).

    Such a local part repeats the evidence of the name comparisons: people of one name pick
    the same handles, so its agreement is no further evidence of one person.
    :func:`~crmresolve.compare.email_comparison` lists it as ``unusable`` when name columns
    are given. A local part with digits (``lotte.boer84``) or one that spells only one
    record's name (the other has another given name, or none) stays evidence. With
    ``canonical_column`` (given names with nicknames resolved) a record's name is spelled by
    its given name or its canonical form: ``daniel.dalton`` spells both ``Dan Dalton`` and
    ``Danny Dalton``.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> f = {"email": np.array(["lotte.boer@a.nl", "lotteboer@b.nl", "lotte.boer@c.nl",
    ...                         "lotte.boer@d.nl"], dtype=object),
    ...      "email_local": np.array(["lotte.boer", "lotteboer", "lotte.boer", "lotte.boer"],
    ...                              dtype=object),
    ...      "given_name": np.array(["lotte", "lotte", "lotte", None], dtype=object),
    ...      "surname": np.array(["de boer", "de boer", "de boer", "de boer"], dtype=object)}
    >>> pairs = PairBatch(FeatureCache(f), np.array([0, 0, 0]), np.array([1, 2, 3]))
    >>> EmailLocalSpellsName().evaluate(pairs).tolist()
    [False, True, False]
    """

    local_column: str = "email_local"
    email_column: str = "email"
    given_column: str = "given_name"
    surname_column: str = "surname"
    canonical_column: str | None = None

    def __post_init__(self) -> None:
        for c in self.columns:
            _check_column(c)

    @property
    def columns(self) -> tuple[str, ...]:
        names = (self.local_column, self.email_column, self.given_column, self.surname_column)
        return names if self.canonical_column is None else (*names, self.canonical_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        ll, lr = pairs.codes(self.local_column)
        el, er = pairs.codes(self.email_column)
        # One local part, or one address with separators and digits dropped (digits are
        # checked per pair: a local part with digits is more than a name).
        kl, kr = pairs.lookup(self.email_column, "email:without_digits", _email_without_digits)
        # Few pairs qualify: the names are read for those only.
        out: BoolArray = (((ll == lr) & (ll >= 0)) | _same_key(kl, kr)) & (el != er)
        at = np.flatnonzero(out)
        if at.size:
            bare = pairs.cache.derived(self.local_column, "email:bare", _bare_locals)
            f = pairs.cache.features
            canon = self.given_column if self.canonical_column is None else self.canonical_column
            columns = [f[c] for c in (self.given_column, canon, self.surname_column)]
            left, right = pairs.left[at], pairs.right[at]
            # Each name's handles are built once: namesakes are the common case here.
            memo: dict[tuple[object, ...], set[str | None]] = {}

            def handles(name: tuple[object, ...]) -> set[str | None]:
                try:
                    found = memo.get(name)
                except TypeError:  # a hand-built feature table may hold anything
                    return _handles(*name)
                if found is None:
                    found = memo[name] = _handles(*name)
                return found

            # Both local parts spell both records' names (the two names agree).
            out[at] = [
                {b1, b2} <= handles(n1) & handles(n2)
                for b1, b2, n1, n2 in zip(
                    bare[ll[at]].tolist(),
                    bare[lr[at]].tolist(),
                    zip(*(c[left].tolist() for c in columns), strict=True),
                    zip(*(c[right].tolist() for c in columns), strict=True),
                    strict=True,
                )
            ]
        return out

    def label(self, primary: str | None = None) -> str:
        return "local parts spell the shared name"


def _bare_locals(uniques: ObjArray) -> ObjArray:
    """:func:`_bare` of each distinct local part, and ``None`` for a missing one (code -1)."""
    return per_unique(uniques, _bare, object, None)


def _bare(local: str) -> str | None:
    """A local part without separators, if it is letters only (digits say more than a name)."""
    bare = local.translate(_SEPARATORS)
    return bare if bare.isalpha() else None


def _handles(given: object, canonical: object, surname: object) -> set[str | None]:
    """A record's name handles by its given name and, when it differs, its canonical form."""
    forms = _name_handles(given, surname)
    if not isinstance(canonical, str) or canonical == given:
        return forms  # no other spelling (a non-text canonical spells nothing anyway)
    return forms | _name_handles(canonical, surname)


def _name_handles(given: object, surname: object) -> set[str | None]:
    """The usual handles made of a given name and a surname (first+last, last+first, initial
    and last, ...), without separators; empty unless both names are text."""
    if not isinstance(given, str) or not isinstance(surname, str) or not given or not surname:
        return set()  # a hand-built feature table may hold anything in the name columns
    g = given.replace(" ", "")
    forms: set[str | None] = set()
    for s in {surname.replace(" ", ""), surname.rsplit(" ", 1)[-1]}:
        forms |= {g + s, s + g, g[:1] + s, s + g[:1], g + s[:1]}
    return forms


_SEPARATORS: Final = str.maketrans("", "", "._-+")


@dataclass(frozen=True)
class EmailDomainMatch(Level):
    """Same e-mail domain (``column``, else the part of ``email_column`` after ``@``)."""

    column: str = "email_domain"
    email_column: str = "email"

    def __post_init__(self) -> None:
        _check_column(self.column)
        _check_column(self.email_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column, self.email_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return _email_part(pairs, self.column, self.email_column, local=False)

    def label(self, primary: str | None = None) -> str:
        return "domain match"


@dataclass(frozen=True)
class PhoneLastDigits(_OneColumn):
    """The last ``digits`` digits agree (same line, different country or area prefix)."""

    digits: int = 7
    column: str = "phone"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("digits", self.digits, 1)
        if self.digits > 18:
            raise ValueError("digits must be at most 18")

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        k = self.digits

        def tail(value: str) -> int:
            end = value[-k:]
            if len(end) == k and end.isascii() and end.isdigit():  # E.164 always ends so
                return int(end)
            digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
            return int(digits[-k:]) if len(digits) >= k else -1

        tl, tr = pairs.lookup(self.column, f"last{k}", lambda u: per_unique(u, tail, np.int64, -1))
        return _same_key(tl, tr)

    def label(self, primary: str | None = None) -> str:
        return _on(f"last {self.digits} digits match", self.column, primary)


@dataclass(frozen=True)
class HouseNumberAndStreet(Level):
    """Same house number and street names with Jaro-Winkler at least ``threshold``."""

    threshold: float = 0.9
    house_number_column: str = "house_number"
    street_column: str = "street"

    def __post_init__(self) -> None:
        _check_unit("threshold", self.threshold)
        _check_column(self.house_number_column)
        _check_column(self.street_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.house_number_column, self.street_column)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        same = pairs.equal(self.house_number_column)
        idx = np.flatnonzero(same)
        if idx.size:
            sim = pairs.subset(idx).metric(self.street_column, "jaro_winkler")
            same[idx] = _at_least(sim, self.threshold)
        return same

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        return ((self.street_column, "jaro_winkler", float(self.threshold)),)

    def label(self, primary: str | None = None) -> str:
        return f"same house number, street jaro-winkler >= {self.threshold:g}"


# --- item sets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsSharedAtLeast(_OneColumn):
    """The two item sets share at least ``count`` items.

    Reads an ``items`` feature: each value is a set of items joined by
    :data:`~crmresolve.roles.ITEM_SEPARATOR` (:func:`crmresolve.features.parse_items` builds
    them from cells such as ``"Hiroyuki Mizuno; Kiyoo Itoh"``). Items are taken as they are
    (already normalized); empty items do not count.

    >>> import numpy as np
    >>> from crmresolve.compare._batch import FeatureCache, PairBatch
    >>> sets = ["a61b|a61n|g01n", "a61n|g01n", "a61n", "h01l", None]
    >>> pairs = PairBatch(FeatureCache({"items": np.array(sets, dtype=object)}),
    ...                   np.array([0, 0, 0, 0]), np.array([1, 2, 3, 4]))
    >>> ItemsSharedAtLeast("items", 2).evaluate(pairs).tolist()
    [True, False, False, False]
    >>> ItemsSharedAtLeast("items", 1).evaluate(pairs).tolist()
    [True, True, False, False]
    """

    column: str
    count: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_count("count", self.count, 1)

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        t = pairs.cache.derived(self.column, "items", _item_tables)
        cl, cr = pairs.codes(self.column)
        n = self.count
        # Missing values (code -1) read the trailing empty entry: they never share anything.
        cand = np.minimum(t.sizes[cl], t.sizes[cr]) >= n
        idx = np.flatnonzero(cand)
        a, b = cl[idx], cr[idx]
        # The frequent items are counted exactly from bitmaps; the rest only need looking up
        # where the two hashed signatures of rare items overlap (no common bit, no common item).
        common = _popcount(t.frequent[a] & t.frequent[b])
        done = common >= n
        rare = (t.rare_signatures[a] & t.rare_signatures[b]) != 0
        todo = np.flatnonzero(~done & rare & (common + np.minimum(t.rare[a], t.rare[b]) >= n))
        if todo.size:
            done[todo] = common[todo] + _shared_rare_items(t, a[todo], b[todo]) >= n
        out = np.zeros(pairs.n, dtype=bool)
        out[idx] = done
        return out

    def label(self, primary: str | None = None) -> str:
        return _on(f"shared items >= {self.count}", self.column, primary)


# --- composition -------------------------------------------------------------------------


@dataclass(frozen=True)
class AllOf(Level):
    """Every one of ``levels`` holds (later levels only run where earlier ones held).

    >>> AllOf((ExactMatch("house_number"), ExactMatch("street"))).label("street")
    'exact match (house_number) and exact match'
    """

    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if not self.levels or not all(isinstance(x, Level) for x in self.levels):
            raise ValueError("AllOf needs at least one level")
        object.__setattr__(self, "levels", tuple(self.levels))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for level in self.levels for c in level.columns))

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        out = self.levels[0].evaluate(pairs).copy()
        for level in self.levels[1:]:
            idx = np.flatnonzero(out)
            if not idx.size:
                break
            out[idx] = level.evaluate(pairs.subset(idx))
        return out

    def floors(self) -> tuple[tuple[str, str, float], ...]:
        return tuple(f for level in self.levels for f in level.floors())

    def label(self, primary: str | None = None) -> str:
        return " and ".join(level.label(primary) for level in self.levels)

    @classmethod
    def _from_params(cls, params: dict[str, Any]) -> Level:
        raw = params.get("levels")
        if not isinstance(raw, list | tuple):
            raise ValueError("AllOf: 'levels' must be a list")
        return cls(tuple(level_from_dict(x) for x in raw))


@dataclass(frozen=True)
class Else(Level):
    """Everything else: the lowest level (gamma 0), evidence against a match."""

    @property
    def columns(self) -> tuple[str, ...]:
        return ()

    def evaluate(self, pairs: PairBatch) -> BoolArray:
        return np.ones(pairs.n, dtype=bool)

    def label(self, primary: str | None = None) -> str:
        return "else"


# --- helpers -----------------------------------------------------------------------------


def _at_least(values: FloatArray, threshold: float) -> BoolArray:
    with np.errstate(invalid="ignore"):
        out: BoolArray = values >= threshold
    return out


def _at_most(values: FloatArray, limit: int) -> BoolArray:
    with np.errstate(invalid="ignore"):
        out: BoolArray = values <= limit
    return out


def _heads(uniques: ObjArray) -> ObjArray:
    """Per distinct surname: its first word if it has several, else ``None`` (+ missing)."""
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = [u.split(" ", 1)[0] if " " in u else None for u in uniques]
    return out


def _one_typo_not_prefix(a: ObjArray, b: ObjArray) -> BoolArray:
    """Per pair: one Damerau-Levenshtein edit apart, both at least 4 characters, and neither
    a prefix of the other (so not ``peter`` / ``peters``).

    Called on the few pairs with exactly one exact crossing; the Python loop only visits
    those one edit apart."""
    dist = cpdist(list(a), list(b), scorer=DamerauLevenshtein.distance, score_cutoff=1)
    out: BoolArray = np.asarray(dist) == 1
    for i in np.flatnonzero(out):
        x, y = a[i], b[i]
        out[i] = min(len(x), len(y)) >= 4 and not (x.startswith(y) or y.startswith(x))
    return out


def _same_key(kl: Any, kr: Any) -> BoolArray:
    out: BoolArray = (kl == kr) & (kl >= 0)
    return out


def _with_missing(codes: CodeArray) -> CodeArray:
    """Append the ``-1`` entry that missing records (code ``-1``) look up."""
    return np.append(codes, np.int32(-1)).astype(np.int32)


def _length_table(uniques: ObjArray) -> IntArray:
    return per_unique(uniques, len, np.int64, -1)


def _first_char_table(uniques: ObjArray) -> IntArray:
    return per_unique(uniques, lambda u: ord(u[0]) if u else -1, np.int64, -1)


class _ItemTables(NamedTuple):
    """Per distinct item set (plus an empty trailing entry for missing records).

    Item ids rank the items by how many sets hold them (0 = the most common). The 64 most
    common items are bits of ``frequent``; the others ("rare") are listed in ``ids``.
    """

    sizes: IntArray  # number of items
    frequent: npt.NDArray[np.uint64]  # bit i set: the set holds item i (< 64)
    rare: IntArray  # number of rare items
    rare_signatures: npt.NDArray[np.uint64]  # bit (rare item id mod 64) set per rare item
    starts: IntArray  # where the set's rare item ids begin in ``ids``
    ids: IntArray  # rare item ids, ascending within each set
    keys: IntArray  # set index * n_items + rare item id: ascending over the whole array
    n_items: int


# The most common items, counted exactly as the bits of one uint64 word (at most 64).
_FREQUENT_ITEMS: Final = 64
# Items looked up at once by _shared_rare_items: bounds the temporaries (~40 bytes per item)
# whatever the set sizes.
_ITEMS_BLOCK: Final = 1 << 18


def _item_tables(uniques: ObjArray) -> _ItemTables:
    lists = [u.split(ITEM_SEPARATOR) for u in uniques.tolist()]
    n = len(lists)
    vocabulary: dict[str, int] = {}
    flat_items = list(itertools.chain.from_iterable(lists))
    codes = factorize(flat_items, len(flat_items), vocabulary).astype(np.int64)
    width = max(len(vocabulary), 1)
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    if "" in vocabulary:  # hand-built values may hold empty items: they are no items
        keep = codes != vocabulary[""]
        owner, codes = owner[keep], codes[keep]
    # One entry per (set, item), also where a hand-built value repeats an item (a sort:
    # np.unique's hashing is several times slower on a million keys).
    pair = np.sort(owner * width + codes)
    if pair.size:
        pair = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
    owner, codes = pair // width, pair % width
    # Ids by how many sets hold the item, most common first: a few codes shared by many
    # records (a popular class, a big co-applicant) become exact bits, cheap to intersect.
    held = np.bincount(codes, minlength=width)
    rank = np.empty(width, dtype=np.int64)
    rank[np.argsort(-held, kind="stable")] = np.arange(width, dtype=np.int64)
    pair = np.sort(owner * width + rank[codes])
    owner, flat = pair // width, pair % width
    sizes = np.bincount(owner, minlength=n + 1).astype(np.int64)
    is_rare = flat >= _FREQUENT_ITEMS
    bit = np.left_shift(np.uint64(1), (flat % 64).astype(np.uint64))
    zero = np.uint64(0)
    # Items are grouped by set: one OR-reduction per non-empty set.
    nonempty = np.flatnonzero(sizes)
    begin = (np.cumsum(sizes) - sizes)[nonempty]
    frequent = np.zeros(n + 1, dtype=np.uint64)
    rare_signatures = np.zeros(n + 1, dtype=np.uint64)
    if nonempty.size:
        frequent[nonempty] = np.bitwise_or.reduceat(np.where(is_rare, zero, bit), begin)
        rare_signatures[nonempty] = np.bitwise_or.reduceat(np.where(is_rare, bit, zero), begin)
    ids, rare_owner = flat[is_rare], owner[is_rare]
    rare = np.bincount(rare_owner, minlength=n + 1).astype(np.int64)
    starts = np.cumsum(rare) - rare
    return _ItemTables(
        sizes, frequent, rare, rare_signatures, starts, ids, rare_owner * width + ids, width
    )


def _shared_rare_items(t: _ItemTables, a: CodeArray, b: CodeArray) -> IntArray:
    """Rare items in common per pair of item sets (codes ``a``, ``b``), without a Python loop.

    Each rare item of the set with fewer becomes the key ``(other set, item)``, looked up by
    binary search in the sorted keys of all sets; the hits are counted per pair. The count is
    exact and the same whichever side is listed first.
    """
    swap = t.rare[a] > t.rare[b]
    small = np.where(swap, b, a).astype(np.int64)
    large = np.where(swap, a, b).astype(np.int64)
    sizes = t.rare[small]
    out = np.zeros(a.size, dtype=np.int64)
    ends = np.cumsum(sizes)
    total = int(ends[-1]) if ends.size else 0
    cuts = np.searchsorted(ends, np.arange(_ITEMS_BLOCK, total, _ITEMS_BLOCK), side="right")
    edges = np.unique(np.concatenate(([0], cuts, [a.size])))
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        size = sizes[lo:hi]
        owner = np.repeat(np.arange(hi - lo, dtype=np.int64), size)
        if not owner.size:
            continue
        first = np.cumsum(size) - size
        offset = np.arange(owner.size, dtype=np.int64) - first[owner]
        items = t.ids[t.starts[small[lo:hi]][owner] + offset]
        query = large[lo:hi][owner] * t.n_items + items
        at = np.minimum(np.searchsorted(t.keys, query), t.keys.size - 1)
        hit = t.keys[at] == query
        out[lo:hi] = np.bincount(owner[hit], minlength=hi - lo)
    return out


def _date_table(uniques: ObjArray) -> npt.NDArray[np.int32]:
    """Per distinct value (columns; ``-1`` = not a valid date), parsed once:

    ``ordinal`` day number, ``ymd`` = yyyymmdd, ``dmy`` = yyyyddmm (the day/month-swapped
    reading, valid only when the day could be a month), ``ym`` = yyyymm.
    """
    out = np.full((4, len(uniques) + 1), -1, dtype=np.int32)
    for i, value in enumerate(uniques.tolist()):
        d = parse_iso_date(value)
        if d is not None:
            ymd = d.year * 10000 + d.month * 100 + d.day
            swapped = d.year * 10000 + d.day * 100 + d.month if d.day <= 12 else -2
            out[:, i] = (d.toordinal(), ymd, swapped, ymd // 100)
    return out


_ORDINAL, _YMD, _DMY, _YM = range(4)


def _date_lookup(pairs: PairBatch, column: str, part: int) -> tuple[CodeArray, CodeArray]:
    table = pairs.cache.derived(column, "date", _date_table)[part]
    cl, cr = pairs.codes(column)
    return table[cl], table[cr]


def _email_without_digits(uniques: ObjArray) -> CodeArray:
    """Per distinct address: code of the address with its local part's digits and separators
    (``.``, ``_``, ``-``) dropped."""

    def key(value: str) -> str | None:
        local, at, domain = value.rpartition("@")
        return local.translate(_LOCAL_NOISE) + "@" + domain if at else None

    return _with_missing(factorize(map(key, uniques), len(uniques)))


def _local_digits(address: str) -> str:
    """The digits of an address's local part, in order."""
    return _NOT_DIGIT.sub("", address.rpartition("@")[0])


_LOCAL_NOISE: Final = str.maketrans("", "", "0123456789._-")
_NOT_DIGIT: Final = re.compile(r"[^0-9]+")


def _email_part(pairs: PairBatch, column: str, email_column: str, *, local: bool) -> BoolArray:
    if pairs.has(column):
        return pairs.equal(column)

    def build(uniques: ObjArray) -> CodeArray:
        def part(value: str) -> str | None:
            head, at, tail = value.rpartition("@")
            if not at:
                return None
            return (head if local else tail) or None

        return _with_missing(factorize((part(u) for u in uniques), len(uniques)))

    kind = "email:local" if local else "email:domain"
    kl, kr = pairs.lookup(email_column, kind, build)
    return _same_key(kl, kr)


def _phonetic(encode: Callable[[str], str], value: str) -> str | None:
    try:
        key = encode(value)
    except Exception:  # jellyfish rejects some inputs; such a value simply has no key
        return None
    return key or None


def _safe(fn: Callable[[str], Any], value: str) -> Any:
    try:
        return fn(value)
    except Exception:  # a failing nickname lookup must not abort a whole comparison run
        return None


_NICKNAMES: list[ModuleType | None] = []


def _nickname_module() -> ModuleType | None:
    """The normalize stage's nickname module, if installed (imported once, lazily)."""
    if not _NICKNAMES:
        try:
            module: ModuleType | None = importlib.import_module("crmresolve.normalize.nicknames")
        except ImportError:  # the normalize stage is optional for this level
            module = None
        if module is not None and not hasattr(module, "canonical_given_name"):
            module = None
        _NICKNAMES.append(module)
    return _NICKNAMES[0]
