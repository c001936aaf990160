"""Tests for crmresolve.normalize.nicknames."""

from __future__ import annotations

import csv
import math
import time
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.normalize.nicknames import (
    _tables,
    are_nickname_equivalent,
    canonical_given_name,
    canonical_given_names,
)

_NAMES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["Bob", "bill", "ROBERT", "Jürgen", "juergen", "Hans", "Paco", "Liz", "al"]),
)


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("Bob", "robert"),
        ("Bobby", "robert"),
        ("Rob", "robert"),
        ("Bill", "william"),
        ("Billy", "william"),
        ("Will", "william"),
        ("Peggy", "margaret"),
        ("Maggie", "margaret"),
        ("Liz", "elizabeth"),
        ("Betty", "elizabeth"),
        ("Jack", "john"),
        ("Johnny", "john"),
        ("Jim", "james"),
        ("Dick", "richard"),
        ("Ted", "edward"),
        ("Mike", "michael"),
        ("Tony", "anthony"),
        ("Kate", "katherine"),
        ("Chris", "christopher"),
        ("Hans", "johannes"),
        ("Sepp", "josef"),
        ("Fritz", "friedrich"),
        ("Paco", "francisco"),
        ("Pepe", "jose"),
        ("Lola", "dolores"),
        ("Manolo", "manuel"),
        ("Nacho", "ignacio"),
        ("Sasha", "alexander"),
        ("Beppe", "giuseppe"),
        ("Gigi", "luigi"),
        ("Kees", "cornelis"),
        ("Kasia", "katarzyna"),
    ],
)
def test_canonical_given_name(nickname: str, formal: str) -> None:
    assert canonical_given_name(nickname) == formal
    assert canonical_given_name(formal) == formal
    assert formal in canonical_given_names(nickname)
    assert are_nickname_equivalent(nickname, formal)
    assert are_nickname_equivalent(formal.upper(), nickname.lower())


def test_canonical_given_names_examples() -> None:
    assert canonical_given_names("bob") == frozenset({"bob", "robert"})
    assert canonical_given_names("Robert") == frozenset({"robert"})
    assert canonical_given_names("Paco") == frozenset({"paco", "francisco"})
    assert canonical_given_names("Zyxwv") == frozenset({"zyxwv"})
    assert canonical_given_names("") == frozenset()
    assert canonical_given_names(None) == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Bob", "Rob", True),
        ("Bob", "bobby", True),
        ("Jürgen", "Juergen", True),
        ("JOSÉ", "pepe", True),
        ("Bill", "Mary", False),
        ("William", "Wilma", False),
        ("Bob", "", False),
        (None, None, False),
        ("Anna", "anna", True),
        ("Zyx", "Zyx", True),
        ("Zyx", "Qwv", False),
    ],
)
def test_are_nickname_equivalent(a: object, b: object, expected: bool) -> None:
    assert are_nickname_equivalent(a, b) is expected
    assert are_nickname_equivalent(b, a) is expected


def test_unknown_and_blank() -> None:
    assert canonical_given_name("Zyxwv") == "zyxwv"
    assert canonical_given_name("  ") == ""
    assert canonical_given_name(math.nan) == ""


def test_tables_are_consistent() -> None:
    tables = _tables()
    for name, key in tables.canonical.items():
        assert tables.canonical.get(key, key) == key, name  # keys are fixed points
        assert key in tables.formals[name]
        assert name in tables.formals[name]


def test_supplement_files_are_well_formed() -> None:
    data = resources.files("crmresolve").joinpath("data")
    extra = [
        line
        for line in data.joinpath("nicknames_extra.csv").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    rows = list(csv.reader(extra))
    assert rows[0] == ["formal", "nickname", "lang"]
    assert len(rows) > 50
    assert all(len(row) == 3 and row[0] and row[1] and len(row[2]) == 2 for row in rows[1:])


def test_lookup_speed() -> None:
    _tables()
    names = ["Bob", "bill", "Jürgen", "Maria", "zyx", "peggy"] * 2000
    start = time.perf_counter()
    for name in names:
        canonical_given_name(name)
    assert time.perf_counter() - start < 1.0


@settings(max_examples=200, deadline=None)
@given(_NAMES, _NAMES)
def test_nickname_properties(name: str, other: str) -> None:
    key = canonical_given_name(name)
    assert canonical_given_name(name) == key  # deterministic
    assert canonical_given_name(key) == key  # idempotent
    forms = canonical_given_names(name)
    if key:
        assert key in forms
        assert are_nickname_equivalent(name, name)
    else:
        assert forms == frozenset()
    assert are_nickname_equivalent(name, other) == are_nickname_equivalent(other, name)
