"""Tests for crmresolve.compare: levels by hand, vectorised == naive, symmetry, serialisation."""

from __future__ import annotations

import datetime as dt
import doctest
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

import jellyfish
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

import crmresolve.compare as cmp
from crmresolve.compare import (
    AllOf,
    Comparison,
    DamerauLevenshteinAtMost,
    DateWithin,
    DayMonthTransposed,
    Else,
    EmailDomainMatch,
    EmailLocalMatch,
    EmailLocalSpellsName,
    EmailNumberedVariant,
    ExactMatch,
    FeatureCache,
    HouseNumberAndStreet,
    InitialMatch,
    JaccardAtLeast,
    JaroWinklerAtLeast,
    Level,
    LevenshteinAtMost,
    NicknameMatch,
    PairBatch,
    PhoneLastDigits,
    PhoneticMatch,
    PrefixMatch,
    SwappedNames,
    TokenSetRatioAtLeast,
    YearMonthMatch,
    _batch,
    comparison,
    compute_gamma,
    default_comparisons,
    dob_comparison,
    email_comparison,
    given_name_comparison,
    level_from_dict,
    levels,
    library,
)

Features = dict[str, np.ndarray]


def obj(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def feats(**cols: Sequence[Any]) -> Features:
    return {k: obj(v) for k, v in cols.items()}


def level_mask(level: Level, features: Features, left: Sequence[int], right: Sequence[int]):
    batch = PairBatch(
        FeatureCache(features), np.asarray(left, np.int64), np.asarray(right, np.int64)
    )
    return level.evaluate(batch).tolist()


# --- levels by hand ----------------------------------------------------------------------


def test_exact_match_and_missing() -> None:
    f = feats(email=["a@x.com", "a@x.com", None, "b@x.com"])
    assert level_mask(ExactMatch("email"), f, [0, 0, 0, 2], [1, 3, 2, 2]) == [
        True,
        False,
        False,
        False,
    ]


def test_nickname_uses_canonical_column() -> None:
    f = feats(
        given_name=["bob", "robert", "mary", "bobby"],
        given_name_canonical=["robert", "robert", "mary", "robert"],
    )
    assert level_mask(NicknameMatch(), f, [0, 0, 0], [1, 2, 3]) == [True, False, True]


def test_nickname_derives_canonical_without_column() -> None:
    if levels._nickname_module() is None:
        pytest.skip("normalize nickname module not available")
    f = feats(given_name=["bob", "robert", "mary"])
    assert level_mask(NicknameMatch(), f, [0, 0], [1, 2]) == [True, False]


def test_initial_match() -> None:
    f = feats(given_name=["j", "john", "peter", "jon", None])
    assert level_mask(InitialMatch("given_name"), f, [0, 0, 1, 0], [1, 2, 3, 4]) == [
        True,
        False,
        False,
        False,
    ]


def test_swapped_names() -> None:
    f = feats(given_name=["john", "smith", "john"], surname=["smith", "john", "smith"])
    assert level_mask(SwappedNames(), f, [0, 0], [1, 2]) == [True, False]


def test_date_levels() -> None:
    f = feats(dob=["1984-03-12", "1984-12-03", "1985-03-12", "1984-03-20", "1984-02-30", None])
    left, right = [0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 0]
    assert level_mask(DayMonthTransposed("dob"), f, left, right) == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert level_mask(DateWithin("dob", 365), f, left, right) == [
        True,
        True,
        True,
        False,
        False,
        True,
    ]
    assert level_mask(YearMonthMatch("dob"), f, left, right) == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    assert level_mask(LevenshteinAtMost("dob", 1), f, left, right) == [
        False,
        True,
        False,
        False,
        False,
        True,
    ]


def test_email_parts_with_and_without_part_columns() -> None:
    emails = ["ann.lee@x.com", "ann.lee@y.org", "bob@x.com"]
    split = feats(
        email=emails,
        email_local=[e.split("@")[0] for e in emails],
        email_domain=[e.split("@")[1] for e in emails],
    )
    only = feats(email=emails)
    for f in (split, only):
        assert level_mask(EmailLocalMatch(), f, [0, 0], [1, 2]) == [True, False]
        assert level_mask(EmailDomainMatch(), f, [0, 0], [1, 2]) == [False, True]


def test_phone_last_digits() -> None:
    f = feats(phone=["+4915112345678", "+4415112345678", "+4915112345670", "+12"])
    assert level_mask(PhoneLastDigits(7), f, [0, 0, 0], [1, 2, 3]) == [True, False, False]


def test_house_number_and_street() -> None:
    f = feats(
        house_number=["12", "12", "14", None],
        street=["main street", "main stret", "main street", "main street"],
    )
    assert level_mask(HouseNumberAndStreet(0.9), f, [0, 0, 0], [1, 2, 3]) == [
        True,
        False,
        False,
    ]


def test_string_similarity_levels() -> None:
    f = feats(
        name=["john smith", "smith john", "jon smith", "john a smith", "mary jones", "ab"],
    )
    left, right = [0, 0, 0, 0, 5], [1, 2, 3, 4, 5]
    assert level_mask(TokenSetRatioAtLeast("name", 1.0), f, left, right) == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert level_mask(JaccardAtLeast("name", 0.6), f, left, right) == [
        True,
        False,
        True,
        False,
        True,
    ]
    assert level_mask(JaroWinklerAtLeast("name", 0.95), f, left, right) == [
        False,
        True,
        True,
        False,
        True,
    ]
    assert level_mask(LevenshteinAtMost("name", 2), f, left, right) == [
        False,
        True,
        True,
        False,
        True,
    ]


def test_damerau_counts_a_swap_as_one_edit() -> None:
    f = feats(identifier=["AB1234", "AB1324", "AB9999"])
    assert level_mask(DamerauLevenshteinAtMost("identifier", 1), f, [0, 0], [1, 2]) == [
        True,
        False,
    ]
    assert level_mask(LevenshteinAtMost("identifier", 1), f, [0], [1]) == [False]


def test_phonetic_and_prefix() -> None:
    f = feats(surname=["smith", "smyth", "jones", "sm"])
    assert level_mask(PhoneticMatch("surname"), f, [0, 0], [1, 2]) == [True, False]
    assert level_mask(PhoneticMatch("surname", "soundex"), f, [0, 0], [1, 2]) == [True, False]
    assert level_mask(PrefixMatch("surname", 2), f, [0, 0, 0], [1, 2, 3]) == [True, False, True]
    with pytest.raises(ValueError, match="phonetic algorithm"):
        PhoneticMatch("surname", "caverphone")


def test_all_of() -> None:
    f = feats(house_number=["1", "1", "2"], street=["a st", "a st", "a st"])
    level = AllOf((ExactMatch("house_number"), ExactMatch("street")))
    assert level_mask(level, f, [0, 0], [1, 2]) == [True, False]
    assert level.columns == ("house_number", "street")


# --- comparisons by hand -----------------------------------------------------------------


def test_given_name_comparison_levels() -> None:
    c = given_name_comparison()
    assert c.level_labels == [
        "else",
        "metaphone match",
        "jaro-winkler >= 0.75",
        "initial match",
        "jaro-winkler >= 0.88",
        "jaro-winkler >= 0.92",
        "nickname match",
        "exact match",
    ]
    f = feats(
        given_name=["bob", "robert", "j", "john", "peter", None, "jon"],
        given_name_canonical=["robert", "robert", "j", "john", "peter", None, "john"],
    )
    g = c.compute(f, [0, 0, 2, 3, 3, 3, 3], [0, 1, 3, 4, 5, 6, 1])
    # exact, nickname, initial, different first name = evidence against, missing, nickname
    # (jon -> john canonical), else
    assert g.tolist() == [7, 6, 3, 0, -1, 6, 0]
    assert g.dtype == np.int8
    # Badly mistyped but recognisable names land on the weak levels, not on "else".
    typo = feats(
        given_name=["jonathan", "jomathsn", "catherine", "kathryn"],
        given_name_canonical=["jonathan", "jomathsn", "catherine", "kathryn"],
    )
    assert c.compute(typo, [0, 2], [1, 3]).tolist() == [2, 2]


def test_dob_comparison_different_valid_dates_are_else_not_missing() -> None:
    c = dob_comparison()
    f = feats(dob=["1984-03-12", "1984-12-03", "1984-03-13", "1990-07-01", None, "1984-04-12"])
    g = c.compute(f, [0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5])
    # exact=4, transposed=3, one typo=2, within 365 days=1, else=0, missing=-1
    assert g.tolist() == [4, 3, 2, 0, -1, 2]


def test_email_comparison_levels() -> None:
    c = email_comparison()
    f = feats(email=["ann@x.com", "ann@y.com", "anne@x.com", "anna1@x.com", "zed@q.org"])
    assert c.compute(f, [0] * 5, [0, 1, 2, 3, 4]).tolist() == [4, 3, 2, 1, 0]


def test_address_comparison_levels() -> None:
    c = library.address_comparison()
    f = feats(
        house_number=["11", "11", "11", "12", "11", "11", "11", "10", "10", "9"],
        street=[
            "elvire pl swanleigh",
            "elvire pl swanleigh",  # exact
            "elvire pl swanlegh",  # same number, one typo
            "elvire pl",  # other number: words within, but the street alone is not close
            "elvire pl",  # same number, an address line only one record has
            "swanleigh elvire pl",  # same number, lines in another order
            "banksia ave",
            "mccombie st",
            "mccombiueatreet",  # same number, a badly mistyped street (JW 0.88)
            "mccombie st",  # other number, the street itself mistyped (see above)
        ],
    )
    # exact=5, number + JW 0.9=4, number + words within=3, number + JW 0.8=2, street JW 0.9=1
    left, right = [0, 0, 0, 0, 0, 0, 7, 8], [1, 2, 3, 4, 5, 6, 8, 9]
    assert c.compute(f, left, right).tolist() == [5, 4, 0, 3, 3, 0, 2, 0]


def test_comparison_tf_and_null_columns() -> None:
    c = library.address_comparison()
    assert c.tf_column is None and c.null_columns == ("street",)
    f = feats(house_number=["1", None, "1"], street=["high st", "high st", None])
    assert c.compute(f, [0, 0], [1, 2]).tolist() == [1, -1]
    g = given_name_comparison()
    assert (g.tf_column, g.tf_level) == ("given_name", 7)


def test_comparison_validation() -> None:
    with pytest.raises(ValueError, match="last level"):
        Comparison("x", [ExactMatch("a"), Else(), JaroWinklerAtLeast("a", 0.9)])
    with pytest.raises(ValueError, match="at least one level"):
        Comparison("x", [Else()])
    with pytest.raises(ValueError, match="tf_column"):
        Comparison("x", [JaroWinklerAtLeast("a", 0.9)], tf_column="a")
    with pytest.raises(ValueError, match="between 0 and 1"):
        JaroWinklerAtLeast("a", 1.5)
    with pytest.raises(ValueError, match="unknown comparison level type"):
        level_from_dict({"type": "Nope"})
    with pytest.raises(ValueError, match="unknown parameters"):
        level_from_dict({"type": "ExactMatch", "column": "a", "extra": 1})


def test_bad_pairs_raise_without_values() -> None:
    secret = "very-private@example.com"
    f = feats(email=[secret, "b@x.com"])
    c = email_comparison()
    with pytest.raises(IndexError) as err:
        c.compute(f, [0], [2])
    assert secret not in str(err.value)
    with pytest.raises(ValueError, match="same length"):
        c.compute(f, [0, 1], [1])
    with pytest.raises(TypeError):
        c.compute(f, [0.5], [1.0])


def test_features_object_with_columns_is_accepted() -> None:
    class Holder:
        def __init__(self, columns: Mapping[str, np.ndarray]) -> None:
            self.columns = columns

    f = feats(email=["a@x.com", "a@x.com"])
    assert compute_gamma(Holder(f), [0], [1], [email_comparison()]).tolist() == [[4]]  # type: ignore[arg-type]


def test_absent_column_is_missing() -> None:
    f = feats(given_name=["a", "b"])
    assert dob_comparison().compute(f, [0], [1]).tolist() == [-1]


def test_default_comparisons() -> None:
    names = [c.name for c in default_comparisons(["given_name", "surname", "full_name", "city"])]
    assert names == ["given_name", "surname", "city"]
    names = [c.name for c in default_comparisons(["full_name", "postcode", "city", "company"])]
    assert names == ["full_name", "postcode", "company"]


def test_doctests() -> None:
    for module in (cmp, _batch, levels, comparison, library):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


# --- naive reference ---------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    if value is None or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def ref_level(level: Level, f: Mapping[str, np.ndarray], i: int, j: int) -> bool:
    """Per-pair reference semantics, written independently of the vectorised code."""

    def v(col: str, k: int) -> Any:
        return f[col][k] if col in f else None

    def both(col: str) -> tuple[Any, Any] | None:
        a, b = v(col, i), v(col, j)
        return None if a is None or b is None else (a, b)

    if isinstance(level, Else):
        return True
    if isinstance(level, AllOf):
        return all(ref_level(x, f, i, j) for x in level.levels)
    if isinstance(level, SwappedNames):
        g, s = both(level.given_column), both(level.surname_column)
        if g is None or s is None:
            return False
        crossings = [(g[0], s[1]), (s[0], g[1])]
        exact = [x == y for x, y in crossings]
        if all(exact):
            return True
        if not level.typo or sum(exact) != 1 or g[0] == g[1] or s[0] == s[1]:
            return False
        x, y = crossings[exact.index(False)]
        return (
            DamerauLevenshtein.distance(x, y) == 1
            and min(len(x), len(y)) >= 4
            and not (x.startswith(y) or y.startswith(x))
        )
    if isinstance(level, EmailNumberedVariant):
        e = both(level.column)
        if e is None:
            return False
        (la, _, da), (lb, _, db) = (x.rpartition("@") for x in e)
        digits = ["".join(c for c in x if c.isdigit()) for x in (la, lb)]
        rest = ["".join(c for c in x if c not in "0123456789._-") for x in (la, lb)]
        return da == db and rest[0] == rest[1] and digits[0] != digits[1]
    if isinstance(level, EmailLocalSpellsName):
        lo, em = both(level.local_column), both(level.email_column)
        if lo is None or em is None or em[0] == em[1]:
            return False

        def skeleton(address: str) -> str:
            local, _, domain = address.rpartition("@")
            return "".join(ch for ch in local if ch not in "0123456789._-") + "@" + domain

        if lo[0] != lo[1] and skeleton(em[0]) != skeleton(em[1]):
            return False

        def spells_by(local: str, g: object, s: object) -> bool:
            bare = "".join(ch for ch in local if ch not in "._-+")
            if not isinstance(g, str) or not isinstance(s, str) or not g or not s:
                return False
            if not bare.isalpha():
                return False
            g = g.replace(" ", "")
            forms: set[str] = set()
            for sur in (s.replace(" ", ""), s.split(" ")[-1]):
                forms |= {g + sur, sur + g, g[0] + sur, sur + g[0], g + sur[0]}
            return bare in forms

        def spells(local: str, k: int) -> bool:
            s = v(level.surname_column, k)
            givens = [v(level.given_column, k)]
            if level.canonical_column is not None:
                givens.append(v(level.canonical_column, k))
            return any(spells_by(local, g, s) for g in givens)

        return all(spells(local, k) for local in lo for k in (i, j))
    if isinstance(level, HouseNumberAndStreet):
        h, s = both(level.house_number_column), both(level.street_column)
        return (
            h is not None
            and s is not None
            and h[0] == h[1]
            and JaroWinkler.normalized_similarity(*s) >= level.threshold
        )
    if isinstance(level, NicknameMatch):
        c = both(level.canonical_column)
        return c is not None and c[0] == c[1]
    if isinstance(level, EmailLocalMatch | EmailDomainMatch):
        part = both(level.column)
        return part is not None and part[0] == part[1]
    if isinstance(level, PhoneLastDigits):
        p = both(level.column)
        if p is None:
            return False
        da, db = ("".join(ch for ch in x if ch.isdigit()) for x in p)
        k = level.digits
        return len(da) >= k and len(db) >= k and da[-k:] == db[-k:]
    pair = both(level.columns[0])
    if pair is None:
        return False
    a, b = pair
    if isinstance(level, ExactMatch):
        return bool(a == b)
    if isinstance(level, JaroWinklerAtLeast):
        return a == b or JaroWinkler.normalized_similarity(a, b) >= level.threshold
    if isinstance(level, TokenSetRatioAtLeast):
        return a == b or fuzz.token_set_ratio(a, b) / 100 >= level.threshold
    if isinstance(level, JaccardAtLeast):
        sa, sb = set(a.split()), set(b.split())
        return a == b or (bool(sa | sb) and len(sa & sb) / len(sa | sb) >= level.threshold)
    if isinstance(level, LevenshteinAtMost):
        return bool(Levenshtein.distance(a, b) <= level.distance)
    if isinstance(level, DamerauLevenshteinAtMost):
        return bool(DamerauLevenshtein.distance(a, b) <= level.distance)
    if isinstance(level, PrefixMatch):
        n = level.length
        return len(a) >= n and len(b) >= n and a[:n] == b[:n]
    if isinstance(level, PhoneticMatch):
        fn = {"metaphone": jellyfish.metaphone, "soundex": jellyfish.soundex}.get(
            level.algorithm, jellyfish.nysiis
        )
        ka, kb = fn(a), fn(b)
        return bool(ka) and ka == kb
    if isinstance(level, InitialMatch):
        return bool(a and b and (len(a) == 1 or len(b) == 1) and a[0] == b[0])
    da, db = _date(a), _date(b)
    if da is None or db is None:
        return False
    if isinstance(level, DateWithin):
        return abs((da - db).days) <= level.days
    if isinstance(level, DayMonthTransposed):
        return da.year == db.year and da.month == db.day and da.day == db.month and da != db
    if isinstance(level, YearMonthMatch):
        return (da.year, da.month) == (db.year, db.month)
    raise AssertionError(f"no reference for {type(level).__name__}")


def ref_gamma(c: Comparison, f: Mapping[str, np.ndarray], left, right) -> list[int]:
    out = []
    for i, j in zip(left, right, strict=True):
        if any(col not in f or f[col][i] is None or f[col][j] is None for col in c.null_columns):
            out.append(-1)
            continue
        if any(ref_level(level, f, i, j) for level in c.unusable):
            out.append(-1)
            continue
        g = 0
        for k, level in enumerate(c.levels):
            if ref_level(level, f, i, j):
                g = len(c.levels) - k
                break
        out.append(g)
    return out


GIVEN = ["john", "jon", "j", "johnny", "bob", "robert", "rob", "mary", "marie", "smith", "ann"]
SURNAME = ["smith", "smyth", "smithe", "jones", "johnson", "john", "mary", "garcia lopez", "lee"]
DATES = [
    "1984-03-12",
    "1984-12-03",
    "1984-03-13",
    "1985-03-12",
    "1983-03-12",
    "1984-02-30",
    "2001-01-01",
    "2001-01-10",
    "1984-3-12",
]
LOCALS = ["ann", "ann.lee", "anne", "annlee", "bob", "x"]
DOMAINS = ["x.com", "y.org", "xx.com"]
PHONES = ["+4915112345678", "+4915112345679", "+4415112345678", "+441511234567", "+1555", "+49"]
STREETS = ["main street", "main str", "high street", "hauptstrasse", "mainstreet"]
COMPANY = ["acme", "acme corp", "acme corporation", "globex", "initech software", "software"]
IDS = ["AB1234", "AB1324", "AB12345", "XY0000", "ab1234"]
CANON = {"bob": "robert", "rob": "robert", "robert": "robert", "jon": "john", "johnny": "john"}


def maybe(pool: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(pool), st.text("ajmno hst", max_size=7))


@st.composite
def features_and_pairs(draw: st.DrawFn) -> tuple[Features, list[int], list[int]]:
    n = draw(st.integers(1, 14))
    cols: dict[str, list[Any]] = {
        "given_name": [draw(maybe(GIVEN)) for _ in range(n)],
        "surname": [draw(maybe(SURNAME)) for _ in range(n)],
        "dob": [draw(st.one_of(st.none(), st.sampled_from(DATES))) for _ in range(n)],
        "phone": [draw(st.one_of(st.none(), st.sampled_from(PHONES))) for _ in range(n)],
        "house_number": [draw(st.sampled_from([None, "1", "12", "12a"])) for _ in range(n)],
        "street": [draw(maybe(STREETS)) for _ in range(n)],
        "postcode": [
            draw(st.sampled_from([None, "10115", "10117", "10999", "1011"])) for _ in range(n)
        ],
        "city": [draw(maybe(["berlin", "berlyn", "bonn"])) for _ in range(n)],
        "company": [draw(maybe(COMPANY)) for _ in range(n)],
        "identifier": [draw(st.one_of(st.none(), st.sampled_from(IDS))) for _ in range(n)],
    }
    local = [draw(st.one_of(st.none(), st.sampled_from(LOCALS))) for _ in range(n)]
    domain = [draw(st.sampled_from(DOMAINS)) for _ in range(n)]
    cols["email"] = [
        None if lo is None else f"{lo}@{d}" for lo, d in zip(local, domain, strict=True)
    ]
    cols["email_local"] = local
    cols["email_domain"] = [None if lo is None else d for lo, d in zip(local, domain, strict=True)]
    cols["given_name_canonical"] = [
        None if g is None else CANON.get(g, g) for g in cols["given_name"]
    ]
    cols["full_name"] = [
        None if g is None or s is None else f"{g} {s}"
        for g, s in zip(cols["given_name"], cols["surname"], strict=True)
    ]
    m = draw(st.integers(0, 40))
    left = [draw(st.integers(0, n - 1)) for _ in range(m)]
    right = [draw(st.integers(0, n - 1)) for _ in range(m)]
    return {k: obj(v) for k, v in cols.items()}, left, right


def all_comparisons() -> list[Comparison]:
    extra = Comparison(
        "misc",
        [
            AllOf((PrefixMatch("company", 3), JaccardAtLeast("company", 0.5))),
            DamerauLevenshteinAtMost("company", 2),
            PhoneticMatch("company", "nysiis"),
            YearMonthMatch("dob"),
            EmailDomainMatch(),
            Else(),
        ],
        null_columns=("company",),
    )
    lib = [
        library.given_name_comparison(),
        library.surname_comparison(),
        library.full_name_comparison(),
        library.email_comparison(),
        library.phone_comparison(),
        library.dob_comparison(),
        library.address_comparison(),
        library.postcode_comparison(),
        library.city_comparison(),
        library.company_comparison(),
        library.identifier_comparison(),
    ]
    return [*lib, extra]


@contextmanager
def stressed_paths(mode: str) -> Iterator[None]:
    """Force the rarely-taken vectorised branches on tiny inputs.

    ``dense``: whole-comparison dedup through the direct-address table; ``sort``: through
    sorting; both also deduplicate inside every metric and send wide values to rapidfuzz.
    """
    if mode == "plain":
        yield
        return
    dense = mode == "dense"
    with (
        mock.patch.object(_batch, "_DEDUP_MIN_PAIRS", 0),
        mock.patch.object(_batch, "_DEDUP_MAX_SINGLETON_SHARE", 2.0),
        mock.patch.object(_batch, "_DISTINCT_MAX_SHARE", 2.0),
        mock.patch.object(_batch, "_DISTINCT_MAX_SINGLETON_SHARE", 2.0),
        mock.patch.object(_batch, "_DENSE_MAX", 1 << 22 if dense else 0),
        mock.patch.object(_batch, "_EDIT1_MAX_WIDTH", 11),
        mock.patch.object(_batch, "_EDIT1_BLOCK", 3),
    ):
        yield


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(features_and_pairs(), st.sampled_from(["plain", "dense", "sort"]))
def test_vectorised_equals_naive_reference(data, mode: str) -> None:
    f, left, right = data
    comps = all_comparisons()
    with stressed_paths(mode):
        got = compute_gamma(f, left, right, comps, chunk_size=7 if mode == "sort" else 4096)
    assert got.shape == (len(left), len(comps))
    for j, c in enumerate(comps):
        assert got[:, j].tolist() == ref_gamma(c, f, left, right), c.name


@SETTINGS
@given(features_and_pairs())
def test_symmetry(data) -> None:
    f, left, right = data
    comps = all_comparisons()
    forward = compute_gamma(f, left, right, comps)
    backward = compute_gamma(f, right, left, comps)
    assert np.array_equal(forward, backward)


@SETTINGS
@given(features_and_pairs(), st.integers(1, 9))
def test_chunking_invariance(data, chunk: int) -> None:
    f, left, right = data
    comps = all_comparisons()
    whole = compute_gamma(f, left, right, comps)
    assert np.array_equal(compute_gamma(f, left, right, comps, chunk_size=chunk), whole)
    single = np.stack([c.compute(f, left, right) for c in comps], axis=1) if left else whole
    assert np.array_equal(single.reshape(whole.shape), whole)


@settings(max_examples=25, deadline=None)
@given(features_and_pairs())
def test_round_trip_gives_identical_gamma(data) -> None:
    f, left, right = data
    comps = all_comparisons()
    text = json.dumps([c.to_dict() for c in comps])
    again = [Comparison.from_dict(d) for d in json.loads(text)]
    assert again == comps
    assert [c.level_labels for c in again] == [c.level_labels for c in comps]
    assert [(c.tf_column, c.tf_level, c.columns) for c in again] == [
        (c.tf_column, c.tf_level, c.columns) for c in comps
    ]
    assert np.array_equal(
        compute_gamma(f, left, right, again), compute_gamma(f, left, right, comps)
    )


# --- the vectorised kernels against rapidfuzz --------------------------------------------

WORDS = st.text(alphabet="abcé1-ł", max_size=12)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=30), st.integers(3, 13))
def test_within_one_edit_matches_levenshtein(pairs, width: int) -> None:
    a, b = zip(*pairs, strict=True)
    f = {"s": obj(list(a) + list(b))}
    n = len(a)
    with mock.patch.object(_batch, "_EDIT1_MAX_WIDTH", width):
        batch = PairBatch(FeatureCache(f), np.arange(n), np.arange(n, 2 * n))
        got = batch.within_one_edit("s").tolist()
    assert got == [Levenshtein.distance(x, y) <= 1 for x, y in pairs]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=30),
    st.sampled_from([0.5, 0.7, 0.8, 0.88, 0.92]),
    st.integers(1, 3),
)
def test_cheap_bounds_never_drop_a_real_match(pairs, floor: float, cutoff: int) -> None:
    a, b = zip(*pairs, strict=True)
    f = {"s": obj(list(a) + list(b))}
    cache = FeatureCache(f)
    codes = cache.factorized("s").codes
    n = len(a)
    ca, cb = codes[:n], codes[n:]
    keep_jw = _batch._jaro_winkler_candidates(cache, "s", ca, cb, floor)
    keep_ed = _batch._edit_candidates(cache, "s", ca, cb, cutoff)
    for k, (x, y) in enumerate(pairs):
        if JaroWinkler.normalized_similarity(x, y) >= floor:
            assert keep_jw[k]
        if DamerauLevenshtein.distance(x, y) <= cutoff:
            assert keep_ed[k]


def test_larger_random_data_matches_reference_with_dedup() -> None:
    rng = np.random.default_rng(3)
    n = 400
    pool = np.array(GIVEN + SURNAME + ["jonathan", "johan", "joan", "mari", "maria"], dtype=object)
    f = {
        "given_name": pool[rng.integers(0, len(pool), n)],
        "surname": pool[rng.integers(0, len(pool), n)],
        "email": obj([f"{LOCALS[i % 6]}{i % 7}@{DOMAINS[i % 3]}" for i in range(n)]),
    }
    left = rng.integers(0, n, 20_000)
    right = rng.integers(0, n, 20_000)
    comps = [
        Comparison(
            "g",
            [
                ExactMatch("given_name"),
                JaroWinklerAtLeast("given_name", 0.9),
                JaroWinklerAtLeast("given_name", 0.7),
                TokenSetRatioAtLeast("given_name", 0.6),
            ],
        ),
        email_comparison(),
    ]
    got = compute_gamma(f, left, right, comps, chunk_size=6000)
    sample = rng.choice(left.size, 1500, replace=False)
    for j, c in enumerate(comps):
        ref = ref_gamma(c, f, left[sample].tolist(), right[sample].tolist())
        assert got[sample, j].tolist() == ref


def test_floor_declared_later_and_lower_recomputes() -> None:
    f = feats(s=["martha", "marhta", "mark", "maria"])
    batch = PairBatch(FeatureCache(f), np.array([0, 0, 0]), np.array([1, 2, 3]))
    high = Comparison("a", [JaroWinklerAtLeast("s", 0.95)])
    low = Comparison("b", [JaroWinklerAtLeast("s", 0.7)])
    assert high.compute_batch(batch).tolist() == [1, 0, 0]
    assert low.compute_batch(batch).tolist() == [1, 1, 1]


@pytest.mark.parametrize("alphabet", ["ab", "ał"])
def test_within_one_edit_exhaustive_small_strings(alphabet: str) -> None:
    import itertools

    words = ["".join(p) for k in range(5) for p in itertools.product(alphabet + "c", repeat=k)]
    f = {"s": obj(words)}
    left, right = (a.ravel() for a in np.meshgrid(np.arange(len(words)), np.arange(len(words))))
    with mock.patch.object(_batch, "_EDIT1_MAX_WIDTH", 3):  # some words take the slow path
        got = PairBatch(FeatureCache(f), left, right).within_one_edit("s")
    want = [Levenshtein.distance(words[i], words[j]) <= 1 for i, j in zip(left, right, strict=True)]
    assert got.tolist() == want


def test_similarity_exactly_on_threshold_counts() -> None:
    # Jaro-Winkler("john smith", "john aamth") is 0.92 to the last bit; rapidfuzz's own cutoff
    # test would drop it, the level must not.
    assert JaroWinkler.normalized_similarity("john smith", "john aamth") >= 0.92
    f = feats(full_name=["john smith", "john aamth"])
    c = Comparison("n", [JaroWinklerAtLeast("full_name", 0.92)])
    assert c.compute(f, [0], [1]).tolist() == [1]


def test_non_string_features_are_rejected_without_values() -> None:
    f = {"phone": obj(["+4915112345678", 4915112345679])}
    with pytest.raises(TypeError, match="'phone' holds int values") as err:
        library.phone_comparison().compute(f, [0], [1])
    assert "4915112345679" not in str(err.value)


def test_cache_is_reusable_across_calls() -> None:
    f = feats(email=["a@x.com", "a@x.com", "zed@q.org"])
    cache = FeatureCache(f)
    first = compute_gamma(f, [0, 0], [1, 2], [email_comparison()], cache=cache)
    again = compute_gamma(f, [1], [2], [email_comparison()], cache=cache)
    assert first[:, 0].tolist() == [4, 0] and again[:, 0].tolist() == [0]


def test_empty_pairs() -> None:
    f = feats(email=["a@x.com"])
    assert compute_gamma(f, [], [], [email_comparison()]).shape == (0, 1)
    assert email_comparison().compute(f, np.array([], np.int64), np.array([], np.int64)).size == 0


def test_text_comparison_matches_naive_jaccard_and_is_symmetric() -> None:
    from crmresolve.compare.library import text_comparison

    texts = [
        "learning to rank with trees",
        "trees learning rank to with",
        "learning to rank",
        "rank trees boosting",
        "unrelated words here",
        None,
        "learning to rank",
    ]
    feats = {"text": np.array(texts, dtype=object)}
    n = len(texts)
    left = np.array([i for i in range(n) for j in range(n) if i != j])
    right = np.array([j for i in range(n) for j in range(n) if i != j])
    comp = text_comparison()
    gamma = comp.compute(feats, left, right)
    thresholds = (0.7, 0.5, 0.3, 0.15)

    def naive(a: str | None, b: str | None) -> int:
        if a is None or b is None:
            return -1
        if a == b:
            return len(thresholds) + 1
        sa, sb = set(a.split()), set(b.split())
        jac = len(sa & sb) / len(sa | sb)
        for k, t in enumerate(thresholds):
            if jac >= t:
                return len(thresholds) - k
        return 0

    expected = [naive(texts[i], texts[j]) for i, j in zip(left, right, strict=True)]
    assert gamma.tolist() == expected
    assert comp.compute(feats, right, left).tolist() == gamma.tolist()
    assert cmp.Comparison.from_dict(comp.to_dict()).level_labels == comp.level_labels


def test_default_comparisons_cover_text_only_data() -> None:
    from crmresolve.compare.library import default_comparisons

    assert [c.name for c in default_comparisons(["text"])] == ["text"]


def test_default_name_comparisons_have_a_swapped_level() -> None:
    comps = {c.name: c for c in default_comparisons(["given_name", "surname"])}
    feats = {
        "given_name": np.array(["john", "smith", "john"], dtype=object),
        "surname": np.array(["smith", "john", "smyth"], dtype=object),
    }
    left, right = np.array([0, 0]), np.array([1, 2])
    comp = comps["given_name"]
    labels = comp.level_labels
    swapped = "given name and surname swapped (one typo allowed)"
    got = comp.compute(feats, left, right).tolist()
    assert labels[got[0]] == swapped
    assert labels[got[1]] != swapped
    # Counted once: the surname comparison has no swapped level (but can be given one).
    assert not any("swapped" in label for label in comps["surname"].level_labels)
    with_swap = library.surname_comparison(given_column="given_name")
    assert "given name and surname swapped" in with_swap.level_labels
    # Without both name columns there is nothing to swap with.
    (alone,) = default_comparisons(["given_name"])
    assert not any("swapped" in label for label in alone.level_labels)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (("ryna", "chloe"), ("chloe", "ryan"), True),  # transposed letters in one crossing
        (("chloe", "amelua"), ("amelia", "chloe"), True),  # one letter changed
        (("gabrniel", "moulton"), ("moulton", "gabriel"), True),  # one letter inserted
        (("chloe", "ryan"), ("chloe", "ryan"), False),  # not swapped at all
        (("peter", "frank"), ("frank", "peters"), False),  # patronymic, not a typo
        (("bayde", "son"), ("son", "bayden"), False),  # a prefix too: left out on purpose
        (("tom", "hill"), ("hill", "tim"), False),  # too short for a typo to be telling
        (("ryna", "chloe"), ("chole", "ryan"), False),  # both crossings mistyped
        (("ryna", None), ("chloe", "ryan"), False),  # a name missing
        # A swapped compound surname reaches the given-name feature as its first word.
        (("amelia", "graham jones"), ("graham", "amelua"), True),
        (("amelia", "graham jones"), ("graham", "amelia"), True),
        (("graham", "graham jones"), ("graham", "graham jones"), False),  # same order
        (("amelia", "graham jones"), ("jones", "amelia"), False),  # only the first word
    ],
)
def test_swapped_names_with_one_typo(
    left: tuple[str | None, str | None], right: tuple[str | None, str | None], expected: bool
) -> None:
    feats = {
        "given_name": np.array([left[0], right[0]], dtype=object),
        "surname": np.array([left[1], right[1]], dtype=object),
    }
    level = cmp.SwappedNames(typo=True)
    for a, b in ((0, 1), (1, 0)):  # symmetric in the pair order
        pairs = PairBatch(FeatureCache(feats), np.array([a]), np.array([b]))
        assert level.evaluate(pairs).tolist() == [expected]
    assert cmp.level_from_dict(level.to_dict()) == level


def test_threaded_chunks_give_the_same_gamma() -> None:
    from crmresolve.compare import compute_gamma
    from crmresolve.compare.library import email_comparison, given_name_comparison

    rng = np.random.default_rng(4)
    names = ["anna", "anne", "bob", "robert", "jon", "john", None]
    mails = ["a@x.com", "a@y.com", "ab@x.com", None]
    n = 400
    feats = {
        "given_name": np.array(rng.choice(np.array(names, dtype=object), n), dtype=object),
        "email": np.array(rng.choice(np.array(mails, dtype=object), n), dtype=object),
    }
    left = rng.integers(0, n, 5000)
    right = rng.integers(0, n, 5000)
    comps = [given_name_comparison(), email_comparison()]
    one = compute_gamma(feats, left, right, comps, chunk_size=64)
    many = compute_gamma(feats, left, right, comps, chunk_size=64, threads=3)
    assert np.array_equal(one, many)
    assert (one >= 0).any()


def test_forked_chunks_give_the_same_gamma() -> None:
    from crmresolve.compare import compute_gamma
    from crmresolve.compare.library import email_comparison, given_name_comparison

    rng = np.random.default_rng(5)
    given = np.array(rng.choice(np.array(["anna", "anne", "bob", None], dtype=object), 300))
    surname = np.array(rng.choice(np.array(["berg", "lind"], dtype=object), 300))
    local = np.array(rng.choice(np.array(["anna.berg", "annaberg", "bob"], dtype=object), 300))
    domain = rng.choice(np.array(["x.com", "y.com"], dtype=object), 300)
    feats = {
        "given_name": given,
        "surname": surname,
        "email_local": local,
        "email": np.array([f"{a}@{b}" for a, b in zip(local, domain, strict=True)], dtype=object),
    }
    left, right = rng.integers(0, 300, 4000), rng.integers(0, 300, 4000)
    # the e-mail levels include the one that loops in Python over the pairs it concerns
    comps = [
        given_name_comparison(),
        email_comparison(given_column="given_name", surname_column="surname"),
    ]
    one = compute_gamma(feats, left, right, comps, chunk_size=256)
    forked = compute_gamma(feats, left, right, comps, chunk_size=256, processes=2)
    assert np.array_equal(one, forked)
    assert len(np.unique(one[:, 1])) >= 3


def test_a_feature_cache_serves_only_its_own_features() -> None:
    from crmresolve.compare import FeatureCache, compute_gamma
    from crmresolve.compare.library import email_comparison

    feats = {"email": np.array(["a@x.com", "a@x.com", None], dtype=object)}
    other = {"email": feats["email"].copy()}
    cache = FeatureCache(feats)
    comps = [email_comparison()]
    assert cache.covers(feats) and not cache.covers(other)
    first = compute_gamma(feats, [0], [1], comps, cache=cache)
    # Later calls with the same arrays reuse the cache (a new dict of the same arrays is fine).
    again = compute_gamma(dict(feats), [0, 0], [1, 2], comps, cache=cache)
    assert first.tolist() == [[4]] and again.tolist() == [[4], [-1]]
    with pytest.raises(ValueError, match="other features"):
        compute_gamma(other, [0], [1], comps, cache=cache)


def test_fitting_with_a_shared_feature_cache_learns_the_same_model() -> None:
    from crmresolve.compare import FeatureCache, compute_gamma, default_comparisons
    from crmresolve.features import build_features
    from crmresolve.score import FellegiSunter
    from crmresolve.table import Table

    rng = np.random.default_rng(9)
    n = 600
    names = ["Anna", "Anne", "Bob", "Robert", "Jon", "John", "Eve", None]
    mails = [f"u{i}@x.com" for i in range(150)] + [None]
    table = Table.from_columns(
        {
            "name": [names[i] for i in rng.integers(0, 8, n)],
            "mail": [mails[i] for i in rng.integers(0, 151, n)],
        }
    )
    feats = build_features(table, {"given_name": ["name"], "email": ["mail"]}, workers=1).columns
    left, right = rng.integers(0, n, 4000), rng.integers(0, n, 4000)
    keep = left != right
    left, right = left[keep], right[keep]
    comps = default_comparisons(feats.keys())
    cache = FeatureCache(feats)
    gamma = compute_gamma(feats, left, right, comps, cache=cache)
    plain = FellegiSunter(comps, seed=3, u_sample_size=5000).fit(gamma, feats)
    shared = FellegiSunter(comps, seed=3, u_sample_size=5000).fit(gamma, feats, cache=cache)
    assert plain.to_dict() == shared.to_dict()
    assert np.array_equal(
        plain.compute_gamma(feats, left, right),
        shared.compute_gamma(feats, left, right, cache=cache),
    )
    with pytest.raises(TypeError, match="FeatureCache"):
        FellegiSunter(comps, seed=3, u_sample_size=5000).fit(gamma, feats, cache=object())


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("maria.rodriguez1@gmail.com", "maria.rodriguez3@gmail.com", True),
        ("f.wagner@web.de", "f.wagner8@web.de", True),
        ("manuelgonzalez@x.es", "ma.nuel_gonzalez0@x.es", True),  # separators aside
        ("ann.lee1@x.com", "ann.lee1@y.com", False),  # other domain: same local part
        ("ann.lee1@x.com", "ann.lee2@y.com", False),  # other domain
        ("ann.lee@x.com", "ann_lee@x.com", False),  # separators only: may be a typo
        ("ann.lee1@x.com", "ann.lee1@x.com", False),  # the same address
        ("ann.lee1@x.com", "anne.lee1@x.com", False),  # letters differ
        ("ann.lee1@x.com", None, False),
    ],
)
def test_numbered_email_variants(a: str, b: str | None, expected: bool) -> None:
    feats = {"email": np.array([a, b], dtype=object)}
    level = cmp.EmailNumberedVariant()
    for x, y in ((0, 1), (1, 0)):
        pairs = PairBatch(FeatureCache(feats), np.array([x]), np.array([y]))
        assert level.evaluate(pairs).tolist() == [expected]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("lotte.boer@a.nl", "lotte", "de boer"), ("lotte.boer@b.nl", "lotte", "de boer"), True),
        (("lotteboer@a.nl", "lotte", "de boer"), ("lotteboer@b.nl", "lotte", "boer"), True),
        (("l.boer@a.nl", "lotte", "de boer"), ("l.boer@b.nl", "lotte", "de boer"), True),
        (("boerl@a.nl", "lotte", "de boer"), ("boerl@b.nl", "lotte", "de boer"), True),
        # Digits say more than the name: a birth year, a number the provider gave.
        (("lotte.boer84@a.nl", "lotte", "boer"), ("lotte.boer84@b.nl", "lotte", "boer"), False),
        # The same address is the same mailbox: evidence, whatever it spells.
        (("lotte.boer@a.nl", "lotte", "boer"), ("lotte.boer@a.nl", "lotte", "boer"), False),
        # Only one record's name spells it: the handle links a nickname or a missing name.
        (("lotte.boer@a.nl", "lotte", "boer"), ("lotte.boer@b.nl", "charlotte", "boer"), False),
        (("lotte.boer@a.nl", "lotte", "boer"), ("lotte.boer@b.nl", None, "boer"), False),
        (("sunny.day@a.nl", "lotte", "boer"), ("sunny.day@b.nl", "lotte", "boer"), False),
        (("lotte.boer@a.nl", "lotte", "boer"), ("lotte.boer2@b.nl", "lotte", "boer"), False),
        # One provider, two spellings of the name: two mailboxes.
        (("lotteboer@a.nl", "lotte", "boer"), ("lotte_boer@a.nl", "lotte", "boer"), True),
        (("lotteboer@a.nl", "lotte", "boer"), ("lotte_boer@b.nl", "lotte", "boer"), False),
        (("lotteboer@a.nl", "lotte", "boer"), ("lotte_boer7@a.nl", "lotte", "boer"), False),
        # A hand-built feature table with a non-text name: no evidence taken away, no crash.
        (("lotte.boer@a.nl", "lotte", "boer"), ("lotte.boer@b.nl", 7, "boer"), False),
    ],
)
def test_email_local_part_that_spells_the_name(
    a: tuple[str, str | None, str | None], b: tuple[str, str | None, str | None], expected: bool
) -> None:
    rows = [a, b]
    feats = {
        "email": np.array([r[0] for r in rows], dtype=object),
        "email_local": np.array([r[0].split("@")[0] for r in rows], dtype=object),
        "given_name": np.array([r[1] for r in rows], dtype=object),
        "surname": np.array([r[2] for r in rows], dtype=object),
    }
    level = cmp.EmailLocalSpellsName()
    for x, y in ((0, 1), (1, 0)):  # symmetric in the pair order
        pairs = PairBatch(FeatureCache(feats), np.array([x]), np.array([y]))
        assert level.evaluate(pairs).tolist() == [expected]
        assert ref_level(level, feats, x, y) == expected
    assert cmp.level_from_dict(level.to_dict()) == level


def email_name_features(
    emails: list[str], given: list[str], surname: list[str]
) -> dict[str, np.ndarray]:
    """Feature columns of records with an e-mail address and a name."""
    return {
        "email": np.array(emails, dtype=object),
        "email_local": np.array([e.split("@")[0] for e in emails], dtype=object),
        "given_name": np.array(given, dtype=object),
        "surname": np.array(surname, dtype=object),
    }


def test_email_handle_may_spell_the_canonical_given_name() -> None:
    """Dan and Danny Dalton are both Daniel: ``daniel.dalton`` and ``daniel_dalton`` at one
    provider spell both records' names once nicknames are resolved."""
    emails = ["daniel.dalton@x.com", "daniel_dalton@x.com", "daniel_dalton@x.com"]
    feats = email_name_features(emails, ["dan", "danny", "dan"], ["dalton"] * 3)
    feats["given_name_canonical"] = np.array(["daniel", "daniel", "dan"], dtype=object)
    plain = cmp.EmailLocalSpellsName()
    canonical = cmp.EmailLocalSpellsName(canonical_column="given_name_canonical")
    assert canonical.columns[-1] == "given_name_canonical"
    for x, y in ((0, 1), (1, 0), (0, 2), (1, 2)):
        pairs = PairBatch(FeatureCache(feats), np.array([x]), np.array([y]))
        # Record 2 is "dan" with no canonical form known: its name spells only "dan…".
        want = (x, y) in ((0, 1), (1, 0))
        assert canonical.evaluate(pairs).tolist() == [want]
        assert ref_level(canonical, feats, x, y) == want
        assert plain.evaluate(pairs).tolist() == [False]
    assert cmp.level_from_dict(canonical.to_dict()) == canonical
    (email,) = [
        c
        for c in default_comparisons(["email", "given_name", "given_name_canonical", "surname"])
        if c.name == "email"
    ]
    assert any(
        isinstance(u, EmailLocalSpellsName) and u.canonical_column == "given_name_canonical"
        for u in email.unusable
    )


def test_email_comparison_with_names_counts_a_name_handle_as_missing() -> None:
    emails = ["ann.lee@x.com", "ann.lee@y.com", "ann.lee@x.com"]
    feats = email_name_features(emails, ["ann"] * 3, ["lee"] * 3)
    with_names = library.email_comparison(given_column="given_name", surname_column="surname")
    plain = library.email_comparison()
    left, right = np.array([0, 0]), np.array([1, 2])
    assert with_names.compute(feats, left, right).tolist() == [-1, 4]
    assert plain.compute(feats, left, right).tolist() == [3, 4]
    assert cmp.Comparison.from_dict(with_names.to_dict()).unusable == with_names.unusable
    # The default set reads the names only when both name features exist.
    (email,) = [
        c for c in default_comparisons(["email", "given_name", "surname"]) if c.name == "email"
    ]
    assert any(isinstance(u, EmailLocalSpellsName) for u in email.unusable)
    (email,) = [c for c in default_comparisons(["email", "given_name"]) if c.name == "email"]
    assert not any(isinstance(u, EmailLocalSpellsName) for u in email.unusable)


def test_email_comparison_counts_numbered_variants_as_missing() -> None:
    comp = library.email_comparison()
    emails = ["m.rodriguez1@gmail.com", "m.rodriguez3@gmail.com", "m.rodriguez@gmal.com"]
    feats = {
        "email": np.array(emails, dtype=object),
        "email_local": np.array([e.split("@")[0] for e in emails], dtype=object),
    }
    gamma = comp.compute(feats, np.array([0, 1]), np.array([1, 2])).tolist()
    # Numbered variants: no evidence either way; a one-letter domain typo stays a typo level.
    assert gamma[0] == -1
    assert comp.level_labels[gamma[1]] == "levenshtein <= 2"
    assert cmp.Comparison.from_dict(comp.to_dict()).unusable == comp.unusable
