"""Benchmarks of the embedded store (:mod:`crmresolve.store`).

    python benchmarks/store_bench.py f1 --dataset contacts|crm20k|febrl3 [--batches 5]
    python benchmarks/store_bench.py scale --input /tmp/crm1m.csv --n 1000000 --first 50000 \
        --batch 100000 --checkpoints 996000
    python benchmarks/store_bench.py probe --db /tmp/scale1m.db --input /tmp/crm1m.csv \
        --new /tmp/g1m.csv --repeat 3

``f1``: cluster F1 of adding the data in ``--batches`` equal batches vs resolving it in one
batch (same store code, one add). ``scale``: fills a store in batches up to ``--n`` records,
then measures adding 1 000 new records and ``find`` latency (p50/p95 over 200 stored
records' values, with their id column dropped). ``probe``: the same measurements, repeated,
on a store filled before (new records from another file, ids prefixed so they are new).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crmresolve import evaluate as ev
from crmresolve.io import read_csv
from crmresolve.store import Store, StoreError
from crmresolve.table import Table

ROOT = Path(__file__).resolve().parent.parent


def _timings(
    add_wall: float, add_cpu: float, lat: list[float], cpu: list[float]
) -> dict[str, float]:
    """The add-1,000 and find-latency figures of one measurement, as recorded in STORE.md."""

    def ms(values: list[float], q: int) -> float:
        return round(float(np.percentile(values, q)) * 1000, 2)

    return {
        "add_1000_seconds": round(add_wall, 2),
        "add_1000_cpu_seconds": round(add_cpu, 2),
        "find_p50_ms": ms(lat, 50),
        "find_p95_ms": ms(lat, 95),
        "find_cpu_p50_ms": ms(cpu, 50),
        "find_cpu_p95_ms": ms(cpu, 95),
    }


def _dataset(name: str) -> tuple[Table, dict[str, str], str, dict[str, list[str]] | None, str]:
    if name == "contacts":
        t = read_csv(ROOT / "examples/contacts.csv", id_column="record_id")
        truth = read_csv(ROOT / "examples/contacts_truth.csv", id_column="record_id")
        return (
            t,
            dict(zip(truth.ids.tolist(), truth.columns["entity_id"].tolist(), strict=True)),
            "record_id",
            None,
            "US",
        )
    if name == "crm20k":
        t = read_csv("/tmp/crm20k.csv", id_column="record_id")
        truth = read_csv("/tmp/crm20k_truth.csv", id_column="record_id")
        return (
            t,
            dict(zip(truth.ids.tolist(), truth.columns["entity_id"].tolist(), strict=True)),
            "record_id",
            None,
            "US",
        )
    from datasets import load

    ds = load(name)
    t = ds.to_table()
    fields = {k: v for k, v in ds.roles.items() if k != "source"}
    truth = dict(zip(t.ids.tolist(), np.asarray(ds.entity_id, dtype=object).tolist(), strict=True))
    return t, truth, "record_id", fields, "AU"


def _f1(store: Store, truth: dict[str, str]) -> float:
    a = store.assignments()
    ids = sorted(a)
    return ev.cluster_pairwise_metrics([a[i] for i in ids], [truth[i] for i in ids]).f1


def run_f1(name: str, batches: int, train_until: int) -> dict[str, Any]:
    table, truth, id_col, fields, region = _dataset(name)
    n = len(table)
    out: dict[str, Any] = {
        "dataset": name,
        "records": n,
        "batches": batches,
        "train_until": train_until,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for k in (1, batches):
            with Store.open(os.path.join(tmp, f"s{k}.db")) as st:
                t0 = time.perf_counter()
                for b in range(k):
                    sub = table.take(np.arange(b * n // k, (b + 1) * n // k))
                    st.add(
                        sub,
                        id_column=id_col,
                        fields=fields,
                        default_region=region,
                        train_until=train_until,
                    )
                out[f"seconds_{k}"] = round(time.perf_counter() - t0, 2)
                st.check_invariants()
                out[f"f1_{k}"] = round(_f1(st, truth), 4)
    out["delta"] = round(out[f"f1_{batches}"] - out["f1_1"], 4)
    return out


def run_scale(
    path: str,
    n_total: int,
    batch: int,
    first: int,
    db: str | None,
    checkpoints: list[int],
    resume: int = 0,
    probe_offset: int = 0,
    chunk: int = 50_000,
) -> dict[str, Any]:
    """Fill a store up to ``n_total`` records; at each checkpoint add 1 000 new records (from
    the end of the file) and time ``find`` for 200 stored records' values. Wall and process
    CPU time are reported (the CPU time is what a busy shared machine does not inflate)."""
    table = read_csv(path, id_column="record_id")
    n_total = min(n_total, len(table) - 1000 * (len(checkpoints) + 1) - probe_offset)
    probe_start = len(table) - 1000 * (len(checkpoints) + 1) - probe_offset
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        dbp = db or os.path.join(tmp, "scale.db")
        if os.path.exists(dbp) and not resume:
            os.remove(dbp)
        fill_wall = fill_cpu = 0.0
        with Store.open(dbp) as st:
            start = resume
            k = sum(1 for c in checkpoints if c <= start)
            while start < n_total:
                size = first if start == 0 else min(batch, n_total - start)
                t0, c0 = time.perf_counter(), time.process_time()
                st.add(
                    table.take(np.arange(start, start + size)),
                    id_column="record_id",
                    chunk_size=chunk,
                )
                start += size
                fill_wall += time.perf_counter() - t0
                fill_cpu += time.process_time() - c0
                print(
                    "filled",
                    start,
                    round(time.perf_counter() - t0, 1),
                    "s wall",
                    round(time.process_time() - c0, 1),
                    "s CPU; total",
                    round(fill_wall, 1),
                    round(fill_cpu, 1),
                    flush=True,
                )
                if k < len(checkpoints) and start >= checkpoints[k]:
                    lo = probe_start + 1000 * k
                    t0, c0 = time.perf_counter(), time.process_time()
                    st.add(table.take(np.arange(lo, lo + 1000)), id_column="record_id")
                    add_1000 = time.perf_counter() - t0
                    add_1000_cpu = time.process_time() - c0
                    rng = np.random.default_rng(k)
                    recs = table.take(rng.choice(start, 200, replace=False)).to_records()
                    lat, cpu = [], []
                    st.find(recs[0])  # warm-up: phone metadata and caches load once
                    for r in recs:
                        r.pop("record_id", None)
                        t0, c0 = time.perf_counter(), time.process_time()
                        st.find(r)
                        lat.append(time.perf_counter() - t0)
                        cpu.append(time.process_time() - c0)
                    res = {
                        "stored": len(st),
                        **_timings(add_1000, add_1000_cpu, lat, cpu),
                        "db_mb": round(os.path.getsize(dbp) / 1e6, 1),
                        "fill_wall_seconds": round(fill_wall, 1),
                        "fill_cpu_seconds": round(fill_cpu, 1),
                    }
                    print(json.dumps(res), flush=True)
                    results.append(res)
                    k += 1
    return {"checkpoints": results}


def run_probe(
    db: str, stored_input: str, new_input: str, prefix: str, offset: int, repeat: int
) -> dict[str, Any]:
    """Measure an existing store (as ``scale`` does at a checkpoint), ``repeat`` times: add
    1 000 new records (rows of ``new_input`` from ``offset``, ids prefixed with ``prefix`` so
    they are new) in one transaction, then ``find`` 200 random stored records of
    ``stored_input`` (a fresh sample each time; rows streamed, so memory stays small) after
    one warm-up call."""

    def rows(path: str, wanted: set[int] | range) -> list[dict[str, Any]]:
        with open(path, newline="", encoding="utf-8") as fh:
            return [
                {c: (v if v.strip() else None) for c, v in r.items()}
                for i, r in enumerate(csv.DictReader(fh))
                if i in wanted
            ]

    new_rows = rows(new_input, range(offset, offset + 1000 * repeat))
    results = []
    with Store.open(db) as st:
        n = len(st)
        rng = np.random.default_rng(100)
        samples = [rng.choice(n, 200, replace=False) for _ in range(repeat)]
        picked = rows(stored_input, {int(i) for s in samples for i in s})
        by_id = {r["record_id"]: r for r in picked}
        pool = []
        for rid in sorted(by_id):
            try:
                st.entity_of(rid)
            except StoreError:
                continue  # not stored: not a probe
            pool.append(by_id[rid])
        st.find({k: v for k, v in pool[0].items() if k != "record_id"})  # warm-up
        for k in range(repeat):
            recs = [dict(r) for r in new_rows[1000 * k : 1000 * (k + 1)]]
            for r in recs:
                r["record_id"] = f"{prefix}{r['record_id']}"
            t0, c0 = time.perf_counter(), time.process_time()
            st.add(recs, id_column="record_id")
            add_wall, add_cpu = time.perf_counter() - t0, time.process_time() - c0
            probes = [pool[int(i)] for i in rng.choice(len(pool), 200, replace=False)]
            lat, cpu = [], []
            for r in probes:
                values = {c: v for c, v in r.items() if c != "record_id"}
                t0, c0 = time.perf_counter(), time.process_time()
                st.find(values)
                lat.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            res = {
                "stored_before": n + 1000 * k,
                **_timings(add_wall, add_cpu, lat, cpu),
                "load_avg_1min": round(os.getloadavg()[0], 2),
            }
            print(json.dumps(res), flush=True)
            results.append(res)
    return {"probes": results}


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("f1")
    f.add_argument("--dataset", default="contacts")
    f.add_argument("--batches", type=int, default=5)
    f.add_argument("--train-until", type=int, default=5000, help="0: never retrain")
    s = sub.add_parser("scale")
    s.add_argument("--input", required=True)
    s.add_argument("--n", type=int, default=100_000)
    s.add_argument("--batch", type=int, default=50_000)
    s.add_argument("--first", type=int, default=20_000)
    s.add_argument("--db")
    s.add_argument("--checkpoints", default="100000,200000,500000,1000000")
    s.add_argument(
        "--resume",
        type=int,
        default=0,
        metavar="N",
        help="continue filling --db, whose first N rows of --input are stored",
    )
    s.add_argument(
        "--probe-offset",
        type=int,
        default=0,
        help="take the 1 000-record probes this many rows before the file's end",
    )
    s.add_argument("--chunk", type=int, default=50_000, help="Store.add chunk_size")
    pr = sub.add_parser("probe", help="measure add 1 000 / find on an existing store")
    pr.add_argument("--db", required=True)
    pr.add_argument("--input", required=True, help="the file the store was filled from")
    pr.add_argument("--new", required=True, help="file of the records to add (ids prefixed)")
    pr.add_argument("--prefix", default="P")
    pr.add_argument("--offset", type=int, default=0)
    pr.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.cmd == "f1":
        res = run_f1(args.dataset, args.batches, args.train_until)
    elif args.cmd == "probe":
        res = run_probe(args.db, args.input, args.new, args.prefix, args.offset, args.repeat)
    else:
        res = run_scale(
            args.input,
            args.n,
            args.batch,
            args.first,
            args.db,
            [int(x) for x in args.checkpoints.split(",")],
            args.resume,
            args.probe_offset,
            args.chunk,
        )
    res["machine"] = (
        f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    print(json.dumps(res))


if __name__ == "__main__":
    main()
