"""crmresolve on generated CRM data with households, namesakes and shared switchboards.

A stand-in for the hidden CRM data of issues 3 and 4: benchmarks/generate.py writes contacts
with known truth; this script resolves them with the generator's field map and prints pairwise
precision/recall/F1 at 0.5 and the cluster F1.

    python benchmarks/crm_synthetic.py --n 20000 --seed 11
    python benchmarks/crm_synthetic.py --n 20000 --seed 11 --no-guards   # what the guards buy
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from crmresolve import evaluate as ev
from crmresolve.io import load_table
from crmresolve.pipeline import Resolver


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-guards", action="store_true", help="score without evidence guards")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data, truth_path = Path(tmp) / "crm.csv", Path(tmp) / "truth.csv"
        generate.main(
            [
                "--n",
                str(args.n),
                "--seed",
                str(args.seed),
                "--output",
                str(data),
                "--truth",
                str(truth_path),
            ]
        )
        with truth_path.open(newline="", encoding="utf-8") as fh:
            truth = {r["record_id"]: r["entity_id"] for r in csv.DictReader(fh)}
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            guards = [] if args.no_guards else None
            res = Resolver(generate.FIELDS, golden=False, guards=guards).resolve(
                load_table(data, id_column="record_id")
            )
        seconds = time.perf_counter() - t0
    tr = np.array([truth[i] for i in res.table.ids], dtype=object)
    p = res.pairs.above(0.5)
    pw = ev.pairwise_metrics(p.left, p.right, tr)
    cl = ev.cluster_pairwise_metrics(res.clustering.labels, tr)
    print(
        f"| {args.n} | {args.seed} | {pw.precision:.4f} | {pw.recall:.4f} | {pw.f1:.4f} "
        f"| {cl.precision:.4f} | {cl.recall:.4f} | {cl.f1:.4f} | {seconds:.1f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
