"""``crmresolve store …``: the embedded store from the command line (``--db PATH``).

    crmresolve store add --db crm.db contacts.csv --id record_id [--field ROLE=COLUMN ...]
    crmresolve store export --db crm.db --output all.csv [--golden golden.csv]
    crmresolve store find --db crm.db --value first_name=Bob --value last_name=Smith
    crmresolve store review --db crm.db [--lower 0.2 --upper 0.8 --limit 20 --offset 0]
    crmresolve store link|unlink --db crm.db A B --reason "..." [--who NAME]
    crmresolve store unmerge --db crm.db RECORD --reason "..."
    crmresolve store history --db crm.db ID
    crmresolve store undo --db crm.db EVENT_ID
    crmresolve store backup --db crm.db --output copy.db

Output is JSON lines (one object per line) on stdout, except ``add`` (a JSON summary).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from typing import Any

from crmresolve.cli import SUBCOMMANDS, CliError, Subcommand, add_input_arguments, load_input

__all__ = ["run_store"]


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, metavar="PATH", help="store file (SQLite)")


def _store_args(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="store_command", metavar="ACTION")
    sub.required = True
    p = sub.add_parser("add", help="add or update records (creates the store when missing)")
    _db(p)
    add_input_arguments(p)
    p.add_argument("--threshold", type=float, default=0.5, help="match probability (first add)")
    p.add_argument(
        "--chunk-size",
        type=int,
        default=50_000,
        metavar="N",
        help="add a large file N records at a time (one transaction; bounds memory)",
    )
    p = sub.add_parser(
        "export", help="every record with cluster_id, cluster_confidence (+ golden records)"
    )
    _db(p)
    p.add_argument("--output", "-o", required=True, metavar="OUT.csv")
    p.add_argument("--golden", metavar="GOLDEN.csv")
    p = sub.add_parser("find", help="ranked candidate entities for a record")
    _db(p)
    p.add_argument("--value", action="append", default=[], metavar="COLUMN=VALUE")
    p.add_argument("--limit", type=int, default=5)
    p = sub.add_parser("review", help="uncertain pairs, most consequential first")
    _db(p)
    p.add_argument("--lower", type=float, default=0.2)
    p.add_argument("--upper", type=float, default=0.8)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0, help="skip this many pairs (paging)")
    for name, help_ in (("link", "must-link two records"), ("unlink", "cannot-link two records")):
        p = sub.add_parser(name, help=help_)
        _db(p)
        p.add_argument("a", metavar="RECORD_A")
        p.add_argument("b", metavar="RECORD_B")
        p.add_argument("--reason", default="")
        p.add_argument("--who")
    p = sub.add_parser("unmerge", help="take a record out of its entity (remembered)")
    _db(p)
    p.add_argument("record", metavar="RECORD")
    p.add_argument("--reason", default="")
    p.add_argument("--who")
    p = sub.add_parser("history", help="events about a record or entity id")
    _db(p)
    p.add_argument("ref", metavar="ID")
    p = sub.add_parser("undo", help="undo a decision, unmerge or merge event")
    _db(p)
    p.add_argument("event_id", type=int, metavar="EVENT_ID")
    p = sub.add_parser("backup", help="consistent copy of the store")
    _db(p)
    p.add_argument("--output", "-o", required=True, metavar="COPY.db")


def _print(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def run_store(args: argparse.Namespace) -> int:
    from crmresolve.store import Store, StoreError

    action = args.store_command
    if action != "add" and not os.path.exists(args.db):
        raise CliError(f"{args.db}: no such store")
    try:
        with Store.open(args.db) as store:
            if action == "add":
                table, fields = load_input(args)
                if args.id_column is None:
                    raise CliError("store add needs --id COLUMN (record ids must be stable)")
                _print(
                    store.add(
                        table,
                        id_column=args.id_column,
                        fields=fields,
                        threshold=args.threshold,
                        chunk_size=args.chunk_size,
                    )
                )
            elif action == "export":
                n = store.export(args.output, golden=args.golden)
                _print({"records": n, "entities": store.n_entities})
            elif action == "find":
                record: dict[str, str] = {}
                for spec in args.value:
                    col, sep, val = spec.partition("=")
                    if not sep:
                        raise CliError(f"--value {col!r}: expected COLUMN=VALUE")
                    record[col] = val
                for c in store.find(record, limit=args.limit):
                    _print(asdict(c))
            elif action == "review":
                for r in store.review_queue(
                    args.lower, args.upper, limit=args.limit, offset=args.offset
                ):
                    _print(asdict(r))
            elif action in ("link", "unlink"):
                fn = store.must_link if action == "link" else store.cannot_link
                _print({"event_id": fn(args.a, args.b, args.reason, who=args.who)})
            elif action == "unmerge":
                _print({"event_id": store.unmerge(args.record, args.reason, who=args.who)})
            elif action == "history":
                for e in store.history(args.ref):
                    _print(asdict(e))
            elif action == "undo":
                _print({"event_id": store.undo(args.event_id)})
            elif action == "backup":
                store.backup(args.output)
                _print({"backup": args.output})
    except StoreError as exc:
        raise CliError(str(exc)) from None
    return 0


SUBCOMMANDS["store"] = Subcommand(
    "store", "embedded store: add over time, find, review, link, export", _store_args, run_store
)
