"""Evidence guards: decisive evidence against a match caps the weight."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.score.guards import (
    DEFAULT_CAP_WEIGHT,
    DisagreeUnless,
    OneSided,
    RequireAny,
    apply_guards,
    default_guards,
    guard_from_dict,
)

NAMES = ("given_name", "surname", "email", "phone", "dob", "address")
LEVELS = (6, 5, 5, 4, 5, 4)


def g(*rows: tuple[int, ...]) -> np.ndarray:
    return np.array(rows, dtype=np.int8)


def test_household_member_is_capped() -> None:
    # Different first names, same surname, phone and address, no dob/email: two people.
    gamma = g((0, 4, -1, 3, -1, 3))
    w, fired = apply_guards(np.array([25.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w[0] == DEFAULT_CAP_WEIGHT and fired[0] == 0


def test_different_first_names_with_same_dob_are_not_capped() -> None:
    # Febrl-style replaced first name, but the birth date agrees exactly.
    gamma = g((0, 4, -1, 3, 4, 3))
    w, fired = apply_guards(np.array([25.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w[0] == 25.0 and fired[0] == -1


def test_different_dobs_capped_unless_email_agrees() -> None:
    guards = default_guards(NAMES)
    gamma = g((5, 4, -1, 3, 0, 3), (5, 4, 4, 3, 0, 3))
    w, fired = apply_guards(np.array([20.0, 20.0]), gamma, NAMES, LEVELS, guards)
    assert w.tolist() == [DEFAULT_CAP_WEIGHT, 20.0]
    assert fired.tolist() == [1, -1]


def test_location_only_evidence_is_capped() -> None:
    gamma = g((-1, -1, 0, 3, -1, 3))
    w, _ = apply_guards(np.array([12.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w[0] == DEFAULT_CAP_WEIGHT


def test_low_weights_are_never_raised() -> None:
    gamma = g((0, 0, 0, 0, 0, 0))
    w, fired = apply_guards(np.array([-30.0]), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w[0] == -30.0 and fired[0] == -1


def test_guards_absent_fields_never_fire() -> None:
    assert DisagreeUnless("dob").applies(g((0,)), ("given_name",), (6,)).tolist() == [False]
    assert RequireAny(("email",)).applies(g((0,)), ("phone",), (4,)).tolist() == [False]
    assert default_guards(("company", "phone")) == [RequireAny()]
    assert default_guards(("company",)) == []


def test_guards_round_trip_json() -> None:
    for guard in default_guards(NAMES):
        assert guard_from_dict(json.loads(json.dumps(guard.to_dict()))) == guard


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(-1, n - 1) for n in LEVELS], st.floats(-40, 40)),
        min_size=1,
        max_size=30,
    )
)
def test_guards_only_lower_and_are_row_independent(rows: list[tuple[float, ...]]) -> None:
    gamma = np.array([r[:-1] for r in rows], dtype=np.int8)
    w = np.array([r[-1] for r in rows])
    out, _ = apply_guards(w, gamma, NAMES, LEVELS, default_guards(NAMES))
    assert (out <= w).all()
    perm = np.arange(len(rows))[::-1]
    out_rev, _ = apply_guards(w[perm], gamma[perm], NAMES, LEVELS, default_guards(NAMES))
    assert np.array_equal(out_rev, out[perm])


def test_nameless_record_is_not_matched_to_a_named_one_on_location() -> None:
    # A role mailbox (no name) and a colleague at the same address and switchboard; then the
    # same role mailbox twice; then a nameless record sharing the person's e-mail.
    feats = {
        "given_name": np.array(["ann", None, None, None], dtype=object),
        "surname": np.array(["lee", None, None, None], dtype=object),
    }
    left, right = np.array([0, 1, 0]), np.array([1, 2, 3])
    gamma = g((-1, -1, 0, 3, -1, 3), (-1, -1, 4, 3, -1, 3), (-1, -1, 4, -1, -1, -1))
    guards = default_guards(NAMES)
    assert any(isinstance(x, OneSided) for x in guards)
    w, _ = apply_guards(
        np.full(3, 20.0), gamma, NAMES, LEVELS, guards, records=(feats, left, right)
    )
    assert w.tolist() == [DEFAULT_CAP_WEIGHT, 20.0, 20.0]
    w1, fired1 = apply_guards(
        np.full(3, 20.0), gamma, NAMES, LEVELS, [OneSided()], records=(feats, left, right)
    )
    assert w1.tolist() == w.tolist() and fired1.tolist() == [0, -1, -1]
    # Without the records, a guard that reads values never fires.
    w2, _ = apply_guards(np.full(3, 20.0), gamma, NAMES, LEVELS, [OneSided()])
    assert w2.tolist() == [20.0, 20.0, 20.0]


def test_a_shared_mobile_overrules_the_first_name_and_dob_guards() -> None:
    # Two pairs alike in gamma (different first names and birth dates, same surname, phone
    # and address): one shares a mobile (a personal line), the other a landline (a household).
    feats = {"phone_mobile": np.array(["+61412345678", "+61412345678", None, None], dtype=object)}
    left, right = np.array([0, 2]), np.array([1, 3])
    gamma = g((0, 4, -1, 3, 0, 3), (0, 4, -1, 3, 0, 3))
    guards = default_guards(NAMES)
    w, fired = apply_guards(
        np.full(2, 20.0), gamma, NAMES, LEVELS, guards, records=(feats, left, right)
    )
    assert w.tolist() == [20.0, DEFAULT_CAP_WEIGHT]
    assert fired.tolist() == [-1, 0]
    # Two different mobiles overrule nothing; without the records, gamma alone decides.
    other = {"phone_mobile": np.array(["+61412345678", "+61498765432"], dtype=object)}
    w1, _ = apply_guards(
        np.full(1, 20.0), gamma[:1], NAMES, LEVELS, guards, records=(other, left[:1], right[:1])
    )
    w2, _ = apply_guards(np.full(2, 20.0), gamma, NAMES, LEVELS, guards)
    assert w1.tolist() == [DEFAULT_CAP_WEIGHT]
    assert w2.tolist() == [DEFAULT_CAP_WEIGHT, DEFAULT_CAP_WEIGHT]
    # A feature table without the column (built by hand, an older store): no overruling.
    w3, _ = apply_guards(np.full(2, 20.0), gamma, NAMES, LEVELS, guards, records=({}, left, right))
    assert w3.tolist() == [DEFAULT_CAP_WEIGHT, DEFAULT_CAP_WEIGHT]


def test_unless_same_round_trips_and_is_optional_in_json() -> None:
    guard = DisagreeUnless("dob", unless=("email",), unless_same=("phone_mobile",))
    assert guard_from_dict(json.loads(json.dumps(guard.to_dict()))) == guard
    plain = {"type": "disagree_unless", "comparison": "dob", "unless": ["email"]}
    assert guard_from_dict(plain).unless_same == ()


def test_a_birth_date_one_typo_away_overrules_the_first_name_guard() -> None:
    # dob levels (dob_comparison): else 0, within 365 days 1, one edit 2, transposed 3, exact 4.
    gamma = g((0, 4, -1, 3, 2, 3), (0, 4, -1, 3, 1, 3))
    w, fired = apply_guards(np.full(2, 20.0), gamma, NAMES, LEVELS, default_guards(NAMES))
    assert w.tolist() == [20.0, DEFAULT_CAP_WEIGHT]
    assert fired.tolist() == [-1, 0]
