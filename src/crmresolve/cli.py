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
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from crmresolve import __version__
from crmresolve.io import CsvFormatError, CsvWarning, read_csv_detailed
from crmresolve.roles import ROLES, FieldMap, FieldSpecError, parse_field_specs
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


# ------------------------------------------------------------------------------ registry

SUBCOMMANDS: dict[str, Subcommand] = {
    "profile": Subcommand(
        "profile", "data-quality profile of a CSV export", _profile_args, _profile
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
