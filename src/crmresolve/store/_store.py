"""The embedded SQLite store (see :mod:`crmresolve.store`)."""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.block import BlockingRule, generate_pairs
from crmresolve.cluster import cluster_id_for, cluster_pairs
from crmresolve.features import build_features
from crmresolve.io import load_table, write_csv
from crmresolve.pipeline import Resolver
from crmresolve.roles import FieldMap, validate_field_map
from crmresolve.score import FellegiSunter, match_probability
from crmresolve.score.guards import Guard, apply_guards, default_guards, guard_from_dict
from crmresolve.store._keys import record_keys
from crmresolve.store._schema import SCHEMA_VERSION, event_refs, migrate, schema_version
from crmresolve.survive import build_golden_records
from crmresolve.table import ObjArray, Table

__all__ = ["Candidate", "Event", "ReviewPair", "Store", "StoreError"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class StoreError(Exception):
    """A store operation that cannot be done (unknown id, contradicting decision, ...).

    Messages name record/entity ids and counts, never field values.
    """


@dataclass(frozen=True)
class Candidate:
    """One entity that may hold the searched record (best-matching member first)."""

    entity_id: str
    probability: float
    record_id: str
    size: int
    explanation: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReviewPair:
    """An uncertain scored pair and how much a reviewer's decision on it would change."""

    record_a: str
    record_b: str
    entity_a: str
    entity_b: str
    probability: float
    priority: float

    @property
    def same_entity(self) -> bool:
        return self.entity_a == self.entity_b


@dataclass(frozen=True)
class Event:
    event_id: int
    ts: str
    kind: str
    entity_id: str | None
    record_ids: list[str]
    detail: dict[str, Any] = field(default_factory=dict)
    batch: int | None = None
    undoes: int | None = None


@dataclass
class _Settings:
    fields: FieldMap
    id_column: str | None
    threshold: float
    strong_evidence: float
    merge_evidence: float
    max_block_size: int
    max_cluster_size: int
    default_region: str
    edge_floor: float
    seed: int
    feature_keys: list[str]
    columns: list[str]
    rules: list[BlockingRule]
    guards: list[Guard]
    train_until: int = 0
    key_cap: int = 100
    candidate_budget: int = 50

    def to_meta(self) -> dict[str, str]:
        plain = {
            "fields": self.fields,
            "id_column": self.id_column,
            "threshold": self.threshold,
            "strong_evidence": self.strong_evidence,
            "merge_evidence": self.merge_evidence,
            "max_block_size": self.max_block_size,
            "max_cluster_size": self.max_cluster_size,
            "default_region": self.default_region,
            "edge_floor": self.edge_floor,
            "seed": self.seed,
            "feature_keys": self.feature_keys,
            "columns": self.columns,
            "rules": [r.to_dict() for r in self.rules],
            "guards": [g.to_dict() for g in self.guards],
            "train_until": self.train_until,
            "key_cap": self.key_cap,
            "candidate_budget": self.candidate_budget,
        }
        return {k: json.dumps(v) for k, v in plain.items()}

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> _Settings:
        v = {k: json.loads(meta[k]) for k in meta if k != "schema_version"}
        return cls(
            fields={k: list(c) for k, c in v["fields"].items()},
            id_column=v["id_column"],
            threshold=float(v["threshold"]),
            strong_evidence=float(v["strong_evidence"]),
            merge_evidence=float(v["merge_evidence"]),
            max_block_size=int(v["max_block_size"]),
            max_cluster_size=int(v["max_cluster_size"]),
            default_region=str(v["default_region"]),
            edge_floor=float(v["edge_floor"]),
            seed=int(v["seed"]),
            feature_keys=list(v["feature_keys"]),
            columns=list(v["columns"]),
            rules=[BlockingRule.from_dict(r) for r in v["rules"]],
            guards=[guard_from_dict(g) for g in v["guards"]],
            train_until=int(v.get("train_until", 0)),
            key_cap=int(v.get("key_cap", 100)),
            candidate_budget=int(v.get("candidate_budget", 50)),
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class _DSU:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, a: Any, b: Any) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


class Store:
    """An entity-resolution store in one SQLite file (WAL mode: readers work during an add).

    Open with :meth:`open` (creates and migrates the file) and use as a context manager.
    Every write (``add``, decisions, ``unmerge``, ``undo``) is one ``BEGIN IMMEDIATE``
    transaction: a crash leaves the store as it was before the call.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._settings: _Settings | None = None
        self._model: FellegiSunter | None = None
        #: Test hook: called with a stage name during :meth:`add` (``"keys_written"``, ...).
        self._progress: Callable[[str], None] | None = None
        self._model_id = 0
        self._tf_cache: dict[tuple[int, str], dict[Any, float]] = {}
        self._load_settings()

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: str | Path, *, schema_version: int = SCHEMA_VERSION) -> Store:
        """Open (or create) the store at ``path`` and apply pending migrations.

        ``schema_version`` stops migrating at an older version (for migration tests)."""
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=60.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-200000")
        migrate(conn, schema_version)
        return cls(conn, str(path))

    @property
    def schema_version(self) -> int:
        return schema_version(self._conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _load_settings(self) -> None:
        meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        if "fields" in meta:
            self._settings = _Settings.from_meta(meta)
            row = self._conn.execute(
                "SELECT model_id, model FROM models ORDER BY model_id DESC LIMIT 1"
            ).fetchone()
            self._model = FellegiSunter.from_json(row[1]) if row else None
            self._model_id = int(row[0]) if row else 0

    def _refresh_if_stale(self) -> None:
        """Another connection may have trained the first model or retrained it since."""
        row = self._conn.execute("SELECT COALESCE(MAX(model_id), 0) FROM models").fetchone()
        if int(row[0]) != self._model_id:
            self._settings = self._model = None
            self._load_settings()

    @property
    def settings(self) -> dict[str, Any]:
        """The stored settings (field map, threshold, ...), or ``{}`` before the first add."""
        if self._settings is None:
            return {}
        return {k: json.loads(v) for k, v in self._settings.to_meta().items()}

    @property
    def model(self) -> FellegiSunter | None:
        return self._model

    def _tx(self) -> _Transaction:
        return _Transaction(self._conn)

    def _stage(self, name: str) -> None:
        if self._progress is not None:
            self._progress(name)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    @property
    def n_entities(self) -> int:
        q = "SELECT COUNT(*) FROM entities WHERE status = 'active'"
        return int(self._conn.execute(q).fetchone()[0])

    def entity_of(self, record_id: str) -> str:
        row = self._conn.execute(
            "SELECT entity_id FROM records WHERE record_id = ?", (str(record_id),)
        ).fetchone()
        if row is None:
            raise StoreError(f"unknown record id {record_id!r}")
        return str(row[0])

    def members(self, entity_id: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT record_id FROM records WHERE entity_id = ? ORDER BY record_id",
            (self._current_entity(entity_id),),
        ).fetchall()
        return [r[0] for r in rows]

    def golden(self, entity_id: str) -> dict[str, Any]:
        """The golden record of an entity with its lineage."""
        row = self._conn.execute(
            "SELECT record, lineage FROM golden WHERE entity_id = ?",
            (self._current_entity(entity_id),),
        ).fetchone()
        if row is None:
            raise StoreError(f"no golden record for entity {entity_id!r}")
        out: dict[str, Any] = json.loads(row[0])
        out["lineage"] = json.loads(row[1])
        return out

    def record(self, record_id: str) -> dict[str, Any]:
        row = self._conn.execute(
            "SELECT raw FROM records WHERE record_id = ?", (str(record_id),)
        ).fetchone()
        if row is None:
            raise StoreError(f"unknown record id {record_id!r}")
        raw: dict[str, Any] = json.loads(row[0])
        return raw

    def assignments(self) -> dict[str, str]:
        """record id → entity id for every stored record."""
        return dict(self._conn.execute("SELECT record_id, entity_id FROM records").fetchall())

    def _current_entity(self, entity_id: str) -> str:
        """Follow recorded merges to the entity that holds the records now."""
        seen = set()
        eid = entity_id
        while True:
            row = self._conn.execute(
                "SELECT status, merged_into FROM entities WHERE entity_id = ?", (eid,)
            ).fetchone()
            if row is None:
                raise StoreError(f"unknown entity id {entity_id!r}")
            if row[0] != "merged" or row[1] is None or eid in seen:
                return eid
            seen.add(eid)
            eid = row[1]

    def check_invariants(self) -> None:
        """Raise :class:`StoreError` unless the store is a consistent partition."""
        c = self._conn
        bad = c.execute(
            "SELECT COUNT(*) FROM records r LEFT JOIN entities e ON e.entity_id = r.entity_id "
            "WHERE e.entity_id IS NULL OR e.status != 'active'"
        ).fetchone()[0]
        if bad:
            raise StoreError(f"{bad} record(s) are not in an active entity")
        wrong = c.execute(
            "SELECT COUNT(*) FROM entities e WHERE e.status = 'active' AND e.size != "
            "(SELECT COUNT(*) FROM records r WHERE r.entity_id = e.entity_id)"
        ).fetchone()[0]
        if wrong:
            raise StoreError(f"{wrong} entity size(s) disagree with their members")
        empty = c.execute(
            "SELECT COUNT(*) FROM entities WHERE status = 'active' AND size = 0"
        ).fetchone()[0]
        if empty:
            raise StoreError(f"{empty} active entit(ies) without records")
        orphans = c.execute(
            "SELECT COUNT(*) FROM records r LEFT JOIN batches b ON b.batch = r.batch "
            "WHERE b.batch IS NULL"
        ).fetchone()[0]
        if orphans:
            raise StoreError(f"{orphans} record(s) of an unrecorded batch")
        nogold = c.execute(
            "SELECT COUNT(*) FROM entities e LEFT JOIN golden g ON g.entity_id = e.entity_id "
            "WHERE e.status = 'active' AND g.entity_id IS NULL"
        ).fetchone()[0]
        if nogold:
            raise StoreError(f"{nogold} active entit(ies) without a golden record")

    # ------------------------------------------------------------------ adding
    def add(
        self,
        records: Any,
        *,
        id_column: str | None,
        fields: Mapping[str, Sequence[str]] | None = None,
        threshold: float = 0.5,
        seed: int = 0,
        default_region: str = "US",
        merge_evidence: float = 0.9,
        strong_evidence: float = 0.9,
        max_block_size: int = 500,
        max_cluster_size: int = 100,
        edge_floor: float = 0.01,
        train_until: int = 5000,
        key_cap: int = 100,
        candidate_budget: int = 50,
        chunk_size: int = 50_000,
    ) -> dict[str, int]:
        """Add (or update) records in one transaction; returns counts of what happened.

        The first add trains the model on the batch (and stores the settings given here);
        later adds reuse them. While the store holds at most ``train_until`` records, each add
        retrains the model on every stored record and re-resolves them all (cheap while small,
        and a model learnt from a first batch of a few hundred records is weak); entity ids
        stay stable through it like through any add. A record whose id is stored already is an
        update: when its values changed it is re-normalized, re-blocked and re-resolved.

        A batch larger than ``chunk_size`` is added in chunks of that size inside the one
        transaction (the first add trains on the first chunk and adds the rest incrementally),
        so memory stays bounded whatever the batch size.

        Candidates of a new record among the stored ones (and of :meth:`find`): its blocking
        keys are taken smallest stored block first until the blocks taken hold
        ``candidate_budget`` records; keys shared by more than ``key_cap`` stored records are
        not looked up (within a batch, blocks up to ``max_block_size`` are paired as in
        ``dedupe``). So an add costs the same per record at any store size.
        """
        if id_column is None:
            raise StoreError("the store needs an id column (record ids must be stable)")
        table = records if isinstance(records, Table) else load_table(records, id_column)
        if len(table) == 0:
            return {"added": 0, "updated": 0, "unchanged": 0}
        if chunk_size < 1 or key_cap < 1 or candidate_budget < 1:
            raise StoreError("chunk_size, key_cap and candidate_budget must be >= 1")
        options = {
            "threshold": threshold,
            "seed": seed,
            "default_region": default_region,
            "merge_evidence": merge_evidence,
            "strong_evidence": strong_evidence,
            "max_block_size": max_block_size,
            "max_cluster_size": max_cluster_size,
            "edge_floor": edge_floor,
            "train_until": train_until,
            "key_cap": key_cap,
            "candidate_budget": candidate_budget,
        }
        try:
            return self._add(table, id_column, fields, chunk_size, options)
        except BaseException:
            self._settings = self._model = None
            self._load_settings()  # the transaction rolled back: forget in-memory changes
            raise

    def _add(
        self,
        table: Table,
        id_column: str,
        fields: Mapping[str, Sequence[str]] | None,
        chunk_size: int,
        options: dict[str, Any],
    ) -> dict[str, int]:
        n = len(table)
        stats: Counter[str] = Counter()
        with self._tx():
            self._refresh_if_stale()
            start = 0
            if self._settings is None:
                start = min(n, chunk_size)
                first = table if start == n else table.take(np.arange(start, dtype=np.int64))
                stats.update(self._first_add(first, id_column, fields, options))
                self._stage("chunk_done")
            elif fields is not None and validate_field_map(fields) != self._settings.fields:
                raise StoreError("fields differ from the field map stored with the model")
            while start < n:
                stop = min(n, start + chunk_size)
                sub = table if (start, stop) == (0, n) else table.take(np.arange(start, stop))
                stats.update(self._incremental_add(sub))
                self._stage("chunk_done")
                start = stop
        out = {"added": 0, "updated": 0, "unchanged": 0}
        out.update(stats)
        return out

    def _first_add(
        self,
        table: Table,
        id_column: str,
        fields: Mapping[str, Sequence[str]] | None,
        options: dict[str, Any],
    ) -> dict[str, int]:
        threshold, seed = options["threshold"], options["seed"]
        default_region, merge_evidence = options["default_region"], options["merge_evidence"]
        strong_evidence, max_block_size = options["strong_evidence"], options["max_block_size"]
        max_cluster_size, edge_floor = options["max_cluster_size"], options["edge_floor"]
        train_until = options["train_until"]
        if fields is None:
            from crmresolve.infer import infer_roles

            fields = infer_roles(table).field_map(require_identity=True)
            fields = {k: [c for c in v if c != id_column] for k, v in fields.items()}
            fields = {k: v for k, v in fields.items() if v}
        resolver = Resolver(
            fields,
            id_column=id_column,
            threshold=threshold,
            seed=seed,
            default_region=default_region,
            max_block_size=max_block_size,
            max_cluster_size=max_cluster_size,
            strong_evidence=strong_evidence,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = resolver.resolve(table)
        names = tuple(c.name for c in res.model.comparisons)
        s = _Settings(
            fields=validate_field_map(fields),
            id_column=id_column,
            threshold=threshold,
            strong_evidence=strong_evidence,
            merge_evidence=merge_evidence,
            max_block_size=max_block_size,
            max_cluster_size=max_cluster_size,
            default_region=default_region,
            edge_floor=edge_floor,
            seed=seed,
            feature_keys=list(res.features.columns),
            columns=list(table.column_names),
            rules=list(res.blocking_rules),
            guards=default_guards(names),
            train_until=train_until,
            key_cap=int(options["key_cap"]),
            candidate_budget=int(options["candidate_budget"]),
        )
        c = self._conn
        c.executemany(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(s.to_meta().items()),
        )
        c.execute(
            "INSERT INTO models (model, created_at) VALUES (?, ?)",
            (res.model.to_json(indent=None), _now()),
        )
        self._settings, self._model = s, res.model
        self._model_id = int(c.execute("SELECT MAX(model_id) FROM models").fetchone()[0])
        batch = self._new_batch(len(table))
        now = _now()
        cluster_of = res.cluster_of.tolist()
        n = len(table)
        rids = np.arange(1, n + 1, dtype=np.int64)
        feats = [res.features.columns[k].tolist() for k in s.feature_keys]
        cols = table.column_names
        colvals = [table.columns[k].tolist() for k in cols]
        ids = table.ids.tolist()
        c.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    i + 1,
                    ids[i],
                    cluster_of[i],
                    batch,
                    json.dumps({k: v[i] for k, v in zip(cols, colvals, strict=True)}),
                    json.dumps([f[i] for f in feats]),
                    now,
                    now,
                )
                for i in range(n)
            ),
        )
        self._stage("records_written")
        pos, keys = record_keys(s.rules, res.features.columns, n)
        self._insert_keys(keys, rids[pos])
        self._stage("keys_written")
        p = res.pairs
        keep = p.match_probability >= s.edge_floor
        self._insert_edges(rids[p.left[keep]], rids[p.right[keep]], p.match_probability[keep])
        members: dict[str, list[str]] = defaultdict(list)
        for rid, cid in zip(ids, cluster_of, strict=True):
            members[cid].append(rid)
        seq0 = self._next_seq()
        cl = res.clustering
        conf = dict(zip(cl.cluster_ids.tolist(), cl.confidence.tolist(), strict=True))
        c.executemany(
            "INSERT INTO entities (entity_id, seq, size, status, merged_into, created_at, "
            "updated_at, confidence) VALUES (?, ?, ?, 'active', NULL, ?, ?, ?)",
            (
                (cid, seq0 + k, len(m), now, now, conf[cid])
                for k, (cid, m) in enumerate(sorted(members.items()))
            ),
        )
        self._events([("created", cid, sorted(m), {}, batch) for cid, m in sorted(members.items())])
        if res.golden is not None:
            self._store_golden_records(res.golden)
        self._stage("clustered")
        return {"added": n, "updated": 0, "unchanged": 0, "entities": len(members)}

    def _new_batch(self, n: int) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM batches").fetchone()
        batch = int(row[0])
        self._conn.execute("INSERT INTO batches VALUES (?, ?, ?)", (batch, n, _now()))
        return batch

    def _next_seq(self) -> int:
        return int(
            self._conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM entities").fetchone()[0]
        )

    def _insert_keys(self, keys: IntArray, rids: IntArray) -> None:
        """In key order: consecutive inserts touch neighbouring B-tree pages."""
        o = np.lexsort((rids, keys))
        self._conn.executemany(
            "INSERT OR IGNORE INTO block_keys VALUES (?, ?)",
            zip(keys[o].tolist(), rids[o].tolist(), strict=True),
        )

    def _insert_edges(self, a: IntArray, b: IntArray, p: FloatArray) -> None:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        o = np.lexsort((hi, lo))
        self._conn.executemany(
            "INSERT INTO edges VALUES (?, ?, ?) ON CONFLICT(a, b) DO UPDATE SET p = excluded.p",
            zip(lo[o].tolist(), hi[o].tolist(), p[o].tolist(), strict=True),
        )

    def _event(
        self,
        kind: str,
        entity_id: str | None,
        record_ids: list[str],
        detail: dict[str, Any],
        batch: int | None = None,
        undoes: int | None = None,
    ) -> int:
        cur = self._conn.execute(
            "INSERT INTO events (ts, kind, entity_id, record_ids, detail, batch, undoes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), kind, entity_id, json.dumps(record_ids), json.dumps(detail), batch, undoes),
        )
        event_id = int(cur.lastrowid or 0)
        self._conn.executemany(
            "INSERT OR IGNORE INTO event_refs VALUES (?, ?)",
            [(r, event_id) for r in event_refs(entity_id, record_ids, detail)],
        )
        return event_id

    def _events(
        self, rows: Sequence[tuple[str, str | None, list[str], dict[str, Any], int | None]]
    ) -> None:
        """Append many events (kind, entity, records, detail, batch) with two statements,
        ids in the order given (what :meth:`_event` one at a time would give them)."""
        if not rows:
            return
        c = self._conn
        seq = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        top = c.execute("SELECT COALESCE(MAX(event_id), 0) FROM events").fetchone()[0]
        start = max(int(seq[0]) if seq else 0, int(top)) + 1
        ts = _now()
        c.executemany(
            "INSERT INTO events (event_id, ts, kind, entity_id, record_ids, detail, batch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (start + k, ts, kind, ent, json.dumps(recs), json.dumps(detail), batch)
                for k, (kind, ent, recs, detail, batch) in enumerate(rows)
            ),
        )
        c.executemany(
            "INSERT OR IGNORE INTO event_refs VALUES (?, ?)",
            (
                (ref, start + k)
                for k, (_kind, ent, recs, detail, _b) in enumerate(rows)
                for ref in event_refs(ent, recs, detail)
            ),
        )

    def _store_golden_records(self, golden: Any) -> None:
        lineage: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in golden.lineage:
            lineage[row.cluster_id].append(
                {
                    "column": row.column,
                    "value": row.value,
                    "source_record_id": row.source_record_id,
                    "rule": row.rule,
                }
            )
        rows = []
        for rec in golden.to_records():
            cid = rec.pop("cluster_id")
            rows.append((cid, json.dumps(rec), json.dumps(lineage.get(cid, []))))
        self._conn.executemany(
            "INSERT INTO golden VALUES (?, ?, ?) ON CONFLICT(entity_id) DO UPDATE SET "
            "record = excluded.record, lineage = excluded.lineage",
            rows,
        )

    # ---- incremental
    def _features(self, table: Table) -> dict[str, ObjArray]:
        s = self._settings
        assert s is not None
        cols = dict(table.columns)
        for col in (c for cs in s.fields.values() for c in cs):
            if col not in cols:
                cols[col] = np.full(len(table), None, dtype=object)
        feats = build_features(Table(table.ids, cols), s.fields, default_region=s.default_region)
        out = {}
        for k in s.feature_keys:
            out[k] = feats.columns.get(k, np.full(len(table), None, dtype=object))
        return out

    def _score(
        self, feats: Mapping[str, ObjArray], left: IntArray, right: IntArray
    ) -> tuple[FloatArray, npt.NDArray[np.int16], npt.NDArray[np.int8]]:
        prob, hits, gamma, _tf = self._score_tf(feats, left, right)
        return prob, hits, gamma

    def _frequencies(self, name: str, table: Any, values: ObjArray) -> FloatArray:
        """Term frequencies through a per-store cache (hashing each value once, not per call)."""
        cache = self._tf_cache.setdefault((self._model_id, name), {})
        if len(cache) > 2_000_000:
            cache.clear()
        vals = values.tolist()
        for v in set(vals).difference(cache):
            cache[v] = table.frequency(v)
        return np.fromiter(map(cache.__getitem__, vals), dtype=np.float64, count=len(vals))

    def _score_tf(
        self, feats: Mapping[str, ObjArray], left: IntArray, right: IntArray
    ) -> tuple[FloatArray, npt.NDArray[np.int16], npt.NDArray[np.int8], dict[str, Any]]:
        model, s = self._model, self._settings
        assert model is not None and s is not None
        gamma = model.compute_gamma(feats, left, right)
        tf: dict[str, Any] = {}
        for comp in model.comparisons:
            t = model.tf_tables_.get(comp.name)
            if t is None or comp.tf_column is None or comp.tf_column not in feats:
                continue
            freq = self._frequencies(comp.name, t, feats[comp.tf_column])
            tf[comp.name] = (freq[left], freq[right])
        scores = model.predict(gamma, tf_values=tf)
        names = [comp.name for comp in model.comparisons]
        weight, hits = apply_guards(
            scores.match_weight,
            gamma,
            names,
            model.n_levels,
            s.guards,
            records=(feats, left, right),
        )
        return match_probability(weight), hits, gamma, tf

    def _load_features(
        self, rids: Sequence[int]
    ) -> tuple[list[int], list[str], list[str], dict[str, ObjArray]]:
        """Stored features of the given records (only those), in the order given."""
        s = self._settings
        assert s is not None
        got: dict[int, tuple[str, str, str]] = {}
        for chunk in _chunks(rids, 900):
            q = (
                "SELECT rid, record_id, entity_id, features FROM records WHERE rid IN ("
                + ",".join("?" * len(chunk))
                + ")"
            )
            for rid, rec, ent, f in self._conn.execute(q, chunk):
                got[rid] = (rec, ent, f)
        order = [r for r in rids if r in got]
        rows = [got[r] for r in order]
        # one JSON document for all rows and a transpose in C (not a loop per value)
        decoded = json.loads("[" + ",".join([f for _r, _e, f in rows]) + "]")
        columns = list(zip(*decoded, strict=True)) if decoded else [()] * len(s.feature_keys)
        cols = {}
        for k, col in zip(s.feature_keys, columns, strict=True):
            cols[k] = np.empty(len(order), dtype=object)
            cols[k][:] = col
        return order, [r for r, _e, _f in rows], [e for _r, e, _f in rows], cols

    def _key_table(self, keys: Iterable[int]) -> None:
        c = self._conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS tmp_keys (key INTEGER PRIMARY KEY)")
        c.execute("DELETE FROM tmp_keys")
        c.executemany("INSERT OR IGNORE INTO tmp_keys VALUES (?)", ((k,) for k in keys))

    def _lookup(self, pos: IntArray, keys: IntArray) -> tuple[IntArray, IntArray]:
        """Candidate ``(position, stored rid)`` pairs for records with blocking keys
        ``(pos, keys)``, from indexed lookups.

        Per record, its keys are taken smallest stored block first until the blocks taken
        hold ``candidate_budget`` records (counting a record once per block); keys with no
        stored record or more than ``key_cap`` are skipped. So a record has fewer than
        ``candidate_budget + key_cap`` candidates at any store size, and the most selective
        keys (e-mail, phone, full name) are always used. Block sizes are counted in SQLite
        (``LIMIT key_cap + 1``, no rows read into Python); only the chosen blocks are read."""
        s = self._settings
        assert s is not None
        empty = np.empty(0, dtype=np.int64)
        if len(keys) == 0:
            return empty, empty
        c = self._conn
        cap, budget = s.key_cap, s.candidate_budget
        uk, inv = np.unique(keys, return_inverse=True)
        self._key_table(uk.tolist())
        counted = c.execute(
            "SELECT t.key, (SELECT COUNT(*) FROM (SELECT 1 FROM block_keys b "
            "WHERE b.key = t.key LIMIT ?)) FROM tmp_keys t",
            (cap + 1,),
        ).fetchall()
        ck = np.fromiter((k for k, _n in counted), dtype=np.int64, count=len(counted))
        cn = np.fromiter((n for _k, n in counted), dtype=np.int64, count=len(counted))
        size_u = np.zeros(len(uk), dtype=np.int64)
        size_u[np.searchsorted(uk, ck)] = cn
        size = size_u[inv.reshape(-1)]
        usable = (size >= 1) & (size <= cap)
        eff = np.where(usable, size, 0)
        # per record, smallest block first; a block is taken while the blocks before it hold
        # fewer than `budget` records
        order = np.lexsort((keys, np.where(usable, size, cap + 1), pos))
        p_s, k_s, e_s, u_s = pos[order], keys[order], eff[order], usable[order]
        before = np.cumsum(e_s) - e_s
        first = np.ones(len(p_s), dtype=bool)
        first[1:] = p_s[1:] != p_s[:-1]
        group = np.cumsum(first) - 1
        before -= before[first][group]
        take = u_s & (before < budget)
        p_t, k_t = p_s[take], k_s[take]
        if len(k_t) == 0:
            c.execute("DELETE FROM tmp_keys")
            return empty, empty
        self._key_table(np.unique(k_t).tolist())
        rows = c.execute(  # CROSS JOIN: SQLite keeps this order (else it may scan block_keys)
            "SELECT b.key, b.rid FROM tmp_keys t CROSS JOIN block_keys b ON b.key = t.key"
        ).fetchall()
        c.execute("DELETE FROM tmp_keys")
        if not rows:
            return empty, empty
        arr = np.asarray(rows, dtype=np.int64)
        so = np.argsort(arr[:, 0], kind="stable")
        skey, srid = arr[so, 0], arr[so, 1]
        lo = np.searchsorted(skey, k_t, "left")
        cnt = np.searchsorted(skey, k_t, "right") - lo
        total = int(cnt.sum())
        left = np.repeat(p_t, cnt)
        idx = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
        right = srid[idx]
        m = int(right.max()) + 1
        packed = np.unique(left * m + right)
        return packed // m, packed % m

    def _incremental_add(self, table: Table) -> dict[str, int]:
        s = self._settings
        assert s is not None
        c = self._conn
        now = _now()
        ids = table.ids.tolist()
        cols = table.column_names
        for col in cols:
            if col not in s.columns:
                s.columns.append(col)
        c.execute(
            "INSERT INTO meta VALUES ('columns', ?) ON CONFLICT(key) DO UPDATE SET "
            "value = excluded.value",
            (json.dumps(s.columns),),
        )
        colvals = [table.columns[k].tolist() for k in cols]
        raws = [
            json.dumps({k: v[i] for k, v in zip(cols, colvals, strict=True)})
            for i in range(len(ids))
        ]
        existing: dict[str, tuple[int, str, str, str]] = {}
        for chunk in _chunks(ids, 900):
            q = (
                "SELECT record_id, rid, raw, features, entity_id FROM records WHERE record_id IN ("
                + ",".join("?" * len(chunk))
                + ")"
            )
            for rec, rid, raw, f, ent in c.execute(q, chunk):
                existing[rec] = (rid, raw, f, ent)
        keep_pos = [i for i, r in enumerate(ids) if r not in existing or existing[r][1] != raws[i]]
        n_unchanged = len(ids) - len(keep_pos)
        if not keep_pos:
            return {"added": 0, "updated": 0, "unchanged": n_unchanged}
        sub = table.take(np.asarray(keep_pos, dtype=np.int64))
        sub_ids = sub.ids.tolist()
        feats = self._features(sub)
        n = len(sub)
        batch = self._new_batch(sum(1 for r in sub_ids if r not in existing))
        # updated records: drop their old keys and edges, rewrite values
        updated = [r for r in sub_ids if r in existing]
        prev_entity: dict[int, str] = {}
        for r in updated:
            rid, _raw, f_old, ent = existing[r]
            prev_entity[rid] = ent
            old = {
                k: np.array([v], dtype=object)
                for k, v in zip(s.feature_keys, json.loads(f_old), strict=True)
            }
            _, okeys = record_keys(s.rules, old, 1)
            c.executemany(
                "DELETE FROM block_keys WHERE key = ? AND rid = ?",
                ((k, rid) for k in okeys.tolist()),
            )
            c.execute("DELETE FROM edges WHERE a = ? OR b = ?", (rid, rid))
        next_rid = int(c.execute("SELECT COALESCE(MAX(rid), 0) + 1 FROM records").fetchone()[0])
        rids = np.empty(n, dtype=np.int64)
        new_rows = []
        upd_rows = []
        flist = [feats[k].tolist() for k in s.feature_keys]
        raw_of = {ids[i]: raws[i] for i in keep_pos}
        for i, r in enumerate(sub_ids):
            fj = json.dumps([f[i] for f in flist])
            if r in existing:
                rids[i] = existing[r][0]
                upd_rows.append((raw_of[r], fj, now, int(rids[i])))
            else:
                rids[i] = next_rid
                next_rid += 1
                new_rows.append((int(rids[i]), r, "", batch, raw_of[r], fj, now, now))
        c.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", new_rows)
        c.executemany(
            "UPDATE records SET raw = ?, features = ?, updated_at = ? WHERE rid = ?", upd_rows
        )
        self._events([("updated", existing[r][3], [r], {}, batch) for r in updated])
        self._stage("records_written")
        n_upd = len(updated)
        if int(c.execute("SELECT COUNT(*) FROM records").fetchone()[0]) <= s.train_until:
            stats = self._retrain(set(rids.tolist()), prev_entity, batch)
            return {"added": n - n_upd, "updated": n_upd, "unchanged": n_unchanged, **stats}
        # candidates: stored records sharing a blocking key (indexed lookups)
        bpos, bkeys = record_keys(s.rules, feats, n)
        cand_left, cand_rid = self._lookup(bpos, bkeys)
        self._insert_keys(bkeys, rids[bpos])
        self._stage("keys_written")
        # cross pairs batch x stored
        cand_rids = np.unique(cand_rid).tolist()
        order_r, _rec, _ent, cfeat = self._load_features(cand_rids)
        found = np.asarray(order_r, dtype=np.int64)  # sorted, like cand_rids
        at = np.minimum(np.searchsorted(found, cand_rid), max(len(found) - 1, 0))
        ok = found[at] == cand_rid if len(found) else np.zeros(len(cand_rid), dtype=bool)
        left_x, right_x = cand_left[ok], n + at[ok]
        # within-batch pairs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wp = generate_pairs(feats, s.rules, max_block_size=s.max_block_size)
        all_feats = {k: np.concatenate([feats[k], cfeat[k]]) for k in s.feature_keys}
        left = np.concatenate([wp.left.astype(np.int64), left_x])
        right = np.concatenate([wp.right.astype(np.int64), right_x])
        all_rids = np.concatenate([rids, np.asarray(order_r, dtype=np.int64)])
        if len(left):
            prob, _hits, _g = self._score(all_feats, left, right)
            keep = prob >= s.edge_floor
            self._insert_edges(all_rids[left[keep]], all_rids[right[keep]], prob[keep])
            strong = prob >= s.threshold
            touched = set(all_rids[left[strong]].tolist()) | set(all_rids[right[strong]].tolist())
        else:
            touched = set()
        self._stage("scored")
        batch_rids = set(rids.tolist())
        entities = {e for e in prev_entity.values()}
        stored_touched = [r for r in touched if r not in batch_rids]
        for chunk in _chunks(stored_touched, 900):
            q = (
                "SELECT DISTINCT entity_id FROM records WHERE rid IN ("
                + ",".join("?" * len(chunk))
                + ")"
            )
            entities.update(e for (e,) in c.execute(q, chunk))
        stats = self._recluster(entities, batch_rids, prev_entity, batch)
        self._stage("clustered")
        return {"added": n - n_upd, "updated": n_upd, "unchanged": n_unchanged, **stats}

    def _retrain(
        self, batch_rids: set[int], prev_entity: Mapping[int, str], batch: int
    ) -> dict[str, int]:
        """Refit the model on every stored record, re-key, re-score and re-cluster them all
        (only while the store is small: see ``train_until``)."""
        s = self._settings
        assert s is not None
        c = self._conn
        rows = c.execute("SELECT rid, record_id, raw FROM records ORDER BY rid").fetchall()
        rid_arr = np.array([r[0] for r in rows], dtype=np.int64)
        raws = [json.loads(r[2]) for r in rows]
        cols = {col: _obj([r.get(col) for r in raws]) for col in s.columns}
        table = Table(_obj([r[1] for r in rows]), cols)
        resolver = Resolver(
            s.fields,
            id_column=s.id_column,
            threshold=s.threshold,
            seed=s.seed,
            default_region=s.default_region,
            max_block_size=s.max_block_size,
            max_cluster_size=s.max_cluster_size,
            strong_evidence=s.strong_evidence,
            golden=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = resolver.resolve(table)
        self._model = res.model
        cur = c.execute(
            "INSERT INTO models (model, created_at) VALUES (?, ?)",
            (res.model.to_json(indent=None), _now()),
        )
        self._model_id = int(cur.lastrowid or 0)
        s.rules = list(res.blocking_rules)
        s.guards = default_guards(tuple(comp.name for comp in res.model.comparisons))
        c.executemany(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(s.to_meta().items()),
        )
        c.execute("DELETE FROM block_keys")
        pos, keys = record_keys(s.rules, res.features.columns, len(table))
        self._insert_keys(keys, rid_arr[pos])
        self._stage("keys_written")
        c.execute("DELETE FROM edges")
        p = res.pairs
        keep = p.match_probability >= s.edge_floor
        self._insert_edges(rid_arr[p.left[keep]], rid_arr[p.right[keep]], p.match_probability[keep])
        self._stage("scored")
        active = {e for (e,) in c.execute("SELECT entity_id FROM entities WHERE status = 'active'")}
        stats = self._recluster(active, batch_rids, prev_entity, batch)
        self._stage("clustered")
        return {**stats, "retrained": 1}

    # ------------------------------------------------------------------ re-clustering
    def _decisions_for(self, record_ids: set[str]) -> list[tuple[str, str, str, str, str]]:
        """Active decisions naming one of ``record_ids`` or one of their entities."""
        c = self._conn
        out: dict[int, tuple[str, str, str, str, str]] = {}
        refs = list(record_ids)
        if refs:
            ents: set[str] = set()
            for chunk in _chunks(refs, 900):
                q = (
                    "SELECT DISTINCT entity_id FROM records WHERE record_id IN ("
                    + ",".join("?" * len(chunk))
                    + ")"
                )
                ents.update(e for (e,) in c.execute(q, chunk))
            refs = refs + list(ents)
        for chunk in _chunks(refs, 400):
            marks = ",".join("?" * len(chunk))
            q = (
                "SELECT decision_id, kind, a, a_kind, b, b_kind FROM decisions WHERE active = 1 "
                f"AND (a IN ({marks}) OR b IN ({marks}))"
            )
            for d, kind, a, ak, b, bk in c.execute(q, chunk + chunk):
                out[d] = (kind, a, ak, b, bk)
        return list(out.values())

    def _expand(self, ref: str, kind: str) -> list[str]:
        if kind == "record":
            return [ref]
        try:
            eid = self._current_entity(ref)
        except StoreError:
            return []
        q = "SELECT record_id FROM records WHERE entity_id = ?"
        return [r for (r,) in self._conn.execute(q, (eid,))]

    def _recluster(
        self,
        entities: set[str],
        batch_rids: set[int],
        prev_entity: Mapping[int, str],
        batch: int | None,
        *,
        move_kind: str = "split",
        extra_detail: Mapping[str, Any] | None = None,
        leaving: frozenset[str] = frozenset(),
    ) -> dict[str, int]:
        """Cluster the batch records together with the members of ``entities`` and map the
        result onto entity ids (stable: ids change only through recorded merges and splits)."""
        s = self._settings
        assert s is not None
        c = self._conn
        # region: batch records + members of the touched entities + must-link closure
        region: set[int] = set(batch_rids)
        done: set[str] = set()
        todo = set(entities)
        decisions: list[tuple[str, str, str, str, str]] = []
        for _round in range(10):
            todo -= done
            for chunk in _chunks(sorted(todo), 900):
                q = (
                    "SELECT rid FROM records WHERE entity_id IN ("
                    + ",".join("?" * len(chunk))
                    + ")"
                )
                region.update(r for (r,) in c.execute(q, chunk))
            done |= todo
            rec_ids = self._record_ids(region)
            decisions = self._decisions_for(set(rec_ids.values()))
            more: set[str] = set()
            for kind, a, ak, b, bk in decisions:
                if kind != "must_link":
                    continue
                for ref, rk in ((a, ak), (b, bk)):
                    for r in self._expand(ref, rk):
                        more.add(self.entity_of(r))
            todo = more - done
            if not todo:
                break
        rlist = sorted(region)
        order, rec, ent, feats = self._load_features(rlist)
        pos = {r: i for i, r in enumerate(order)}
        n = len(order)
        prev = [
            prev_entity.get(r, e) if r not in batch_rids or r in prev_entity else None
            for r, e in zip(order, ent, strict=True)
        ]
        # stored edges inside the region above the threshold
        c.execute("CREATE TEMP TABLE IF NOT EXISTS tmp_region (rid INTEGER PRIMARY KEY)")
        c.execute("DELETE FROM tmp_region")
        c.executemany("INSERT INTO tmp_region VALUES (?)", ((r,) for r in order))
        rows = c.execute(
            "SELECT e.a, e.b, e.p FROM edges e JOIN tmp_region t ON t.rid = e.a "
            "WHERE e.p >= ? AND e.b IN (SELECT rid FROM tmp_region)",
            (s.threshold,),
        ).fetchall()
        c.execute("DELETE FROM tmp_region")
        left = np.array([pos[a] for a, _b, _p in rows], dtype=np.int64)
        right = np.array([pos[b] for _a, b, _p in rows], dtype=np.int64)
        prob = np.array([p for _a, _b, p in rows], dtype=np.float64)
        in_region = set(rec)
        must: list[tuple[str, str]] = []
        cannot: list[tuple[str, str]] = []
        for kind, a, ak, b, bk in decisions:
            xs = [x for x in self._expand(a, ak) if x in in_region]
            ys = [y for y in self._expand(b, bk) if y in in_region]
            pairs = [(x, y) for x in xs for y in ys if x != y]
            (must if kind == "must_link" else cannot).extend(pairs)
        if must and cannot:
            dsu = _DSU()
            for a, b in must:
                dsu.union(a, b)
            cannot = [(a, b) for a, b in cannot if dsu.find(a) != dsu.find(b)]

        def scorer(lft: IntArray, rgt: IntArray) -> FloatArray:
            return self._score(feats, lft, rgt)[0]

        def run(cannot_pairs: list[tuple[str, str]]) -> Any:
            return cluster_pairs(
                n,
                rec,
                left,
                right,
                prob,
                threshold=s.threshold,
                features=feats,
                must_link=must,
                cannot_link=cannot_pairs,
                max_cluster_size=s.max_cluster_size,
                strong_evidence=s.strong_evidence,
                pair_scorer=scorer,
            )

        clustering = run(cannot)
        labels = clustering.labels.tolist()
        # merges of existing entities need strong evidence (bottleneck of the bridge)
        weak = self._weak_merges(labels, prev, left, right, prob, must, rec)
        if weak:
            try:
                clustering = run(cannot + weak)
                labels = clustering.labels.tolist()
            except ValueError:
                pass
        return self._apply_clusters(
            order,
            rec,
            prev,
            labels,
            clustering.confidence.tolist(),
            batch_rids,
            batch,
            move_kind,
            extra_detail,
            leaving,
        )

    def _record_ids(self, rids: set[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for chunk in _chunks(sorted(rids), 900):
            q = (
                "SELECT rid, record_id FROM records WHERE rid IN ("
                + ",".join("?" * len(chunk))
                + ")"
            )
            out.update(self._conn.execute(q, chunk).fetchall())
        return out

    def _weak_merges(
        self,
        labels: list[int],
        prev: list[str | None],
        left: IntArray,
        right: IntArray,
        prob: FloatArray,
        must: list[tuple[str, str]],
        rec: list[str],
    ) -> list[tuple[str, str]]:
        """Cannot-link pairs that keep apart existing entities joined only by weak links."""
        s = self._settings
        assert s is not None
        olds: dict[int, set[str]] = defaultdict(set)
        for lab, e in zip(labels, prev, strict=True):
            if e is not None:
                olds[lab].add(e)
        multi = {lab for lab, es in olds.items() if len(es) > 1}
        if not multi:
            return []
        # Strong links (>= merge_evidence, must-links) over records, each old entity collapsed
        # to one node: a merge is strong when its entities connect through them (Kruskal,
        # strongest first, stopping at merge_evidence, connects the same). One pass over the
        # edges and the members, whatever the number of merging clusters.
        node = [f"e:{e}" if e is not None else f"r:{i}" for i, e in enumerate(prev)]
        lab_arr = np.asarray(labels, dtype=np.int64)
        la, lb = lab_arr[left], lab_arr[right]
        keep = (la == lb) & (prob >= s.merge_evidence)
        keep &= np.isin(la, np.fromiter(multi, dtype=np.int64, count=len(multi)))
        dsu = _DSU()
        for a, b in zip(left[keep].tolist(), right[keep].tolist(), strict=True):
            dsu.union(node[a], node[b])
        pos = {r: i for i, r in enumerate(rec)}
        for ra, rb in must:
            if labels[pos[ra]] in multi:
                dsu.union(node[pos[ra]], node[pos[rb]])
        members: dict[int, list[int]] = defaultdict(list)
        for i, (lab, e) in enumerate(zip(labels, prev, strict=True)):
            if e is not None and lab in multi:
                members[lab].append(i)
        out: list[tuple[str, str]] = []
        for lab in sorted(multi):
            if len({dsu.find(f"e:{e}") for e in olds[lab]}) < 2:
                continue
            groups: dict[Any, list[int]] = defaultdict(list)
            for i in members[lab]:
                groups[dsu.find(node[i])].append(i)
            gl = list(groups.values())
            for x in range(len(gl)):
                for y in range(x + 1, len(gl)):
                    out.extend((rec[i], rec[j]) for i in gl[x] for j in gl[y])
        return out

    def _apply_clusters(
        self,
        order: list[int],
        rec: list[str],
        prev: list[str | None],
        labels: list[int],
        confidence: list[float],
        batch_rids: set[int],
        batch: int | None,
        move_kind: str,
        extra_detail: Mapping[str, Any] | None,
        leaving: frozenset[str] = frozenset(),
    ) -> dict[str, int]:
        """Map clusters onto entity ids and write what changed. Only entities whose members
        changed (or hold a record of ``batch_rids``) get a new size and golden record."""
        c = self._conn
        now = _now()
        detail0 = dict(extra_detail or {})
        clusters: dict[int, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            clusters[lab].append(i)
        seqs: dict[str, int] = {}
        olds = sorted({e for e in prev if e is not None})
        for chunk in _chunks(olds, 900):
            q = (
                "SELECT entity_id, seq FROM entities WHERE entity_id IN ("
                + ",".join("?" * len(chunk))
                + ")"
            )
            seqs.update(c.execute(q, chunk).fetchall())
        # keeper part of each old entity: most members, then its oldest record
        parts: dict[str, Counter[int]] = defaultdict(Counter)
        first: dict[tuple[str, int], int] = {}
        staying: set[tuple[str, int]] = set()  # parts holding a record that is not leaving
        for i, (lab, e) in enumerate(zip(labels, prev, strict=True)):
            if e is not None:
                parts[e][lab] += 1
                key = (e, lab)
                first[key] = min(first.get(key, order[i]), order[i])
                if rec[i] not in leaving:
                    staying.add(key)
        keeper = {
            e: min(
                cnt,
                key=lambda lab, e=e, cnt=cnt: (  # type: ignore[misc]
                    (e, lab) not in staying,
                    -cnt[lab],
                    first[(e, lab)],
                ),
            )
            for e, cnt in parts.items()
        }
        kept_by: dict[int, list[str]] = defaultdict(list)
        for e, lab in keeper.items():
            kept_by[lab].append(e)
        target: dict[int, str] = {}
        stats = Counter[str]()
        touched: set[str] = set()
        events: list[tuple[str, str | None, list[str], dict[str, Any], int | None]] = []
        for lab, members in sorted(clusters.items(), key=lambda kv: min(order[i] for i in kv[1])):
            es = sorted(kept_by.get(lab, []), key=lambda e: seqs[e])
            if not es:
                eid = self._fresh_entity_id(min(rec[i] for i in members), now)
                target[lab] = eid
                stats["created"] += 1
                events.append(("created", eid, sorted(rec[i] for i in members), detail0, batch))
            else:
                eid = es[0]
                target[lab] = eid
                if len(es) > 1:
                    for other in es[1:]:
                        c.execute(
                            "UPDATE entities SET status = 'merged', merged_into = ?, size = 0, "
                            "updated_at = ? WHERE entity_id = ?",
                            (eid, now, other),
                        )
                        c.execute("DELETE FROM golden WHERE entity_id = ?", (other,))
                        touched.add(other)
                    before = {e: sorted(rec[i] for i in members if prev[i] == e) for e in es}
                    bridge = sorted(rec[i] for i in members if prev[i] is None)
                    events.append(
                        (
                            "merged",
                            eid,
                            bridge,
                            {**detail0, "merged": es[1:], "members_before": before},
                            batch,
                        )
                    )
                    stats["merged"] += len(es) - 1
                joined = sorted(rec[i] for i in members if prev[i] is None)
                if joined:
                    events.append(("joined", eid, joined, detail0, batch))
                    stats["joined"] += len(joined)
                if not (
                    len(es) > 1
                    or joined
                    or len(parts[eid]) > 1
                    or any(prev[i] != eid or order[i] in batch_rids for i in members)
                ):
                    continue  # same members, same values: size and golden record stand
            touched.add(target[lab])
        # moves of stored records out of their old entity (splits, unmerges)
        moved: dict[tuple[str, str], list[str]] = defaultdict(list)
        updates = []
        for i, (lab, e) in enumerate(zip(labels, prev, strict=True)):
            t = target[lab]
            if e is None or e != t:
                updates.append((t, order[i]))
            if e is not None and e != t and keeper.get(e) != lab:
                moved[(e, t)].append(rec[i])
        for (e, t), rs in sorted(moved.items()):
            events.append((move_kind, e, sorted(rs), {**detail0, "into": t}, batch))
            stats[move_kind] += 1
            touched.add(e)
        self._events(events)
        c.executemany("UPDATE records SET entity_id = ? WHERE rid = ?", updates)
        c.executemany(
            "UPDATE entities SET confidence = ? WHERE entity_id = ?",
            ((confidence[lab], eid) for lab, eid in target.items()),
        )
        self._refresh_entities(touched, now)
        return dict(stats)

    def _fresh_entity_id(self, min_record_id: str, now: str) -> str:
        base = cluster_id_for(min_record_id)
        eid, k = base, 1
        while self._conn.execute("SELECT 1 FROM entities WHERE entity_id = ?", (eid,)).fetchone():
            k += 1
            eid = f"{base}-{k}"
        self._conn.execute(
            "INSERT INTO entities (entity_id, seq, size, status, merged_into, created_at, "
            "updated_at, confidence) VALUES (?, ?, 0, 'active', NULL, ?, ?, 1.0)",
            (eid, self._next_seq(), now, now),
        )
        return eid

    def _refresh_entities(self, entity_ids: set[str], now: str) -> None:
        """Recount sizes; retire emptied entities; rebuild golden records of the rest."""
        s = self._settings
        assert s is not None
        c = self._conn
        ids_sorted = sorted(entity_ids)
        size: dict[str, int] = {}
        status: dict[str, str] = {}
        for chunk in _chunks(ids_sorted, 900):
            marks = ",".join("?" * len(chunk))
            size.update(
                c.execute(
                    f"SELECT entity_id, COUNT(*) FROM records WHERE entity_id IN ({marks}) "
                    "GROUP BY entity_id",
                    chunk,
                ).fetchall()
            )
            status.update(
                c.execute(
                    f"SELECT entity_id, status FROM entities WHERE entity_id IN ({marks})", chunk
                ).fetchall()
            )
        live = [e for e in ids_sorted if status.get(e) not in (None, "merged") and size.get(e)]
        empty = [e for e in ids_sorted if status.get(e) not in (None, "merged") and not size.get(e)]
        c.executemany(
            "UPDATE entities SET status = 'empty', size = 0, updated_at = ? WHERE entity_id = ?",
            ((now, e) for e in empty),
        )
        c.executemany("DELETE FROM golden WHERE entity_id = ?", ((e,) for e in empty))
        c.executemany(
            "UPDATE entities SET status = 'active', size = ?, updated_at = ? WHERE entity_id = ?",
            ((size[e], now, e) for e in live),
        )
        if not live:
            return
        ids: list[str] = []
        raws: list[dict[str, Any]] = []
        labels: list[int] = []
        label = {e: k for k, e in enumerate(live)}
        for chunk in _chunks(live, 900):
            q = (
                "SELECT entity_id, record_id, raw FROM records WHERE entity_id IN ("
                + ",".join("?" * len(chunk))
                + ") ORDER BY entity_id, rid"
            )
            for eid, rid, raw in c.execute(q, chunk):
                ids.append(rid)
                raws.append(json.loads(raw))
                labels.append(label[eid])
        cols = {
            col: np.array([r.get(col) for r in raws] + [None], dtype=object)[:-1]
            for col in s.columns
        }
        table = Table(np.array([*ids, ""], dtype=object)[:-1], cols)
        fields = {role: [c_ for c_ in cs if c_ in cols] for role, cs in s.fields.items()}
        fields = {k: v for k, v in fields.items() if v}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            golden = build_golden_records(
                table,
                np.asarray(labels, dtype=np.int64),
                cluster_ids=np.array([*live, ""], dtype=object)[:-1],
                field_map=fields,
            )
        self._store_golden_records(golden)

    # ------------------------------------------------------------------ find
    def find(
        self, record: Mapping[str, Any], *, limit: int = 5, explain: bool = True
    ) -> list[Candidate]:
        """Entities that may hold ``record`` (raw column → value), most probable first.

        Only stored records sharing a blocking key are scored (indexed lookups); explanations
        mask values."""
        self._refresh_if_stale()
        s, model = self._settings, self._model
        if s is None or model is None:
            return []
        row = {k: v for k, v in record.items()}
        table = Table.from_records([row])
        feats = self._features(table)
        pos, keys = record_keys(s.rules, feats, 1)
        _left, cand = self._lookup(pos, keys)
        if not len(cand):
            return []
        order, rec, ent, cfeat = self._load_features(cand.tolist())
        all_feats = {k: np.concatenate([feats[k], cfeat[k]]) for k in s.feature_keys}
        m = len(order)
        left = np.zeros(m, dtype=np.int64)
        right = np.arange(1, m + 1, dtype=np.int64)
        prob, hits, gamma, tf = self._score_tf(all_feats, left, right)
        best: dict[str, int] = {}
        for j, e in enumerate(ent):
            if e not in best or prob[j] > prob[best[e]]:
                best[e] = j
        ranked = sorted(best.items(), key=lambda kv: (-prob[kv[1]], kv[0]))[:limit]
        out = []
        for e, j in ranked:
            size = self._conn.execute(
                "SELECT size FROM entities WHERE entity_id = ?", (e,)
            ).fetchone()[0]
            expl = None
            if explain:  # from the gamma row already computed (no second comparison)
                values = {
                    comp.name: (
                        _joined(all_feats, comp.columns, 0),
                        _joined(all_feats, comp.columns, j + 1),
                    )
                    for comp in model.comparisons
                }
                tfj = {name: (float(fl[j]), float(fr[j])) for name, (fl, fr) in tf.items()}
                expl = model.explain(gamma[j], values=values, tf_values=tfj).to_dict()
                if hits[j] >= 0:
                    expl["guard"] = s.guards[int(hits[j])].name
                    expl["match_probability"] = float(prob[j])
            out.append(Candidate(e, float(prob[j]), rec[j], int(size), expl))
        return out

    # ------------------------------------------------------------------ review & decisions
    def review_queue(
        self, lower: float = 0.2, upper: float = 0.8, *, limit: int = 100, offset: int = 0
    ) -> list[ReviewPair]:
        """Scored pairs with ``lower <= p <= upper`` that no decision covers, ordered by how
        much a decision would change: records affected (both entities' sizes when apart, the
        entity's size when together) times closeness to 0.5; then by record ids.

        Filtered, ordered and paged in SQLite (``offset`` skips that many pairs of the
        order): memory holds ``limit + offset`` pairs whatever the number in the range."""
        if limit < 1 or offset < 0:
            return []
        rows = self._conn.execute(
            "SELECT ra.record_id, rb.record_id, ra.entity_id, rb.entity_id, e.p, "
            "(CASE WHEN ra.entity_id = rb.entity_id THEN ea.size ELSE ea.size + eb.size END) "
            "* (1.0 - 2.0 * abs(e.p - 0.5)) AS prio "
            "FROM edges e JOIN records ra ON ra.rid = e.a JOIN records rb ON rb.rid = e.b "
            "JOIN entities ea ON ea.entity_id = ra.entity_id "
            "JOIN entities eb ON eb.entity_id = rb.entity_id "
            "WHERE e.p BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM decisions d "
            "WHERE d.active = 1 AND d.a_kind = 'record' AND d.b_kind = 'record' AND "
            "((d.a = ra.record_id AND d.b = rb.record_id) OR "
            "(d.a = rb.record_id AND d.b = ra.record_id))) "
            "ORDER BY prio DESC, ra.record_id, rb.record_id LIMIT ? OFFSET ?",
            (lower, upper, int(limit), int(offset)),
        ).fetchall()
        return [ReviewPair(a, b, ea, eb, float(p), float(prio)) for a, b, ea, eb, p, prio in rows]

    def must_link(self, a: str, b: str, reason: str = "", *, who: str | None = None) -> int:
        """Record that ``a`` and ``b`` are one entity; merges their entities now and in
        every later add. Returns the decision event id."""
        return self._decide("must_link", a, b, reason, who)

    def cannot_link(self, a: str, b: str, reason: str = "", *, who: str | None = None) -> int:
        """Record that ``a`` and ``b`` are different; splits them now and in every later add."""
        return self._decide("cannot_link", a, b, reason, who)

    def _decide(self, kind: str, a: str, b: str, reason: str, who: str | None) -> int:
        a, b = str(a), str(b)
        if a == b:
            raise StoreError("a decision needs two different records")
        with self._tx():
            ea, eb = self.entity_of(a), self.entity_of(b)
            other = "cannot_link" if kind == "must_link" else "must_link"
            self._conn.execute(
                "UPDATE decisions SET active = 0 WHERE kind = ? AND a_kind = 'record' AND "
                "b_kind = 'record' AND ((a = ? AND b = ?) OR (a = ? AND b = ?))",
                (other, a, b, b, a),
            )
            cur = self._conn.execute(
                "INSERT INTO decisions (kind, a, a_kind, b, b_kind, reason, who, created_at) "
                "VALUES (?, ?, 'record', ?, 'record', ?, ?, ?)",
                (kind, a, b, reason, who, _now()),
            )
            decision_id = int(cur.lastrowid or 0)
            event = self._event(
                "decision",
                ea,
                [a, b],
                {
                    "decision": kind,
                    "decision_id": decision_id,
                    "reason": reason,
                    "who": who,
                    "entities": sorted({ea, eb}),
                },
            )
            if kind == "cannot_link" and self._must_connected(a, b):
                raise StoreError(
                    f"cannot_link({a!r}, {b!r}) contradicts must_link decisions joining them"
                )
            self._recluster({ea, eb}, set(), {}, None, extra_detail={"cause": event})
        return event

    def _must_connected(self, a: str, b: str) -> bool:
        dsu = _DSU()
        for x, xk, y, yk in self._conn.execute(
            "SELECT a, a_kind, b, b_kind FROM decisions WHERE active = 1 AND kind = 'must_link'"
        ):
            for p in self._expand(x, xk):
                for q in self._expand(y, yk):
                    dsu.union(p, q)
        return bool(dsu.find(a) == dsu.find(b))

    def unmerge(self, record_id: str, reason: str = "", *, who: str | None = None) -> int:
        """Take ``record_id`` out of its entity into its own, and remember it (a cannot-link
        between the record and its former entity). Returns the event id."""
        record_id = str(record_id)
        with self._tx():
            eid = self.entity_of(record_id)
            others = [r for r in self.members(eid) if r != record_id]
            if not others:
                raise StoreError(f"record {record_id!r} is alone in its entity already")
            if any(self._must_connected(record_id, o) for o in others[:50]):
                raise StoreError(f"record {record_id!r} is must-linked into its entity")
            cur = self._conn.execute(
                "INSERT INTO decisions (kind, a, a_kind, b, b_kind, reason, who, created_at) "
                "VALUES ('cannot_link', ?, 'record', ?, 'entity', ?, ?, ?)",
                (record_id, eid, reason, who, _now()),
            )
            decision_id = int(cur.lastrowid or 0)
            event = self._event(
                "unmerged",
                eid,
                [record_id],
                {"decision_id": decision_id, "reason": reason, "who": who},
            )
            self._recluster(
                {eid},
                set(),
                {},
                None,
                move_kind="unmerged",
                extra_detail={"cause": event},
                leaving=frozenset([record_id]),
            )
        return event

    # ------------------------------------------------------------------ history & undo
    def history(self, ref: str) -> list[Event]:
        """Every event about a record id or an entity id (oldest first)."""
        rows = self._conn.execute(
            "SELECT e.event_id, e.ts, e.kind, e.entity_id, e.record_ids, e.detail, e.batch, "
            "e.undoes FROM event_refs r JOIN events e ON e.event_id = r.event_id "
            "WHERE r.ref = ? ORDER BY e.event_id",
            (str(ref),),
        ).fetchall()
        return [
            Event(i, ts, k, ent, json.loads(rs), json.loads(d), b, u)
            for i, ts, k, ent, rs, d, b, u in rows
        ]

    def events(self, *, since: int = 0) -> Iterator[Event]:
        for i, ts, k, ent, rs, d, b, u in self._conn.execute(
            "SELECT event_id, ts, kind, entity_id, record_ids, detail, batch, undoes FROM events "
            "WHERE event_id > ? ORDER BY event_id",
            (since,),
        ):
            yield Event(i, ts, k, ent, json.loads(rs), json.loads(d), b, u)

    def undo(self, event_id: int) -> int:
        """Undo a decision, an unmerge or a merge (recorded as an ``undone`` event).

        A merge is undone by restoring the entities it joined (with their members from before
        the merge) and remembering that they differ (an entity-level cannot-link)."""
        with self._tx():
            row = self._conn.execute(
                "SELECT kind, entity_id, record_ids, detail FROM events WHERE event_id = ?",
                (int(event_id),),
            ).fetchone()
            if row is None:
                raise StoreError(f"unknown event {event_id}")
            if self._conn.execute(
                "SELECT 1 FROM events WHERE undoes = ?", (int(event_id),)
            ).fetchone():
                raise StoreError(f"event {event_id} is undone already")
            kind, eid, record_ids, detail = row[0], row[1], json.loads(row[2]), json.loads(row[3])
            undo_event = self._event(
                "undone", eid, record_ids, {"kind": kind}, undoes=int(event_id)
            )
            cause = {"cause": undo_event}
            if kind in ("decision", "unmerged"):
                self._conn.execute(
                    "UPDATE decisions SET active = 0 WHERE decision_id = ?",
                    (detail["decision_id"],),
                )
                ents = {self.entity_of(r) for r in record_ids}
                if kind == "unmerged":
                    ents.add(self._current_entity(eid))
                self._recluster(ents, set(), {}, None, extra_detail=cause)
            elif kind == "merged":
                survivor = self._current_entity(eid)
                before: dict[str, list[str]] = detail["members_before"]
                now = _now()
                group = {r: g for g, rs in before.items() for r in rs}
                for d, x, y in self._conn.execute(
                    "SELECT decision_id, a, b FROM decisions WHERE active = 1 AND "
                    "kind = 'must_link' AND a_kind = 'record' AND b_kind = 'record'"
                ).fetchall():
                    if x in group and y in group and group[x] != group[y]:
                        self._conn.execute(  # the undone merge's own reason goes too
                            "UPDATE decisions SET active = 0 WHERE decision_id = ?", (d,)
                        )
                for old, members in before.items():
                    if old == eid:
                        continue
                    self._conn.execute(
                        "UPDATE entities SET status = 'active', merged_into = NULL, "
                        "updated_at = ? WHERE entity_id = ?",
                        (now, old),
                    )
                    self._conn.executemany(
                        "UPDATE records SET entity_id = ? WHERE record_id = ? AND entity_id = ?",
                        ((old, r, survivor) for r in members),
                    )
                    self._conn.execute(
                        "INSERT INTO decisions (kind, a, a_kind, b, b_kind, reason, created_at) "
                        "VALUES ('cannot_link', ?, 'entity', ?, 'entity', ?, ?)",
                        (old, eid, f"undo of event {event_id}", now),
                    )
                self._refresh_entities(set(before) | {survivor}, now)
                self._recluster(set(before) | {survivor}, set(), {}, None, extra_detail=cause)
            else:
                raise StoreError(f"events of kind {kind!r} cannot be undone")
        return undo_event

    # ------------------------------------------------------------------ export & backup
    def export(self, path: str | Path, *, golden: str | Path | None = None) -> int:
        """Write every stored record with its ``cluster_id`` and ``cluster_confidence``
        (formula-safe CSV, the columns ``dedupe`` writes); optionally the golden records too.
        Returns the number of records written."""
        s = self._settings
        cols = list(s.columns) if s else []
        id_col = s.id_column if s else None
        lead = [] if id_col in cols else ["record_id"]
        header = [*lead, *cols, "cluster_id", "cluster_confidence"]
        n = 0

        def rows() -> Iterator[list[Any]]:
            nonlocal n
            for rec, raw, ent, conf in self._conn.execute(
                "SELECT r.record_id, r.raw, r.entity_id, e.confidence FROM records r "
                "JOIN entities e ON e.entity_id = r.entity_id ORDER BY r.rid"
            ):
                d = json.loads(raw)
                n += 1
                yield [
                    *([rec] if lead else []),
                    *(d.get(c) for c in cols),
                    ent,
                    repr(float(conf if conf is not None else 1.0)),
                ]

        write_csv(path, header, rows())
        if golden is not None:  # like dedupe's: input columns, cluster_id, member_ids
            members: dict[str, list[str]] = defaultdict(list)
            for eid, rec in self._conn.execute("SELECT entity_id, record_id FROM records"):
                members[eid].append(rec)
            grows = []
            for eid, rec in self._conn.execute(
                "SELECT g.entity_id, g.record FROM golden g JOIN entities e "
                "ON e.entity_id = g.entity_id WHERE e.status = 'active' ORDER BY e.seq"
            ):
                grows.append((eid, json.loads(rec)))
            write_csv(
                golden,
                [*cols, "cluster_id", "member_ids"],
                (
                    [*(d.get(k) for k in cols), eid, "|".join(sorted(members[eid]))]
                    for eid, d in grows
                ),
            )
        return n

    def backup(self, path: str | Path) -> None:
        """A consistent copy of the store (SQLite online backup API; readers/writers may run)."""
        dst = sqlite3.connect(str(path))
        try:
            self._conn.backup(dst)
        finally:
            dst.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception); re-entrant."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.outer = False

    def __enter__(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.outer = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _obj(values: Sequence[Any]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _joined(feats: Mapping[str, ObjArray], columns: Sequence[str], i: int) -> str | None:
    parts = [feats[c][i] for c in columns if c in feats and feats[c][i] is not None]
    return " | ".join(str(p) for p in parts) if parts else None


def _chunks(items: Sequence[Any] | Iterable[Any], size: int) -> Iterator[list[Any]]:
    seq = list(items)
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
