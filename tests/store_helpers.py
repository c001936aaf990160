"""Helpers shared by the store tests (and the kill-test child process)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from crmresolve.io import read_csv
from crmresolve.table import Table

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = ROOT / "examples" / "contacts.csv"


def contacts() -> Table:
    return read_csv(CONTACTS, id_column="record_id")


def part(table: Table, lo: int, hi: int) -> Table:
    return table.take(np.arange(lo, min(hi, len(table)), dtype=np.int64))


def child_add(db: str, csv_path: str, pause_at: str | None) -> None:
    """Run in a child process: add ``csv_path`` to the store, announcing each stage on stdout
    (and sleeping at ``pause_at`` so the parent can kill it mid-transaction)."""
    from crmresolve.store import Store

    table = read_csv(csv_path, id_column="record_id")
    store = Store.open(db)

    def progress(stage: str) -> None:
        print(f"STAGE {stage}", flush=True)
        if stage == pause_at:
            time.sleep(60)

    store._progress = progress
    print("START", flush=True)
    store.add(table, id_column="record_id")
    print("DONE", flush=True)


if __name__ == "__main__":
    child_add(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
