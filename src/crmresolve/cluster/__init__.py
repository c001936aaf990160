"""Match graph → clusters that do not chain unrelated people, with deterministic ids.

Input: scored pairs of record positions (``left``, ``right``, ``probability``) plus, for the
conflict checks, the normalized features (``given_name``, ``given_name_canonical``, ``dob``,
``identifier``, ``email``). Output: a :class:`Clustering` (one label per record).

How it works
------------
1. Edges with ``probability >= threshold`` (and reviewer must-links, as probability 1.0) form
   the match graph; connected components come from a vectorised Borůvka pass (numpy, O(log n)
   rounds), so the 1M-pair path has no Python loop per edge.
2. Components that *might* need splitting are found vectorised: more than
   ``max_cluster_size`` records, more than one distinct birth date / first name / identifier,
   or a cannot-link pair inside. Every other component is a cluster as is.
3. Flagged components are re-built by constrained greedy merging (Kruskal with constraints):
   edges strongest first (must-link, then probability, then record ids), and a merge is
   refused when the two clusters hold a *conflicting* record pair or would grow beyond
   ``max_cluster_size``. Must-link merges are never refused (they override conflicts and the
   size limit); a must-link that contradicts a cannot-link raises ``ValueError``.
   When a conflict refused an edge, the component's edges are then weighed together (local
   moves of correlation clustering, conflicts as hard constraints): a record moves to the
   cluster that the log-odds of its edges support more than its own, or equally and with fewer
   records left without any match (an equally strong edge that the greedy order took first no
   longer strands a record), if the merge rules allow it and its old cluster stays connected.
4. Clusters with two dense groups (each ``>= bridge_min_side`` records and containing a cycle)
   joined by a single edge below ``weak_bridge`` have that bridge cut (networkx ``bridges``).

Conflicts (a cluster never holds such a pair unless a reviewer must-linked it):

* ``cannot_link`` — a reviewer said the two records differ.
* ``conflicting_identifier`` — both have an identifier and they differ. Scores never lift it.
* ``conflicting_dob`` — both have a valid birth date and they are not compatible (equal; a
  partial date prefixing the other; with ``dob_typo_tolerant``, one digit changed, adjacent
  digits swapped or day/month swapped). Placeholder dates (1900-01-01, ...) never conflict.
  Lifted only by *strong direct evidence*: a direct edge ``>= strong_evidence`` **and** a shared
  e-mail or identifier **and** compatible first names — a high score from household evidence
  (even a shared family e-mail between two relatives) does not lift it.
* ``conflicting_first_name`` — both first names known and not compatible (same name or
  nickname-canonical form, initial vs. a name starting with it, same first token, or a
  one-keystroke typo that is not a gendered ending like maria/mario), **and** the pair shares
  no e-mail and no identifier: whatever links them is household-level (surname, address,
  phone). Not lifted by scores.

Cluster ids are ``"c_" + blake2b(smallest member record id)`` and clusters are ordered by that
smallest id, so shuffling records or pairs changes neither. ``confidence`` is the weakest link
of the cluster's maximum spanning tree (1.0 for singletons); see :class:`Clustering`.

>>> import numpy as np
>>> feats = {"given_name": np.array(["ann", "bob", "ann", None], dtype=object)}
>>> c = cluster_pairs(4, ["a", "b", "c", "d"], [0, 1], [1, 2], [0.95, 0.9], features=feats)
>>> c.labels.tolist(), c.splits[0].reason, c.splits[0].n_edges_cut
([0, 1, 2, 3], 'conflicting_first_name', 2)
"""

from __future__ import annotations

from crmresolve.cluster._conflicts import PLACEHOLDER_DOBS, dob_compatible, names_compatible
from crmresolve.cluster._core import (
    SPLIT_REASONS,
    Clusterer,
    Clustering,
    ClusterSplit,
    cluster_pairs,
)
from crmresolve.cluster._ids import cluster_id_for, cluster_ids_for

__all__ = [
    "PLACEHOLDER_DOBS",
    "SPLIT_REASONS",
    "ClusterSplit",
    "Clusterer",
    "Clustering",
    "cluster_id_for",
    "cluster_ids_for",
    "cluster_pairs",
    "dob_compatible",
    "names_compatible",
]
