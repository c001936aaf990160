"""Near-identity evidence the guards honour: identifiers two edits apart, mangled birth years."""

from __future__ import annotations

import numpy as np

from crmresolve.compare import Comparison, DamerauLevenshteinAtMost, DateOutsideYears
from crmresolve.compare.levels import level_from_dict
from crmresolve.compare.library import dob_comparison, identifier_comparison
from crmresolve.score.guards import DEFAULT_CAP_WEIGHT, apply_guards, default_guards

NAMES = ("given_name", "surname", "phone", "dob", "address", "identifier")
LEVELS = (9, 5, 4, 5, 4, 4)


def _labels(comparison: Comparison, feats: dict[str, np.ndarray], pairs: list[int]) -> list[str]:
    left = np.zeros(len(pairs), dtype=np.int64)
    gamma = comparison.compute(feats, left, np.asarray(pairs, dtype=np.int64))
    return [comparison.level_labels[x] if x >= 0 else "missing" for x in gamma]


def test_identifier_two_edits_only_on_long_codes() -> None:
    c = identifier_comparison()
    feats = {
        "identifier": np.array(["3485485", "3487585", "3485458", "9176384", "348"], dtype=object)
    }
    got = _labels(c, feats, [1, 2, 3, 4])
    assert got == [
        "damerau-levenshtein <= 2 (>= 6 characters)",
        "damerau-levenshtein <= 1",
        "else",
        "else",
    ]
    short = {"identifier": np.array(["123", "321"], dtype=object)}
    assert _labels(c, short, [1]) == ["else"]


def test_min_length_round_trips_and_is_omitted_when_unset() -> None:
    plain = DamerauLevenshteinAtMost("identifier", 1)
    assert "min_length" not in plain.to_dict()
    long_only = DamerauLevenshteinAtMost("identifier", 2, min_length=6)
    assert level_from_dict(long_only.to_dict()) == long_only
    c = identifier_comparison()
    assert Comparison.from_dict(c.to_dict()) == c


def test_identifier_two_edits_overrule_the_first_name_guard() -> None:
    # A replaced first name; the 7-digit identifier has two typos: the same person.
    # Identifier levels: else 0, two edits 1, one edit 2, exact 3.
    gamma = np.array([[0, 4, 3, -1, 3, 1], [0, 4, 3, -1, 3, 0]], dtype=np.int8)
    w, fired = apply_guards(np.array([20.0, 20.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w.tolist() == [20.0, DEFAULT_CAP_WEIGHT]
    assert fired.tolist() == [-1, 0]


def test_household_pair_stays_capped() -> None:
    # Same surname, address and landline, different first names, different customer numbers
    # and birth dates: two people, however much the location fields add up to.
    gamma = np.array([[0, 4, 3, 0, 3, 0], [0, 4, 3, -1, 3, 0]], dtype=np.int8)
    w, fired = apply_guards(np.array([30.0, 30.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert (w <= DEFAULT_CAP_WEIGHT).all()
    assert (1 / (1 + 2.0**-w) < 0.5).all()
    assert fired.tolist() == [0, 0]


def test_implausible_birth_year_is_missing_not_else() -> None:
    c = dob_comparison(typed_column=None, plausible_only=True)
    feats = {
        "dob": np.array(
            ["1903-10-16", "6003-10-19", "1046-03-19", "1985-04-24", "2999-01-01"], dtype=object
        )
    }
    assert _labels(c, feats, [1, 2, 3, 4]) == ["missing", "missing", "else", "missing"]
    # Plausible dates keep their levels.
    near = {"dob": np.array(["1967-03-12", "1976-03-12"], dtype=object)}
    assert _labels(c, near, [1]) == ["damerau-levenshtein <= 1"]


def test_implausible_year_can_still_be_rescued_as_a_typo() -> None:
    c = dob_comparison(plausible_only=True)
    feats = {
        "dob": np.array(["1946-03-19", "1046-03-19"], dtype=object),
        "dob_typed": np.array(["1946-03-19", "1046-03-19"], dtype=object),
    }
    assert _labels(c, feats, [1]) == ["damerau-levenshtein <= 1"]


def test_unusable_round_trips() -> None:
    c = dob_comparison(plausible_only=True)
    data = c.to_dict()
    assert data["unusable"] == [DateOutsideYears("dob", 1875).to_dict()]
    assert Comparison.from_dict(data) == c
    without = Comparison("x", [DamerauLevenshteinAtMost("x", 1)])
    assert "unusable" not in without.to_dict()


def test_date_outside_years_bounds() -> None:
    level = DateOutsideYears("dob", 1900, 2000)
    c = Comparison("dob", [DamerauLevenshteinAtMost("dob", 10)], unusable=[level])
    feats = {
        "dob": np.array(
            ["1950-01-01", "1899-12-31", "1900-01-01", "2000-12-31", "2001-01-01"], dtype=object
        )
    }
    assert _labels(c, feats, [1, 2, 3, 4]) == [
        "missing",
        "damerau-levenshtein <= 10",
        "damerau-levenshtein <= 10",
        "missing",
    ]
