"""False positives on generated CRM data, counted by how the two records' e-mails relate.

At a few hundred thousand generated records most false positives are namesakes (the
generator's name pools are fixed), and what decides them is the e-mail. This script resolves
the scale benchmark's file of ``--n`` records (``benchmarks/scale.py`` caches it) and counts the
false positives at threshold 0.5 by the e-mail comparison's level, splitting the exact level
into addresses equal as typed (case aside) and addresses equal only under the provider rules
(Gmail ignores dots: ``rebecca.ashby@`` and ``rebeccaashby@gmail.com`` are one mailbox, which
the generator nevertheless hands to two namesakes).

    python benchmarks/namesake_fp.py --n 300000
"""

from __future__ import annotations

import argparse
import collections
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale
from crmresolve.io import load_table
from crmresolve.pipeline import Resolver


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", type=Path, default=scale.DEFAULT_DATA)
    args = ap.parse_args(argv)
    data, truth_path = scale.ensure_data(args.n, args.seed, args.data_dir)
    table = load_table(str(data), id_column="record_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Resolver(scale.FIELDS, seed=args.seed, golden=False).resolve(table)
    entity = scale.read_truth(truth_path, res.table.ids.tolist())
    pairs = res.pairs
    same = entity[pairs.left] == entity[pairs.right]
    above = pairs.match_probability >= res.threshold
    false_pos = np.flatnonzero(~same & above)
    k = pairs.comparison_names.index("email")
    exact = len(pairs.level_labels[k]) - 1  # gamma counts up from "else" = 0
    raw = res.table.columns["email"]
    counts: collections.Counter[str] = collections.Counter()
    for i in false_pos.tolist():
        name = pairs.level_label(k, i)
        if int(pairs.gamma[i, k]) == exact:
            a, b = raw[pairs.left[i]] or "", raw[pairs.right[i]] or ""
            typed = a.casefold() == b.casefold()
            name += " (as typed)" if typed else " (only under provider rules)"
        counts[name] += 1
    true_pos = int((same & above).sum())
    print(f"{args.n:,} records: {true_pos:,} true, {false_pos.size:,} false positives")
    for name, count in counts.most_common():
        print(f"{count:8,}  e-mail: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
