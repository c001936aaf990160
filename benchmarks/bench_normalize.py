"""Normalization throughput: values per second per normalizer, on distinct realistic values.

Values come from the CRM generator (benchmarks/generate.py) so every normalizer sees the mess it
is written for (formats, countries, accents, legal forms). Each normalizer runs over distinct
values (no cache); ``normalize_column`` then runs over a 1M-value column with ~10% distinct
values to show the per-distinct-value cache.

    python benchmarks/bench_normalize.py [--n 50000]
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from crmresolve.normalize import (
    normalize_address,
    normalize_column,
    normalize_company,
    normalize_date,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
)


def _records(n: int, seed: int) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        generate.main(["--n", str(n), "--seed", str(seed), "--output", str(path)])
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def _time(fn: Callable[[Any], Any], values: list[Any]) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    for v in values:
        fn(v)
    return time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=50_000, help="records to generate")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    rows = _records(args.n, args.seed)

    def col(name: str) -> list[str]:
        return sorted({r[name] for r in rows if r[name]})

    cases: list[tuple[str, Callable[[Any], Any], list[Any]]] = [
        (
            "normalize_name (full)",
            normalize_name,
            sorted({f"{r['first_name']} {r['last_name']}" for r in rows}),
        ),
        ("normalize_name (given)", lambda v: normalize_name(v, part="given"), col("first_name")),
        ("normalize_email", normalize_email, col("email")),
        ("normalize_phone", lambda v: normalize_phone(v, default_region="US"), col("phone")),
        ("normalize_company", normalize_company, col("company")),
        ("normalize_address", normalize_address, col("street")),
        ("normalize_postcode", normalize_postcode, col("postcode")),
        ("normalize_date", normalize_date, col("date_of_birth")),
    ]
    print(f"python {platform.python_version()}, {platform.platform()}")
    print("| normalizer | distinct values | wall s | CPU s | values/s (CPU) |")
    print("|---|---|---|---|---|")
    for name, fn, values in cases:
        wall, cpu = _time(fn, values)
        print(f"| {name} | {len(values)} | {wall:.2f} | {cpu:.2f} | {len(values) / cpu:,.0f} |")

    rng = np.random.default_rng(0)
    emails = col("email")
    big = np.array(emails, dtype=object)[rng.integers(0, len(emails), 1_000_000)]
    t0, c0 = time.perf_counter(), time.process_time()
    out = normalize_column(big, "email")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"\nnormalize_column(email) over 1,000,000 values ({len(emails)} distinct): "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU, {1_000_000 / cpu:,.0f} values/s; "
        f"{len(out.values)} results"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
