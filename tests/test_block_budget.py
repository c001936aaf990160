"""Oversized blocks under a pair budget: kept whole when their windows would cost as much.

A block above ``max_block_size`` is split into sorted-neighbourhood windows so that a rule's
pairs stay bounded. Under a ``pair_budget`` the windows get what the whole blocks leave of the
budget; a block whose whole pairs cost no more than that allotment stays whole (one inventor
on a thousand patents keeps all his pairs), while blocks the budget cannot afford (junk keys,
switchboards, common surnames at scale) are still split and the rule still fits its budget.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crmresolve.block import (
    CandidatePairs,
    OversizedBlockWarning,
    block_on,
    generate_pairs,
)
from crmresolve.pipeline import Resolver

sys.path.insert(0, str(Path(__file__).resolve().parent))
from block_helpers import three_ways


def obj(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def pair_set(p: CandidatePairs) -> set[tuple[int, int]]:
    return set(zip(p.left.tolist(), p.right.tolist(), strict=True))


def one_big_entity(n_big: int, n_other: int, seed: int) -> dict[str, np.ndarray]:
    """One person on ``n_big`` records (in scattered rows) among ``n_other`` small families."""
    rng = np.random.default_rng(seed)
    surname = ["gurney"] * n_big + [f"s{i // 3}" for i in range(n_other)]
    given = ["austin"] * n_big + [f"g{i // 3}" for i in range(n_other)]
    # the big entity's records differ in everything the split orders sort by
    dob = [f"19{50 + i % 40}-01-{1 + i % 28:02d}" for i in range(n_big + n_other)]
    company = [f"c{rng.integers(0, 50)}" for _ in range(n_big + n_other)]
    person = [0] * n_big + [1 + i // 3 for i in range(n_other)]
    order = rng.permutation(n_big + n_other)
    return {
        "surname": obj([surname[i] for i in order]),
        "given_name": obj([given[i] for i in order]),
        "dob": obj([dob[i] for i in order]),
        "company": obj([company[i] for i in order]),
        "person": np.array([person[i] for i in order]),
    }


def true_pairs(f: dict[str, np.ndarray]) -> set[tuple[int, int]]:
    person = f["person"]
    out = set()
    for p in np.unique(person):
        rows = np.flatnonzero(person == p).tolist()
        out |= {(a, b) for i, a in enumerate(rows) for b in rows[i + 1 :]}
    return out


def test_big_entity_block_stays_whole_when_the_budget_affords_it() -> None:
    f = one_big_entity(700, 300, seed=1)
    rules = [block_on("given_name", "surname")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is split, so nothing to warn about
        got = generate_pairs(f, rules, split_oversized=True, pair_budget=2_000_000)
    assert pair_set(got) == true_pairs(f)  # all 244 650 pairs of the 700, none lost
    assert len(got) == 700 * 699 // 2 + 100 * 3
    # without a budget max_block_size is the hard guard: the block is still split
    with pytest.warns(OversizedBlockWarning, match="split 1 block"):
        capped = generate_pairs(f, rules, split_oversized=True)
    assert pair_set(capped) < pair_set(got)
    # and without split_oversized it is skipped
    with pytest.warns(OversizedBlockWarning, match="skipped 1 block"):
        skipped = generate_pairs(f, rules, pair_budget=2_000_000)
    assert len(skipped) == 100 * 3


def test_block_the_budget_cannot_afford_is_still_split() -> None:
    f = one_big_entity(700, 300, seed=2)
    rules = [block_on("given_name", "surname")]
    # 50 000 pairs: about 71 per record of the block, far below the 349 its whole pairs need
    with pytest.warns(OversizedBlockWarning, match="split 1 block"):
        got = generate_pairs(f, rules, split_oversized=True, pair_budget=50_000)
    assert len(got) <= 50_000
    assert pair_set(got) < true_pairs(f)


def test_switchboard_stays_bounded_by_the_budget() -> None:
    """A junk key shared by thousands (not on the junk list) never costs more than the budget."""
    n = 3_100
    phones = ["+41446681800"] * 3_000 + [f"+4179111{i // 2:04d}" for i in range(100)]
    rng = np.random.default_rng(3)
    f = {
        "phone": obj([phones[i] for i in rng.permutation(n)]),
        "surname": obj([f"s{i}" for i in rng.integers(0, 900, n)]),
        "dob": obj([f"19{i % 60 + 30}-0{i % 9 + 1}-1{i % 10}" for i in rng.integers(0, 10**6, n)]),
    }
    budget = 2_000_000
    with pytest.warns(OversizedBlockWarning, match="split 1 block"):
        got = generate_pairs(f, [block_on("phone")], split_oversized=True, pair_budget=budget)
    whole = 3_000 * 2_999 // 2
    assert len(got) <= budget < whole
    # the default junk list still removes placeholders before any block is formed
    f["phone"] = obj(["n/a"] * 3_000 + [None] * 100)
    assert len(generate_pairs(f, [block_on("phone")], split_oversized=True)) == 0


@pytest.mark.parametrize("budget", [3_000, 30_000, 600_000, 2_000_000])
@pytest.mark.parametrize("seed", [0, 1])
def test_rules_fit_the_budget_and_streaming_agrees(budget: int, seed: int) -> None:
    """Each rule stays within the budget (plus a partner per split record), whatever is kept
    whole; iter_pairs, diagnose and generate_pairs agree when a later rule re-finds pairs of
    a whole-kept oversized block."""
    rng = np.random.default_rng(seed)
    sizes = [900, 650, 520, 80] + [3] * 100
    key = np.concatenate([np.full(s, i) for i, s in enumerate(sizes)])
    n = len(key)
    perm = rng.permutation(n)
    f = {
        "surname": obj([f"s{k}" for k in key[perm]]),
        "given_name": obj([f"g{k % 3}" for k in key[perm]]),
        "dob": obj([f"19{v % 60 + 30}-01-0{v % 9 + 1}" for v in rng.integers(0, 10**6, n)]),
        "company": obj([f"c{v}" for v in rng.integers(0, 40, n)]),
    }
    rules = [block_on("surname"), block_on("given_name", "surname"), block_on("given_name")]
    got, streamed, diag = three_ways(
        f, rules, split_oversized=True, pair_budget=budget, chunk_size=997
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        per_rule = [
            len(generate_pairs(f, [r], split_oversized=True, pair_budget=budget)) for r in rules
        ]
        unbounded = generate_pairs(f, rules, max_block_size=None)
    assert max(per_rule) <= budget + n
    assert streamed == sorted(
        zip(got.left.tolist(), got.right.tolist(), got.rule.tolist(), strict=True)
    )
    assert diag.rules[-1].cumulative_pairs == len(got)
    assert pair_set(got) <= pair_set(unbounded)


def test_whole_kept_block_does_not_depend_on_row_order() -> None:
    f = one_big_entity(700, 300, seed=4)
    rules = [block_on("given_name", "surname"), block_on("surname")]
    perm = np.random.default_rng(5).permutation(1_000)
    shuffled = {k: v[perm] for k, v in f.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = generate_pairs(f, rules, split_oversized=True, pair_budget=2_000_000)
        again = generate_pairs(f, rules, split_oversized=True, pair_budget=2_000_000)
        b = generate_pairs(shuffled, rules, split_oversized=True, pair_budget=2_000_000)
    assert np.array_equal(a.left, again.left) and np.array_equal(a.right, again.right)
    back = {tuple(sorted((int(perm[x]), int(perm[y])))) for x, y in pair_set(b)}
    assert back == pair_set(a)


def test_resolver_budget_keeps_a_thousand_record_entity_whole() -> None:
    """With the Resolver's options (2 M pairs per rule on small tables) one person on 1 064
    records keeps all 565 516 pairs instead of a few sort-order windows."""
    f = one_big_entity(1_064, 600, seed=6)
    options = Resolver({"surname": ["surname"]}).blocking_options(len(f["surname"]))
    assert options["max_block_size"] < 1_064 and options["split_oversized"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = generate_pairs(f, [block_on("given_name", "surname")], **options)
    assert pair_set(got) == true_pairs(f)
