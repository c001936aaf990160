"""Scale benchmark (issue 8): crmresolve end to end on generated CRM data with known truth.

For each size it generates records with :mod:`benchmarks.generate` (cached per size and seed),
then runs every engine **in its own child process** (so peak memory is that engine's alone):

* ``crmresolve`` — :class:`crmresolve.pipeline.Resolver` with the generator's field map; wall and
  CPU time per stage (load, features, blocking, gamma, fit = u sampling + EM, predict, cluster,
  golden), candidate pairs, peak RSS (``ru_maxrss`` of the largest single process) and peak
  PSS of the whole process tree (forked workers included, sampled once a second), pairwise F1
  of the scored pairs at the threshold and cluster pairwise F1;
* ``splink`` (optional) — Splink 5 on DuckDB, set up the way ``splink_bench.py`` sets up a
  person dataset (tutorial comparisons, ``block_on`` rules, prior from deterministic rules,
  u by random sampling, EM over two rules, predict, connected components at 0.5).

Stage times are measured by wrapping the stage functions that ``Resolver.resolve`` calls (the
outermost active stage gets the time, e.g. direct re-scoring inside clustering counts as
``cluster``), so the pipeline itself is not copied here and cannot drift from it.

Usage (from the repo root)::

    python benchmarks/scale.py --sizes 100000,300000 --splink
    python benchmarks/scale.py --sizes 1000000 --splink --output benchmarks/out/scale_1m.json
    python benchmarks/scale.py --sizes 100000 --profile /tmp/p100k.prof   # cProfile dump
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DEFAULT_DATA = HERE / "out" / "scale_data"
DEFAULT_OUTPUT = HERE / "out" / "scale.json"

FIELDS = generate.FIELDS
STAGES = ("load", "features", "blocking", "gamma", "fit", "predict", "cluster", "golden")


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (user + system)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _peak_rss_mib() -> float:
    """Peak resident set size of this process (and of its largest child), MiB."""
    s = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(s, c) / 1024.0  # Linux reports KiB


def _tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and all its descendants, KiB (0 once gone).

    PSS splits each shared page between the processes that map it, so the sum is the memory
    the whole tree holds: forked workers' copy-on-write pages are not counted twice, and
    their own allocations are counted (``ru_maxrss`` reports one process at a time).
    """
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        children: list[int] = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                children += [int(c) for c in fh.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return total
    return total + sum(_tree_pss_kib(c) for c in children)


class TreeMemory:
    """Peak memory of this process tree, sampled every ``interval`` seconds by a daemon thread.

    One sample costs the kernel a walk over the page tables: ~11 ms of CPU for a 2 GiB heap of
    small objects, so ten samples a second would take a fifth of a core from the run being
    measured; one a second takes 1-2 %, and the peaks measured here (stages of whole seconds
    holding their arrays) last far longer than that.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, _tree_pss_kib(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        if os.path.exists("/proc/self/smaps_rollup"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def peak_mib(self) -> float | None:
        """Sampled peak, MiB; ``None`` where ``/proc`` cannot be read (not Linux)."""
        return self.peak_kib / 1024.0 if self.peak_kib else None


def machine_info() -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------- data


def ensure_data(n: int, seed: int, data_dir: Path) -> tuple[Path, Path]:
    """Generate ``n`` records (cached: same size and seed give the same file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    out, truth = data_dir / f"crm_{n}_s{seed}.csv", data_dir / f"crm_{n}_s{seed}_truth.csv"
    if not (out.exists() and truth.exists()):
        cmd = [
            sys.executable,
            str(HERE / "generate.py"),
            "--n",
            str(n),
            "--seed",
            str(seed),
            "--output",
            str(out),
            "--truth",
            str(truth),
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out, truth


def read_truth(truth: Path, ids: Sequence[Any]) -> np.ndarray:
    """Entity id per record id in ``ids``, from a truth CSV of `generate.py`."""
    import csv

    with truth.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        entity = {r[0]: r[1] for r in rows}
    return np.array([entity[str(i)] for i in ids], dtype=object)


# --------------------------------------------------------------------------- crmresolve


class StageTimer:
    """Wall and CPU seconds per stage; nested stage calls count for the outermost one."""

    def __init__(self) -> None:
        self.memory: TreeMemory | None = None  # for the progress lines only
        self.wall: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.cpu: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._depth = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._depth:
            yield
            return
        self._depth += 1
        w, c = time.perf_counter(), _cpu()
        try:
            yield
        finally:
            self._depth -= 1
            self.wall[name] += time.perf_counter() - w
            self.cpu[name] += _cpu() - c
            # Progress on stderr: a run killed for time or memory still shows how far it got.
            tree = _mib(self.memory.peak_mib) if self.memory is not None else "—"
            print(
                f"  {name}: wall {self.wall[name]:.1f}s cpu {self.cpu[name]:.1f}s "
                f"rss {_peak_rss_mib():.0f}MiB tree {tree}MiB",
                file=sys.stderr,
                flush=True,
            )

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return fn(*args, **kwargs)

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


def run_crmresolve(
    data: Path,
    truth: Path,
    *,
    seed: int,
    profile: Path | None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from crmresolve import pipeline
    from crmresolve.evaluate import cluster_pairwise_metrics, pairwise_metrics
    from crmresolve.io import load_table
    from crmresolve.score import FellegiSunter

    timer = StageTimer()
    # Wrap the stage functions where Resolver.resolve looks them up (module globals, methods).
    patched: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, attr: str, stage: str) -> None:
        original = getattr(owner, attr)
        patched.append((owner, attr, original))
        setattr(owner, attr, timer.wrap(stage, original))

    patch(pipeline, "build_features", "features")
    patch(pipeline, "generate_pairs", "blocking")
    patch(pipeline, "compute_gamma", "gamma")
    patch(pipeline, "estimate_u", "fit")
    patch(FellegiSunter, "fit", "fit")
    patch(FellegiSunter, "compute_gamma", "gamma")
    patch(FellegiSunter, "predict", "predict")
    patch(pipeline, "apply_guards", "predict")
    patch(pipeline, "_record_tf", "predict")
    patch(pipeline, "cluster_pairs", "cluster")
    patch(pipeline, "build_golden_records", "golden")

    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
    w0, c0 = time.perf_counter(), _cpu()
    try:
        if profiler is not None:
            profiler.enable()
        with TreeMemory() as memory:
            timer.memory = memory
            with timer.stage("load"):
                table = load_table(str(data), id_column="record_id")
            resolver = pipeline.Resolver(FIELDS, seed=seed, **(options or {}))
            res = resolver.resolve(table)
        if profiler is not None:
            profiler.disable()
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))

    ent = read_truth(truth, table.ids.tolist())
    pairs = res.pairs
    at = pairs.match_probability >= res.threshold
    pw = pairwise_metrics(pairs.left[at], pairs.right[at], ent)
    cl = cluster_pairwise_metrics(res.clustering.labels, ent)
    labels = res.clustering.labels
    return {
        "engine": "crmresolve",
        "options": options or {},
        "records": len(table),
        "candidate_pairs": len(pairs),
        "clusters": res.n_clusters,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": _peak_rss_mib(),
        "peak_tree_pss_mib": memory.peak_mib,
        "stages_wall_s": timer.wall,
        "stages_cpu_s": timer.cpu,
        "pairwise_at_threshold": pw.to_dict(),
        "cluster_pairwise": cl.to_dict(),
        # Fingerprint of the result: equal digests = identical clusters and scores.
        "digest": _digest(labels, pairs.match_weight, pairs.left, pairs.right),
    }


def _digest(*arrays: np.ndarray) -> str:
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- splink


def run_splink(data: Path, truth: Path, *, seed: int, u_max_pairs: float) -> dict[str, Any]:
    """Splink 5 (DuckDB) on the same file, modelled like splink_bench's person plans."""
    import duckdb
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from crmresolve.evaluate import cluster_pairwise_metrics, pairwise_metrics

    memory = TreeMemory().__enter__()  # left at the end of the timed part
    w0, c0 = time.perf_counter(), _cpu()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    con = duckdb.connect()
    # Row position is the key; light normalization in SQL as a Splink user would do it.
    con.execute(
        f"""
        create table crm_input as
        select row_number() over () - 1 as unique_id, record_id,
               nullif(lower(trim(first_name)), '') as first_name,
               nullif(lower(trim(last_name)), '') as surname,
               nullif(lower(trim(email)), '') as email,
               nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), '') as phone,
               nullif(lower(trim(street)), '') as street,
               nullif(lower(trim(city)), '') as city,
               nullif(upper(replace(postcode, ' ', '')), '') as postcode,
               nullif(regexp_replace(date_of_birth, '[^0-9]', '', 'g'), '') as dob
        from read_csv('{data}', all_varchar = true, header = true)
        """
    )
    ids = [
        r[0] for r in con.execute("select record_id from crm_input order by unique_id").fetchall()
    ]
    db_api = DuckDBAPI(connection=con)
    rel = con.sql("select * exclude (record_id) from crm_input")
    inputs = db_api.register(rel, dataset_display_name="records")
    timings["load"] = time.perf_counter() - t

    comparisons: list[Any] = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.EmailComparison("email"),
        cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
        cl.DamerauLevenshteinAtThresholds("dob", [1, 2]),
        cl.JaroWinklerAtThresholds("street", [0.9]),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    blocking: list[Any] = [
        block_on("first_name", "surname"),
        block_on("email"),
        block_on("phone"),
        block_on("surname", "dob"),
        block_on("first_name", "dob"),
        block_on("postcode", "substr(first_name, 1, 1)"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        unique_id_column_name="unique_id",
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(inputs, settings, log_level=logging.WARNING)
    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("first_name", "surname", "dob")], recall=0.7
    )
    timings["prior"] = time.perf_counter() - t
    t = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    timings["u"] = time.perf_counter() - t
    t = time.perf_counter()
    for rule in (block_on("first_name", "surname"), block_on("phone")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    timings["em"] = time.perf_counter() - t
    t = time.perf_counter()
    predictions = linker.inference.predict(warning_mode="never")
    arrays = (
        predictions.as_duckdbpyrelation()
        .project("unique_id_l, unique_id_r, match_probability")
        .fetchnumpy()
    )
    timings["predict"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.5
    )
    cl_arr = clusters.as_duckdbpyrelation().project("unique_id, cluster_id").fetchnumpy()
    timings["cluster"] = time.perf_counter() - t
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    memory.__exit__()
    con.close()

    left = np.asarray(arrays["unique_id_l"], dtype=np.int64)
    right = np.asarray(arrays["unique_id_r"], dtype=np.int64)
    prob = np.asarray(arrays["match_probability"], dtype=np.float64)
    labels = np.empty(len(ids), dtype=object)
    labels[np.asarray(cl_arr["unique_id"], dtype=np.int64)] = np.asarray(
        cl_arr["cluster_id"], dtype=object
    )
    ent = read_truth(truth, ids)
    at = prob >= 0.5
    return {
        "engine": "splink",
        "records": len(ids),
        "candidate_pairs": int(left.size),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": _peak_rss_mib(),
        "peak_tree_pss_mib": memory.peak_mib,
        "stages_wall_s": timings,
        "pairwise_at_threshold": pairwise_metrics(left[at], right[at], ent).to_dict(),
        "cluster_pairwise": cluster_pairwise_metrics(labels, ent).to_dict(),
        "versions": {"splink": splink.__version__, "duckdb": duckdb.__version__},
    }


# --------------------------------------------------------------------------- driver


def _child(engine: str, data: Path, truth: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one engine in a fresh interpreter (own peak RSS) and return its JSON result."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        "--data",
        str(data),
        "--truth",
        str(truth),
        "--seed",
        str(args.seed),
        "--u-max-pairs",
        str(args.u_max_pairs),
    ]
    if engine == "crmresolve":
        cmd += ["--options", args.options]
        if args.profile:
            cmd += ["--profile", str(args.profile)]
    # stdout carries the JSON result; stderr (stage progress) goes straight through.
    proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def markdown(results: Sequence[dict[str, Any]]) -> str:
    head = (
        "| engine | records | wall s | CPU s | peak RSS MiB | peak tree PSS MiB | pairs "
        "| pairwise F1 | cluster F1 | records/s | Splink/crm wall | Splink/crm CPU |"
    )
    lines = [head, "|" + "---|" * 12]
    splink = {r["records"]: r for r in results if r["engine"] == "splink"}
    for r in results:
        ratio_wall = ratio_cpu = ""
        other = splink.get(r["records"])
        if r["engine"] == "crmresolve" and other is not None:
            # Throughput ratios from the same run: > 1 means crmresolve is faster.
            ratio_wall = f"{other['wall_s'] / r['wall_s']:.2f}×"
            ratio_cpu = f"{other['cpu_s'] / r['cpu_s']:.2f}×"
        lines.append(
            f"| {r['engine']} | {r['records']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
            f"| {r['peak_rss_mib']:.0f} | {_mib(r.get('peak_tree_pss_mib'))} "
            f"| {r['candidate_pairs']:,} "
            f"| {r['pairwise_at_threshold']['f1']:.4f} | {r['cluster_pairwise']['f1']:.4f} "
            f"| {r['records'] / r['wall_s']:,.0f} | {ratio_wall} | {ratio_cpu} |"
        )
    stage_rows = [r for r in results if r["engine"] == "crmresolve"]
    if stage_rows:
        lines += ["", "| records | " + " | ".join(STAGES) + " |", "|" + "---|" * (len(STAGES) + 1)]
        for r in stage_rows:
            cells = " | ".join(
                f"{r['stages_wall_s'][s]:.1f} ({r['stages_cpu_s'][s]:.1f})" for s in STAGES
            )
            lines.append(f"| {r['records']:,} | {cells} |")
        lines.append("")
        lines.append("(stage cells: wall s (CPU s))")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated record counts")
    parser.add_argument("--seed", type=int, default=0, help="generator and resolver seed")
    parser.add_argument("--splink", action="store_true", help="also run Splink 5 (DuckDB)")
    parser.add_argument("--u-max-pairs", type=float, default=1e7, help="Splink u sampling")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile dump (crmresolve)")
    parser.add_argument(
        "--options",
        default="{}",
        help="Resolver keyword options as JSON, e.g. '{\"split_oversized_blocks\": false}'",
    )
    parser.add_argument("--worker", choices=("crmresolve", "splink"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--truth", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker == "crmresolve":
            out = run_crmresolve(
                args.data,
                args.truth,
                seed=args.seed,
                profile=args.profile,
                options=json.loads(args.options),
            )
        else:
            out = run_splink(args.data, args.truth, seed=args.seed, u_max_pairs=args.u_max_pairs)
        print(json.dumps(out))
        return 0

    results: list[dict[str, Any]] = []
    for n in [int(float(s)) for s in args.sizes.split(",") if s.strip()]:
        data, truth = ensure_data(n, args.seed, args.data_dir)
        for engine in ("crmresolve", "splink") if args.splink else ("crmresolve",):
            r = _child(engine, data, truth, args)
            r["command"] = " ".join([Path(sys.executable).name, *sys.argv])
            results.append(r)
            print(
                f"{engine:10s} n={n:>9,} wall={r['wall_s']:7.1f}s cpu={r['cpu_s']:7.1f}s "
                f"rss={r['peak_rss_mib']:6.0f}MiB tree={_mib(r.get('peak_tree_pss_mib'))}MiB "
                f"pairs={r['candidate_pairs']:,} "
                f"F1 pw={r['pairwise_at_threshold']['f1']:.4f} "
                f"cl={r['cluster_pairwise']['f1']:.4f}",
                file=sys.stderr,
                flush=True,
            )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"machine": machine_info(), "results": results}, indent=2) + "\n"
    )
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
