"""Zero-configuration quality: inferred roles vs the hand-written role maps.

For every shared dataset about people or companies (``datasets.load(name).people_or_company``
in ``{"people", "company"}``) the hand-configured run (role map from :mod:`datasets`, as
:mod:`quality` runs it) is compared with a run whose roles come from
:func:`crmresolve.infer.infer_roles` (headers, then content). Both runs use the same phone region
and seed, so the difference is the role inference alone. Then generated CRM exports
(:mod:`generate`) are renamed to vendor-style headers (Salesforce, HubSpot, Dynamics 365,
German) and to meaningless ``col1..colN`` (content-only inference) and resolved zero-config.

    python benchmarks/zeroconfig.py --output benchmarks/out/zeroconfig.json

Writes a Markdown table on stdout (and JSON with ``--output``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crmresolve import evaluate as ev
from crmresolve.infer import infer_roles
from crmresolve.pipeline import Resolver
from crmresolve.table import Table
from datasets import DATASETS, SPECS, load
from generate import FIELDS as GENERATED_FIELDS
from generate import generate
from quality import REGIONS

GENERATED_N = 3000

#: generator header -> vendor header, per export style.
VENDOR_HEADERS: dict[str, dict[str, str]] = {
    "salesforce": {
        "record_id": "Id",
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "phone": "Phone",
        "company": "Account.Name",
        "street": "MailingStreet",
        "city": "MailingCity",
        "postcode": "MailingPostalCode",
        "country": "MailingCountry",
        "date_of_birth": "Birthdate",
        "updated_at": "LastModifiedDate",
        "source": "LeadSource",
    },
    "hubspot": {
        "record_id": "Record ID",
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "phone": "Phone Number",
        "company": "Company Name",
        "street": "Street Address",
        "city": "City",
        "postcode": "Postal Code",
        "country": "Country/Region",
        "date_of_birth": "Date of birth",
        "updated_at": "Last Modified Date",
        "source": "Original Source",
    },
    "dynamics": {
        "record_id": "contactid",
        "first_name": "firstname",
        "last_name": "lastname",
        "email": "emailaddress1",
        "phone": "telephone1",
        "company": "parentcustomerid",
        "street": "address1_line1",
        "city": "address1_city",
        "postcode": "address1_postalcode",
        "country": "address1_country",
        "date_of_birth": "birthdate",
        "updated_at": "modifiedon",
        "source": "leadsourcecode",
    },
    "german": {
        "record_id": "Kundennummer",
        "first_name": "Vorname",
        "last_name": "Nachname",
        "email": "E-Mail",
        "phone": "Telefon",
        "company": "Firma",
        "street": "Straße",
        "city": "Ort",
        "postcode": "PLZ",
        "country": "Land",
        "date_of_birth": "Geburtsdatum",
        "updated_at": "Zuletzt geändert",
        "source": "Quelle",
    },
}

HAND_GENERATED = GENERATED_FIELDS


def _resolve(
    fields: dict[str, list[str]], table: Table, region: str, sources: Any, seed: int
) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Resolver(fields, default_region=region, seed=seed, golden=False).resolve(
            table, link_sources=sources
        )


def _cluster_f1(res: Any, truth: np.ndarray, sources: Any) -> float:
    return ev.cluster_pairwise_metrics(res.clustering.labels, truth, link_sources=sources).f1


def run_dataset(name: str, seed: int = 0) -> dict[str, Any]:
    ds = load(name, seed=seed)
    table = ds.to_table()
    truth = np.asarray(ds.entity_id, dtype=object)
    sources = ds.sources if ds.kind == "link" else None
    region = next((r for p, r in REGIONS.items() if name.startswith(p)), "US")
    hand = {k: v for k, v in ds.roles.items() if k != "source"}
    inferred = infer_roles(table, exclude=["source"] if sources is not None else ())
    auto = inferred.field_map()
    t0 = time.perf_counter()
    f_hand = _cluster_f1(_resolve(hand, table, region, sources, seed), truth, sources)
    t1 = time.perf_counter()
    f_auto = _cluster_f1(_resolve(auto, table, region, sources, seed), truth, sources)
    t2 = time.perf_counter()
    return {
        "dataset": name,
        "domain": ds.people_or_company,
        "records": len(table),
        "hand_f1": f_hand,
        "zeroconfig_f1": f_auto,
        "delta": f_auto - f_hand,
        "same_roles": _canon(hand) == _canon(auto),
        "inferred": auto,
        "hand": hand,
        "seconds": [round(t1 - t0, 1), round(t2 - t1, 1)],
    }


def _canon(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in fields.items()}


def run_generated(style: str, n: int = GENERATED_N, seed: int = 11) -> dict[str, Any]:
    header, rows, truth_pairs = generate(n, seed)
    cols = {h: [r[i] or None for r in rows] for i, h in enumerate(header)}
    truth = np.asarray([e for _, e in truth_pairs], dtype=object)
    ids = [r[0] for r in rows]
    base = Table.from_columns(cols, ids=ids)
    f_hand = _cluster_f1(_resolve(HAND_GENERATED, base, "US", None, 0), truth, None)
    if style == "content-only":
        rename = {h: f"col{i + 1}" for i, h in enumerate(header)}
    else:
        rename = VENDOR_HEADERS[style]
    renamed = {rename.get(h, h): v for h, v in cols.items()}
    inference = infer_roles(Table.from_columns(renamed))
    auto = inference.field_map()
    table = Table.from_columns(renamed, ids=ids)
    if inference.id_column is None:
        id_note = "none"
    else:
        id_ok = renamed[inference.id_column] == cols["record_id"]
        id_note = f"{inference.id_column} ({'correct' if id_ok else 'WRONG'})"
    res = _resolve(auto, table, "US", None, 0)
    return {
        "dataset": f"generated {n} ({style})",
        "domain": "people",
        "records": n,
        "hand_f1": f_hand,
        "zeroconfig_f1": _cluster_f1(res, truth, None),
        "delta": _cluster_f1(res, truth, None) - f_hand,
        "id_column": id_note,
        "inferred": auto,
        "unmapped": inference.ignored,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    names = [n for n in DATASETS if SPECS[n].people_or_company in ("people", "company")]
    ap.add_argument("--datasets", default=",".join(names))
    ap.add_argument(
        "--generated", default="salesforce,hubspot,dynamics,german,content-only", help="styles"
    )
    ap.add_argument("--output", type=Path)
    args = ap.parse_args(argv)
    results: list[dict[str, Any]] = []
    for style in [s for s in args.generated.split(",") if s]:
        results.append(run_generated(style))
        print(_row(results[-1]), file=sys.stderr, flush=True)
    for name in [s for s in args.datasets.split(",") if s]:
        results.append(run_dataset(name))
        print(_row(results[-1]), file=sys.stderr, flush=True)
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}")
    print("| dataset | domain | records | hand cluster F1 | zero-config cluster F1 | delta |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(_row(r))
    if args.output:
        args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


def _row(r: dict[str, Any]) -> str:
    return (
        f"| {r['dataset']} | {r['domain']} | {r['records']} | {r['hand_f1']:.4f} | "
        f"{r['zeroconfig_f1']:.4f} | {r['delta']:+.4f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
