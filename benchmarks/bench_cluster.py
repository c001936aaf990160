"""Speed of clustering and survivorship on synthetic CRM-like data.

Run: ``python benchmarks/bench_cluster.py [--records 500000] [--pairs 1000000] [--stress]``.

The generator makes entities with 1-6 records each (missing values, nickname variants), puts
some entities into households (shared surname and street, different first names and birth
dates) and scores pairs: true pairs mostly high, household pairs sometimes above the
threshold (the chaining risk), random pairs low. ``--stress`` puts most entities into
households whose pairs usually pass the threshold (a badly fitted model). Prints wall and CPU
time (CPU is the stabler number on a shared machine) and cluster statistics.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from crmresolve.cluster import cluster_pairs
from crmresolve.survive import build_golden_records
from crmresolve.table import Table

FIRST = np.array(
    [
        "anna",
        "bob",
        "robert",
        "carla",
        "dieter",
        "eva",
        "frank",
        "gina",
        "hans",
        "ida",
        "jon",
        "john",
        "karl",
        "lena",
        "maria",
        "mario",
        "nina",
        "otto",
        "paula",
        "quinn",
    ],
    dtype=object,
)
CANON = {"bob": "robert", "jon": "john"}


def make_data(n_records: int, n_pairs: int, seed: int = 7, stress: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3, 4, 6], size=n_records, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    ent = np.repeat(np.arange(sizes.size), sizes)[:n_records]
    n_ent = int(ent.max()) + 1
    # Realistic: ~15% of entities share a household; stress: most do.
    share = 0.7 if stress else 0.15
    household = np.arange(n_ent)
    joined = rng.random(n_ent) < share
    household[joined] = n_ent + rng.integers(0, max(1, int(joined.sum() * 0.5)), int(joined.sum()))
    first_e = FIRST[rng.integers(0, FIRST.size, n_ent)]
    dob_e = np.array(
        [
            f"{1940 + y}-{1 + m:02d}-{1 + d:02d}"
            for y, m, d in zip(
                rng.integers(0, 60, n_ent),
                rng.integers(0, 12, n_ent),
                rng.integers(0, 28, n_ent),
                strict=True,
            )
        ],
        dtype=object,
    )
    perm = rng.permutation(n_records)
    ent = ent[perm]
    given = first_e[ent].copy()
    given[rng.random(n_records) < 0.1] = None
    canon = np.array([None if g is None else CANON.get(g, g) for g in given], dtype=object)
    dob = dob_e[ent].copy()
    dob[rng.random(n_records) < 0.3] = None
    email = np.array([f"e{e}@x.org" for e in ent], dtype=object)
    email[rng.random(n_records) < 0.5] = None
    surname = np.array([f"s{h}" for h in household[ent]], dtype=object)
    street = np.array([f"street {h}" for h in household[ent]], dtype=object)
    ids = np.array([f"r{i:08d}" for i in range(n_records)], dtype=object)

    # True pairs within entities, household pairs, random noise.
    order = np.argsort(ent, kind="stable")
    e_sorted = ent[order]
    same = e_sorted[1:] == e_sorted[:-1]
    tl, tr = order[:-1][same], order[1:][same]
    hh = household[ent]
    h_order = np.argsort(hh, kind="stable")
    h_sorted = hh[h_order]
    hsame = (h_sorted[1:] == h_sorted[:-1]) & (ent[h_order[1:]] != ent[h_order[:-1]])
    hl, hr = h_order[:-1][hsame], h_order[1:][hsame]
    n_noise = max(0, n_pairs - tl.size - hl.size)
    nl = rng.integers(0, n_records, n_noise)
    nr = rng.integers(0, n_records, n_noise)
    left = np.concatenate([tl, hl, nl])[:n_pairs]
    right = np.concatenate([tr, hr, nr])[:n_pairs]
    prob = np.concatenate(
        [
            rng.beta(8, 1, tl.size),
            rng.beta(3, 2, hl.size) if stress else rng.beta(2, 6, hl.size),
            rng.beta(1, 20, n_noise),
        ]
    )[:n_pairs]
    updated = np.array(
        [
            f"20{10 + d % 14:02d}-0{1 + d % 9}-1{d % 10} 10:00:00"
            for d in rng.integers(0, 5000, n_records)
        ],
        dtype=object,
    )
    table = Table(
        ids,
        {
            "FirstName": np.array([None if g is None else g.title() for g in given], dtype=object),
            "LastName": np.array(
                [s.upper() if i % 3 else s.title() for i, s in enumerate(surname)], dtype=object
            ),
            "Email": email,
            "DOB": dob,
            "Street": street,
            "Updated": updated,
            "Source": np.array(["crm", "erp", "web"], dtype=object)[rng.integers(0, 3, n_records)],
        },
    )
    features = {
        "given_name": given,
        "given_name_canonical": canon,
        "surname": surname,
        "dob": dob,
        "email": email,
        "street": street,
    }
    return {
        "ids": ids,
        "left": left,
        "right": right,
        "prob": prob,
        "features": features,
        "table": table,
        "entity": ent,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--stress", action="store_true", help="most entities in households")
    args = ap.parse_args()
    t0 = time.perf_counter()
    d = make_data(args.records, args.pairs, stress=args.stress)
    print(
        f"generated {args.records} records / {d['left'].size} pairs "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    t0, c0 = time.perf_counter(), time.process_time()
    c = cluster_pairs(
        args.records, d["ids"], d["left"], d["right"], d["prob"], features=d["features"]
    )
    t_cluster, cpu_cluster = time.perf_counter() - t0, time.process_time() - c0
    reasons: dict[str, int] = {}
    for s in c.splits:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    print(
        f"cluster_pairs: {t_cluster:.2f}s wall, {cpu_cluster:.2f}s CPU  clusters={c.n_clusters} "
        f"largest={int(c.sizes.max())} splits={reasons}"
    )

    fmap = {
        "given_name": ["FirstName"],
        "surname": ["LastName"],
        "email": ["Email"],
        "dob": ["DOB"],
        "street": ["Street"],
        "updated_at": ["Updated"],
        "source": ["Source"],
    }
    t0, c0 = time.perf_counter(), time.process_time()
    g = build_golden_records(
        d["table"], c, field_map=fmap, source_priority=["erp", "crm"], auto_normalize=False
    )
    t_survive, cpu_survive = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"build_golden_records: {t_survive:.2f}s wall, {cpu_survive:.2f}s CPU  golden={len(g)} "
        f"lineage_rows={len(g.lineage)}"
    )


if __name__ == "__main__":
    main()
