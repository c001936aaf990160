"""An embedded entity-resolution store on SQLite: add records over time, keep entity ids.

>>> from crmresolve.store import Store  # doctest: +SKIP
>>> with Store.open("crm.db") as store:  # doctest: +SKIP
...     store.add("contacts.csv", id_column="record_id")
...     store.find({"first_name": "Bob", "last_name": "Smith"})

What it holds (one SQLite file, WAL mode so readers work while a writer adds):

* ``records`` — raw values (JSON) and normalized features per record, with its entity;
* ``block_keys`` — one 64-bit key per record and blocking rule (``(key, rid)`` primary key):
  later adds and :meth:`Store.find` fetch candidates with indexed lookups, never a scan, most
  selective keys first and fewer than ``candidate_budget + key_cap`` per record (so their
  cost does not grow with the store);
* ``edges`` — scored pairs above ``edge_floor`` (re-clustering and the review queue);
* ``entities`` (stable ids, ``merged_into`` after a merge, ``confidence`` as ``dedupe``'s
  ``cluster_confidence``), ``golden`` (record + lineage);
* ``models`` (the Fellegi–Sunter JSON) and ``meta`` (settings, ``schema_version``);
* ``decisions`` (must/cannot-link with reason, who, when) and ``events`` (append-only log:
  created, joined, merged, split, unmerged, updated, decision, undone) with ``event_refs``.

Schema changes are :data:`MIGRATIONS`, applied in order on open.

Entity ids: new entities get the id :func:`crmresolve.cluster.cluster_id_for` gives their
smallest record id (so a one-batch store exports the same ids as ``dedupe``); an id then changes
only through a recorded merge (the older entity's id survives) or split (the part with most
members keeps it).
"""

from __future__ import annotations

from crmresolve.store._schema import MIGRATIONS, SCHEMA_VERSION
from crmresolve.store._store import Candidate, Event, ReviewPair, Store, StoreError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Candidate",
    "Event",
    "ReviewPair",
    "Store",
    "StoreError",
]
