"""crmresolve and Splink 5 on the same shared datasets in one run, side by side.

Both see the same shuffled records with the leak columns dropped (benchmarks/datasets.py);
crmresolve runs with the hand-configured role maps (benchmarks/quality.py), Splink as its
tutorials configure it (benchmarks/splink_bench.py). Quality figures are deterministic; times
are wall seconds on a shared machine, so compare them as ratios within one run.

    pip install -r benchmarks/requirements-bench.txt
    python benchmarks/versus_splink.py --output benchmarks/out/versus_splink.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import DATASETS
from quality import run_crmresolve
from splink_bench import machine_info, run_splink


def _row(name: str) -> dict[str, Any]:
    ours = run_crmresolve(name)
    theirs = run_splink(name)
    return {"dataset": name, "crmresolve": ours, "splink": theirs}


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| dataset | records | block recall c / s | P@0.5 c / s | R@0.5 c / s "
        "| **F1@0.5 c / s** | best F1 c / s | cluster F1@0.5 c / s | time s c / s |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        c, s = r["crmresolve"], r["splink"]
        if "error" in s:
            lines.append(f"| {r['dataset']} | {c['records']} | splink error |" + " |" * 6)
            continue
        sp, sb = s["pairwise_at_0_5"], s["best_f1"]

        def pair(a: float, b: float) -> str:
            return f"{a:.3f} / {b:.3f}"

        win = "✓" if c["f1"] >= sp["f1"] else "✗"
        lines.append(
            f"| {r['dataset']} | {c['records']} "
            f"| {pair(c['blocking_recall'], s['blocking']['recall'])} "
            f"| {pair(c['precision'], sp['precision'])} | {pair(c['recall'], sp['recall'])} "
            f"| **{pair(c['f1'], sp['f1'])}** {win} | {pair(c['best_f1'], sb['f1'])} "
            f"| {pair(c['cluster_f1'], s['cluster_at_0_5']['f1'])} "
            f"| {c['seconds']:.1f} / {s['seconds']['total']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--output", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for name in args.datasets.split(","):
        print(f"[versus] {name}", file=sys.stderr, flush=True)
        rows.append(_row(name))
    print(json.dumps(machine_info()))
    print(markdown(rows))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
