"""Tests for crmresolve.evaluate: hand-computed cases and brute-force references."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.evaluate import (
    Metrics,
    bcubed,
    best_threshold,
    blocking_recall,
    cluster_errors,
    cluster_pairwise_metrics,
    metrics_by_threshold,
    pairwise_metrics,
    true_pair_count,
)

# --------------------------------------------------------------------------- references
# Deliberately naive O(n²) versions: they enumerate every pair, which the library never does.


def _true_pairs(ent: list[int], src: list[int] | None) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i, j in itertools.combinations(range(len(ent)), 2)
        if ent[i] == ent[j] and (src is None or src[i] != src[j])
    }


def _ref_metrics(
    pairs: list[tuple[int, int]], ent: list[int], src: list[int] | None = None
) -> tuple[int, int, int]:
    pred = {(min(a, b), max(a, b)) for a, b in pairs}
    if src is not None:
        pred = {(a, b) for a, b in pred if src[a] != src[b]}
    truth = _true_pairs(ent, src)
    tp = len(pred & truth)
    return tp, len(pred) - tp, len(truth) - tp


def _ref_cluster_pairs(labels: list[int], src: list[int] | None = None) -> set[tuple[int, int]]:
    return _true_pairs(labels, src)


def _ref_bcubed(labels: list[int], ent: list[int]) -> tuple[float, float]:
    n = len(labels)
    p = r = 0.0
    for i in range(n):
        cluster = {j for j in range(n) if labels[j] == labels[i]}
        entity = {j for j in range(n) if ent[j] == ent[i]}
        both = len(cluster & entity)
        p += both / len(cluster)
        r += both / len(entity)
    return p / n, r / n


records = st.integers(min_value=2, max_value=25)


@st.composite
def labelled_pairs(draw: st.DrawFn) -> tuple[list[int], list[tuple[int, int]], list[int]]:
    n = draw(records)
    ent = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    src = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    pairs = draw(st.lists(pair, max_size=40))
    return ent, pairs, src


# --------------------------------------------------------------------------- hand cases


def test_true_pair_count_hand() -> None:
    assert true_pair_count([]) == 0
    assert true_pair_count(["a"]) == 0
    assert true_pair_count(["a", "a", "a", "b", "b", "c"]) == 3 + 1
    # Link mode: entity a has 2 records in source x and 1 in y -> 2 cross pairs.
    assert true_pair_count(["a", "a", "a"], link_sources=["x", "x", "y"]) == 2


def test_pairwise_hand() -> None:
    ent = np.array(["a", "a", "a", "b", "b", "c"], dtype=object)
    m = pairwise_metrics([0, 0, 3], [1, 5, 4], ent)
    assert (m.tp, m.fp, m.fn) == (2, 1, 2)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(0.5)
    assert m.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_pairwise_duplicates_and_order_count_once() -> None:
    m = pairwise_metrics([0, 1, 0], [1, 0, 1], [1, 1, 2])
    assert (m.tp, m.fp, m.fn) == (1, 0, 0)


def test_pairwise_empty_conventions() -> None:
    m = pairwise_metrics([], [], ["a", "a"])
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)
    m = pairwise_metrics([], [], ["a", "b"])
    assert (m.precision, m.recall, m.f1) == (1.0, 1.0, 1.0)
    m = pairwise_metrics([0], [1], ["a", "b"])
    assert (m.precision, m.recall, m.f1) == (0.0, 1.0, 0.0)


def test_pairwise_link_mode_ignores_same_source_pairs() -> None:
    ent = ["e1", "e1", "e1", "e2"]
    src = ["a", "a", "b", "b"]
    # (0, 1) is same-source: neither tp nor fp. True cross pairs: (0, 2), (1, 2).
    m = pairwise_metrics([0, 0, 2], [1, 2, 3], ent, link_sources=src)
    assert (m.tp, m.fp, m.fn) == (1, 0, 1)


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="itself"):
        pairwise_metrics([0], [0], ["a", "b"])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        pairwise_metrics([0], [2], ["a", "b"])
    with pytest.raises(ValueError, match="length"):
        pairwise_metrics([0, 1], [1], ["a", "b"])
    with pytest.raises(ValueError, match="expected 2"):
        true_pair_count(["a", "b"], link_sources=["x"])
    with pytest.raises(ValueError, match="NaN"):
        metrics_by_threshold([0], [1], [float("nan")], ["a", "a"])


def test_mixed_type_labels() -> None:
    # None beside strings cannot be sorted by np.unique; the hashing fallback handles it.
    assert true_pair_count(np.array(["a", None, "a", None], dtype=object)) == 2


def test_threshold_curve_hand() -> None:
    curve = metrics_by_threshold([0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2])
    assert curve.thresholds.tolist() == [0.3, 0.6, 0.9]
    assert curve.tp.tolist() == [2, 1, 1]
    assert curve.fp.tolist() == [1, 1, 0]
    assert curve.fn.tolist() == [0, 1, 1]
    best = curve.best()
    assert best.threshold == 0.3 and best.metrics.f1 == pytest.approx(0.8)
    # A grid with a threshold above every score predicts nothing.
    grid = metrics_by_threshold(
        [0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2], thresholds=[0.5, 0.95]
    )
    assert grid.tp.tolist() == [1, 0]
    assert grid.precision.tolist()[1] == 1.0
    json.dumps(grid.to_dict())


def test_threshold_duplicate_pair_keeps_max_score() -> None:
    curve = metrics_by_threshold([0, 1], [1, 0], [0.2, 0.8], [1, 1], thresholds=[0.5])
    assert curve.tp.tolist() == [1] and curve.fp.tolist() == [0]


def test_best_threshold_ties_pick_highest_and_empty() -> None:
    # F1 is 2/3 at 0.9 (tp 1, fn 1) and again at 0.3 (tp 2, fp 2): the higher one wins.
    ent = ["a", "a", "b", "b", "c"]
    b = best_threshold([0, 0, 2, 2], [1, 2, 4, 3], [0.9, 0.5, 0.4, 0.3], ent)
    assert b.threshold == 0.9 and b.metrics.f1 == pytest.approx(2 / 3)
    # In link mode the same-source pair at 0.1 is not scored, so it adds no threshold.
    link = best_threshold([0, 2], [1, 1], [0.9, 0.1], ["a", "a", "b"], link_sources=[0, 1, 1])
    assert link.threshold == 0.9 and link.metrics.f1 == 1.0
    empty = best_threshold([], [], [], ["a", "a"])
    assert empty.threshold == float("inf") and empty.metrics.fn == 1
    json.dumps(b.to_dict())


def test_cluster_metrics_hand() -> None:
    labels = [0, 0, 1, 2, 2, 2]
    ent = ["a", "a", "a", "b", "b", "c"]
    m = cluster_pairwise_metrics(labels, ent)
    # Predicted pairs: 1 + 3 = 4; tp: (0,1), (3,4) = 2; true pairs 3 + 1 = 4.
    assert (m.tp, m.fp, m.fn) == (2, 2, 2)
    b = bcubed([0, 0, 1, 1], ["a", "a", "a", "b"])
    assert b.precision == pytest.approx(0.75)
    assert b.recall == pytest.approx(2 / 3)
    assert b.f1 == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    assert bcubed([], []).to_dict() == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_cluster_errors_hand() -> None:
    labels = ["k1", "k1", "k1", "k2", "k3", "k4"]
    ent = ["a", "b", "c", "d", "d", "d"]
    e = cluster_errors(labels, ent, max_examples=1)
    assert e.n_clusters == 4 and e.n_entities == 4
    assert e.over_merged_clusters == 1 and e.excess_merges == 2
    assert e.split_entities == 1 and e.excess_splits == 2
    assert e.over_merged_examples == [[0, 1, 2]]
    assert e.split_examples == [[3, 4, 5]]
    assert json.loads(json.dumps(e.to_dict()))["split_entities"] == 1


def test_blocking_recall_hand() -> None:
    r = blocking_recall([0, 1, 1], [1, 2, 2], ["a", "a", "b", "b"])
    assert r.true_pairs == 2 and r.true_pairs_found == 1 and r.recall == 0.5
    assert r.candidate_pairs == 2 and r.possible_pairs == 6
    assert r.reduction_ratio == pytest.approx(1 - 2 / 6)
    link = blocking_recall([0], [2], ["a", "b", "a"], link_sources=["x", "x", "y"])
    assert link.possible_pairs == 2 and link.recall == 1.0


def test_metrics_json_roundtrip() -> None:
    m = Metrics.from_counts(tp=3, fp=1, fn=2)
    assert json.loads(json.dumps(m.to_dict())) == m.to_dict()


def test_large_cluster_is_fast() -> None:
    # One entity of 200k records has ~2e10 true pairs: only counting can handle it.
    ent = np.zeros(200_000, dtype=np.int64)
    assert true_pair_count(ent) == 200_000 * 199_999 // 2
    m = cluster_pairwise_metrics(np.arange(200_000) % 2, ent)
    assert m.precision == 1.0 and m.tp == 2 * (100_000 * 99_999 // 2)


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(labelled_pairs(), st.booleans())
def test_pairwise_matches_bruteforce(
    case: tuple[list[int], list[tuple[int, int]], list[int]], link: bool
) -> None:
    ent, pairs, src = case
    sources = src if link else None
    left = [a for a, _ in pairs]
    right = [b for _, b in pairs]
    m = pairwise_metrics(left, right, ent, link_sources=sources)
    assert (m.tp, m.fp, m.fn) == _ref_metrics(pairs, ent, sources)
    assert true_pair_count(ent, link_sources=sources) == len(_true_pairs(ent, sources))
    br = blocking_recall(left, right, ent, link_sources=sources)
    assert br.true_pairs_found == m.tp and br.candidate_pairs == m.tp + m.fp


@settings(max_examples=150, deadline=None)
@given(labelled_pairs(), st.booleans(), st.data())
def test_threshold_curve_matches_bruteforce(
    case: tuple[list[int], list[tuple[int, int]], list[int]], link: bool, data: st.DataObject
) -> None:
    ent, pairs, src = case
    sources = src if link else None
    probs = data.draw(
        st.lists(
            st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]),
            min_size=len(pairs),
            max_size=len(pairs),
        )
    )
    left = [a for a, _ in pairs]
    right = [b for _, b in pairs]
    curve = metrics_by_threshold(left, right, probs, ent, link_sources=sources)
    for row in curve.rows():
        # A pair listed more than once is predicted when any of its scores passes.
        chosen = [p for p, s in zip(pairs, probs, strict=True) if s >= row.threshold]
        assert (row.metrics.tp, row.metrics.fp, row.metrics.fn) == _ref_metrics(
            chosen, ent, sources
        )
    best = best_threshold(left, right, probs, ent, link_sources=sources)
    if len(curve):
        assert best.metrics.f1 == pytest.approx(max(curve.f1.tolist()))
    else:  # no scorable pair (none at all, or all same-source in link mode)
        assert best.threshold == float("inf") and best.metrics.tp == 0


@settings(max_examples=200, deadline=None)
@given(st.data(), st.booleans())
def test_cluster_metrics_match_bruteforce(data: st.DataObject, link: bool) -> None:
    n = data.draw(st.integers(1, 30))
    labels = data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    ent = data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    src = data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)) if link else None

    m = cluster_pairwise_metrics(labels, ent, link_sources=src)
    pred = _ref_cluster_pairs(labels, src)
    truth = _true_pairs(ent, src)
    assert (m.tp, m.fp, m.fn) == (
        len(pred & truth),
        len(pred - truth),
        len(truth - pred),
    )

    b = bcubed(labels, ent)
    p, r = _ref_bcubed(labels, ent)
    assert b.precision == pytest.approx(p) and b.recall == pytest.approx(r)

    e = cluster_errors(labels, ent, max_positions=100)
    ents_per_cluster = {k: {ent[i] for i in range(n) if labels[i] == k} for k in set(labels)}
    clusters_per_ent = {k: {labels[i] for i in range(n) if ent[i] == k} for k in set(ent)}
    assert e.over_merged_clusters == sum(len(v) > 1 for v in ents_per_cluster.values())
    assert e.split_entities == sum(len(v) > 1 for v in clusters_per_ent.values())
    assert e.excess_merges == sum(len(v) - 1 for v in ents_per_cluster.values())
    assert e.excess_splits == sum(len(v) - 1 for v in clusters_per_ent.values())
    for ex in e.over_merged_examples:
        assert len(Counter(labels[i] for i in ex)) == 1
        assert len({ent[i] for i in ex}) > 1
