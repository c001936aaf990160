"""Impossible birth dates as typed: ``details["typed"]``, the ``dob_typed`` feature and the dob
comparison's rescue (an impossible date one edit from a valid one is a typo, not missing)."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.compare import (
    Comparison,
    DamerauLevenshteinAtMost,
    Else,
    ExactMatch,
    compute_gamma,
    default_comparisons,
    dob_comparison,
)
from crmresolve.features import build_features
from crmresolve.normalize import parse_date
from crmresolve.score import FellegiSunter
from crmresolve.score.guards import DisagreeUnless
from crmresolve.store import Store
from crmresolve.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_helpers import contacts, part

# Gamma of the dob comparison: exact=4, transposed=3, one typo=2, within 365 days=1, else=0.
TYPO = 2


def obj(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def dob_features(raw: Sequence[str | None]) -> dict[str, np.ndarray]:
    table = Table.from_columns({"birth": list(raw)})
    return build_features(table, {"dob": ["birth"]}, workers=1).columns


# ---------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        ("1959-03-92", "1959-03-92"),
        ("1950-19-05", "1950-19-05"),
        ("2001-12-64", "2001-12-64"),
        ("1949-00-13", "1949-00-13"),  # a zero month with a day: a typo, not a partial date
        ("1982-01-00", "1982-01-00"),
        ("1984-02-30", "1984-02-30"),  # in range, past the month's end
        ("1984/13/1", "1984-13-01"),
        ("1959-03-92T10:22:00Z", "1959-03-92"),
        ("31/04/1984", "1984-04-31"),  # day first: 31 cannot be a month
        ("03/92/1959", "1959-03-92"),  # month first: 92 cannot be a month
        ("31 February 1984", "1984-02-31"),
        ("1984年2月30日", "1984-02-30"),
        ("19590392", "1959-03-92"),  # compact, starting with a year: yyyymmdd
        ("19708017", "1970-80-17"),
        ("31041984", "1984-04-31"),  # compact ddmmyyyy: 31 cannot be a month
        ("19119124", "1911-91-24"),  # not 19 Nov 9124: a year-first typo
        ("20101399", "2010-13-99"),
    ],
)
def test_impossible_dates_carry_the_typed_iso_shape(raw: str, typed: str) -> None:
    p = parse_date(raw)
    assert p.value is None
    assert p.reasons[-1] == "date.impossible"
    assert p.details["typed"] == typed


@pytest.mark.parametrize(
    "raw",
    [
        "1984-00-00",  # year only (MySQL style), not a typo
        "0000-03-12",  # no year
        "13/14/1984",  # both numbers above 12: order unknown
        "13141984",  # compact, no year first and both numbers above 12
        "19840000",  # compact year only
        "31 Feb 84",  # two-digit year
        "0000-00-00",  # placeholder
        "1984-3-9x",  # syntax
        "not a date",
        "1984",  # partial
        None,
        "1984-03-12",  # valid
        "03/12/1984",
    ],
)
def test_no_typed_form_without_a_clear_impossible_date(raw: str | None) -> None:
    assert "typed" not in parse_date(raw).details


# ---------------------------------------------------------------- features


def test_dob_typed_feature() -> None:
    f = dob_features(["1959-03-29", "1959-03-92", "garbage", None, "29.03.1959", "1984-00-00"])
    assert f["dob"].tolist() == ["1959-03-29", None, None, None, "1959-03-29", None]
    assert f["dob_typed"].tolist() == [
        "1959-03-29",
        "1959-03-92",
        None,
        None,
        "1959-03-29",
        None,
    ]


def test_dob_typed_prefers_a_valid_date_from_any_column() -> None:
    table = Table.from_columns(
        {"b1": ["1959-03-92", "1959-03-92", None], "b2": ["1959-03-29", None, "1960-01-05"]}
    )
    out = build_features(table, {"dob": ["b1", "b2"]}, workers=1)
    assert out.columns["dob"].tolist() == ["1959-03-29", None, "1960-01-05"]
    assert out.columns["dob_typed"].tolist() == ["1959-03-29", "1959-03-92", "1960-01-05"]
    # an impossible date is never a valid survivor
    assert out.valid["b1"].tolist() == [False, False, False]


def test_dob_typed_is_the_same_with_forked_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmresolve.features as features

    monkeypatch.setattr(features, "PARALLEL_MIN_DISTINCT", 2)
    raw = ["1959-03-92", "1959-03-29", None, "1950-19-05", "x", "1984-02-30"] * 3
    table = Table.from_columns({"birth": raw})
    serial = build_features(table, {"dob": ["birth"]}, workers=1).columns
    forked = build_features(table, {"dob": ["birth"]}, workers=2).columns
    for key in ("dob", "dob_typed"):
        assert serial[key].tolist() == forked[key].tolist()


# ---------------------------------------------------------------- comparison


def gammas(features: dict[str, np.ndarray], pairs: Sequence[tuple[int, int]]) -> list[int]:
    left = [a for a, _ in pairs]
    right = [b for _, b in pairs]
    return dob_comparison().compute(features, left, right).tolist()


def test_impossible_date_one_edit_away_is_the_typo_level() -> None:
    f = dob_features(
        [
            "1959-03-29",  # 0
            "1959-03-92",  # 1: two digits swapped
            "1950-12-05",  # 2
            "1950-19-05",  # 3: one digit wrong
            "1970-07-01",  # 4
            None,  # 5
            "1959-03-92",  # 6: same impossible date as 1
            "1959-04-92",  # 7: one edit from 1, two from 0
        ]
    )
    assert gammas(f, [(0, 1), (1, 0), (2, 3), (6, 1), (1, 7)]) == [TYPO] * 5


def test_impossible_date_far_from_the_other_is_missing_not_else() -> None:
    f = dob_features(["1959-03-92", "1970-07-01", None, "1959-04-29", "1960-13-13"])
    # else (0) would let the dob guard treat an impossible date as a different person
    assert gammas(f, [(0, 1), (0, 3), (0, 4), (0, 2), (2, 2)]) == [-1] * 5


def test_valid_pairs_keep_their_levels_and_missing_stays_missing() -> None:
    f = dob_features(["1984-03-12", "1984-12-03", "1984-03-13", "1990-07-01", None, "1984-04-12"])
    assert gammas(f, [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (4, 4)]) == [
        4,
        3,
        2,
        0,
        -1,
        2,
        -1,
    ]


def test_features_without_dob_typed_behave_as_before() -> None:
    f = dob_features(["1959-03-29", "1959-03-92", "1984-03-12", "1984-03-13"])
    del f["dob_typed"]
    pairs = [(0, 1), (2, 3), (0, 2)]
    assert gammas(f, pairs) == [-1, TYPO, 0]
    assert dob_comparison(typed_column=None).compute(f, [0, 2, 0], [1, 3, 2]).tolist() == gammas(
        f, pairs
    )


def test_default_comparisons_use_dob_typed_only_when_present() -> None:
    (with_typed,) = default_comparisons(["dob", "dob_typed"])
    (without,) = default_comparisons(["dob"])
    assert with_typed == dob_comparison()
    assert without == dob_comparison(typed_column=None)
    assert without.rescue == () and "rescue" not in without.to_dict()
    # required columns (what a model checks the features for) do not include the rescue's
    assert with_typed.columns == without.columns == ("dob",)
    assert with_typed.level_labels == without.level_labels


DATES = [
    "1959-03-29",
    "1959-03-92",
    "1959-03-39",
    "1959-02-29",
    "1959-12-03",
    "1958-03-29",
    "1950-19-05",
    "1950-12-05",
    "1950-05-19",
    "1982-01-00",
    "1982-01-05",
    "1982-01-50",
    "19xx",
    None,
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(DATES), min_size=2, max_size=14),
    st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), min_size=1, max_size=30),
)
def test_dob_levels_symmetric_and_valid_pairs_unchanged(
    raw: list[str | None], pairs: list[tuple[int, int]]
) -> None:
    f = dob_features(raw)
    n = len(raw)
    left = np.array([a % n for a, _ in pairs])
    right = np.array([b % n for _, b in pairs])
    new = dob_comparison()
    old = dob_comparison(typed_column=None)
    fwd = new.compute(f, left, right)
    assert fwd.tolist() == new.compute(f, right, left).tolist()
    before = old.compute(f, left, right)
    valid = np.array(
        [
            f["dob"][a] is not None and f["dob"][b] is not None
            for a, b in zip(left, right, strict=True)
        ]
    )
    assert fwd[valid].tolist() == before[valid].tolist()
    # only pairs missing before can change, and only to the typo level
    changed = fwd != before
    assert (before[changed] == -1).all() and (fwd[changed] == TYPO).all()
    # chunked gamma (several batches) gives the same
    chunked = compute_gamma(f, left, right, [new], chunk_size=3)
    assert chunked[:, 0].tolist() == fwd.tolist()


def test_rescued_pairs_never_fire_the_dob_guard() -> None:
    f = dob_features(["1959-03-92", "1970-07-01", "1959-03-29"])
    g = dob_comparison().compute(f, [0, 0], [1, 2]).astype(np.int8)[:, None]
    fires = DisagreeUnless("dob", unless=()).applies(g, ("dob",), (5,))
    assert fires.tolist() == [False, False]


# ---------------------------------------------------------------- serialisation


def test_rescue_round_trips_and_old_dicts_still_load() -> None:
    c = dob_comparison()
    data = json.loads(json.dumps(c.to_dict()))
    assert data["rescue"] == [
        {
            "level": {"type": "DamerauLevenshteinAtMost", "column": "dob_typed", "distance": 1},
            "gamma": TYPO,
        }
    ]
    assert Comparison.from_dict(data) == c
    old = dict(data)
    del old["rescue"]  # a comparison saved before rescue existed
    assert Comparison.from_dict(old) == dob_comparison(typed_column=None)


def test_rescue_validation() -> None:
    levels = [ExactMatch("a"), DamerauLevenshteinAtMost("a", 1)]
    with pytest.raises(ValueError, match="between 1 and 2"):
        Comparison("x", levels, rescue=[(DamerauLevenshteinAtMost("b", 1), 3)])
    with pytest.raises(ValueError, match="between 1 and 2"):
        Comparison("x", levels, rescue=[(DamerauLevenshteinAtMost("b", 1), 0)])
    with pytest.raises(TypeError, match="not Else"):
        Comparison("x", levels, rescue=[(Else(), 1)])
    with pytest.raises(TypeError, match="integer"):
        Comparison("x", levels, rescue=[(ExactMatch("b"), True)])
    with pytest.raises(ValueError, match="rescue"):
        Comparison.from_dict({"name": "x", "levels": [ExactMatch("a").to_dict()], "rescue": [1]})


def test_model_with_rescue_saves_and_scores_features_without_dob_typed() -> None:
    f = dob_features(["1959-03-29", "1959-03-92", "1959-03-29", "1970-07-01"] * 5)
    model = FellegiSunter([dob_comparison()])
    loaded = FellegiSunter.from_json(model.to_json())
    assert loaded.comparisons[0] == dob_comparison()
    left, right = np.array([0, 0, 0]), np.array([1, 2, 3])
    assert loaded.compute_gamma(f, left, right)[:, 0].tolist() == [TYPO, 4, 0]
    plain = {"dob": f["dob"]}  # e.g. a store whose features predate dob_typed
    assert loaded.compute_gamma(plain, left, right)[:, 0].tolist() == [-1, 4, 0]


# ---------------------------------------------------------------- store


def _dob_level(found: Any) -> str:
    return next(c["level"] for c in found.explanation["comparisons"] if c["comparison"] == "dob")


def test_store_finds_an_impossible_date_one_typo_away(tmp_path: Path) -> None:
    table = contacts()
    with Store.open(tmp_path / "s.db") as store:
        store.add(part(table, 0, 250), id_column="record_id", train_until=0)
        assert "dob_typed" in store.settings["feature_keys"]
        rec = next(r for r in table.to_records()[:250] if r["date_of_birth"] == "06/23/1944")
        rid = rec.pop("record_id")
        rec["date_of_birth"] = "1944-06-32"  # 23 typed with its digits swapped
        got = store.find(rec)
        assert got[0].entity_id == store.entity_of(rid)
        assert _dob_level(got[0]) == "damerau-levenshtein <= 1"


def test_store_whose_features_predate_dob_typed_keeps_working(tmp_path: Path) -> None:
    table = contacts()
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.add(part(table, 0, 150), id_column="record_id", train_until=0)
        keys = list(store.settings["feature_keys"])
    # Rewrite it as a store written before dob_typed existed (its model, refitted after an
    # upgrade, may still carry the rescue level).
    k = keys.index("dob_typed")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'feature_keys'",
            (json.dumps(keys[:k] + keys[k + 1 :]),),
        )
        rows = conn.execute("SELECT rid, features FROM records").fetchall()
        conn.executemany(
            "UPDATE records SET features = ? WHERE rid = ?",
            [(json.dumps([v for i, v in enumerate(json.loads(f)) if i != k]), r) for r, f in rows],
        )
    conn.close()
    with Store.open(path) as store:
        assert "dob_typed" not in store.settings["feature_keys"]
        store.add(part(table, 150, 250), id_column="record_id")
        store.check_invariants()
        rec = next(r for r in table.to_records()[:150] if r["date_of_birth"] == "06/23/1944")
        rid = rec.pop("record_id")
        got = store.find(rec)
        assert got[0].entity_id == store.entity_of(rid)
        assert _dob_level(got[0]) == "exact match"
        rec["date_of_birth"] = "1944-06-32"
        assert _dob_level(store.find(rec)[0]) == "missing"
