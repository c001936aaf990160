"""Tests of crmresolve.cluster: partition, determinism, anti-chaining rules, reviewer links."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmresolve.cluster import (
    Clusterer,
    Clustering,
    cluster_id_for,
    cluster_pairs,
    dob_compatible,
    names_compatible,
)
from crmresolve.cluster._conflicts import (
    ComponentConflicts,
    RecordAttributes,
    _Memo,
    pair_codes,
    valid_dob,
)
from crmresolve.cluster._core import _has_weak_bridge
from crmresolve.cluster._graph import boruvka


def obj(values: list[str | None]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def clusters_by_id(c: Clustering) -> dict[str, frozenset[str]]:
    return {c.cluster_ids[i]: frozenset(c.members(i)) for i in range(c.n_clusters)}


def together(c: Clustering, a: str, b: str) -> bool:
    ids = c.record_ids.tolist()
    return bool(c.labels[ids.index(a)] == c.labels[ids.index(b)])


# --------------------------------------------------------------------------- value rules


def test_names_compatible_rules() -> None:
    assert names_compatible(("bob", "robert"), ("rob", "robert"))
    assert names_compatible(("r", None), ("robert", None))
    assert names_compatible(("b", None), ("bob", "robert"))  # initial vs the given form
    assert names_compatible(("mary ann", None), ("mary", None))
    assert names_compatible(("jonh", None), ("john", None))  # keystroke typo
    assert names_compatible(("micheal", None), ("michael", None))
    assert not names_compatible(("john", None), ("mary", None))
    assert not names_compatible(("maria", None), ("mario", None))  # gendered ending
    assert not names_compatible(("daniel", None), ("daniela", None))
    assert not names_compatible(("j", None), ("m", None))
    assert not names_compatible(("jon", None), ("jan", None))  # too short for typo tolerance
    # "Wilson, Felix" typed into the first-name field: order swapped, not a different person.
    assert names_compatible(("wilson", None, "wilson"), ("felix", None, "wilson"))
    assert not names_compatible(("john", None, "smith"), ("mary", None, "smith"))


def test_dob_rules() -> None:
    assert dob_compatible("1985-03-12", "1985-03-13")  # one digit
    assert dob_compatible("1985-03-12", "1985-12-03")  # day/month swapped
    assert dob_compatible("1985-03-12", "1958-03-12")  # adjacent digits swapped
    assert dob_compatible("1985", "1985-03-12")  # partial date
    assert not dob_compatible("1985-03-12", "1985-03-12".replace("03-12", "07-30"))
    assert not dob_compatible("1985-03-12", "1985-03-13", typo_tolerant=False)
    assert valid_dob("1900-01-01") is None
    assert valid_dob("2023-02-29") is None
    assert valid_dob("not a date") is None
    assert valid_dob(" 1985-03-12 ") == "1985-03-12"


# --------------------------------------------------------------------------- basics


def test_pairs_and_singletons() -> None:
    c = cluster_pairs(4, ["d", "c", "b", "a"], [0, 2], [1, 3], [0.9, 0.4])
    assert c.n_clusters == 3
    assert together(c, "d", "c")
    assert not together(c, "b", "a")
    # Clusters are ordered by their smallest record id.
    assert [c.members(i) for i in range(3)] == [["a"], ["b"], ["c", "d"]]
    assert c.cluster_ids[0] == cluster_id_for("a")
    assert c.confidence.tolist() == [1.0, 1.0, 0.9]
    assert c.sizes.tolist() == [1, 1, 2]


def test_threshold_is_inclusive() -> None:
    c = cluster_pairs(2, ["a", "b"], [0], [1], [0.5], threshold=0.5)
    assert c.n_clusters == 1
    c = cluster_pairs(2, ["a", "b"], [0], [1], [0.5], threshold=0.51)
    assert c.n_clusters == 2


def test_duplicate_and_reversed_pairs_use_max_probability() -> None:
    c = cluster_pairs(2, ["a", "b"], [0, 1, 0], [1, 0, 0], [0.6, 0.8, 1.0])
    assert c.n_clusters == 1
    assert c.confidence[0] == pytest.approx(0.8)


def test_empty_input() -> None:
    c = cluster_pairs(0, [], [], [], [])
    assert c.n_clusters == 0 and c.labels.size == 0


def test_confidence_is_spanning_tree_bottleneck() -> None:
    # a-b 0.9, b-c 0.7, a-c 0.6: the maximum spanning tree is {0.9, 0.7}.
    c = cluster_pairs(3, ["a", "b", "c"], [0, 1, 0], [1, 2, 2], [0.9, 0.7, 0.6])
    assert c.n_clusters == 1
    assert c.confidence[0] == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probability": [float("nan")]}, "NaN"),
        ({"probability": [1.5]}, "outside"),
        ({"left": [5]}, "within"),
        ({"record_ids": ["a", "a", "b"]}, "unique"),
        ({"right": [1, 2]}, "length"),
    ],
)
def test_input_validation(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "record_ids": ["a", "b", "c"],
        "left": [0],
        "right": [1],
        "probability": [0.9],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        cluster_pairs(3, args["record_ids"], args["left"], args["right"], args["probability"])  # type: ignore[arg-type]


def test_errors_do_not_leak_values() -> None:
    feats = {"email": obj(["secret@x.org", "secret@x.org"])}
    with pytest.raises(ValueError) as info:
        cluster_pairs(2, ["a", "b"], [0], [1], [0.9], features=feats, must_link=[("a", "zz")])
    assert "secret" not in str(info.value) and "zz" not in str(info.value)


# --------------------------------------------------------------------------- anti-chaining


def household() -> dict[str, np.ndarray]:
    # Three people at one address with one landline: same surname, street, phone.
    return {
        "given_name": obj(["john", "mary", "tom"]),
        "given_name_canonical": obj(["john", "mary", "thomas"]),
        "surname": obj(["smith", "smith", "smith"]),
        "street": obj(["elm street", "elm street", "elm street"]),
        "phone": obj(["+15550100", "+15550100", "+15550100"]),
        "dob": obj([None, None, None]),
    }


def test_household_chain_is_split_on_first_names() -> None:
    feats = household()
    c = cluster_pairs(3, ["a", "b", "c"], [0, 1, 0], [1, 2, 2], [0.9, 0.85, 0.7], features=feats)
    assert c.n_clusters == 3
    assert [s.reason for s in c.splits] == ["conflicting_first_name"]
    split = c.splits[0]
    assert split.n_records == 3 and split.n_edges_cut == 3
    assert split.record_ids == ("a", "b") and split.max_probability == pytest.approx(0.9)
    assert split.component_id == cluster_id_for("a")
    assert set(split.cluster_ids) == set(c.cluster_ids.tolist())


def test_household_chain_is_split_on_dob() -> None:
    feats = household()
    feats["given_name"] = obj([None, None, None])
    feats["given_name_canonical"] = obj([None, None, None])
    feats["dob"] = obj(["1960-04-02", "1962-11-30", "1995-07-21"])
    c = cluster_pairs(3, ["a", "b", "c"], [0, 1], [1, 2], [0.95, 0.95], features=feats)
    assert c.n_clusters == 3
    assert {s.reason for s in c.splits} == {"conflicting_dob"}


def test_same_person_variants_stay_together() -> None:
    feats = {
        "given_name": obj(["bob", "robert", "r", "rob"]),
        "given_name_canonical": obj(["robert", "robert", "r", "robert"]),
        "dob": obj(["1970-05-06", "1970-05-06", "1970-06-05", "1900-01-01"]),
        "surname": obj(["lee"] * 4),
    }
    c = cluster_pairs(
        4, ["1", "2", "3", "4"], [0, 1, 2], [1, 2, 3], [0.9, 0.8, 0.7], features=feats
    )
    assert c.n_clusters == 1 and c.splits == []


def test_chain_through_shared_record_keeps_strongest_side() -> None:
    # A~B strong, B~C weaker, A and C conflict: B stays with A.
    feats = {"given_name": obj(["ann", None, "eve"])}
    c = cluster_pairs(3, ["a", "b", "c"], [0, 1], [1, 2], [0.97, 0.8], features=feats)
    assert together(c, "a", "b") and not together(c, "b", "c")


def tied_path() -> tuple[list[str], dict[str, np.ndarray]]:
    # d - c - b - a, three equally probable edges; a and d conflict on the birth date. The
    # record ids make the greedy order take c~d, then b~c, which used to strand a.
    ids = ["r4", "r3", "r1", "r2"]  # positions: a, b, c, d
    feats = {"given_name": obj(["ann"] * 4), "dob": obj(["1970-05-05", None, None, "1990-09-09"])}
    return ids, feats


def test_equally_strong_edge_taken_first_does_not_strand_a_record() -> None:
    ids, feats = tied_path()
    c = cluster_pairs(4, ids, [0, 1, 2], [1, 2, 3], [0.9, 0.9, 0.9], features=feats)
    # b has as much evidence for a as for c; moving it leaves nobody without a match.
    assert c.member_lists() == [["r1", "r2"], ["r3", "r4"]]
    assert [s.to_dict() for s in c.splits] == [
        {
            "component_id": cluster_id_for("r1"),
            "reason": "conflicting_dob",
            "cluster_ids": sorted([cluster_id_for("r1"), cluster_id_for("r3")]),
            "n_records": 4,
            "n_edges_cut": 1,
            "max_probability": 0.9,
            "record_ids": ["r1", "r3"],
        }
    ]
    # A stronger edge to c keeps b there: moves need at least as much evidence.
    c = cluster_pairs(4, ids, [0, 1, 2], [1, 2, 3], [0.9, 0.95, 0.9], features=feats)
    assert c.member_lists() == [["r1", "r2", "r3"], ["r4"]]


def test_record_moves_to_the_cluster_its_edges_support_most() -> None:
    # x matches a at 0.95 and both b1 and b2 at 0.9; a conflicts with b1 and b2. Greedy
    # merging puts x with a (strongest edge first); two matches outweigh one (log-odds).
    feats = {"given_name": obj(["ann"] * 4), "dob": obj([None, "1970-05-05", *["1990-09-09"] * 2])}
    args = (4, ["x", "a", "b1", "b2"], [0, 0, 0, 2], [1, 2, 3, 3], [0.95, 0.9, 0.9, 0.9])
    c = cluster_pairs(*args, features=feats)
    assert c.member_lists() == [["a"], ["b1", "b2", "x"]]
    assert [(s.reason, s.n_edges_cut, s.record_ids) for s in c.splits] == [
        ("conflicting_dob", 1, ("a", "x"))
    ]
    # A reviewer's must-link pins the record.
    pinned = cluster_pairs(*args, features=feats, must_link=[("x", "a")])
    assert pinned.member_lists() == [["a", "x"], ["b1", "b2"]]
    # A move the merge rules would refuse does not happen (x conflicts with b1 and b2).
    feats["dob"] = obj(["1970-05-05", "1970-05-05", *["1990-09-09"] * 2])
    assert cluster_pairs(*args, features=feats).member_lists() == [["a", "x"], ["b1", "b2"]]


def test_local_moves_do_not_depend_on_row_order() -> None:
    ids_a, feats_a = tied_path()
    ids = [*ids_a, "x", "a", "b1", "b2"]
    feats = {
        "given_name": obj(["ann"] * 8),
        "dob": obj([*feats_a["dob"].tolist(), None, "1970-05-05", *["1990-09-09"] * 2]),
    }
    left = np.array([0, 1, 2, 4, 4, 4, 6])
    right = np.array([1, 2, 3, 5, 6, 7, 7])
    prob = np.array([0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9])
    base = cluster_pairs(8, ids, left, right, prob, features=feats)
    assert base.member_lists() == [["a"], ["b1", "b2", "x"], ["r1", "r2"], ["r3", "r4"]]
    rng = np.random.default_rng(7)
    for _ in range(20):
        perm = rng.permutation(8)
        inv = np.argsort(perm)
        order = rng.permutation(left.size)
        lft, rgt = inv[left[order]], inv[right[order]]
        if rng.integers(2):
            lft, rgt = rgt, lft
        other = cluster_pairs(
            8,
            [ids[i] for i in perm],
            lft,
            rgt,
            prob[order],
            features={k: v[perm] for k, v in feats.items()},
        )
        assert clusters_by_id(other) == clusters_by_id(base)
        assert [s.to_dict() for s in other.splits] == [s.to_dict() for s in base.splits]


def test_strong_direct_edge_lifts_dob_conflict_unless_first_names_differ() -> None:
    dob = obj(["1980-01-15", "1981-07-02"])
    feats = {"dob": dob}
    # A mistyped birth date on an otherwise identical customer: strong direct evidence.
    assert cluster_pairs(2, ["a", "b"], [0], [1], [0.995], features=feats).n_clusters == 1
    # Below the strong-evidence probability the conflict wins.
    assert cluster_pairs(2, ["a", "b"], [0], [1], [0.95], features=feats).n_clusters == 2
    # Different first names as well: relatives, whatever the score.
    family = {**feats, "given_name": obj(["john", "mary"])}
    assert cluster_pairs(2, ["a", "b"], [0], [1], [0.999], features=family).n_clusters == 2


def test_scored_direct_evidence_lifts_conflicts_inside_a_component() -> None:
    # a~b and b~c are edges; a and c conflict on the birth date and have no edge.
    feats = {"dob": obj(["1980-01-15", None, "1962-07-30"])}

    def strong(lft: np.ndarray, rgt: np.ndarray) -> np.ndarray:
        return np.full(len(lft), 0.97)

    def weak(lft: np.ndarray, rgt: np.ndarray) -> np.ndarray:
        return np.full(len(lft), 0.2)

    args = (3, ["a", "b", "c"], [0, 1], [1, 2], [0.95, 0.9])
    assert (
        cluster_pairs(*args, features=feats, pair_scorer=strong, strong_evidence=0.9).n_clusters
        == 1
    )
    split = cluster_pairs(*args, features=feats, pair_scorer=weak, strong_evidence=0.9)
    assert split.n_clusters == 2 and [s.reason for s in split.splits] == ["conflicting_dob"]


def test_shared_email_exempts_first_name_conflict() -> None:
    feats = {"given_name": obj(["kate", "cathy"]), "email": obj(["k@y.org", "k@y.org"])}
    assert cluster_pairs(2, ["a", "b"], [0], [1], [0.9], features=feats).n_clusters == 1


def test_identifier_conflict_needs_strong_direct_evidence() -> None:
    feats = {"identifier": obj(["DE123", "DE999"]), "email": obj(["x@y.org", "x@y.org"])}
    c = cluster_pairs(2, ["a", "b"], [0], [1], [0.95], features=feats)
    assert c.n_clusters == 2
    assert c.splits[0].reason == "conflicting_identifier"
    assert cluster_pairs(2, ["a", "b"], [0], [1], [0.999], features=feats).n_clusters == 1


def test_conflict_outvoted_by_direct_matches() -> None:
    # Four copies of one person; copy 3 has a mistyped birth date that conflicts with
    # copies 0 and 1, but it matches 0, 1 and 2 directly (3 edges > 2 conflicts).
    feats = {
        "given_name": obj(["ann"] * 4),
        "dob": obj(["1980-01-02", "1980-01-02", None, "1962-07-30"]),
    }
    left, right = [0, 0, 1, 0, 1, 2], [1, 2, 2, 3, 3, 3]
    prob = [0.99, 0.98, 0.97, 0.9, 0.9, 0.9]
    ids = ["a", "b", "c", "d"]
    assert cluster_pairs(4, ids, left, right, prob, features=feats).n_clusters == 1
    strict = cluster_pairs(4, ids, left, right, prob, features=feats, majority=False)
    assert strict.n_clusters == 2
    # A household chain: two people joined through one record, one edge each: split.
    feats2 = {"given_name": obj(["ann", None, "tom"])}
    chain = cluster_pairs(3, ["a", "b", "c"], [0, 1], [1, 2], [0.9, 0.8], features=feats2)
    assert chain.n_clusters == 2


def test_link_sources_same_source_conflicts_do_not_vote() -> None:
    # One A record and two B duplicates whose birth dates conflict with each other (B-B pairs
    # are never compared in link mode): both B records join the A record.
    feats = {
        "given_name": obj(["ann"] * 3),
        "dob": obj(["1980-01-02", "1980-01-03", "1980-01-12"]),
    }
    args = (3, ["a", "b1", "b2"], [0, 0], [1, 2], [0.99, 0.9])
    src = obj(["a", "b", "b"])
    assert cluster_pairs(*args, features=feats).n_clusters == 2
    assert cluster_pairs(*args, features=feats, link_sources=src).n_clusters == 1


def test_max_cluster_size_is_honoured() -> None:
    n = 10
    # a chain with a few chords: sparse, so the size limit applies
    left = np.array([*range(n - 1), 0, 3, 6])
    right = np.array([*range(1, n), 2, 5, 8])
    prob = np.linspace(0.99, 0.6, left.size)
    c = cluster_pairs(n, [f"r{i}" for i in range(n)], left, right, prob, max_cluster_size=4)
    assert c.sizes.max() <= 4
    assert c.sizes.sum() == n
    assert {s.reason for s in c.splits} == {"max_size"}


def test_dense_component_is_not_cut_for_its_size() -> None:
    n = 10
    left, right = np.triu_indices(n, k=1)
    keep = np.arange(left.size) % 4 != 0  # three quarters of all pairs match directly
    prob = np.linspace(0.99, 0.6, int(keep.sum()))
    ids = [f"r{i}" for i in range(n)]
    c = cluster_pairs(n, ids, left[keep], right[keep], prob, max_cluster_size=4)
    assert c.n_clusters == 1 and not c.splits


def test_weak_bridge_between_dense_groups_is_cut() -> None:
    # Two triangles joined by one weak edge.
    left = [0, 1, 0, 3, 4, 3, 2]
    right = [1, 2, 2, 4, 5, 5, 3]
    prob = [0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.6]
    ids = list("abcdef")
    c = cluster_pairs(6, ids, left, right, prob)
    assert c.n_clusters == 2
    assert [s.reason for s in c.splits] == ["weak_bridge"]
    assert c.splits[0].record_ids == ("c", "d")
    # A confident bridge stays; so does a mere chain; and the feature can be switched off.
    assert cluster_pairs(6, ids, left, right, [*prob[:-1], 0.97]).n_clusters == 1
    chain = cluster_pairs(6, ids, [0, 1, 2, 3, 4], [1, 2, 3, 4, 5], [0.6] * 5)
    assert chain.n_clusters == 1
    assert cluster_pairs(6, ids, left, right, prob, weak_bridge=None).n_clusters == 1


# --------------------------------------------------------------------------- reviewer links


def test_must_link_merges_and_overrides_conflicts() -> None:
    feats = {"identifier": obj(["A1", "B2", None])}
    c = cluster_pairs(3, ["a", "b", "c"], [], [], [], features=feats, must_link=[("a", "b")])
    assert together(c, "a", "b") and c.n_clusters == 2
    assert c.confidence[c.labels[0]] == 1.0


def test_cannot_link_is_honoured_even_against_strong_scores() -> None:
    c = cluster_pairs(
        3, ["a", "b", "c"], [0, 1, 0], [1, 2, 2], [0.99, 0.99, 0.99], cannot_link=[("a", "c")]
    )
    assert not together(c, "a", "c")
    assert any(s.reason == "cannot_link" for s in c.splits)


def test_contradicting_reviewer_links_raise() -> None:
    with pytest.raises(ValueError, match="cannot_link entry #0"):
        cluster_pairs(
            3,
            ["a", "b", "c"],
            [],
            [],
            [],
            must_link=[("a", "b"), ("b", "c")],
            cannot_link=[("c", "a")],
        )
    with pytest.raises(ValueError, match="itself"):
        cluster_pairs(2, ["a", "b"], [], [], [], cannot_link=[("a", "a")])


def test_must_link_joins_otherwise_unlinked_records() -> None:
    c = cluster_pairs(3, ["a", "b", "c"], [], [], [], must_link=[("a", "c")])
    assert together(c, "a", "c") and not together(c, "a", "b")


# --------------------------------------------------------------------------- properties

NAMES = ["ann", "bob", "robert", "r", "eve", None]
DOBS = ["1980-01-01", "1980-01-02", "1975-06-30", None]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 60))
    left = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    right = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    prob = draw(st.lists(st.sampled_from([0.3, 0.55, 0.7, 0.9, 0.995]), min_size=m, max_size=m))
    given = draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n))
    dob = draw(st.lists(st.sampled_from(DOBS), min_size=n, max_size=n))
    email = draw(st.lists(st.sampled_from(["e1", "e2", None]), min_size=n, max_size=n))
    max_size = draw(st.integers(2, 8))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    cannot = [p for p in draw(st.lists(pairs, max_size=3)) if p[0] != p[1]]
    return {
        "n": n,
        "ids": [f"id{i:03d}" for i in draw(st.permutations(list(range(n))))],
        "left": left,
        "right": right,
        "prob": prob,
        "features": {"given_name": obj(given), "dob": obj(dob), "email": obj(email)},
        "max_size": max_size,
        "cannot": cannot,
    }


def run(
    g: dict[str, object],
    perm: np.ndarray | None = None,
    pair_perm: np.ndarray | None = None,
    swap: bool = False,
    majority: bool = True,
) -> Clustering:
    n = int(g["n"])  # type: ignore[call-overload]
    ids = np.array(g["ids"], dtype=object)
    left = np.asarray(g["left"], dtype=np.int64)
    right = np.asarray(g["right"], dtype=np.int64)
    prob = np.asarray(g["prob"], dtype=np.float64)
    feats = dict(g["features"])  # type: ignore[call-overload]
    cannot = [(ids[a], ids[b]) for a, b in g["cannot"]]  # type: ignore[attr-defined]
    if perm is not None:
        inv = np.argsort(perm)
        ids = ids[perm]
        left, right = inv[left], inv[right]
        feats = {k: v[perm] for k, v in feats.items()}
    if pair_perm is not None:
        left, right, prob = left[pair_perm], right[pair_perm], prob[pair_perm]
    if swap:
        left, right = right, left
    return cluster_pairs(
        n,
        ids,
        left,
        right,
        prob,
        features=feats,
        max_cluster_size=int(g["max_size"]),  # type: ignore[call-overload]
        cannot_link=cannot,
        majority=majority,
    )


def _in_dense_component(g: dict[str, object], members: np.ndarray) -> bool:
    graph = nx.Graph()
    graph.add_nodes_from(range(int(g["n"])))  # type: ignore[call-overload]
    for a, b, p in zip(g["left"], g["right"], g["prob"], strict=True):  # type: ignore[call-overload]
        if a != b and p >= 0.5:
            graph.add_edge(int(a), int(b))
    comp = nx.node_connected_component(graph, int(members[0]))
    k = len(comp)
    return bool(graph.subgraph(comp).number_of_edges() >= 0.7 * (k * (k - 1) // 2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.randoms(use_true_random=False))
def test_partition_and_determinism(g: dict[str, object], rnd: object) -> None:
    base = run(g)
    n = int(g["n"])  # type: ignore[call-overload]
    # Partition: every record in exactly one non-empty cluster.
    assert base.labels.shape == (n,)
    assert base.sizes.sum() == n and (base.sizes > 0).all()
    assert np.array_equal(np.bincount(base.labels, minlength=base.n_clusters), base.sizes)
    assert len(set(base.cluster_ids.tolist())) == base.n_clusters
    # Constraints.
    for c in np.flatnonzero(base.sizes > int(g["max_size"])):  # type: ignore[call-overload]
        # only a dense component (70% of member pairs match directly) may exceed the limit
        assert _in_dense_component(g, np.flatnonzero(base.labels == c))
    for a, b in g["cannot"]:  # type: ignore[attr-defined]
        assert base.labels[a] != base.labels[b]
    assert ((base.confidence >= 0.5) & (base.confidence <= 1.0)).all()
    # Same clusters, ids, confidences and splits under shuffled records and pairs.
    rng = np.random.default_rng(rnd.randint(0, 2**32 - 1))  # type: ignore[attr-defined]
    perm = rng.permutation(n)
    m = len(g["left"])  # type: ignore[arg-type]
    other = run(g, perm=perm, pair_perm=rng.permutation(m), swap=bool(rng.integers(2)))
    assert clusters_by_id(other) == clusters_by_id(base)
    assert other.cluster_ids.tolist() == base.cluster_ids.tolist()
    assert np.allclose(other.confidence, base.confidence)
    assert [s.to_dict() for s in other.splits] == [s.to_dict() for s in base.splits]


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_no_cluster_holds_a_conflict(g: dict[str, object]) -> None:
    # Strict rules (no majority vote): no conflicting pair shares a cluster.
    c = run(g, majority=False)
    feats = g["features"]
    given_names = feats["given_name"]  # type: ignore[index]
    dobs = feats["dob"]  # type: ignore[index]
    emails = feats["email"]  # type: ignore[index]
    pair_prob: dict[tuple[int, int], float] = {}
    for a, b, p in zip(g["left"], g["right"], g["prob"], strict=True):  # type: ignore[call-overload]
        key = (min(a, b), max(a, b))
        pair_prob[key] = max(p, pair_prob.get(key, 0.0))
    for k in range(c.n_clusters):
        members = np.flatnonzero(c.labels == k).tolist()
        for i in members:
            for j in members:
                if i >= j:
                    continue
                shared = emails[i] is not None and emails[i] == emails[j]
                gi, gj = given_names[i], given_names[j]
                canon = {"bob": "robert"}
                if gi and gj and not shared:
                    assert names_compatible((gi, canon.get(gi)), (gj, canon.get(gj)))
                di, dj = dobs[i], dobs[j]
                if di and dj and not dob_compatible(di, dj):
                    # Only a strong direct edge keeps conflicting birth dates together.
                    assert pair_prob.get((i, j), 0.0) >= 0.99
                    if gi and gj:
                        assert names_compatible((gi, canon.get(gi)), (gj, canon.get(gj)))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["jo", "j", "mary", None]), min_size=2, max_size=12),
    st.lists(st.sampled_from(DOBS), min_size=12, max_size=12),
    st.lists(st.sampled_from(["A", "B", None]), min_size=12, max_size=12),
    st.lists(st.sampled_from(["e", None]), min_size=12, max_size=12),
    st.data(),
)
def test_numpy_and_python_conflict_paths_agree(
    names: list[str | None],
    dobs: list[str | None],
    idents: list[str | None],
    emails: list[str | None],
    data: st.DataObject,
) -> None:
    k = len(names)
    feats = {
        "given_name": obj(names),
        "dob": obj(dobs[:k]),
        "identifier": obj(idents[:k]),
        "email": obj(emails[:k]),
    }
    attrs = RecordAttributes.from_features(k, feats)
    idx = list(range(k))
    pairs = [(i, j) for i in idx for j in idx if i < j]
    overrides = set(data.draw(st.lists(st.sampled_from(pairs), max_size=3)))
    cannot = set(data.draw(st.lists(st.sampled_from(pairs), max_size=2)))

    def conflicts(over: set[tuple[int, int]], never: set[tuple[int, int]]) -> ComponentConflicts:
        codes = (attrs.dob, attrs.name, attrs.identifier, attrs.email)
        return ComponentConflicts(_Memo(attrs), *(c.tolist() for c in codes), over, never)

    cc = conflicts(overrides, cannot)
    a = np.array(idx[: k // 2], dtype=np.int64)
    b = np.array(idx[k // 2 :], dtype=np.int64)
    matrix = cc.cross(a, b)
    for r, i in enumerate(a.tolist()):
        for s, j in enumerate(b.tolist()):
            assert matrix[r, s] == cc.pair(i, j)
    # The vectorised all-pairs rule (no overrides, no cannot-links) agrees with pair().
    plain = conflicts(set(), set())
    pa = np.array([i for i, _ in pairs], dtype=np.int64)
    pb = np.array([j for _, j in pairs], dtype=np.int64)
    codes = pair_codes(
        _Memo(attrs), attrs.dob, attrs.name, attrs.identifier, attrs.email, pa, pb
    ).tolist()
    assert codes == [plain.pair(i, j) for i, j in pairs]


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.data())
def test_weak_bridge_check_matches_networkx(n: int, data: st.DataObject) -> None:
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = data.draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=20, unique=True))
    weak = data.draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    g = nx.Graph()
    for x, (a, b) in enumerate(edges):
        g.add_edge(a, b, x=x)
    expected = any(weak[g.edges[a, b]["x"]] for a, b in nx.bridges(g))
    lo = [a for a, _ in edges]
    hi = [b for _, b in edges]
    assert _has_weak_bridge(lo, hi, weak) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.data())
def test_boruvka_matches_networkx(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, 60))
    u = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    v = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    w = np.random.default_rng(m).permutation(m).astype(np.int64)
    comp, mst = boruvka(n, u, v, w)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for i in range(m):
        if u[i] != v[i] and (not g.has_edge(u[i], v[i]) or g.edges[u[i], v[i]]["w"] < w[i]):
            g.add_edge(int(u[i]), int(v[i]), w=int(w[i]))
    expected = {frozenset(c) for c in nx.connected_components(g)}
    got: dict[int, set[int]] = {}
    for node, root in enumerate(comp.tolist()):
        got.setdefault(root, set()).add(node)
    assert {frozenset(s) for s in got.values()} == expected
    tree = nx.maximum_spanning_tree(g, weight="w")
    assert sorted(int(x) for x in w[mst]) == sorted(d["w"] for _, _, d in tree.edges(data=True))


# --------------------------------------------------------------------------- output helpers


def test_clustering_helpers() -> None:
    c = Clusterer(threshold=0.6).cluster(3, ["x", "y", "z"], [0], [2], [0.8])
    assert c.member_lists() == [["x", "z"], ["y"]]
    assert c.members(c.cluster_ids[0]) == ["x", "z"]
    recs = c.to_records()
    assert recs[1] == {
        "record_id": "y",
        "cluster_id": cluster_id_for("y"),
        "cluster_size": 1,
        "cluster_confidence": 1.0,
    }
    pytest.importorskip("pandas")
    df = c.to_pandas()
    assert list(df.columns) == ["record_id", "cluster_id", "cluster_size", "cluster_confidence"]
    assert c.record_cluster_ids.tolist() == [
        cluster_id_for("x"),
        cluster_id_for("y"),
        cluster_id_for("x"),
    ]


def test_large_component_uses_numpy_path() -> None:
    # 40 records of one person plus one impostor, all pairs linked: merges reach the numpy
    # path (> 256 record pairs per check) and must still refuse the impostor.
    n = 41
    left, right = np.triu_indices(n, k=1)
    names = ["ann"] * 40 + ["zoe"]
    c = cluster_pairs(
        n,
        [f"r{i:02d}" for i in range(n)],
        left,
        right,
        np.full(left.size, 0.9),
        features={"given_name": obj(names)},
    )
    assert c.n_clusters == 2 and sorted(c.sizes.tolist()) == [1, 40]


def test_identifier_typo_is_not_a_conflict() -> None:
    from crmresolve.cluster import cluster_pairs

    feats = {"identifier": np.array(["1804974", "1809474", "5304218"], dtype=object)}
    c = cluster_pairs(3, ["a", "b", "c"], [0, 0, 1], [1, 2, 2], [0.99, 0.98, 0.97], features=feats)
    # a/b differ by one swapped digit: one person; c's identifier is another person's.
    assert c.labels[0] == c.labels[1] != c.labels[2]
    assert [s.reason for s in c.splits] == ["conflicting_identifier"]


def test_large_chained_component_is_bounded() -> None:
    # 6000 records in one component: households of people with different first names chained
    # by moderately probable edges (plus a few strong ones). All record pairs would be 18 M;
    # the conflict handling and the direct re-scoring must stay near linear.
    n = 6000
    names = ["ann", "bob", "carl", "dora", "emil", "fay", "gus", "hana"]
    rng = np.random.default_rng(0)
    feats = {
        "given_name": obj([names[i % len(names)] for i in range(n)]),
        "dob": obj([f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(n)]),
    }
    chain = np.arange(n - 1, dtype=np.int64)
    skip = np.arange(0, n - 3, 3, dtype=np.int64)
    left = np.r_[chain, skip]
    right = np.r_[chain + 1, skip + 3]
    prob = np.r_[rng.uniform(0.55, 0.8, chain.size), rng.uniform(0.6, 0.99, skip.size)]
    ids = [f"r{i:05d}" for i in range(n)]
    scored: list[int] = []

    def scorer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        scored.append(a.size)
        return np.where((a + b) % 7 == 0, 0.95, 0.2)

    t = time.process_time()
    c = cluster_pairs(
        n,
        ids,
        left,
        right,
        prob,
        features=feats,
        max_cluster_size=20,
        pair_scorer=scorer,
        strong_evidence=0.9,
    )
    elapsed = time.process_time() - t
    assert elapsed < 3.0
    assert len(scored) == 1 and scored[0] <= n * 20  # pairs inside pieces of <= 20 records
    assert c.sizes.max() <= 20
    perm = rng.permutation(n)
    inv = np.argsort(perm)
    other = cluster_pairs(
        n,
        np.array(ids, dtype=object)[perm],
        inv[left],
        inv[right],
        prob,
        features={k: v[perm] for k, v in feats.items()},
        max_cluster_size=20,
        pair_scorer=lambda a, b: scorer(perm[a], perm[b]),
        strong_evidence=0.9,
    )
    assert clusters_by_id(other) == clusters_by_id(c)
