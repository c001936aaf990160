"""Deterministic cluster ids.

A cluster's id depends only on the smallest record id among its members (plain string order),
so it does not change with the row order of the input, the order of the scored pairs, or with
records joining the cluster later as long as they sort after its current smallest member. The
record id is hashed so that ids never expose record ids (which some CRMs build from e-mails).

>>> cluster_id_for("rec-1") == cluster_id_for("rec-1")
True
>>> cluster_id_for("rec-1").startswith("c_"), len(cluster_id_for("rec-1"))
(True, 18)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["cluster_id_for", "cluster_ids_for"]

_PERSON = b"crmresolve.cid"


def cluster_id_for(min_record_id: str, digest_size: int = 8) -> str:
    """The id of the cluster whose smallest member record id is ``min_record_id``."""
    digest = hashlib.blake2b(
        min_record_id.encode("utf-8"), digest_size=digest_size, person=_PERSON
    ).hexdigest()
    return "c_" + digest


def cluster_ids_for(min_record_ids: Sequence[str]) -> npt.NDArray[np.object_]:
    """Ids for many clusters (one smallest member id each, all distinct).

    A 64-bit digest collides with probability ~1e-8 even for a million clusters; if it ever
    happens, every id of this call gets the 128-bit digest so ids stay unique and deterministic.
    """
    out = np.empty(len(min_record_ids), dtype=object)
    blake = hashlib.blake2b
    out[:] = [
        "c_" + blake(r.encode("utf-8"), digest_size=8, person=_PERSON).hexdigest()
        for r in min_record_ids
    ]
    if len(set(out.tolist())) != len(out):
        out[:] = [cluster_id_for(r, digest_size=16) for r in min_record_ids]
    return out
