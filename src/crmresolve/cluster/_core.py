"""Scored pairs → non-chaining clusters (see :mod:`crmresolve.cluster` for the rules)."""

from __future__ import annotations

import functools
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from crmresolve._fork import default_workers, fork_map
from crmresolve.cluster._conflicts import (
    CANNOT_LINK,
    PLACEHOLDER_DOBS,
    REASONS,
    ComponentConflicts,
    RecordAttributes,
    _Memo,
    names_ok,
    pair_codes,
)
from crmresolve.cluster._graph import (
    boruvka,
    dedupe_edges,
    edge_order,
    paused_gc,
    record_ranks,
    sorted_unique,
)
from crmresolve.cluster._ids import cluster_id_for, cluster_ids_for

if TYPE_CHECKING:
    import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

MAX_SIZE = 5
# Record pairs per numpy batch when checking all pairs of small components for conflicts.
_PAIR_CHUNK = 1 << 20
WEAK_BRIDGE = 6
_REASONS: dict[int, str] = {**REASONS, MAX_SIZE: "max_size", WEAK_BRIDGE: "weak_bridge"}

#: Scores record pairs (positions) directly: ``pair_scorer(left, right) -> probability``.
PairScorer = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], npt.ArrayLike]

#: Every split reason, strongest first.
SPLIT_REASONS: tuple[str, ...] = (
    "cannot_link",
    "conflicting_identifier",
    "conflicting_dob",
    "conflicting_first_name",
    "max_size",
    "weak_bridge",
)


@dataclass(frozen=True)
class ClusterSplit:
    """One reason why a connected component of the match graph became several clusters.

    ``component_id`` is the id the whole component would have had (the cluster holding the
    component's smallest record id keeps it). ``cluster_ids`` are the clusters on either side
    of the cut edges, ``n_edges_cut`` how many above-threshold edges were refused for this
    reason, and ``record_ids``/``max_probability`` the strongest refused edge. Only record
    ids appear here, never field values.
    """

    component_id: str
    reason: str
    cluster_ids: tuple[str, ...]
    n_records: int
    n_edges_cut: int
    max_probability: float
    record_ids: tuple[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "component_id": self.component_id,
            "reason": self.reason,
            "cluster_ids": list(self.cluster_ids),
            "n_records": self.n_records,
            "n_edges_cut": self.n_edges_cut,
            "max_probability": self.max_probability,
            "record_ids": list(self.record_ids),
        }


@dataclass(frozen=True)
class Clustering:
    """Cluster assignment of every record.

    ``labels[i]`` is the index of record ``i``'s cluster in ``cluster_ids``/``confidence``/
    ``sizes``. Clusters are ordered by their smallest record id, so the cluster table is the
    same whatever the input row order. ``confidence[c]`` is the weakest link of the
    cluster's maximum spanning tree: the largest probability ``p`` such that the members stay
    connected through direct matches of probability ``>= p`` (must-link edges count as 1.0;
    a singleton has nothing to doubt and gets 1.0).

    >>> c = cluster_pairs(3, ["a", "b", "c"], [0], [1], [0.9])
    >>> c.labels.tolist(), c.sizes.tolist(), c.confidence.tolist()
    ([0, 0, 1], [2, 1], [0.9, 1.0])
    >>> c.members(0)
    ['a', 'b']
    """

    record_ids: ObjArray
    labels: IntArray
    cluster_ids: ObjArray
    confidence: FloatArray
    sizes: IntArray
    splits: list[ClusterSplit] = field(default_factory=list)

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_ids.size)

    def __len__(self) -> int:
        return self.n_clusters

    @property
    def record_cluster_ids(self) -> ObjArray:
        """The cluster id of every record (same order as ``record_ids``)."""
        out: ObjArray = self.cluster_ids[self.labels]
        return out

    def member_lists(self) -> list[list[str]]:
        """Record ids per cluster (sorted), in cluster order."""
        order = np.lexsort((self.record_ids.astype(str), self.labels))
        ids = self.record_ids[order].tolist()
        ends = np.cumsum(self.sizes).tolist()
        starts = [0, *ends[:-1]]
        return [ids[s:e] for s, e in zip(starts, ends, strict=True)]

    def members(self, cluster: int | str) -> list[str]:
        """Sorted record ids of one cluster, by index or by cluster id."""
        if isinstance(cluster, str):
            hits = np.flatnonzero(self.cluster_ids == cluster)
            if hits.size == 0:
                raise KeyError("unknown cluster id")
            cluster = int(hits[0])
        return sorted(self.record_ids[self.labels == cluster].tolist())

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per record: record_id, cluster_id, cluster_size, cluster_confidence."""
        cid = self.record_cluster_ids.tolist()
        size = self.sizes[self.labels].tolist()
        conf = self.confidence[self.labels].tolist()
        return [
            {"record_id": r, "cluster_id": c, "cluster_size": s, "cluster_confidence": f}
            for r, c, s, f in zip(self.record_ids.tolist(), cid, size, conf, strict=True)
        ]

    def to_pandas(self) -> pd.DataFrame:
        """Per-record assignment as a DataFrame (needs the ``pandas`` extra)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "record_id": self.record_ids,
                "cluster_id": self.record_cluster_ids,
                "cluster_size": self.sizes[self.labels],
                "cluster_confidence": self.confidence[self.labels],
            }
        )


class _DSU:
    """Plain union-find for the short reviewer lists."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        p = self.parent.setdefault(x, x)
        while p != x:
            gp = self.parent[p]
            self.parent[x] = gp
            x, p = p, gp
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _list_root(parent: list[int], x: int) -> int:
    """Root of ``x`` in a list-based union-find, compressing the path on the way."""
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@dataclass(frozen=True)
class Clusterer:
    """Configuration of the clustering step (sklearn style: settings here, data in
    :meth:`cluster`).

    * ``threshold`` (0.5) — edges with ``probability >= threshold`` enter the match graph.
    * ``max_cluster_size`` (100) — no merge may produce a larger cluster (reviewer must-links
      may: they always win), unless the component is *dense*: at least ``dense_share`` (0.7)
      of its record pairs are direct matches. Chaining makes sparse components; a dense one
      is one big entity (an inventor on hundreds of patents) and is not cut for its size.
    * ``strong_evidence`` (0.99) — a direct edge at least this probable between two records
      with compatible first names lifts a date-of-birth or identifier conflict for that pair
      (a mistyped birth date or customer number on an otherwise identical record); a
      first-name conflict is never lifted by a score.
    * ``weak_bridge`` (0.9) — a bridge edge below this probability that joins two dense groups
      (each ``>= bridge_min_side`` (3) records with at least as many internal edges as records,
      i.e. not a mere chain) is cut; ``None`` disables bridge cutting.
    * ``dob_typo_tolerant`` (True) — one-keystroke variants of a birth date do not conflict.
    * ``placeholder_dobs`` — birth dates that mean "unknown" and never conflict.
    * ``majority`` (True) — two clusters whose records conflict are still merged when more
      direct matches (edges above ``threshold``) join them than they hold conflicting record
      pairs: several independent matches outvote one mistyped value. Two people chained
      through a third record (one edge each, one conflict) stay apart.
    * ``workers`` (1) — processes that merge flagged components (forked on Linux, for large
      inputs only; ``None``: ``CRMRESOLVE_WORKERS`` or the usable cores). The clusters never
      depend on it. Off by default for memory: a worker copies every memory page holding a
      value it reads (reading a Python object writes its reference count), and the values are
      scattered over the heap; at a million records two workers took clustering from 26.3 to
      24.4 s but the process tree from 3.7 to 4.8 GiB (PSS, ``benchmarks/scale.py``).

    >>> Clusterer(threshold=0.8).cluster(2, ["a", "b"], [0], [1], [0.7]).n_clusters
    2
    """

    threshold: float = 0.5
    max_cluster_size: int = 100
    strong_evidence: float = 0.99
    weak_bridge: float | None = 0.9
    bridge_min_side: int = 3
    dob_typo_tolerant: bool = True
    placeholder_dobs: frozenset[str] = PLACEHOLDER_DOBS
    majority: bool = True
    dense_share: float = 0.7
    workers: int | None = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must be within [0, 1]")
        if self.max_cluster_size < 1:
            raise ValueError("max_cluster_size must be at least 1")
        if not 0.0 <= self.strong_evidence <= 1.0:
            raise ValueError("strong_evidence must be within [0, 1]")
        if self.bridge_min_side < 2:
            raise ValueError("bridge_min_side must be at least 2")

    # ------------------------------------------------------------------ entry point
    def cluster(
        self,
        n_records: int,
        record_ids: Sequence[str] | ObjArray,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        probability: npt.ArrayLike,
        *,
        features: Mapping[str, ObjArray] | None = None,
        must_link: Iterable[tuple[str, str]] = (),
        cannot_link: Iterable[tuple[str, str]] = (),
        pair_scorer: PairScorer | None = None,
        link_sources: npt.ArrayLike | None = None,
    ) -> Clustering:
        """Cluster ``n_records`` records given scored pairs of record positions.

        ``link_sources`` (link mode: one source name per record) tells which record pairs
        could be scored at all: records of one source are never compared, so their value
        conflicts do not count in the ``majority`` vote.

        ``pair_scorer(left, right) -> probability`` scores arbitrary record pairs with the
        model (and its guards). With it, two records of one component whose values conflict
        are scored directly, and the conflict is lifted when that direct evidence reaches
        ``strong_evidence``: "unless the direct evidence between them is strong".
        """
        with paused_gc():
            return self._cluster(
                n_records,
                record_ids,
                left,
                right,
                probability,
                features=features,
                must_link=must_link,
                cannot_link=cannot_link,
                pair_scorer=pair_scorer,
                link_sources=link_sources,
            )

    def _cluster(
        self,
        n_records: int,
        record_ids: Sequence[str] | ObjArray,
        left: npt.ArrayLike,
        right: npt.ArrayLike,
        probability: npt.ArrayLike,
        *,
        features: Mapping[str, ObjArray] | None,
        must_link: Iterable[tuple[str, str]],
        cannot_link: Iterable[tuple[str, str]],
        pair_scorer: PairScorer | None = None,
        link_sources: npt.ArrayLike | None = None,
    ) -> Clustering:
        ids = _ids_array(record_ids, n_records)
        source_codes: IntArray | None = None
        if link_sources is not None:
            src = np.asarray(link_sources, dtype=object)
            if src.shape != (n_records,):
                raise ValueError(f"link_sources has {src.size} entries for {n_records} records")
            source_codes = np.unique(src.astype(str), return_inverse=True)[1].reshape(-1)
        lft, rgt, prob = _pairs_arrays(n_records, left, right, probability)
        ranks = record_ranks(ids)
        must_pairs, cannot_pairs = _reviewer_pairs(ids, must_link, cannot_link)

        keep = prob >= self.threshold
        n_must = len(must_pairs)
        must_arr = np.asarray(must_pairs, dtype=np.int64).reshape(n_must, 2)
        lo, hi, pe, me = dedupe_edges(
            n_records,
            np.concatenate([lft[keep], must_arr[:, 0]]),
            np.concatenate([rgt[keep], must_arr[:, 1]]),
            np.concatenate([prob[keep], np.ones(n_must)]),
            np.concatenate([np.zeros(int(keep.sum()), dtype=bool), np.ones(n_must, dtype=bool)]),
        )
        order = edge_order(lo, hi, pe, me, ranks)
        lo, hi, pe, me = lo[order], hi[order], pe[order], me[order]
        pe = np.where(me, 1.0, pe)
        m = lo.size
        # Distinct weights for Borůvka: earlier in the priority order = heavier.
        weight = np.arange(m, 0, -1, dtype=np.int64)

        comp, _ = boruvka(n_records, lo, hi, weight)
        comp_size = np.bincount(comp, minlength=n_records)
        # Components whose members mostly match directly are not chains: no size limit.
        n_edges = np.bincount(comp[lo], minlength=n_records) if m else np.zeros(n_records, int)
        dense = n_edges >= self.dense_share * (comp_size * (comp_size - 1) // 2)
        attrs = RecordAttributes.from_features(
            n_records,
            features,
            subset=np.flatnonzero(comp_size[comp] > 1),
            dob_typo_tolerant=self.dob_typo_tolerant,
            placeholder_dobs=self.placeholder_dobs,
        )
        flagged = self._flag_components(n_records, comp, comp_size, attrs, cannot_pairs, dense)

        group = comp.copy()
        refused: list[tuple[int, int, int]] = []  # (component, edge index, reason code)
        next_label = n_records
        if flagged.any():
            next_label = self._split_flagged(
                n_records,
                comp,
                flagged,
                attrs,
                lo,
                hi,
                pe,
                me,
                cannot_pairs,
                group,
                refused,
                pair_scorer,
                source_codes,
                dense,
                ranks,
            )
        if self.weak_bridge is not None and m:
            self._cut_weak_bridges(n_records, comp, lo, hi, pe, me, group, refused, next_label)

        return _finish(ids, ranks, comp, comp_size, group, lo, hi, pe, weight, refused)

    # ------------------------------------------------------------------ flagging
    def _flag_components(
        self,
        n: int,
        comp: IntArray,
        comp_size: IntArray,
        attrs: RecordAttributes,
        cannot_pairs: list[tuple[int, int]],
        dense: npt.NDArray[np.bool_] | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Components that may need splitting (cheap over-approximation, vectorised)."""
        flagged = comp_size > self.max_cluster_size
        if dense is not None:
            flagged &= ~dense
        in_multi = comp_size[comp] > 1
        for codes in (attrs.dob, attrs.name_key, attrs.identifier):
            sel = in_multi & (codes >= 0)
            if not sel.any():
                continue
            c = comp[sel]
            key = sorted_unique(c * np.int64(n + 1) + codes[sel])
            distinct = np.bincount(key // np.int64(n + 1), minlength=n)
            flagged |= distinct > 1
        for a, b in cannot_pairs:
            if comp[a] == comp[b]:
                flagged[comp[a]] = True
        return flagged

    def _scored_overrides(
        self,
        memo: _Memo,
        recs: IntArray,
        rc: IntArray,
        starts: IntArray,
        ends: IntArray,
        cannot_by_comp: Mapping[int, set[tuple[int, int]]],
        codes: tuple[IntArray, IntArray, IntArray, IntArray],
        pair_scorer: PairScorer,
        comp_edges: list[list[int]],
        l_loc: list[int],
        h_loc: list[int],
        must_l: list[bool],
        dense: npt.NDArray[np.bool_] | None,
    ) -> dict[int, set[tuple[int, int]]]:
        """Per component, the conflicting member pairs (local indices) whose direct score is
        strong evidence of one entity. All components are scored in one call: the scorer's
        per-call cost (computing comparisons) is far above its per-pair cost.

        A component of at most ``max_cluster_size`` records (or a dense one, whose record
        pairs are mostly edges anyway) has all its conflicting pairs scored. A larger sparse
        component is a chain of several entities: it is first cut into pieces of at most
        ``max_cluster_size`` records along its strongest edges (:func:`_pieces`) and only the
        conflicting pairs inside a piece are scored, so the work stays linear in the component
        size (all pairs of an 18k-record component would be 160 M pairs). ``codes`` are the
        attribute codes (dob, name, identifier, e-mail) in ``recs`` order.
        """
        bound = self.max_cluster_size
        # Pieces as runs of positions into `recs` (a component is the slice starts..ends).
        flat_parts: list[IntArray] = []
        sizes: list[int] = []
        for s, e, edges in zip(starts.tolist(), ends.tolist(), comp_edges, strict=True):
            k = e - s
            if k < 2:
                continue
            if k <= bound or (dense is not None and dense[int(rc[s])]):
                flat_parts.append(np.arange(s, e, dtype=np.int64))
                sizes.append(k)
                continue
            for piece in _pieces(k, edges, l_loc, h_loc, must_l, bound):
                if len(piece) > 1:
                    flat_parts.append(np.asarray(piece, dtype=np.int64) + s)
                    sizes.append(len(piece))
        if not flat_parts:
            return {}
        flat = np.concatenate(flat_parts)
        size_arr = np.asarray(sizes, dtype=np.int64)
        offsets = np.r_[0, np.cumsum(size_arr)[:-1]]
        cannot_keys = np.asarray(
            sorted(
                (s0 + a) * np.int64(recs.size) + (s0 + b)
                for s0, cid in zip(starts.tolist(), rc[starts].tolist(), strict=True)
                for a, b in cannot_by_comp.get(cid, ())
            ),
            dtype=np.int64,
        )
        found_a: list[IntArray] = []
        found_b: list[IntArray] = []
        for m in sorted_unique(size_arr).tolist():
            ti, tj = np.triu_indices(m, 1)
            offs = offsets[size_arr == m]
            step = max(1, _PAIR_CHUNK // ti.size)
            for c in range(0, offs.size, step):
                o = offs[c : c + step, None]
                a = flat[o + ti].reshape(-1)
                b = flat[o + tj].reshape(-1)
                a, b = np.minimum(a, b), np.maximum(a, b)
                bad = pair_codes(memo, *codes, a, b) > 0
                if cannot_keys.size:
                    bad &= ~np.isin(a * np.int64(recs.size) + b, cannot_keys)
                found_a.append(a[bad])
                found_b.append(b[bad])
        a = np.concatenate(found_a)
        b = np.concatenate(found_b)
        if a.size == 0:
            return {}
        prob = np.asarray(pair_scorer(recs[a], recs[b]), dtype=np.float64).reshape(-1)
        strong = prob >= self.strong_evidence
        a, b = a[strong], b[strong]
        first = np.repeat(starts, ends - starts)
        out: dict[int, set[tuple[int, int]]] = {}
        for cid, la, lb in zip(
            rc[a].tolist(), (a - first[a]).tolist(), (b - first[b]).tolist(), strict=True
        ):
            out.setdefault(cid, set()).add((la, lb))
        return out

    # ------------------------------------------------------------------ constrained merging
    def _split_flagged(
        self,
        n: int,
        comp: IntArray,
        flagged: npt.NDArray[np.bool_],
        attrs: RecordAttributes,
        lo: IntArray,
        hi: IntArray,
        pe: FloatArray,
        me: npt.NDArray[np.bool_],
        cannot_pairs: list[tuple[int, int]],
        group: IntArray,
        refused: list[tuple[int, int, int]],
        pair_scorer: PairScorer | None = None,
        source_codes: IntArray | None = None,
        dense: npt.NDArray[np.bool_] | None = None,
        ranks: IntArray | None = None,
    ) -> int:
        """Greedy merging, strongest edge first, refusing merges that break a rule.

        This is Kruskal's algorithm with constraints: a merge is refused when the two clusters
        hold a conflicting record pair or would exceed ``max_cluster_size``. Conflicts only grow
        as clusters grow, so a refused pair of clusters stays refused. Components with an edge
        refused for a conflict then get local moves that weigh all their edges
        (:func:`_relocate`).
        """
        recs = np.flatnonzero(flagged[comp])
        recs = recs[np.argsort(comp[recs], kind="stable")]
        rc = comp[recs]
        starts = np.flatnonzero(np.r_[True, rc[1:] != rc[:-1]])
        ends = np.r_[starts[1:], rc.size]
        local = np.full(n, -1, dtype=np.int64)
        local[recs] = np.arange(recs.size) - np.repeat(starts, ends - starts)

        ecomp = comp[lo]
        eidx = np.flatnonzero(flagged[ecomp])
        eidx = eidx[np.argsort(ecomp[eidx], kind="stable")]  # keeps priority order inside
        ec = ecomp[eidx]
        e_starts = np.searchsorted(ec, rc[starts], side="left")
        e_ends = np.searchsorted(ec, rc[starts], side="right")

        # Household pairs never reach this: the scoring guards cap pairs whose first names or
        # birth dates differ without a personal identifier agreeing.
        strong = (pe >= self.strong_evidence) & ~me

        cannot_by_comp: dict[int, set[tuple[int, int]]] = {}
        for a, b in cannot_pairs:
            if comp[a] == comp[b] and flagged[comp[a]]:
                la, lb = int(local[a]), int(local[b])
                cannot_by_comp.setdefault(int(comp[a]), set()).add((min(la, lb), max(la, lb)))

        memo = _Memo(attrs)
        max_size = self.max_cluster_size
        next_label = n
        l_loc = local[lo].tolist()
        h_loc = local[hi].tolist()
        must_l = me.tolist()
        # A family e-mail must not lift the birth-date conflict of two relatives: strong edges
        # lift conflicts only between compatible first names.
        strong[eidx] &= names_ok(attrs, lo[eidx], hi[eidx])
        strong_l = strong.tolist()
        # Log-odds of the edges in `eidx` order (clipped so that p = 1 stays finite).
        p_clip = np.clip(pe[eidx], 1e-12, 1.0 - 1e-12)
        evidence = np.log(p_clip) - np.log1p(-p_clip)
        # Attribute codes in `recs` order: a component is a slice of them.
        codes = (attrs.dob[recs], attrs.name[recs], attrs.identifier[recs], attrs.email[recs])
        src_codes = None if source_codes is None else source_codes[recs]
        rank = recs if ranks is None else ranks[recs]
        new_group = np.empty(recs.size, dtype=np.int64)
        scored: dict[int, set[tuple[int, int]]] = {}
        if pair_scorer is not None:
            eidx_l = eidx.tolist()
            scored = self._scored_overrides(
                memo,
                recs,
                rc,
                starts,
                ends,
                cannot_by_comp,
                codes,
                pair_scorer,
                [eidx_l[es:ee] for es, ee in zip(e_starts.tolist(), e_ends.tolist(), strict=True)],
                l_loc,
                h_loc,
                must_l,
                dense,
            )
            del eidx_l
        majority = self.majority

        def merge_span(span: tuple[int, int]) -> tuple[list[list[int] | None], _Refused]:
            """Greedy merge of components span[0]..span[1]-1: each one's roots (``None``:
            the whole component is one cluster) and the edges refused on the way.

            The span's values become Python lists here, in the worker that merges them: read
            from lists made before the fork, each one would copy its memory page into every
            worker (reading a Python object writes its reference count).
            """
            j0, j1 = span
            r0, r1 = int(starts[j0]), int(ends[j1 - 1])
            e0, e1 = int(e_starts[j0]), int(e_ends[j1 - 1])
            dob_sp, name_sp, ident_sp, email_sp = (c[r0:r1].tolist() for c in codes)
            src_sp = None if src_codes is None else src_codes[r0:r1].tolist()
            rank_sp = rank[r0:r1].tolist()
            eidx_sp = eidx[e0:e1].tolist()
            evidence_sp = evidence[e0:e1].tolist()
            out: list[list[int] | None] = []
            span_refused: _Refused = []
            for cid, s, e, es, ee in zip(
                rc[starts[j0:j1]].tolist(),
                (starts[j0:j1] - r0).tolist(),
                (ends[j0:j1] - r0).tolist(),
                (e_starts[j0:j1] - e0).tolist(),
                (e_ends[j0:j1] - e0).tolist(),
                strict=True,
            ):
                edges = eidx_sp[es:ee]
                k = e - s
                limit = k if dense is not None and dense[cid] else max_size
                if (
                    k <= limit
                    and cid not in cannot_by_comp
                    and _values_agree(memo, dob_sp[s:e], name_sp[s:e], ident_sp[s:e])
                ):
                    # Flagged only because it holds several (compatible) values: one cluster.
                    out.append(None)
                    continue
                overrides = {
                    (min(l_loc[x], h_loc[x]), max(l_loc[x], h_loc[x])) for x in edges if strong_l[x]
                } | scored.get(cid, set())
                cc = ComponentConflicts(
                    memo,
                    dob_sp[s:e],
                    name_sp[s:e],
                    ident_sp[s:e],
                    email_sp[s:e],
                    overrides,
                    cannot_by_comp.get(cid, set()),
                )
                out.append(
                    _greedy_merge(
                        k,
                        edges,
                        l_loc,
                        h_loc,
                        must_l,
                        cc,
                        limit,
                        cid,
                        span_refused,
                        majority,
                        None if src_sp is None else src_sp[s:e],
                        evidence_sp[es:ee],
                        rank_sp[s:e],
                    )
                )
            return out, span_refused

        workers = default_workers() if self.workers is None else self.workers
        spans = _spans(ends - starts, workers)
        results = fork_map(merge_span, spans, workers=workers)
        starts_l, ends_l = starts.tolist(), ends.tolist()
        for (j0, j1), (roots_list, span_refused) in zip(spans, results, strict=True):
            refused.extend(span_refused)
            for j, roots in zip(range(j0, j1), roots_list, strict=True):
                s, k = starts_l[j], ends_l[j] - starts_l[j]
                if roots is None:
                    new_group[s : s + k] = next_label
                    next_label += 1
                    continue
                relabel: dict[int, int] = {}
                for i in range(k):
                    new_group[s + i] = next_label + relabel.setdefault(roots[i], len(relabel))
                next_label += len(relabel)
        group[recs] = new_group
        return next_label

    # ------------------------------------------------------------------ weak bridges
    def _cut_weak_bridges(
        self,
        n: int,
        comp: IntArray,
        lo: IntArray,
        hi: IntArray,
        pe: FloatArray,
        me: npt.NDArray[np.bool_],
        group: IntArray,
        refused: list[tuple[int, int, int]],
        next_label: int,
    ) -> None:
        """Cut single low-probability edges that join two dense groups (chaining bridges)."""
        min_side = self.bridge_min_side
        threshold = self.weak_bridge
        assert threshold is not None
        intra = np.flatnonzero(group[lo] == group[hi])
        uniq, inv, n_edges = np.unique(group[lo[intra]], return_inverse=True, return_counts=True)
        all_groups, group_sizes = np.unique(group, return_counts=True)
        sizes = group_sizes[np.searchsorted(all_groups, uniq)]
        # A cut needs a weak edge, and two sides holding a cycle each: at least one edge more
        # than records (cheap necessary conditions; most groups fail them).
        weak = np.zeros(uniq.size, dtype=bool)
        weak[inv.reshape(-1)[(pe[intra] < threshold) & ~me[intra]]] = True
        cand = (
            weak & (sizes >= 2 * min_side) & (n_edges >= 2 * min_side + 1) & (n_edges >= sizes + 1)
        )
        if not cand.any():
            return
        inv = inv.reshape(-1)
        sel = intra[cand[inv]]
        sel = sel[np.argsort(group[lo[sel]], kind="stable")]
        gs = group[lo[sel]]
        bounds = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1], True])
        sel_l = sel.tolist()
        lo_l = lo[sel].tolist()
        hi_l = hi[sel].tolist()
        weak_l = ((pe[sel] < threshold) & ~me[sel]).tolist()
        for s, e in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if not _has_weak_bridge(lo_l[s:e], hi_l[s:e], weak_l[s:e]):
                continue  # nothing to cut (networkx costs far more than this check)
            edges = sel_l[s:e]
            g = nx.Graph()
            for x in edges:
                g.add_edge(int(lo[x]), int(hi[x]), idx=x)
            parts = self._bridge_split(
                g, pe, me, min_side, threshold, refused, int(comp[lo[edges[0]]])
            )
            if len(parts) > 1:
                for part in parts:
                    group[np.fromiter(part, dtype=np.int64)] = next_label
                    next_label += 1

    @staticmethod
    def _bridge_split(
        g: nx.Graph,
        pe: FloatArray,
        me: npt.NDArray[np.bool_],
        min_side: int,
        threshold: float,
        refused: list[tuple[int, int, int]],
        component: int,
    ) -> list[set[int]]:
        work = [g]
        done: list[set[int]] = []
        while work:
            h = work.pop()
            n_nodes, n_edges = h.number_of_nodes(), h.number_of_edges()
            if n_nodes < 2 * min_side or n_edges < 2 * min_side + 1:
                done.append(set(h.nodes))
                continue
            best: tuple[int, int, int] | None = None
            for x, y in nx.bridges(h):
                idx = int(h.edges[x, y]["idx"])
                if me[idx] or pe[idx] >= threshold:
                    continue
                h.remove_edge(x, y)
                side = nx.node_connected_component(h, x)
                h.add_edge(x, y, idx=idx)
                ns = len(side)
                es = h.subgraph(side).number_of_edges()
                no, eo = n_nodes - ns, n_edges - es - 1
                dense = ns >= min_side and es >= ns and no >= min_side and eo >= no
                # Weakest first: the latest edge in the global priority order.
                if dense and (best is None or idx > best[0]):
                    best = (idx, x, y)
            if best is None:
                done.append(set(h.nodes))
                continue
            idx, x, y = best
            h.remove_edge(x, y)
            refused.append((component, idx, WEAK_BRIDGE))
            for nodes in nx.connected_components(h):
                work.append(h.subgraph(nodes).copy())
        return done


def _greedy_merge(
    k: int,
    edges: list[int],
    l_loc: list[int],
    h_loc: list[int],
    must_l: list[bool],
    cc: ComponentConflicts,
    max_size: int,
    component: int,
    refused: list[tuple[int, int, int]],
    majority: bool = False,
    sources: list[int] | None = None,
    evidence: list[float] | None = None,
    rank: list[int] | None = None,
) -> list[int]:
    """Merge a component's records along its edges (priority order); return each record's root.

    Refused edges are appended to ``refused`` as ``(component, edge index, reason code)``.
    With ``majority``, a merge refused for conflicting values (first name, birth date,
    identifier) goes ahead when the two clusters are joined by more direct matches (edges)
    than they hold conflicting record pairs.

    With ``evidence`` (the log-odds of each of ``edges``, same order), merges refused for a
    conflict are then reconsidered with all edges of the component (see :func:`_relocate`):
    records move to the cluster their edges support most, and a final greedy pass over the
    moved partition reports the edges that stay cut.
    """
    support: set[tuple[int, int]] = set()
    if majority:
        for x in edges:
            a, b = l_loc[x], h_loc[x]
            support.add((a, b) if a < b else (b, a))
    parent = list(range(k))
    mem: list[list[int]] = [[i] for i in range(k)]

    find = functools.partial(_list_root, parent)

    def allowed(a_members: list[int], b_members: list[int]) -> int:
        """0 when the two clusters may merge, else the reason code."""
        code = cc.between(a_members, b_members)
        la, lb = len(a_members), len(b_members)
        if code == 0 and la + lb > max_size:
            code = MAX_SIZE
        if code and code < CANNOT_LINK and majority:
            # Value conflicts outvoted by direct matches: the conflicting values are
            # typos of one entity's records, not two entities chained by a third record.
            code = _outvoted(code, a_members, b_members, cc, support, sources)
            if code == 0 and la + lb > max_size:
                code = MAX_SIZE
        return code

    def merge_pass() -> tuple[list[tuple[int, int]], list[int]]:
        """Greedy merge from the current partition: the cut edges with their reason codes,
        and the records whose cluster-mates (not themselves) kept a refused edge apart."""
        cut: list[tuple[int, int]] = []
        seeds: list[int] = []
        cache: dict[tuple[int, int, int, int], int] = {}
        for x in edges:
            a, b = l_loc[x], h_loc[x]
            ra, rb = find(a), find(b)
            if ra == rb:
                continue
            if not must_l[x]:
                # Keyed by root *and* size: a cluster that grew may have gained a stronger
                # reason, and the reported reason must not depend on row order.
                la, lb = len(mem[ra]), len(mem[rb])
                key = (ra, la, rb, lb) if ra < rb else (rb, lb, ra, la)
                code = cache.get(key)
                if code is None:
                    code = cache[key] = allowed(mem[ra], mem[rb])
                if code:
                    cut.append((x, code))
                    # Records whose cluster-mates kept them apart may move later; not a record
                    # refused on its own, nor one that conflicts with the other end itself.
                    if code < MAX_SIZE and (la > 1 or lb > 1) and not cc.pair(a, b):
                        # Smaller record id first: the visiting order must not follow
                        # the row order.
                        if rank is not None and rank[b] < rank[a]:
                            a, b, la, lb = b, a, lb, la
                        if la > 1:
                            seeds.append(a)
                        if lb > 1:
                            seeds.append(b)
                    continue
            if len(mem[ra]) < len(mem[rb]):
                ra, rb = rb, ra
            parent[rb] = ra
            mem[ra].extend(mem[rb])
            mem[rb] = []
        return cut, seeds

    cut, seeds = merge_pass()
    if evidence is not None and seeds and _may_move(find, edges, seeds, l_loc, h_loc, evidence):
        labels = [find(i) for i in range(k)]
        if _relocate(labels, edges, seeds, l_loc, h_loc, must_l, evidence, allowed):
            groups: dict[int, list[int]] = {}
            for i, lab in enumerate(labels):
                groups.setdefault(lab, []).append(i)
            for members in groups.values():
                for i in members:
                    parent[i] = members[0]
                    mem[i] = []
                mem[members[0]] = members
            cut, _ = merge_pass()
    refused.extend((component, x, code) for x, code in cut)
    return [find(i) for i in range(k)]


def _has_weak_bridge(lo_l: list[int], hi_l: list[int], weak_l: list[bool]) -> bool:
    """Whether any weak edge is a bridge (in no cycle) of the graph of these edges
    (iterative Tarjan low-link, plain Python: far cheaper than networkx on small groups)."""
    if not any(weak_l):
        return False
    adj: dict[int, list[tuple[int, int]]] = {}
    for x, (a, b) in enumerate(zip(lo_l, hi_l, strict=True)):
        adj.setdefault(a, []).append((b, x))
        adj.setdefault(b, []).append((a, x))
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    for start in adj:
        if start in disc:
            continue
        disc[start] = low[start] = len(disc)
        stack: list[tuple[int, int, Iterator[tuple[int, int]]]] = [(start, -1, iter(adj[start]))]
        while stack:
            v, via, it = stack[-1]
            for y, x in it:
                if x == via:
                    continue
                if y in disc:
                    if disc[y] < low[v]:
                        low[v] = disc[y]
                else:
                    disc[y] = low[y] = len(disc)
                    stack.append((y, x, iter(adj[y])))
                    break
            else:
                stack.pop()
                if stack:
                    u = stack[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                    if low[v] > disc[u] and weak_l[via]:
                        return True
    return False


def _pieces(
    k: int, edges: list[int], l_loc: list[int], h_loc: list[int], must_l: list[bool], bound: int
) -> list[list[int]]:
    """Connected pieces of at most ``bound`` records covering a component of ``k`` records:
    union along ``edges`` (priority order, strongest first), skipping a union that would
    exceed ``bound`` (reviewer must-links are never skipped). The pieces follow the edge
    order only, so they do not depend on the input row order.

    >>> _pieces(4, [0, 1, 2], [0, 1, 2], [1, 2, 3], [False] * 3, 2)
    [[0, 1], [2, 3]]
    """
    parent = list(range(k))
    size = [1] * k

    find = functools.partial(_list_root, parent)

    for x in edges:
        ra, rb = find(l_loc[x]), find(h_loc[x])
        if ra == rb or (size[ra] + size[rb] > bound and not must_l[x]):
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
    groups: dict[int, list[int]] = {}
    for i in range(k):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _relocate(
    labels: list[int],
    edges: list[int],
    seeds: list[int],
    l_loc: list[int],
    h_loc: list[int],
    must_l: list[bool],
    evidence: list[float],
    allowed: Callable[[list[int], list[int]], int],
) -> bool:
    """Local moves after the greedy merge (correlation clustering restricted to the match
    edges, conflicts as hard constraints); ``labels`` is updated in place. Returns whether
    anything moved.

    Starting from ``seeds`` (the records at edges refused for a conflict), a record moves to
    a neighbouring cluster when the log-odds of its edges into that cluster exceed those into
    its own cluster, or equal them and the move leaves fewer records without any match (an
    equally strong edge taken first by the greedy order no longer strands a record). The move
    must be one the greedy merge would allow, and the cluster left behind must stay
    connected; the neighbours of a moved record are visited again. Every move raises (total
    log-odds inside clusters, records in clusters of two or more), so the loop ends; the
    visiting order follows the edge priority order, so the result does not depend on the
    input row order.
    """
    adj: dict[int, list[tuple[int, float, int]]] = {}
    pinned: set[int] = set()
    for x, w in zip(edges, evidence, strict=True):
        a, b = l_loc[x], h_loc[x]
        if must_l[x]:
            pinned.update((a, b))
        adj.setdefault(a, []).append((b, w, x))
        adj.setdefault(b, []).append((a, w, x))
    members: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        members.setdefault(lab, []).append(i)
    queue = deque(r for r in dict.fromkeys(seeds) if r not in pinned)
    queued = set(queue)
    moved = False
    while queue:
        r = queue.popleft()
        queued.discard(r)
        own = labels[r]
        n_own = len(members[own])
        if n_own == 1:
            continue  # joining a cluster alone is a plain merge: the greedy pass decided it
        to_own = 0.0
        towards: dict[int, tuple[float, int]] = {}
        for y, w, x in adj[r]:
            lab = labels[y]
            if lab == own:
                to_own += w
            elif lab in towards:
                total, first = towards[lab]
                towards[lab] = (total + w, first)
            else:
                towards[lab] = (w, x)  # adjacency follows edge order: x is the strongest
        options = []
        for lab, (total, first) in towards.items():
            gain = total - to_own
            matched = (len(members[lab]) == 1) - (n_own == 2)
            if gain > 0 or (gain == 0 and matched > 0):
                options.append((-gain, -matched, first, lab))
        if not options:
            continue
        options.sort()
        dest = next((o[3] for o in options if not allowed([r], members[o[3]])), None)
        if dest is None:
            continue
        rest = [i for i in members[own] if i != r]
        if not _connected(rest, adj):
            continue
        members[own] = rest
        members[dest].append(r)
        labels[r] = dest
        moved = True
        for y, _, _ in adj[r]:
            if y not in queued and y not in pinned:
                queued.add(y)
                queue.append(y)
        if r not in queued:
            queued.add(r)
            queue.append(r)
    return moved


def _may_move(
    find: Callable[[int], int],
    edges: list[int],
    seeds: list[int],
    l_loc: list[int],
    h_loc: list[int],
    evidence: list[float],
) -> bool:
    """Cheap pre-check of :func:`_relocate` (``find`` gives a record's cluster): has any seed
    at least as much evidence towards another cluster as towards its own?"""
    cand = set(seeds)
    sums: dict[tuple[int, int], float] = {}
    for x, w in zip(edges, evidence, strict=True):
        a, b = l_loc[x], h_loc[x]
        if a in cand:
            key = (a, find(b))
            sums[key] = sums.get(key, 0.0) + w
        if b in cand:
            key = (b, find(a))
            sums[key] = sums.get(key, 0.0) + w
    own = {r: find(r) for r in cand}
    return any(
        lab != own[r] and total >= sums.get((r, own[r]), 0.0) for (r, lab), total in sums.items()
    )


def _connected(nodes: list[int], adj: Mapping[int, list[tuple[int, float, int]]]) -> bool:
    """Whether ``nodes`` are connected by the edges among them."""
    if len(nodes) <= 1:
        return True
    inside = set(nodes)
    stack = [nodes[0]]
    seen = {nodes[0]}
    while stack:
        v = stack.pop()
        for y, _, _ in adj.get(v, ()):
            if y in inside and y not in seen:
                seen.add(y)
                stack.append(y)
    return len(seen) == len(nodes)


def _outvoted(
    code: int,
    a_members: list[int],
    b_members: list[int],
    cc: ComponentConflicts,
    support: set[tuple[int, int]],
    sources: list[int] | None = None,
) -> int:
    """``code`` unless the direct matches between the groups outnumber their conflicts
    (pairs of one link source, never compared, do not vote)."""
    n_support = 0
    n_conflict = 0
    for i in a_members:
        for j in b_members:
            if sources is not None and sources[i] == sources[j]:
                continue
            key = (i, j) if i < j else (j, i)
            n_support += key in support
            c = cc.pair(i, j)
            if c >= CANNOT_LINK:
                return c
            n_conflict += c > 0
    return 0 if n_support > n_conflict else code


def _values_agree(memo: _Memo, dob: list[int], name: list[int], ident: list[int]) -> bool:
    """True when no record pair of a component can conflict (value level, cheap)."""
    idents = sorted({x for x in ident if x >= 0})
    if any(not memo.ident_ok(a, b) for i, a in enumerate(idents) for b in idents[i + 1 :]):
        return False
    dobs = sorted({x for x in dob if x >= 0})
    if any(not memo.dob_ok(a, b) for i, a in enumerate(dobs) for b in dobs[i + 1 :]):
        return False
    names = sorted({x for x in name if x >= 0})
    return all(memo.name_ok(a, b) for i, a in enumerate(names) for b in names[i + 1 :])


def cluster_pairs(
    n_records: int,
    record_ids: Sequence[str] | ObjArray,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    probability: npt.ArrayLike,
    *,
    threshold: float = 0.5,
    features: Mapping[str, ObjArray] | None = None,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    max_cluster_size: int = 100,
    strong_evidence: float = 0.99,
    weak_bridge: float | None = 0.9,
    bridge_min_side: int = 3,
    dob_typo_tolerant: bool = True,
    pair_scorer: PairScorer | None = None,
    link_sources: npt.ArrayLike | None = None,
    majority: bool = True,
    workers: int | None = 1,
) -> Clustering:
    """Cluster records from scored pairs; shorthand for ``Clusterer(...).cluster(...)``.

    >>> feats = {"given_name": np.array(["ann", "bob", "ann"], dtype=object)}
    >>> c = cluster_pairs(3, ["r1", "r2", "r3"], [0, 1, 0], [1, 2, 2], [0.95, 0.9, 0.8],
    ...                   features=feats)
    >>> c.labels.tolist(), [s.reason for s in c.splits]
    ([0, 1, 0], ['conflicting_first_name'])
    """
    return Clusterer(
        threshold=threshold,
        max_cluster_size=max_cluster_size,
        strong_evidence=strong_evidence,
        weak_bridge=weak_bridge,
        bridge_min_side=bridge_min_side,
        dob_typo_tolerant=dob_typo_tolerant,
        majority=majority,
        workers=workers,
    ).cluster(
        n_records,
        record_ids,
        left,
        right,
        probability,
        features=features,
        must_link=must_link,
        cannot_link=cannot_link,
        pair_scorer=pair_scorer,
        link_sources=link_sources,
    )


# ---------------------------------------------------------------------- helpers

_Refused = list[tuple[int, int, int]]

# Below this many flagged records the merge runs in this process: forking a large process
# and starting its workers costs a fraction of a second, more than a short merge gains.
_FORK_MIN_RECORDS = 50_000


def _spans(sizes: IntArray, workers: int) -> list[tuple[int, int]]:
    """Consecutive runs of components (``sizes`` records each) for ``workers`` processes:
    four runs per worker of about equal record counts, so that one slow run does not leave
    the other workers idle.

    >>> _spans(np.array([2, 2, 2, 2]), 1)
    [(0, 4)]
    """
    n = int(sizes.size)
    total = int(sizes.sum())
    if workers <= 1 or total < _FORK_MIN_RECORDS:
        return [(0, n)] if n else []
    cuts = np.searchsorted(np.cumsum(sizes), np.linspace(0, total, 4 * workers + 1)[1:-1])
    bounds = sorted({0, n, *(min(int(c) + 1, n) for c in cuts)})
    return list(itertools.pairwise(bounds))


def _ids_array(record_ids: Sequence[str] | ObjArray, n: int) -> ObjArray:
    ids = np.empty(len(record_ids), dtype=object)
    ids[:] = list(record_ids)
    if ids.size != n:
        raise ValueError(f"record_ids has {ids.size} entries, expected n_records={n}")
    as_list = ids.tolist()
    if not set(map(type, as_list)) <= {str}:
        raise TypeError("record_ids must be strings")
    if len(set(as_list)) != n:
        raise ValueError("record_ids must be unique")
    return ids


def _pairs_arrays(
    n: int, left: npt.ArrayLike, right: npt.ArrayLike, probability: npt.ArrayLike
) -> tuple[IntArray, IntArray, FloatArray]:
    lft = np.asarray(left)
    rgt = np.asarray(right)
    prob = np.asarray(probability, dtype=np.float64).reshape(-1)
    for name, arr in (("left", lft), ("right", rgt)):
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{name} must hold integer record positions")
    # Read-only from here on: no copy of the caller's int64 arrays (2 x 126 MB at 15.7 M pairs,
    # on top of the clustering peak).
    lft = lft.astype(np.int64, copy=False).reshape(-1)
    rgt = rgt.astype(np.int64, copy=False).reshape(-1)
    if not lft.size == rgt.size == prob.size:
        raise ValueError(
            f"left, right and probability differ in length ({lft.size}, {rgt.size}, {prob.size})"
        )
    if lft.size:
        lo = min(int(lft.min()), int(rgt.min()))
        hi = max(int(lft.max()), int(rgt.max()))
        if lo < 0 or hi >= n:
            raise ValueError(f"pair positions must be within [0, {n})")
        bad = ~np.isfinite(prob) | (prob < 0) | (prob > 1)
        if bad.any():
            raise ValueError(f"{int(bad.sum())} probabilities are NaN or outside [0, 1]")
    return lft, rgt, prob


def _reviewer_pairs(
    ids: ObjArray,
    must_link: Iterable[tuple[str, str]],
    cannot_link: Iterable[tuple[str, str]],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    must_in = list(must_link)
    cannot_in = list(cannot_link)
    if not must_in and not cannot_in:
        return [], []
    pos = {rid: i for i, rid in enumerate(ids.tolist())}

    def resolve(pairs: list[tuple[str, str]], kind: str) -> list[tuple[int, int]]:
        out = []
        for k, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"{kind} entry #{k} is not a pair of record ids")
            a, b = pos.get(pair[0]), pos.get(pair[1])
            if a is None or b is None:
                raise ValueError(f"{kind} entry #{k} names a record id that is not in record_ids")
            if a == b:
                if kind == "cannot_link":
                    raise ValueError(f"cannot_link entry #{k} pairs a record with itself")
                continue
            out.append((a, b))
        return out

    must = resolve(must_in, "must_link")
    cannot = resolve(cannot_in, "cannot_link")
    if must and cannot:
        dsu = _DSU()
        for a, b in must:
            dsu.union(a, b)
        for k, (a, b) in enumerate(cannot):
            if dsu.find(a) == dsu.find(b):
                raise ValueError(
                    f"cannot_link entry #{k} joins records that must_link entries put together"
                )
    return must, cannot


def _finish(
    ids: ObjArray,
    ranks: IntArray,
    comp: IntArray,
    comp_size: IntArray,
    group: IntArray,
    lo: IntArray,
    hi: IntArray,
    pe: FloatArray,
    weight: IntArray,
    refused: list[tuple[int, int, int]],
) -> Clustering:
    n = ids.size
    uniq, inv = np.unique(group, return_inverse=True)
    inv = inv.reshape(-1)
    n_clusters = uniq.size
    min_rank = np.full(n_clusters, n, dtype=np.int64)
    np.minimum.at(min_rank, inv, ranks)
    cl_order = np.argsort(min_rank, kind="stable")
    relabel = np.empty(n_clusters, dtype=np.int64)
    relabel[cl_order] = np.arange(n_clusters, dtype=np.int64)
    labels = relabel[inv]
    by_rank = np.empty(n, dtype=np.int64)
    by_rank[ranks] = np.arange(n, dtype=np.int64)
    min_ids = ids[by_rank[min_rank[cl_order]]].tolist()
    cluster_ids = cluster_ids_for(min_ids)
    sizes = np.bincount(labels, minlength=n_clusters).astype(np.int64)

    confidence = np.ones(n_clusters, dtype=np.float64)
    intra = labels[lo] == labels[hi]
    if intra.any():
        il, ih = lo[intra], hi[intra]
        _, mst = boruvka(n, il, ih, weight[intra])
        np.minimum.at(confidence, labels[il[mst]], pe[intra][mst])

    splits = _collect_splits(
        ids, ranks, by_rank, comp, comp_size, labels, cluster_ids, lo, hi, pe, refused
    )
    return Clustering(
        record_ids=ids,
        labels=labels,
        cluster_ids=cluster_ids,
        confidence=confidence,
        sizes=sizes,
        splits=splits,
    )


def _collect_splits(
    ids: ObjArray,
    ranks: IntArray,
    by_rank: IntArray,
    comp: IntArray,
    comp_size: IntArray,
    labels: IntArray,
    cluster_ids: ObjArray,
    lo: IntArray,
    hi: IntArray,
    pe: FloatArray,
    refused: list[tuple[int, int, int]],
) -> list[ClusterSplit]:
    """One :class:`ClusterSplit` per (component, reason), from the refused/cut edges."""
    if not refused:
        return []
    n = ids.size
    arr = np.asarray(refused, dtype=np.int64).reshape(-1, 3)
    r_comp, r_edge, r_code = arr[:, 0], arr[:, 1], arr[:, 2]
    # Edge indices follow the priority order, so the first edge of a group is its strongest.
    order = np.lexsort((r_edge, r_code, r_comp))
    r_comp, r_edge, r_code = r_comp[order], r_edge[order], r_code[order]
    start = np.flatnonzero(np.r_[True, (r_comp[1:] != r_comp[:-1]) | (r_code[1:] != r_code[:-1])])
    counts = np.diff(np.r_[start, r_comp.size])
    gid = np.repeat(np.arange(start.size), counts)
    n_cl = np.int64(cluster_ids.size)
    touched = sorted_unique(
        np.concatenate([gid * n_cl + labels[lo[r_edge]], gid * n_cl + labels[hi[r_edge]]])
    )
    t_gid, t_label = np.divmod(touched, n_cl)
    t_bounds = np.searchsorted(t_gid, np.arange(start.size + 1))
    t_ids = cluster_ids[t_label].tolist()

    comp_min_rank = np.full(n, n, dtype=np.int64)
    np.minimum.at(comp_min_rank, comp, ranks)
    g_comp = r_comp[start]
    comp_min_ids = ids[by_rank[comp_min_rank[g_comp]]].tolist()
    top = r_edge[start]
    a, b = lo[top], hi[top]
    swap = ranks[a] > ranks[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    rows = zip(
        comp_min_ids,
        r_code[start].tolist(),
        comp_size[g_comp].tolist(),
        counts.tolist(),
        pe[top].tolist(),
        ids[a].tolist(),
        ids[b].tolist(),
        t_bounds[:-1].tolist(),
        t_bounds[1:].tolist(),
        strict=True,
    )
    splits = [
        ClusterSplit(
            component_id=cluster_id_for(min_id),
            reason=_REASONS[code],
            cluster_ids=tuple(sorted(t_ids[ts:te])),
            n_records=size,
            n_edges_cut=count,
            max_probability=prob,
            record_ids=(ra, rb),
        )
        for min_id, code, size, count, prob, ra, rb, ts, te in rows
    ]
    splits.sort(key=lambda s: (s.component_id, SPLIT_REASONS.index(s.reason)))
    return splits


__all__ = [
    "CANNOT_LINK",
    "SPLIT_REASONS",
    "ClusterSplit",
    "Clusterer",
    "Clustering",
    "cluster_pairs",
]
