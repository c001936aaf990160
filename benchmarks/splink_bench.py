"""Baseline: Splink 5 (DuckDB backend) on every labelled dataset, scored by crmresolve.evaluate.

Each dataset gets a model set up the way Splink's own tutorials and examples set one up
(febrl3 / febrl4 examples, the fake_1000 tutorial, the 50k-synthetic example):

1. ``block_on`` prediction rules per the dataset's columns;
2. comparisons from ``splink.comparison_library`` (NameComparison, DateOfBirthComparison,
   EmailComparison, Levenshtein/Jaro-Winkler thresholds, ExactMatch with term-frequency
   adjustments, ...);
3. ``estimate_probability_two_random_records_match`` from deterministic rules and a
   guessed recall (guesses are the tutorials' where one exists, else 0.7: never tuned on
   the labels);
4. ``estimate_u_using_random_sampling(max_pairs=1e7, seed=...)`` (the seed makes u
   reproducible; the only random step: EM and the prior estimate are deterministic);
5. ``estimate_parameters_using_expectation_maximisation`` over two blocking rules;
6. ``predict()`` with no threshold (every blocked pair is scored), then
   ``cluster_pairwise_predictions_at_threshold`` (connected components) at 0.5.

Truth never reaches Splink: records are keyed by row position (``record_id`` encodes the
label in several datasets) and the loaders already drop leak columns.

Usage (from the repo root)::

    pip install -r benchmarks/requirements-bench.txt
    python benchmarks/splink_bench.py                       # every dataset
    python benchmarks/splink_bench.py --datasets febrl1,fodors_zagat --output /tmp/s.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crmresolve.evaluate import (
    bcubed,
    best_threshold,
    blocking_recall,
    cluster_errors,
    cluster_pairwise_metrics,
    metrics_by_threshold,
    pairwise_metrics,
)

try:  # run as `python -m benchmarks.splink_bench` (namespace package) ...
    from benchmarks.datasets import DATASETS, Dataset, load
except ImportError:  # ... or as `python benchmarks/splink_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from datasets import DATASETS, Dataset, load  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "out" / "splink.json"
SEED = 42
U_MAX_PAIRS = 1e7
#: Thresholds stored in the JSON curve (the best-F1 search uses every distinct probability).
CURVE = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]


@dataclass
class SplinkPlan:
    """How one dataset is modelled in Splink."""

    link_type: str
    comparisons: list[Any]
    blocking_rules: list[Any]
    deterministic_rules: list[Any]
    recall: float
    em_rules: list[Any]
    #: Extra SELECT expressions computed in DuckDB before registering (derived columns).
    derive: list[str] = field(default_factory=list)
    em_without_tf: bool = False
    note: str = ""


# --------------------------------------------------------------------------- plans


def _febrl_plan(link: bool, phone: bool) -> SplinkPlan:
    """febrl3 example (dedupe) / febrl4 example detailed model (link), plus phone for dsgen."""
    import splink.comparison_library as cl
    from splink import block_on

    dob = cl.DateOfBirthComparison(
        "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
    )
    if link:
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            dob,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ]
        recall, em_without_tf = 0.8, True
    else:
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            dob,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        recall, em_without_tf = 0.9, False
    if phone:
        # dsgen adds a phone number; treated like the SSN (an identifier with typos).
        comparisons.append(cl.DamerauLevenshteinAtThresholds("phone_number", [1, 2]))
        blocking.append(block_on("phone_number"))
        deterministic.append(block_on("phone_number"))
    return SplinkPlan(
        link_type="link_only" if link else "dedupe_only",
        comparisons=comparisons,
        blocking_rules=blocking,
        deterministic_rules=deterministic,
        recall=recall,
        em_rules=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=em_without_tf,
        note="febrl4 example (detailed model)" if link else "febrl3 example",
    )


def _splink_fake_plan() -> SplinkPlan:
    """fake_1000 tutorials (03 blocking, 04 model)."""
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        blocking_rules=[
            block_on("substr(first_name, 1, 1)", "surname"),
            block_on("surname"),
            block_on("email"),
            block_on("city", "first_name"),
            "l.first_name = r.first_name and levenshtein(l.surname, r.surname) < 2",
            # Added to the tutorial's set: dob-based rules as in the 50k example.
            block_on("first_name", "dob"),
            block_on("surname", "dob"),
        ],
        deterministic_rules=[
            block_on("first_name", "dob"),
            "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
            block_on("email"),
        ],
        recall=0.7,
        em_rules=[block_on("first_name", "surname"), block_on("dob")],
        note="fake_1000 tutorial",
    )


def _rldata_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("fname_c1").configure(term_frequency_adjustments=True),
            cl.NameComparison("lname_c1").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, datetime_format="%Y-%m-%d"
            ),
        ],
        blocking_rules=[
            block_on("fname_c1", "lname_c1"),
            block_on("birth_date"),
            block_on("lname_c1", "by"),
            block_on("fname_c1", "by"),
            block_on("substr(fname_c1, 1, 1)", "substr(lname_c1, 1, 1)", "bm", "bd"),
        ],
        # Each RLdata duplicate has an error somewhere, so no rule asks for all three.
        deterministic_rules=[
            block_on("fname_c1", "lname_c1", "by"),
            block_on("fname_c1", "birth_date"),
            block_on("lname_c1", "birth_date"),
        ],
        recall=0.7,
        em_rules=[block_on("birth_date"), block_on("fname_c1", "lname_c1")],
        note="person template (names + DOB)",
    )


def _census_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("middle_initial"),
            cl.ExactMatch("house_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("street", [0.9]).configure(term_frequency_adjustments=True),
        ],
        blocking_rules=[
            block_on("house_number"),
            block_on("last_name"),
            block_on("first_name"),
            block_on("street", "middle_initial"),
        ],
        # Names rarely agree exactly on true pairs here, so the address carries the rule.
        deterministic_rules=[block_on("house_number", "street", "middle_initial")],
        recall=0.7,
        em_rules=[block_on("house_number"), block_on("last_name")],
        note="person template (names + address)",
    )


def _patentsview_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    first, last = "raw_inventor_name_first", "raw_inventor_name_last"
    return SplinkPlan(
        link_type="dedupe_only",
        derive=[
            "string_split(coinventors, '; ') as coinventor_list",
            "string_split(cpc_subclasses, '; ') as cpc_list",
        ],
        comparisons=[
            cl.NameComparison(first).configure(term_frequency_adjustments=True),
            cl.NameComparison(last).configure(term_frequency_adjustments=True),
            cl.ExactMatch("raw_city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("raw_state").configure(term_frequency_adjustments=True),
            cl.ExactMatch("raw_country").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("assignee_organizations", [0.9, 0.7]),
            # The co-inventor list includes the inventor, so 2 shared = 1 real co-inventor.
            cl.ArrayIntersectAtSizes("coinventor_list", [3, 2]),
            cl.ArrayIntersectAtSizes("cpc_list", [2, 1]),
        ],
        blocking_rules=[
            # The benchmark's own name blocks: last name + first two letters of first name.
            block_on(last, f"substr({first}, 1, 2)"),
            block_on(first, "raw_city"),
            block_on(last, "raw_city"),
        ],
        deterministic_rules=[block_on(first, last, "raw_city")],
        recall=0.7,
        em_rules=[block_on(first, last), block_on("raw_city", "raw_country")],
        note="person template (names + location + assignee/co-inventors)",
    )


def _patstat_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="dedupe_only",
        derive=[
            "string_split(Coauthor, '**') as coauthor_list",
            "string_split(Class, '**') as class_list",
            # 0.0 means "not geocoded" in this file.
            # (DuckDB names are case-insensitive: `lat` would clash with `Lat`.)
            "nullif(try_cast(Lat as double), 0.0) as geo_lat",
            "nullif(try_cast(Lng as double), 0.0) as geo_lng",
        ],
        comparisons=[
            cl.NameComparison("Name").configure(term_frequency_adjustments=True),
            cl.ArrayIntersectAtSizes("coauthor_list", [2, 1]),
            cl.ArrayIntersectAtSizes("class_list", [2, 1]),
            cl.DistanceInKMAtThresholds("geo_lat", "geo_lng", [1, 10]),
        ],
        blocking_rules=[
            block_on("Name"),
            block_on("substr(Name, 1, 4)"),
            block_on("geo_lat", "geo_lng"),
        ],
        deterministic_rules=[block_on("Name")],
        recall=0.7,
        em_rules=[block_on("substr(Name, 1, 4)"), block_on("Class")],
        note="company template (name + co-applicants + IPC + geo)",
    )


def _fodors_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="link_only",
        # The guides format phones differently (310/246-1501 vs 310-246-1501).
        derive=["regexp_replace(phone, '[^0-9]', '', 'g') as phone_digits"],
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.7]),
            cl.JaroWinklerAtThresholds("addr", [0.9, 0.7]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("phone_digits"),
            cl.JaroWinklerAtThresholds("type", [0.88]),
        ],
        blocking_rules=[
            block_on("phone_digits"),
            block_on("substr(name, 1, 3)"),
            block_on("city", "substr(addr, 1, 3)"),
        ],
        deterministic_rules=[block_on("phone_digits"), block_on("name", "city")],
        recall=0.7,
        em_rules=[block_on("city"), block_on("substr(name, 1, 3)")],
        note="business template (name + address + phone)",
    )


def _cora_plan() -> SplinkPlan:
    import splink.comparison_library as cl
    from splink import block_on

    return SplinkPlan(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("title", [0.95, 0.85, 0.7]),
            cl.JaroWinklerAtThresholds("authors", [0.95, 0.85, 0.7]),
            cl.ExactMatch("year").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("journal", [0.9]),
            cl.JaroWinklerAtThresholds("book_title", [0.9]),
            cl.ExactMatch("volume"),
            cl.ExactMatch("pages"),
        ],
        blocking_rules=[
            block_on("substr(title, 1, 8)"),
            block_on("substr(authors, 1, 8)"),
            block_on("year", "substr(authors, 1, 3)"),
        ],
        deterministic_rules=[block_on("title", "authors")],
        recall=0.5,
        em_rules=[block_on("year"), block_on("substr(title, 1, 8)")],
        note="bibliographic (title/authors/venue)",
    )


PLANS: dict[str, Callable[[], SplinkPlan]] = {
    "febrl1": lambda: _febrl_plan(link=False, phone=False),
    "febrl2": lambda: _febrl_plan(link=False, phone=False),
    "febrl3": lambda: _febrl_plan(link=False, phone=False),
    "febrl4": lambda: _febrl_plan(link=True, phone=False),
    "febrl_dsgen_A_10000": lambda: _febrl_plan(link=False, phone=True),
    "febrl_dsgen_C_10000": lambda: _febrl_plan(link=False, phone=True),
    "febrl_dsgen_D_10000_link": lambda: _febrl_plan(link=True, phone=True),
    "febrl_dsgen_F_10000_link": lambda: _febrl_plan(link=True, phone=True),
    "census_secondstring": _census_plan,
    "splink_fake_1000": _splink_fake_plan,
    "splink_fake_20000": _splink_fake_plan,
    "rldata500": _rldata_plan,
    "rldata10000": _rldata_plan,
    "patentsview_inventors": _patentsview_plan,
    "dedupe_patstat_nl": _patstat_plan,
    "fodors_zagat": _fodors_plan,
    "cora_citations": _cora_plan,
}


# --------------------------------------------------------------------------- run


def _register(con: Any, db_api: Any, ds: Dataset, plan: SplinkPlan) -> list[Any]:
    """Register the records (keyed by row position) as one table, or two for link sets."""
    frame = ds.records.drop(columns=["record_id"]).copy()
    # Row position is the key: record_id can encode the label (rec-12-dup-0, ...).
    frame.insert(0, "unique_id", np.arange(len(frame), dtype=np.int64))
    extra = "".join(f", {expr}" for expr in plan.derive)
    if ds.kind == "link":
        parts = [("a", frame[frame["source"] == "a"]), ("b", frame[frame["source"] == "b"])]
    else:
        parts = [("records", frame)]
    out = []
    for label, part in parts:
        view = f"input_{label}"
        con.register(view, part.drop(columns=["source"], errors="ignore"))
        rel = con.sql(f"select *{extra} from {view}")
        out.append(db_api.register(rel, dataset_display_name=label))
    return out


def run_splink(
    dataset: str | Dataset,
    *,
    seed: int = SEED,
    u_max_pairs: float = U_MAX_PAIRS,
    threads: int | None = None,
) -> dict[str, Any]:
    """Train and evaluate Splink on one dataset; returns a JSON-ready dict of results."""
    import duckdb
    import splink
    from splink import DuckDBAPI, Linker, SettingsCreator

    t_start = time.perf_counter()
    ds = load(dataset) if isinstance(dataset, str) else dataset
    plan = PLANS[ds.name]()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    db_api = DuckDBAPI(connection=con)
    inputs = _register(con, db_api, ds, plan)

    settings = SettingsCreator(
        link_type=plan.link_type,
        comparisons=plan.comparisons,
        blocking_rules_to_generate_predictions=plan.blocking_rules,
        unique_id_column_name="unique_id",
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(inputs if len(inputs) > 1 else inputs[0], settings, log_level=logging.WARNING)
    timings: dict[str, float] = {}

    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        plan.deterministic_rules, recall=plan.recall
    )
    timings["train_prior"] = time.perf_counter() - t
    t_u = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    timings["train_u"] = time.perf_counter() - t_u
    t_em = time.perf_counter()
    for rule in plan.em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=plan.em_without_tf
        )
    timings["train_em"] = time.perf_counter() - t_em
    timings["train"] = time.perf_counter() - t

    t = time.perf_counter()
    predictions = linker.inference.predict(warning_mode="never")
    cols = predictions.as_duckdbpyrelation().project("unique_id_l, unique_id_r, match_probability")
    arrays = cols.fetchnumpy()
    timings["predict"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.5
    )
    cl_arr = clusters.as_duckdbpyrelation().project("unique_id, cluster_id").fetchnumpy()
    timings["cluster"] = time.perf_counter() - t
    splink_seconds = time.perf_counter() - t_start
    prior = float(linker._settings_obj._probability_two_random_records_match)
    con.close()

    left = np.asarray(arrays["unique_id_l"], dtype=np.int64)
    right = np.asarray(arrays["unique_id_r"], dtype=np.int64)
    prob = np.asarray(arrays["match_probability"], dtype=np.float64)
    labels = np.empty(len(ds.records), dtype=object)
    labels[np.asarray(cl_arr["unique_id"], dtype=np.int64)] = np.asarray(
        cl_arr["cluster_id"], dtype=object
    )
    if any(x is None for x in labels):
        raise RuntimeError("clustering output does not cover every record")

    ent, src = ds.entity_id, ds.sources
    at_half = prob >= 0.5
    result: dict[str, Any] = {
        "dataset": ds.name,
        "kind": ds.kind,
        "records": len(ds.records),
        "true_pairs": ds.true_pairs,
        "candidate_pairs": int(left.size),
        "blocking": blocking_recall(left, right, ent, link_sources=src).to_dict(),
        "pairwise_at_0_5": pairwise_metrics(
            left[at_half], right[at_half], ent, link_sources=src
        ).to_dict(),
        "best_f1": best_threshold(left, right, prob, ent, link_sources=src).to_dict(),
        "curve": metrics_by_threshold(left, right, prob, ent, CURVE, link_sources=src).to_dict(),
        "cluster_at_0_5": cluster_pairwise_metrics(labels, ent, link_sources=src).to_dict(),
        "bcubed_at_0_5": bcubed(labels, ent).to_dict(),
        "cluster_errors_at_0_5": cluster_errors(labels, ent, max_examples=0).to_dict(),
        "prior_probability_two_random_records_match": prior,
        "seconds": {
            "total": time.perf_counter() - t_start,
            "splink": splink_seconds,
            **timings,
        },
        "config": {
            "note": plan.note,
            "link_type": plan.link_type,
            "blocking_rules": [_rule_text(r) for r in plan.blocking_rules],
            "deterministic_rules": [_rule_text(r) for r in plan.deterministic_rules],
            "recall_guess": plan.recall,
            "em_rules": [_rule_text(r) for r in plan.em_rules],
            "em_without_tf": plan.em_without_tf,
            "comparisons": [type(c).__name__ for c in plan.comparisons],
            "derived": plan.derive,
            "u_max_pairs": u_max_pairs,
            "seed": seed,
            "splink": splink.__version__,
            "duckdb": duckdb.__version__,
        },
    }
    return result


def _rule_text(rule: Any) -> str:
    if isinstance(rule, str):
        return rule
    try:
        return str(rule.get_blocking_rule("duckdb").blocking_rule_sql)
    except Exception:  # pragma: no cover - description only
        return repr(rule)


# --------------------------------------------------------------------------- report


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def markdown_table(results: Sequence[dict[str, Any]]) -> str:
    """Results as a markdown table (one row per dataset)."""
    head = (
        "| dataset | kind | records | true pairs | cand. pairs | block recall "
        "| P@0.5 | R@0.5 | F1@0.5 | best F1 (thr) | cluster F1@0.5 | B³ F1@0.5 | time s |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in results:
        if "error" in r:
            err = str(r["error"]).splitlines()[0][:80].replace("|", "/")
            lines.append(f"| {r['dataset']} | error: {err} |" + " |" * 11)
            continue
        pw, best = r["pairwise_at_0_5"], r["best_f1"]
        lines.append(
            f"| {r['dataset']} | {r['kind']} | {r['records']} | {r['true_pairs']} "
            f"| {r['candidate_pairs']} | {_fmt(r['blocking']['recall'])} "
            f"| {_fmt(pw['precision'])} | {_fmt(pw['recall'])} | {_fmt(pw['f1'])} "
            f"| {_fmt(best['f1'])} ({best['threshold']:.2g}) "
            f"| {_fmt(r['cluster_at_0_5']['f1'])} | {_fmt(r['bcubed_at_0_5']['f1'])} "
            f"| {r['seconds']['total']:.1f} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """Where and when the benchmark ran."""
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--u-max-pairs", type=float, default=U_MAX_PAIRS)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.datasets.split(",") if n.strip()] or list(DATASETS)
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        parser.error(f"unknown datasets: {', '.join(unknown)}")

    results: list[dict[str, Any]] = []
    for name in names:
        print(f"[splink] {name} ...", file=sys.stderr, flush=True)
        try:
            res = run_splink(
                name, seed=args.seed, u_max_pairs=args.u_max_pairs, threads=args.threads
            )
        except Exception as exc:  # one failing dataset must not lose the others
            traceback.print_exc()
            res = {"dataset": name, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            print(
                f"[splink] {name}: best F1 {res['best_f1']['f1']:.3f}, "
                f"{res['seconds']['total']:.1f}s",
                file=sys.stderr,
                flush=True,
            )
        results.append(res)

    payload = {
        "harness": "splink",
        "meta": {**machine_info(), "command": " ".join(["python", *sys.argv])},
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n")
    print(markdown_table(results))
    print(f"\nwritten: {args.output}", file=sys.stderr)
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
