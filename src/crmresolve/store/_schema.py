"""Store schema and its migrations (applied in order; ``meta.schema_version`` says how far).

Each migration is a function over an open connection inside the caller's transaction. Never edit
a released migration: append a new one and bump :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "schema_version"]

_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    rid INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    entity_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    raw TEXT NOT NULL,
    features TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX records_entity ON records(entity_id);
CREATE INDEX records_batch ON records(batch);
CREATE TABLE block_keys (
    key INTEGER NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (key, rid)
) WITHOUT ROWID;
CREATE TABLE edges (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    p REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX edges_b ON edges(b);
CREATE INDEX edges_p ON edges(p);
CREATE TABLE entities (
    entity_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'merged', 'empty')),
    merged_into TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX entities_status ON entities(status);
CREATE TABLE golden (
    entity_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    lineage TEXT NOT NULL
);
CREATE TABLE models (
    model_id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE decisions (
    decision_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('must_link', 'cannot_link')),
    a TEXT NOT NULL,
    a_kind TEXT NOT NULL CHECK (a_kind IN ('record', 'entity')),
    b TEXT NOT NULL,
    b_kind TEXT NOT NULL CHECK (b_kind IN ('record', 'entity')),
    reason TEXT,
    who TEXT,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX decisions_a ON decisions(a);
CREATE INDEX decisions_b ON decisions(b);
CREATE TABLE batches (
    batch INTEGER PRIMARY KEY,
    n_records INTEGER NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    entity_id TEXT,
    record_ids TEXT NOT NULL,
    detail TEXT NOT NULL,
    batch INTEGER,
    undoes INTEGER
);
CREATE INDEX events_entity ON events(entity_id);
CREATE INDEX events_undoes ON events(undoes);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


def _v1(conn: sqlite3.Connection) -> None:
    for stmt in _V1.split(";\n"):
        if stmt.strip():
            conn.execute(stmt if "TRIGGER" not in stmt else stmt + ";")


def _v2(conn: sqlite3.Connection) -> None:
    """History lookups by any record or entity id an event mentions (back-filled)."""
    conn.execute(
        "CREATE TABLE event_refs (ref TEXT NOT NULL, event_id INTEGER NOT NULL, "
        "PRIMARY KEY (ref, event_id)) WITHOUT ROWID"
    )
    rows = conn.execute("SELECT event_id, entity_id, record_ids, detail FROM events").fetchall()
    refs: list[tuple[str, int]] = []
    for event_id, entity_id, record_ids, detail in rows:
        for ref in event_refs(entity_id, json.loads(record_ids), json.loads(detail)):
            refs.append((ref, event_id))
    conn.executemany("INSERT OR IGNORE INTO event_refs VALUES (?, ?)", refs)


def _v3(conn: sqlite3.Connection) -> None:
    """``entities.confidence`` (what ``dedupe`` writes as ``cluster_confidence``: the weakest
    link of the entity's maximum spanning tree over its matches). Back-filled from the stored
    edges at or above the threshold; an entity they do not connect (must-links) takes the
    weakest edge of its spanning forest, one without any 1.0."""
    conn.execute("ALTER TABLE entities ADD COLUMN confidence REAL")
    row = conn.execute("SELECT value FROM meta WHERE key = 'threshold'").fetchone()
    if row is not None:
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            root = parent.setdefault(x, x)
            while root != parent[root]:
                parent[root] = parent[parent[root]]
                root = parent[root]
            parent[x] = root
            return root

        weakest: dict[str, float] = {}
        for entity, a, b, p in conn.execute(
            "SELECT ra.entity_id, e.a, e.b, e.p FROM edges e "
            "JOIN records ra ON ra.rid = e.a JOIN records rb ON rb.rid = e.b "
            "WHERE e.p >= ? AND ra.entity_id = rb.entity_id ORDER BY e.p DESC",
            (float(json.loads(row[0])),),
        ):
            x, y = find(a), find(b)
            if x != y:  # Kruskal, strongest first: an edge of the maximum spanning forest
                parent[x] = y
                weakest[entity] = p  # edges come strongest first: the last one is the weakest
        conn.executemany(
            "UPDATE entities SET confidence = ? WHERE entity_id = ?",
            [(p, e) for e, p in weakest.items()],
        )
    conn.execute("UPDATE entities SET confidence = 1.0 WHERE confidence IS NULL")


def event_refs(entity_id: str | None, record_ids: list[str], detail: dict[str, object]) -> set[str]:
    """Every id an event is about: its entity, its records, entities named in the detail."""
    refs = set(record_ids)
    if entity_id:
        refs.add(entity_id)
    for key in ("merged", "into", "from", "entities"):
        value = detail.get(key)
        if isinstance(value, str):
            refs.add(value)
        elif isinstance(value, list):
            refs.update(str(v) for v in value)
    before = detail.get("members_before")
    if isinstance(before, dict):  # a merge is part of every merged record's history
        for members in before.values():
            refs.update(str(r) for r in members)
    return refs


#: (version, description, apply) in order; ``apply`` runs inside the migration transaction.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite3.Connection], None]]] = [
    (1, "records, keys, edges, entities, golden, model, decisions, batches, events", _v1),
    (2, "event_refs: history by record or entity id", _v2),
    (3, "entities.confidence: cluster confidence per entity (back-filled)", _v3),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to ``target`` in one transaction; returns the version.

    An up-to-date store is only read (no write lock): opening it never waits for a writer."""
    current = schema_version(conn)
    if current >= target and current <= SCHEMA_VERSION:
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise ValueError(
                f"store schema version {current} is newer than this crmresolve "
                f"({SCHEMA_VERSION}); upgrade crmresolve"
            )
        for version, _desc, apply in MIGRATIONS:
            if current < version <= target:
                apply(conn)
                conn.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (str(version),),
                )
                current = version
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return current
