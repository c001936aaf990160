"""Forked workers: same results as one process, in the same order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from crmresolve import _fork
from crmresolve.cluster import _core, cluster_pairs


def _square(x: int) -> int:
    return x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("part 3 failed")
    return x


def test_fork_map_keeps_the_order_of_the_parts() -> None:
    parts = list(range(40))
    assert _fork.fork_map(_square, parts, workers=2) == [p * p for p in parts]


def test_fork_map_runs_closures_without_pickling_them() -> None:
    data = np.arange(10)  # seen by the workers copy-on-write
    assert _fork.fork_map(lambda i: int(data[i]) * 2, [1, 5, 9], workers=2) == [2, 10, 18]


def test_fork_map_passes_a_worker_error_on() -> None:
    with pytest.raises(ValueError, match="part 3 failed"):
        _fork.fork_map(_fail_on_three, [1, 2, 3, 4], workers=2)


def test_fork_map_runs_in_process_without_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fork, "can_fork", lambda: False)
    seen: list[int] = []
    assert _fork.fork_map(lambda x: seen.append(x) or x, [1, 2], workers=2) == [1, 2]
    assert seen == [1, 2]  # ran here: a worker's appends would not show


def test_shared_memory_carries_the_workers_results_back() -> None:
    out = _fork.shared_empty((6, 2), np.int64)

    def fill(i: int) -> None:
        out[i] = (i, -i)

    assert _fork.fork_map(fill, list(range(6)), workers=2) == [None] * 6
    assert out.tolist() == [[i, -i] for i in range(6)]


def test_blocking_keys_from_workers_give_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    from crmresolve.block import (
        OversizedBlockWarning,
        _engine,
        block_on,
        generate_pairs,
        initial,
        sorted_neighbourhood,
        soundex,
    )

    rng = np.random.default_rng(7)
    n = 600

    def pick(values: list[str | None]) -> np.ndarray:
        return np.array(rng.choice(np.array(values, dtype=object), n), dtype=object)

    feats = {
        "given_name": pick(["anna", "anne", "bo", "jon", None]),
        "surname": pick(["berg", "lind", "lindh", "ek"]),
        "dob": pick(["1980-01-02", "1975-05-06", None]),
        "email": pick(["a@x.se", "b@y.se", None]),
    }
    rules = [
        block_on("email"),
        block_on(soundex("surname"), "dob"),
        sorted_neighbourhood(initial("given_name"), "surname", window=3, max_block_size=1000),
    ]
    # Blocks above 40 records are split on purpose: their sort orders are keys too.
    with pytest.warns(OversizedBlockWarning):
        one = generate_pairs(feats, rules, max_block_size=40, split_oversized=True)
    calls: list[int] = []
    real = _engine.fork_map

    def counted(fn, parts, *, workers):  # type: ignore[no-untyped-def]
        calls.append(len(parts))
        return real(fn, parts, workers=workers)

    monkeypatch.setattr(_engine, "PARALLEL_MIN_RECORDS", 100)
    monkeypatch.setattr(_engine, "fork_map", counted)
    with pytest.warns(OversizedBlockWarning):
        two = generate_pairs(feats, rules, max_block_size=40, split_oversized=True, workers=2)
    assert calls and calls[0] >= 2  # the keys were computed by the workers
    for a, b in ((one.left, two.left), (one.right, two.right), (one.rule, two.rule)):
        assert np.array_equal(a, b)
    assert len(one) > 0


def test_default_workers_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMRESOLVE_WORKERS", "3")
    assert _fork.default_workers() == 3
    monkeypatch.setenv("CRMRESOLVE_WORKERS", "0")
    assert _fork.default_workers() == 1


def test_spans_cover_every_component_once() -> None:
    rng = np.random.default_rng(4)
    sizes = rng.integers(2, 50, size=3000)
    spans = _core._spans(sizes, 2)
    assert spans[0][0] == 0 and spans[-1][1] == sizes.size
    assert all(a < b for a, b in spans)
    assert all(b == c for (_, b), (c, _) in itertools.pairwise(spans))
    assert len(spans) > 1
    assert _core._spans(sizes, 1) == [(0, sizes.size)]
    assert _core._spans(np.empty(0, dtype=np.int64), 2) == []


def _households(n_groups: int, seed: int) -> tuple[dict[str, np.ndarray], list[list[int]]]:
    """Groups of 2-8 records chained by strong edges, with clashing first names and birth
    dates inside: every component is flagged and needs the greedy merge."""
    rng = np.random.default_rng(seed)
    given: list[str] = []
    dob: list[str | None] = []
    pairs: list[list[int]] = []
    for _ in range(n_groups):
        k = int(rng.integers(2, 9))
        base = len(given)
        for _ in range(k):
            given.append(str(rng.choice(["ann", "bob", "cid", "dee"])))
            dob.append(None if rng.random() < 0.3 else f"19{rng.integers(50, 53)}-01-01")
        for i in range(k):
            for j in range(i + 1, k):
                if rng.random() < 0.6:
                    pairs.append([base + i, base + j])
    feats = {
        "given_name": np.array(given, dtype=object),
        "dob": np.array(dob, dtype=object),
    }
    return feats, pairs


def test_forked_merge_gives_the_same_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    feats, pairs = _households(600, seed=11)
    n = feats["given_name"].size
    ids = [f"r{i:05d}" for i in range(n)]
    arr = np.asarray(pairs, dtype=np.int64)
    prob = np.random.default_rng(3).uniform(0.55, 1.0, size=len(arr))
    monkeypatch.setattr(_core, "_FORK_MIN_RECORDS", 0)
    calls: list[int] = []
    real = _core.fork_map

    def counting(fn, parts, *, workers):  # type: ignore[no-untyped-def]
        calls.append(len(parts))
        return real(fn, parts, workers=workers)

    monkeypatch.setattr(_core, "fork_map", counting)
    one = cluster_pairs(n, ids, arr[:, 0], arr[:, 1], prob, features=feats, workers=1)
    two = cluster_pairs(n, ids, arr[:, 0], arr[:, 1], prob, features=feats, workers=2)
    assert calls[0] == 1 and calls[1] > 1  # the second run really was split
    assert one.labels.tolist() == two.labels.tolist()
    assert one.cluster_ids.tolist() == two.cluster_ids.tolist()
    assert one.confidence.tolist() == two.confidence.tolist()
    assert [s.to_dict() for s in one.splits] == [s.to_dict() for s in two.splits]
    assert one.splits  # conflicts were found, so the merge had work to do


def test_features_from_workers_equal_features_from_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crmresolve import features
    from crmresolve.table import Table

    monkeypatch.setattr(features, "PARALLEL_MIN_DISTINCT", 3)
    monkeypatch.setattr(features, "_TASK_SIZE", 4)  # several tasks per column
    rows = 40
    table = Table.from_columns(
        {
            "name": [f"Ann{i % 7} Lee{i % 5}" for i in range(rows)],
            "given": [None if i % 9 == 0 else f"Bob{i % 4}" for i in range(rows)],
            "mail": [f"a{i % 11}@x{i % 3}.com" for i in range(rows)],
            "phone": [f"+1 415 555 01{i % 13:02d}" for i in range(rows)],
            "mobile": [f"0151 2345 67{i % 17:02d}" for i in range(rows)],
            "birth": [f"19{50 + i % 30}-0{1 + i % 9}-1{i % 9}" for i in range(rows)],
            "street": [f"{i % 6} Main Street" for i in range(rows)],
            "city": ["Oslo", "Bergen"] * (rows // 2),
            "zip": [f"0{i % 8}15" for i in range(rows)],
            "country": ["NO", "DE", "US", None] * (rows // 4),
            "company": [f"Acme {i % 6} Inc." for i in range(rows)],
        }
    )
    fields = {
        "full_name": ["name"],
        "given_name": ["given"],
        "email": ["mail"],
        "phone": ["phone", "mobile"],
        "dob": ["birth"],
        "street": ["street"],
        "city": ["city"],
        "postcode": ["zip"],
        "country": ["country"],
        "company": ["company"],
    }
    one = features.build_features(table, fields, workers=1)
    two = features.build_features(table, fields, workers=2)
    assert list(one.columns) == list(two.columns)
    for key in one.columns:
        assert one.columns[key].tolist() == two.columns[key].tolist(), key
    assert {k: v.tolist() for k, v in one.valid.items()} == {
        k: v.tolist() for k, v in two.valid.items()
    }
    assert one.columns["phone_mobile"].tolist().count(None) < rows  # the mobiles were read
