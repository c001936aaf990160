"""The ``crmresolve`` command line.

Each subcommand is one :class:`Subcommand` in :data:`SUBCOMMANDS`: a name, a one-line help, a
function adding its arguments and a function running it (``Namespace -> exit code``). To add
one, write the two functions and register them::

    SUBCOMMANDS["pairs"] = Subcommand("pairs", "candidate pairs of a CSV", _pairs_args, _pairs)

Subcommands reading a CSV reuse :func:`add_input_arguments` (INPUT, ``--id``, ``--field``,
``--encoding``, ``--delimiter``, ``--on-bad-lines``) and :func:`load_input`; results go out
through :func:`write_output` (stdout or ``--output``). Raise :class:`CliError` for user errors.

Exit codes: 0 success, 2 usage or input errors (message on stderr as
``crmresolve: error: ...``, never a traceback), 130 interrupted.

>>> main(["--version"])  # doctest: +ELLIPSIS
crmresolve ...
0
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from crmresolve import __version__
from crmresolve.io import CsvFormatError, CsvWarning, read_csv_detailed
from crmresolve.roles import (
    ROLES,
    FieldMap,
    FieldSpecError,
    parse_field_specs,
    validate_field_map,
)
from crmresolve.table import Table

__all__ = [
    "SUBCOMMANDS",
    "CliError",
    "Subcommand",
    "add_input_arguments",
    "load_input",
    "main",
    "note",
    "write_output",
]

PROG = "crmresolve"


class CliError(Exception):
    """A user-facing error: printed as ``crmresolve: error: <message>``, exit code 2."""


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# Errors that are the user's input, not a bug: reported in one line without a traceback.
# (ValueError is deliberately absent: an unexpected one is a bug and should show its traceback.)
USER_ERRORS: tuple[type[BaseException], ...] = (
    CliError,
    CsvFormatError,
    FieldSpecError,
    OSError,  # FileNotFoundError, IsADirectoryError, PermissionError ...
)


# ------------------------------------------------------------------------------ shared options


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """INPUT and the options every CSV-reading subcommand shares."""
    parser.add_argument("input", metavar="INPUT.csv", help="CSV export to read")
    parser.add_argument(
        "--id", dest="id_column", metavar="COLUMN", help="column with unique record ids "
        "(default: the line number where each record starts)",
    )  # fmt: skip
    parser.add_argument(
        "--field",
        dest="fields",
        action="append",
        default=[],
        metavar="ROLE=COLUMN[,COLUMN...]",
        help="map columns to a role (repeatable); roles: " + ", ".join(ROLES)
        + ". Default: inferred from header names",
    )  # fmt: skip
    parser.add_argument("--encoding", help="file encoding (default: UTF-8, else Windows-1252)")
    parser.add_argument("--delimiter", help="field delimiter (default: sniffed from , ; TAB |)")
    parser.add_argument(
        "--on-bad-lines",
        choices=("error", "skip"),
        default="error",
        help="rows with the wrong number of fields: stop (default) or skip and report them",
    )


def load_input(args: argparse.Namespace) -> tuple[Table, FieldMap | None]:
    """Read ``args.input`` with the shared options; return (table, field map or None).

    Warnings from reading (encoding fallback, skipped rows) go to stderr as notes.
    """
    fields = parse_field_specs(args.fields) if args.fields else None
    delimiter = args.delimiter
    if delimiter is not None and delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CsvWarning)
        result = read_csv_detailed(
            args.input,
            id_column=args.id_column,
            encoding=args.encoding,
            delimiter=delimiter,
            on_bad_lines=args.on_bad_lines,
        )
    for w in caught:
        if issubclass(w.category, CsvWarning):
            note(str(w.message))
    if result.skipped_lines:
        shown = ", ".join(str(n) for n in result.skipped_lines[:10])
        more = ", ..." if len(result.skipped_lines) > 10 else ""
        note(
            f"skipped {len(result.skipped_lines)} malformed row(s) starting at line(s) "
            f"{shown}{more}"
        )
    return result.table, fields


def note(message: str) -> None:
    print(f"{PROG}: note: {message}", file=sys.stderr)


def write_output(text: str, path: str | None) -> None:
    """Write to ``path`` (UTF-8) or to stdout."""
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


# ------------------------------------------------------------------------------ profile


def _profile_args(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--updated-at", metavar="COLUMN", help="last-modified column")
    parser.add_argument("--json", action="store_true", help="JSON instead of text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--worst", type=int, default=10, metavar="N", help="worst records to list (default 10)"
    )


def _profile(args: argparse.Namespace) -> int:
    from crmresolve.profile import profile

    table, fields = load_input(args)
    report = profile(
        table,
        fields=fields,
        id_column=args.id_column,  # keeps the id column out of role inference
        updated_at=args.updated_at,
        worst=args.worst,
        source=args.input,
    )
    if args.json:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = report.to_text()
    write_output(text, args.output)
    return 0


# ------------------------------------------------------------------------------ resolution


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {text}")
    return value


def _resolve_args(parser: argparse.ArgumentParser, *, kind: str) -> None:
    add_input_arguments(parser)
    if kind == "link":
        parser.add_argument("input_b", metavar="B.csv", help="second CSV export to link")
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="CSV to write (default: standard output)"
    )
    if kind == "dedupe":
        parser.add_argument(
            "--threshold",
            type=_probability,
            default=None,
            metavar="P",
            help="match probability at which records join a cluster (default 0.5)",
        )
        parser.add_argument("--golden", metavar="FILE", help="write golden records (CSV)")
        parser.add_argument("--lineage", metavar="FILE", help="write golden-record lineage (CSV)")
        parser.add_argument(
            "--rules", metavar="RULES.toml", help="survivorship rules (docs/rules.example.toml)"
        )
        parser.add_argument(
            "--truth",
            metavar="TRUTH.csv",
            help="record_id,entity_id file: print pairwise and cluster precision/recall/F1",
        )
    else:
        parser.add_argument(
            "--threshold",
            type=_probability,
            default=None,
            metavar="P",
            help="keep pairs with match probability >= P (default: every candidate pair)",
        )
    parser.add_argument(
        "--config", metavar="CONFIG.json", help="run with a configuration saved by --save-config"
    )
    parser.add_argument(
        "--save-config",
        metavar="CONFIG.json",
        help="write the configuration used (roles, blocking, comparisons, guards, seed, ...)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument(
        "--region", metavar="CC", default=None, help="phone region without a country (default US)"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress, inferred roles or summary"
    )


def _read(args: argparse.Namespace, path: str) -> Table:
    saved = args.input
    args.input = path
    try:
        table, _ = load_input(args)
    finally:
        args.input = saved
    return table


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


def _rekey(table: Table, id_column: str) -> Table:
    from crmresolve.io import load_table

    try:
        return load_table(table, id_column=id_column)
    except KeyError:
        raise CliError(
            f"id column {id_column!r} not found; columns: {', '.join(table.column_names)}"
        ) from None
    except ValueError as exc:
        raise CliError(f"id column {id_column!r}: {exc}") from None


def _configure(args: argparse.Namespace, table: Table, *, golden: bool) -> tuple[Any, Table]:
    """The :class:`Resolver` for this run (from --config, --field or inference) and the table
    re-keyed by the id column in use."""
    from crmresolve.config import ConfigError, ResolverConfig
    from crmresolve.infer import NoIdentityFieldError, infer_roles
    from crmresolve.progress import Progress

    explicit = parse_field_specs(args.fields) if args.fields else None
    if args.config:
        try:
            cfg = ResolverConfig.load(args.config)
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        if explicit is not None:
            cfg.fields = explicit
    else:
        cfg = ResolverConfig(fields=explicit or {})
    if args.id_column is not None:
        cfg.id_column = args.id_column
    exclude = [args.id_column] if args.id_column else []
    if not cfg.fields or (cfg.id_column is None and not args.config):
        taken = [c for cols in cfg.fields.values() for c in cols]
        inference = infer_roles(table, exclude=[*exclude, *taken])
        if not cfg.fields:
            try:
                cfg.fields = inference.field_map(require_identity=True)
            except NoIdentityFieldError as exc:
                raise CliError(str(exc)) from None
            _say(args, f"{PROG}: inferred roles (confidence, how):\n{inference}")
        if cfg.id_column is None and inference.id_column is not None:
            cfg.id_column = inference.id_column
            if cfg.fields:
                _say(args, f"{PROG}: record ids from column {cfg.id_column!r}")
    if cfg.id_column is not None and args.id_column is None:
        table = _rekey(table, cfg.id_column)
    if args.threshold is not None:
        cfg.threshold = args.threshold
    if args.seed is not None:
        cfg.seed = args.seed
    if args.region is not None:
        cfg.default_region = args.region
    rules_path = getattr(args, "rules", None)
    if rules_path:
        from crmresolve.survive import RulesConfigError, load_rules

        try:
            cfg.survivorship = load_rules(rules_path).to_dict()
        except RulesConfigError as exc:
            raise CliError(str(exc)) from None
    try:
        validate_field_map(cfg.fields, table.column_names)
    except FieldSpecError as exc:
        raise CliError(str(exc)) from None
    progress = Progress.for_terminal(quiet=args.quiet).enabled
    resolver = cfg.to_resolver(golden=golden, progress=progress)
    return resolver, table


def _run_resolver(resolver: Any, table: Table, sources: Any = None) -> Any:
    from crmresolve.survive import RulesConfigError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = resolver.resolve(table, link_sources=sources)
    except RulesConfigError as exc:
        raise CliError(f"survivorship rules: {exc}") from None
    except ValueError as exc:
        message = str(exc)
        if "candidate pairs" in message or "identity field" in message:
            raise CliError(message) from None
        raise
    for w in caught:
        if issubclass(w.category, UserWarning):
            note(str(w.message))
    return result


def _save_config(args: argparse.Namespace, resolver: Any) -> None:
    if args.save_config:
        from crmresolve.config import ResolverConfig

        ResolverConfig.from_resolver(resolver).save(args.save_config)
        _say(args, f"{PROG}: configuration written to {args.save_config}")


def _write_rows(path: str | None, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from crmresolve.io import write_csv

    if path is None:
        write_csv(sys.stdout, header, rows)
        sys.stdout.flush()
    else:
        write_csv(path, header, rows)


def _pairs(args: argparse.Namespace) -> int:
    table, _ = load_input(args)
    resolver, table = _configure(args, table, golden=False)
    result = _run_resolver(resolver, table)
    _save_config(args, resolver)
    header, rows = result.pairs_rows(args.threshold)
    _write_rows(args.output, header, rows)
    _say(args, f"{PROG}: {len(rows)} pair(s) of {len(table)} records")
    return 0


def _link(args: argparse.Namespace) -> int:
    import numpy as np

    from crmresolve.pipeline import concat_tables

    a, _ = load_input(args)
    b = _read(args, args.input_b)
    resolver, _ = _configure(args, concat_tables([a, b]) if _disjoint(a, b) else a, golden=False)
    if resolver.id_column is not None and args.id_column is None:
        a, b = _rekey(a, resolver.id_column), _rekey(b, resolver.id_column)
    if not _disjoint(a, b):
        if resolver.id_column is not None:
            raise CliError(
                f"record ids in column {resolver.id_column!r} are not unique across both files"
            )
        a = Table(np.array([f"A:{i}" for i in a.ids], dtype=object), a.columns)
        b = Table(np.array([f"B:{i}" for i in b.ids], dtype=object), b.columns)
    table = concat_tables([a, b])
    sources = np.array(["left"] * len(a) + ["right"] * len(b), dtype=object)
    result = _run_resolver(resolver, table, sources)
    _save_config(args, resolver)
    header, rows = result.pairs_rows(args.threshold)
    _write_rows(args.output, header, rows)
    _say(args, f"{PROG}: {len(rows)} pair(s) between {len(a)} and {len(b)} records")
    return 0


def _disjoint(a: Table, b: Table) -> bool:
    return not (set(a.ids.tolist()) & set(b.ids.tolist()))


def _dedupe(args: argparse.Namespace) -> int:
    table, _ = load_input(args)
    resolver, table = _configure(args, table, golden=True)
    result = _run_resolver(resolver, table)
    _save_config(args, resolver)
    _write_rows(args.output, *result.records_rows())
    if args.golden:
        _write_rows(args.golden, *result.golden_rows())
    if args.lineage:
        _write_rows(args.lineage, *result.lineage_rows())
    if not args.quiet:
        print(_dedupe_summary(result), file=sys.stderr)
    if args.truth:
        print(_truth_report(args.truth, result), file=sys.stderr)
    return 0


def _dedupe_summary(result: Any) -> str:
    lines = [result.summary()]
    golden = result.golden
    if golden is not None and len(golden):
        sizes = result.clustering.sizes
        c = int(sizes.argmax())
        cid = str(result.clustering.cluster_ids[c])
        record = golden.record(cid)
        lines.append(f"golden record of {cid} ({len(record['members'])} records):")
        for name in result.table.column_names:
            value = record.get(name)
            if value is not None and value != "":
                lines.append(f"  {name}: {value}")
    return "\n".join(lines)


def _truth_report(path: str, result: Any) -> str:
    """Pairwise (at the threshold) and cluster precision / recall / F1 against a truth file."""
    from crmresolve import evaluate as ev
    from crmresolve.io import read_csv

    truth = read_csv(path)
    names = truth.column_names
    if len(names) < 2:
        raise CliError(f"{path}: expected columns record_id,entity_id")
    rid = "record_id" if "record_id" in names else names[0]
    eid = "entity_id" if "entity_id" in names else names[1]
    mapping = {
        str(r): e
        for r, e in zip(truth.columns[rid].tolist(), truth.columns[eid].tolist(), strict=True)
        if r is not None and e is not None
    }
    ids = result.table.ids.tolist()
    entity = [mapping.get(str(r), f"\0unlabelled:{r}") for r in ids]
    labelled = sum(1 for r in ids if str(r) in mapping)
    p = result.pairs
    keep = p.match_probability >= result.threshold
    pair = ev.pairwise_metrics(p.left[keep], p.right[keep], entity)
    clus = ev.cluster_pairwise_metrics(result.clustering.labels, entity)
    return "\n".join(
        [
            f"quality against {path} ({labelled} of {len(ids)} records labelled):",
            f"  pairwise (p >= {result.threshold:g}): precision {pair.precision:.3f}  "
            f"recall {pair.recall:.3f}  F1 {pair.f1:.3f}",
            f"  clusters:            precision {clus.precision:.3f}  recall {clus.recall:.3f}  "
            f"F1 {clus.f1:.3f}",
        ]
    )


# ------------------------------------------------------------------------------ registry

SUBCOMMANDS: dict[str, Subcommand] = {
    "profile": Subcommand(
        "profile", "data-quality profile of a CSV export", _profile_args, _profile
    ),
    "dedupe": Subcommand(
        "dedupe",
        "find duplicate records: clusters, golden records, lineage",
        functools.partial(_resolve_args, kind="dedupe"),
        _dedupe,
    ),
    "pairs": Subcommand(
        "pairs",
        "scored candidate pairs of one CSV",
        functools.partial(_resolve_args, kind="pairs"),
        _pairs,
    ),
    "link": Subcommand(
        "link",
        "scored candidate pairs between two CSVs",
        functools.partial(_resolve_args, kind="link"),
        _link,
    ),
}
import crmresolve.cli_store  # noqa: E402, F401  (registers the `store` subcommands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find the records of one real person or company in messy CRM data.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in SUBCOMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (argparse exits itself)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        run: Callable[[argparse.Namespace], int] = args._run
        return run(args)
    except BrokenPipeError:
        # `crmresolve profile x.csv | head`: the reader left; not an error worth a message.
        _silence_stdout()
        return 0
    except USER_ERRORS as exc:
        _error(exc, sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _error(exc: BaseException, stream: TextIO) -> None:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        message = f"{exc.filename}: {exc.strerror}"
    else:
        message = str(exc) or type(exc).__name__
    print(f"{PROG}: error: {message}", file=stream)


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
