"""Quality of crmresolve on every shared labelled dataset (hand-configured role maps).

For each dataset: blocking pair recall, pairwise precision/recall/F1 at the default threshold 0.5,
the best F1 over thresholds (optimistic: chosen with the labels), cluster F1 (pairs implied by
the clusters) and B-cubed F1, and wall time.

    python benchmarks/quality.py --output benchmarks/out/crmresolve.json
    python benchmarks/quality.py --no-guards --datasets febrl4   # what the guards cost there
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crmresolve import evaluate as ev
from crmresolve.pipeline import Resolver
from datasets import DATASETS, load

REGIONS = {"febrl": "AU", "census": "US", "splink": "GB", "rldata": "DE", "fodors": "US"}


def run_crmresolve(name: str, *, seed: int = 0, guards: bool = True) -> dict[str, Any]:
    ds = load(name, seed=seed)
    table = ds.to_table()
    truth = np.asarray(ds.entity_id, dtype=object)
    sources = ds.sources if ds.kind == "link" else None
    fields = {k: v for k, v in ds.roles.items() if k != "source"}
    region = next((r for p, r in REGIONS.items() if name.startswith(p)), "US")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Resolver(
            fields, default_region=region, seed=seed, guards=None if guards else []
        ).resolve(table, link_sources=sources)
    elapsed = time.perf_counter() - t0
    p = res.pairs
    keep = p.match_probability >= 0.5
    at = ev.pairwise_metrics(p.left[keep], p.right[keep], truth, link_sources=sources)
    best = ev.best_threshold(p.left, p.right, p.match_probability, truth, link_sources=sources)
    block = ev.blocking_recall(p.left, p.right, truth, link_sources=sources)
    clus = ev.cluster_pairwise_metrics(res.clustering.labels, truth, link_sources=sources)
    b3 = ev.bcubed(res.clustering.labels, truth)
    return {
        "dataset": name,
        "kind": ds.kind,
        "records": len(table),
        "true_pairs": int(ds.true_pairs),
        "candidate_pairs": len(p),
        "blocking_recall": block.recall,
        "precision": at.precision,
        "recall": at.recall,
        "f1": at.f1,
        "best_f1": best.metrics.f1,
        "best_threshold": best.threshold,
        "cluster_precision": clus.precision,
        "cluster_recall": clus.recall,
        "cluster_f1": clus.f1,
        "bcubed_f1": b3.f1,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--output", type=Path)
    ap.add_argument(
        "--no-guards", action="store_true", help="score without evidence guards (what they cost)"
    )
    args = ap.parse_args(argv)
    rows = []
    cols = [
        "dataset",
        "records",
        "candidate_pairs",
        "blocking_recall",
        "precision",
        "recall",
        "f1",
        "best_f1",
        "cluster_f1",
        "bcubed_f1",
        "seconds",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for name in args.datasets.split(","):
        row = run_crmresolve(name, guards=not args.no_guards)
        rows.append(row)
        print(
            "| "
            + " | ".join(
                f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in cols
            )
            + " |",
            flush=True,
        )
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
