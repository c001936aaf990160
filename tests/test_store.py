"""The embedded store: adds over time, stable ids, decisions, history/undo, safety, CLI."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmresolve.cli import main
from crmresolve.io import write_csv
from crmresolve.store import SCHEMA_VERSION, Store, StoreError
from crmresolve.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_helpers import contacts, part

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the first 250 example contacts (built once, copied per test)."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    with Store.open(path) as store:
        store.add(part(contacts(), 0, 250), id_column="record_id", train_until=0)
    return path


@pytest.fixture()
def store(template: Path, tmp_path: Path) -> Store:
    path = tmp_path / "s.db"
    shutil.copy(template, path)
    s = Store.open(path)
    yield s  # type: ignore[misc]
    s.close()


def _pair_in(store: Store, same: bool) -> tuple[str, str]:
    """Two records in one entity (``same``) or in two different entities."""
    groups: dict[str, list[str]] = {}
    for r, e in store.assignments().items():
        groups.setdefault(e, []).append(r)
    multi = sorted(sorted(m) for m in groups.values() if len(m) >= 2)
    if same:
        return multi[0][0], multi[0][1]
    return multi[0][0], multi[1][0]


def test_first_add_partition_and_settings(store: Store) -> None:
    store.check_invariants()
    assert len(store) == 250
    assert store.schema_version == SCHEMA_VERSION
    assert store.settings["threshold"] == 0.5
    assert "email" in store.settings["fields"]
    a = store.assignments()
    assert len(a) == 250 and store.n_entities == len(set(a.values()))
    golden = store.golden(next(iter(a.values())))
    assert golden["lineage"] and "member_count" in golden


def test_incremental_add_keeps_ids_and_joins(store: Store) -> None:
    table = contacts()
    before = store.assignments()
    stats = store.add(part(table, 250, 400), id_column="record_id")
    store.check_invariants()
    assert stats["added"] == 150 and stats.get("joined", 0) > 0
    after = store.assignments()
    assert len(after) == 400
    changed = {before[r] for r in before if after[r] != before[r]}
    for eid in changed:  # an id only changes through a recorded merge or split
        kinds = {e.kind for e in store.history(eid)}
        assert kinds & {"merged", "split"}
    # the same batch again changes nothing
    assert store.add(part(table, 250, 400), id_column="record_id")["unchanged"] == 150
    assert store.assignments() == after


def test_update_re_resolves(store: Store) -> None:
    table = contacts()
    rid = table.ids[0]
    row = part(table, 0, 1).to_records()[0]
    row["email"] = "someone.else@example.org"
    row["first_name"] = "Zebulon"
    stats = store.add(Table.from_records([row], id_column="record_id"), id_column="record_id")
    assert stats["updated"] == 1
    store.check_invariants()
    assert store.record(rid)["first_name"] == "Zebulon"
    assert "updated" in [e.kind for e in store.history(rid)]


def test_find_ranks_the_right_entity(store: Store) -> None:
    table = contacts()
    rec = next(r for r in table.to_records() if r["email"] and r["last_name"])
    rid = rec.pop("record_id")
    got = store.find(rec)
    assert got and got[0].entity_id == store.entity_of(rid)
    assert got[0].probability > 0.9
    assert got == sorted(got, key=lambda c: -c.probability)
    expl = got[0].explanation
    assert expl is not None and expl["comparisons"]
    assert rec["email"] not in json.dumps(expl)  # values are masked
    assert store.find({"first_name": "Nobody", "last_name": "Qqqxz"}) == []


def test_must_link_and_cannot_link_survive_later_adds(store: Store) -> None:
    a, b = _pair_in(store, same=False)
    ea, eb = store.entity_of(a), store.entity_of(b)
    store.must_link(a, b, "same customer per phone call", who="ana")
    assert store.entity_of(a) == store.entity_of(b) in (ea, eb)
    store.check_invariants()
    groups: dict[str, list[str]] = {}
    for r, e in store.assignments().items():
        groups.setdefault(e, []).append(r)
    c, d = sorted(
        sorted(m)[:2] for e, m in groups.items() if len(m) >= 2 and e != store.entity_of(a)
    )[0]
    store.cannot_link(c, d, "different people", who="ana")
    assert store.entity_of(c) != store.entity_of(d)
    store.check_invariants()
    # later adds and updates that re-resolve these records keep the decisions
    store.add(part(contacts(), 250, 400), id_column="record_id")
    for rid in (a, b, c, d):
        row = store.record(rid)
        row["updated_at"] = "2030-01-01"
        store.add(Table.from_records([row], id_column="record_id"), id_column="record_id")
    assert store.entity_of(a) == store.entity_of(b)
    assert store.entity_of(c) != store.entity_of(d)
    assert "decision" in [e.kind for e in store.history(a)]
    # a later decision on the same pair replaces the earlier one ...
    store.cannot_link(a, b, "on second thought")
    assert store.entity_of(a) != store.entity_of(b)
    # ... but one contradicting a chain of must-links is refused
    store.must_link(a, c, "x")
    store.must_link(c, b, "y")
    with pytest.raises(StoreError, match="contradicts"):
        store.cannot_link(a, b, "oops")
    assert store.entity_of(a) == store.entity_of(b) == store.entity_of(c)
    store.check_invariants()


def test_unmerge_is_remembered_and_undoable(store: Store) -> None:
    a, b = _pair_in(store, same=True)
    former = store.entity_of(a)
    event = store.unmerge(a, "wrong merge", who="bo")
    assert store.entity_of(a) != store.entity_of(b)
    assert store.entity_of(b) == former  # the rest keeps the id
    store.check_invariants()
    row = store.record(a)
    row["updated_at"] = "2031-02-02"
    store.add(Table.from_records([row], id_column="record_id"), id_column="record_id")
    assert store.entity_of(a) != store.entity_of(b)
    kinds = [e.kind for e in store.history(a)]
    assert "unmerged" in kinds
    store.undo(event)
    assert store.entity_of(a) == store.entity_of(b)
    store.check_invariants()
    with pytest.raises(StoreError):
        store.undo(event)


def test_undo_decision_and_merge(store: Store) -> None:
    a, b = _pair_in(store, same=False)
    ea, eb = store.entity_of(a), store.entity_of(b)
    decision = store.must_link(a, b, "x")
    merged = [e for e in store.history(a) if e.kind == "merged"]
    assert merged
    store.undo(merged[-1].event_id)
    assert {store.entity_of(a), store.entity_of(b)} == {ea, eb}
    store.check_invariants()
    created = next(e for e in store.events() if e.kind == "created")
    with pytest.raises(StoreError):
        store.undo(created.event_id)
    with pytest.raises(StoreError):
        store.undo(10**9)
    assert decision > 0


def test_review_queue_ordered(store: Store) -> None:
    queue = store.review_queue(0.05, 0.95, limit=50)
    assert queue
    assert all(0.05 <= r.probability <= 0.95 for r in queue)
    prios = [r.priority for r in queue]
    assert prios == sorted(prios, reverse=True)
    top = queue[0]
    store.cannot_link(top.record_a, top.record_b, "reviewed")
    assert (top.record_a, top.record_b) not in {
        (r.record_a, r.record_b) for r in store.review_queue(0.05, 0.95, limit=50)
    }


def test_event_log_is_append_only(store: Store) -> None:
    with pytest.raises(sqlite3.DatabaseError):
        store._conn.execute("UPDATE events SET kind = 'x'")
    with pytest.raises(sqlite3.DatabaseError):
        store._conn.execute("DELETE FROM events")


def test_migration_v1_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store.open(path, schema_version=1) as old:
        assert old.schema_version == 1
        old._conn.execute(
            "INSERT INTO events (ts, kind, entity_id, record_ids, detail) "
            "VALUES ('2024-01-01', 'created', 'c_1', '[\"r1\"]', '{}')"
        )
        assert not old._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'event_refs'"
        ).fetchone()
    with Store.open(path) as new:
        assert new.schema_version == SCHEMA_VERSION >= 2
        assert [e.kind for e in new.history("r1")] == ["created"]
        assert [e.kind for e in new.history("c_1")] == ["created"]


def test_second_connection_sees_new_model(template: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    a, b = Store.open(path), Store.open(path)
    a.add(part(contacts(), 0, 100), id_column="record_id")
    assert b.find(part(contacts(), 0, 1).to_records()[0])  # b picks up a's model
    b.add(part(contacts(), 100, 150), id_column="record_id")  # incremental, not a 2nd first add
    assert len(a) == 150 and a._conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 2
    a.check_invariants()
    a.close()
    b.close()
    del template


def test_readers_work_during_a_write(store: Store) -> None:
    store._conn.execute("BEGIN IMMEDIATE")
    store._conn.execute("UPDATE records SET batch = batch")
    t0 = time.perf_counter()
    other = Store.open(store.path)  # opening takes no write lock when up to date
    assert len(other) == 250  # WAL: the reader is not blocked
    assert other.find(store.record(sorted(other.assignments())[0]))
    assert time.perf_counter() - t0 < 5
    store._conn.execute("ROLLBACK")
    other.close()


def test_candidates_come_from_indexed_lookups(store: Store) -> None:
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    store.add(part(contacts(), 250, 300), id_column="record_id")
    store.find({"first_name": "Emily", "last_name": "Smith"})
    store._conn.set_trace_callback(None)
    for sql in seen:
        flat = " ".join(sql.split()).upper()
        if "FROM RECORDS" in flat and "COUNT(" not in flat and "MAX(" not in flat:
            assert "WHERE" in flat, flat[:120]  # never read every stored record


def test_export_and_backup(store: Store, tmp_path: Path) -> None:
    out, gold, copy = tmp_path / "out.csv", tmp_path / "golden.csv", tmp_path / "copy.db"
    assert store.export(out, golden=gold) == 250
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 250 and rows[0]["cluster_id"].startswith("c_")
    assert {r["record_id"]: r["cluster_id"] for r in rows} == store.assignments()
    with open(gold, newline="", encoding="utf-8") as fh:
        grows = list(csv.DictReader(fh))
    assert len(grows) == store.n_entities
    assert sum(len(r["member_ids"].split("|")) for r in grows) == 250
    store.backup(copy)
    with Store.open(copy) as b:
        assert b.assignments() == store.assignments()


def test_export_is_formula_safe(store: Store, tmp_path: Path) -> None:
    row = store.record(sorted(store.assignments())[0])
    row["company"] = "=HYPERLINK(1)"
    store.add(Table.from_records([row], id_column="record_id"), id_column="record_id")
    store.export(tmp_path / "f.csv")
    text = (tmp_path / "f.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


def test_errors_carry_no_values(store: Store) -> None:
    secret = "zz.secret@example.org"
    row = store.record(store.assignments().popitem()[0])
    with pytest.raises(StoreError) as exc:
        store.add(
            Table.from_records([{**row, "email": secret}], id_column="record_id"),
            id_column="record_id",
            fields={"email": ["email"]},
        )
    assert secret not in str(exc.value)
    with pytest.raises(StoreError) as exc2:
        store.entity_of(secret)
    assert "unknown record id" in str(exc2.value)
    with pytest.raises(ValueError) as exc3:
        store.add([{"record_id": "x1", "email": secret}] * 2, id_column="record_id")
    assert secret not in str(exc3.value)
    store.check_invariants()


def _start_child(db: Path, csv_path: Path, pause_at: str | None) -> subprocess.Popen[str]:
    args = [sys.executable, str(HERE / "store_helpers.py"), str(db), str(csv_path)]
    if pause_at:
        args.append(pause_at)
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)


@pytest.mark.parametrize("pause_at", ["records_written", "keys_written", "scored", None])
def test_kill_mid_add_leaves_store_consistent(
    template: Path, tmp_path: Path, pause_at: str | None
) -> None:
    db = tmp_path / "k.db"
    shutil.copy(template, db)
    table = part(contacts(), 250, 400)
    batch = tmp_path / "batch.csv"
    write_csv(batch, table.column_names, zip(*table.columns.values(), strict=True))
    child = _start_child(db, batch, pause_at)
    assert child.stdout is not None
    if pause_at is not None:
        for line in child.stdout:
            if line.strip() == f"STAGE {pause_at}":
                break
    else:  # no pause: kill at an arbitrary moment of a running add
        assert child.stdout.readline().strip() == "START"
        time.sleep(0.3)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with Store.open(db) as s:
        assert s._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        s.check_invariants()
        n = len(s)
        assert n in (250, 400)  # all or nothing
        if pause_at is not None:
            assert n == 250
        s.add(table, id_column="record_id")  # the store keeps working
        s.check_invariants()
        assert len(s) == 400


def test_cli_store_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    src = str(Path(__file__).resolve().parent.parent / "examples" / "contacts.csv")
    assert main(["store", "add", "--db", db, src, "--id", "record_id"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 400
    out = str(tmp_path / "o.csv")
    assert main(["store", "export", "--db", db, "--output", out, "--golden", out + ".g"]) == 0
    capsys.readouterr()
    assert main(["store", "find", "--db", db, "--value", "first_name=Emily",
                 "--value", "last_name=Smith"]) == 0  # fmt: skip
    found = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert found and "entity_id" in found[0]
    assert main(["store", "review", "--db", db, "--limit", "3"]) == 0
    pairs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(pairs) == 3
    a, b = pairs[0]["record_a"], pairs[0]["record_b"]
    assert main(["store", "link", "--db", db, a, b, "--reason", "same"]) == 0
    assert main(["store", "unlink", "--db", db, a, b, "--reason", "no"]) == 0
    assert main(["store", "unmerge", "--db", db, "C0000001", "--reason", "r"]) in (0, 2)
    capsys.readouterr()
    assert main(["store", "history", "--db", db, a]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert any(e["kind"] == "decision" for e in events)
    assert main(["store", "undo", "--db", db, str(events[-1]["event_id"])]) in (0, 2)
    assert main(["store", "backup", "--db", db, "--output", str(tmp_path / "b.db")]) == 0
    assert main(["store", "export", "--db", str(tmp_path / "none.db"), "-o", out]) == 2
    assert main(["store", "link", "--db", db, "nope1", "nope2"]) == 2


def test_small_store_retrains_on_every_add(tmp_path: Path) -> None:
    table = contacts()
    with Store.open(tmp_path / "r.db") as s:
        s.add(part(table, 0, 120), id_column="record_id")
        before = s.assignments()
        stats = s.add(part(table, 120, 240), id_column="record_id")
        assert stats.get("retrained") == 1
        s.check_invariants()
        assert s._conn.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 2
        after = s.assignments()
        for r, e in before.items():  # ids change only through recorded merges/splits
            if after[r] != e:
                assert {ev.kind for ev in s.history(e)} & {"merged", "split"}


# ---------------------------------------------------------------- scale: bounded work per record
def test_lookup_takes_smallest_blocks_within_budget(store: Store) -> None:
    """Candidates per record stay below candidate_budget + key_cap whatever the store size;
    blocks larger than key_cap are never read; the most selective keys come first."""
    from crmresolve.store._keys import record_keys

    s = store._settings
    assert s is not None and store.settings["key_cap"] == 100
    feats = store._features(part(contacts(), 0, 250))
    pos, keys = record_keys(s.rules, feats, 250)
    sizes = {
        k: store._conn.execute("SELECT COUNT(*) FROM block_keys WHERE key = ?", (k,)).fetchone()[0]
        for k in set(keys.tolist())
    }
    s.key_cap, s.candidate_budget = 6, 3
    left, right = store._lookup(pos, keys)
    for p in range(250):
        mine = sorted(
            (sizes[k], k) for q, k in zip(pos.tolist(), keys.tolist(), strict=True) if q == p
        )
        usable = [(n, k) for n, k in mine if 1 <= n <= 6]
        expected: set[int] = set()
        taken = 0
        for n, k in usable:
            if taken >= 3:
                break
            taken += n
            expected.update(
                r for (r,) in store._conn.execute("SELECT rid FROM block_keys WHERE key = ?", (k,))
            )
        got = set(right[left == p].tolist())
        assert got == expected
        assert len(got) < 3 + 6
        assert p + 1 in got or not usable  # a stored record finds itself (smallest blocks)


def test_lookups_use_the_indexes(store: Store) -> None:
    """Every query of an add or a find that reads block_keys, records or edges searches an
    index (SQLite may otherwise scan block_keys when joining a temporary table)."""
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    store.add(part(contacts(), 250, 300), id_column="record_id", train_until=0)
    store.find({"first_name": "Emily", "last_name": "Smith", "email": "emily@example.org"})
    store._conn.set_trace_callback(None)
    checked = 0
    for sql in dict.fromkeys(seen):
        flat = " ".join(sql.split())
        if not flat.upper().startswith("SELECT") or "COUNT(*) FROM RECORDS" in flat.upper():
            continue
        plan = store._conn.execute("EXPLAIN QUERY PLAN " + flat).fetchall()
        for row in plan:
            detail = str(row[-1])
            for table in ("block_keys", "edges", "records", " b", " e"):
                assert not detail.endswith("SCAN" + table) and detail != f"SCAN{table}", (
                    flat[:100],
                    detail,
                )
        checked += 1
    assert checked > 5


def test_find_reads_bounded_candidates(store: Store) -> None:
    loaded: list[int] = []
    orig = store._load_features

    def spy(rids: list[int]) -> object:
        loaded.append(len(rids))
        return orig(rids)

    store._load_features = spy  # type: ignore[method-assign,assignment]
    s = store._settings
    assert s is not None
    s.key_cap, s.candidate_budget = 5, 2
    for rec in part(contacts(), 0, 40).to_records():
        rid = rec.pop("record_id")
        got = store.find(rec)
        assert got and got[0].entity_id == store.entity_of(rid)
    assert loaded and max(loaded) < 2 + 5


def test_large_add_is_chunked_in_one_transaction(tmp_path: Path) -> None:
    table = contacts()
    stages: list[str] = []
    with Store.open(tmp_path / "c.db") as s:
        s._progress = stages.append
        stats = s.add(table, id_column="record_id", chunk_size=150, train_until=0)
        assert stats["added"] == 400 and stages.count("chunk_done") == 3
        s.check_invariants()
        assert len(s) == 400
        assert s._conn.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 1
        assert s._conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 3
        assert stats["entities"] + stats.get("created", 0) >= s.n_entities
    # all or nothing: a failing chunk rolls back the chunks before it
    with Store.open(tmp_path / "d.db") as s:

        def boom(stage: str) -> None:
            if stage == "chunk_done" and len(s) > 150:
                raise RuntimeError("stop")

        s._progress = boom
        with pytest.raises(RuntimeError):
            s.add(table, id_column="record_id", chunk_size=150)
        assert len(s) == 0 and s.settings == {}
    with Store.open(tmp_path / "e.db") as s, pytest.raises(StoreError):
        s.add(table, id_column="record_id", chunk_size=0)


# ---------------------------------------------------------------- export, review, golden
def test_export_has_dedupes_cluster_confidence(tmp_path: Path) -> None:
    from crmresolve.pipeline import Resolver

    table = contacts()
    with Store.open(tmp_path / "one.db") as s:
        s.add(table, id_column="record_id")
        s.export(tmp_path / "store.csv")
        fields = s.settings["fields"]
    with open(tmp_path / "store.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[-2:] == ["cluster_id", "cluster_confidence"]
    res = Resolver(fields, id_column="record_id").resolve(table)
    header, ref = res.records_rows()
    want = {r[0]: (r[-2], r[-1]) for r in ref}
    assert header[-2:] == ["cluster_id", "cluster_confidence"]
    got = {r["record_id"]: (r["cluster_id"], r["cluster_confidence"]) for r in rows}
    assert got == want  # one batch: exactly what dedupe writes
    assert all(0.0 < float(c) <= 1.0 for _e, c in got.values())


def test_confidence_follows_adds_and_decisions(store: Store, tmp_path: Path) -> None:
    store.add(part(contacts(), 250, 400), id_column="record_id")
    a, b = _pair_in(store, same=False)
    store.must_link(a, b, "same person")
    conf = dict(store._conn.execute("SELECT entity_id, confidence FROM entities"))
    assert conf[store.entity_of(a)] == 1.0 or conf[store.entity_of(a)] < 1.0
    sizes = dict(store._conn.execute("SELECT entity_id, size FROM entities"))
    for eid, c in conf.items():
        assert c is not None and 0.0 < c <= 1.0
        if sizes[eid] == 1:
            assert c == 1.0
    store.export(tmp_path / "x.csv")
    with open(tmp_path / "x.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["record_id"]: float(r["cluster_confidence"]) for r in rows} == {
        r: conf[e] for r, e in store.assignments().items()
    }


def test_migration_backfills_confidence(store: Store, tmp_path: Path) -> None:
    want = dict(store._conn.execute("SELECT entity_id, confidence FROM entities"))
    path = store.path
    store._conn.execute("ALTER TABLE entities DROP COLUMN confidence")
    store._conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()
    with Store.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION >= 3
        got = dict(s._conn.execute("SELECT entity_id, confidence FROM entities"))
    assert got.keys() == want.keys()
    same = sum(1 for e in want if abs(got[e] - want[e]) < 1e-12)
    assert same >= 0.95 * len(want)  # from the stored edges: clustering cuts aside, the same
    assert all(0.0 < v <= 1.0 for v in got.values())
    del tmp_path


def test_review_queue_is_paged_in_sql(store: Store) -> None:
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    page1 = store.review_queue(0.0, 1.0, limit=5)
    page2 = store.review_queue(0.0, 1.0, limit=5, offset=5)
    store._conn.set_trace_callback(None)
    assert all("LIMIT" in q for q in seen if "FROM edges" in q)
    both = store.review_queue(0.0, 1.0, limit=10)
    assert page1 + page2 == both and len(both) == 10
    assert store.review_queue(0.0, 1.0, limit=0) == []
    # same order and priorities as computing them over every pair in Python
    ents = store.assignments()
    size = dict(store._conn.execute("SELECT entity_id, size FROM entities"))
    rid = dict(store._conn.execute("SELECT rid, record_id FROM records"))
    ref = []
    for a, b, p in store._conn.execute("SELECT a, b, p FROM edges WHERE p BETWEEN 0.0 AND 1.0"):
        ra, rb = rid[a], rid[b]
        ea, eb = ents[ra], ents[rb]
        affected = size[ea] if ea == eb else size[ea] + size[eb]
        ref.append((-(affected * (1.0 - 2.0 * abs(p - 0.5))), ra, rb))
    ref.sort()
    assert [(r.record_a, r.record_b) for r in store.review_queue(0.0, 1.0, limit=len(ref))] == [
        (a, b) for _p, a, b in ref
    ]


def test_golden_records_rebuilt_only_for_changed_entities(store: Store) -> None:
    rebuilt: list[str] = []
    orig = store._store_golden_records

    def spy(golden: object) -> None:
        rebuilt.extend(r["cluster_id"] for r in golden.to_records())  # type: ignore[attr-defined]
        orig(golden)

    store._store_golden_records = spy  # type: ignore[method-assign]
    a, b = _pair_in(store, same=True)
    store.must_link(a, b, "already together")  # nothing moves: nothing to rebuild
    assert rebuilt == []
    before = store.assignments()
    store.add(part(contacts(), 250, 300), id_column="record_id", train_until=0)
    after = store.assignments()
    changed = {after[r] for r in after if r not in before or before[r] != after[r]}
    changed |= {before[r] for r in before if before[r] != after[r]}
    assert rebuilt and set(rebuilt) <= changed
    store.check_invariants()


def test_batched_events_keep_ids_and_refs(store: Store) -> None:
    last = max(e.event_id for e in store.events())
    store.add(part(contacts(), 250, 330), id_column="record_id", train_until=0)
    new = list(store.events(since=last))
    assert new and [e.event_id for e in new] == list(range(last + 1, last + 1 + len(new)))
    for e in new:
        for ref in [*e.record_ids, *([e.entity_id] if e.entity_id else [])]:
            assert e.event_id in {h.event_id for h in store.history(ref)}
    assert any(e.kind in ("created", "joined") for e in new)
    # a single event afterwards continues the sequence
    a, b = _pair_in(store, same=False)
    assert store.cannot_link(a, b, "x") > new[-1].event_id


def test_weak_merges_need_a_strong_bridge(store: Store) -> None:
    """Two stored entities in one new cluster stay apart unless links >= merge_evidence (or
    must-links) connect them; one pass, whatever the number of merging clusters."""
    import numpy as np

    s = store._settings
    assert s is not None and s.merge_evidence == 0.9
    rec = [f"r{i}" for i in range(9)]
    # cluster 0: E1 = {0, 1}, E2 = {2}, bridged by new record 3 (strong to E1, weak to E2)
    # cluster 1: E3 = {4}, E4 = {5}, bridged by new record 6 with strong links to both
    # cluster 2: E5 = {7}, E6 = {8}, joined by a must-link only
    labels = [0, 0, 0, 0, 1, 1, 1, 2, 2]
    prev = ["E1", "E1", "E2", None, "E3", "E4", None, "E5", "E6"]
    left = np.array([0, 1, 3, 4, 5, 7], dtype=np.int64)
    right = np.array([1, 3, 2, 6, 6, 8], dtype=np.int64)
    prob = np.array([0.99, 0.95, 0.6, 0.97, 0.93, 0.55])
    out = store._weak_merges(labels, prev, left, right, prob, [("r7", "r8")], rec)
    pairs = {frozenset(p) for p in out}
    assert pairs == {frozenset(("r0", "r2")), frozenset(("r1", "r2"))}
