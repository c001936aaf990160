"""Notebook displays and the labelled evaluation of a resolution.

* :class:`Evaluation` — what ``Resolution.evaluate(truth)`` returns: pairwise metrics at the
  resolution's threshold and at every threshold, cluster metrics, B-cubed, over-merges/splits
  and blocking recall, with ``str()``, ``to_dict()``, an HTML table and
  :meth:`Evaluation.plot` (precision / recall / F1 by threshold).
* :class:`ClusterView` — what ``Resolution.cluster_view(key)`` returns: the members of one
  cluster side by side, differing cells highlighted, and the golden record with each value's
  lineage (source record id and the rule that chose it).
* :func:`resolution_html` — the summary behind ``Resolution._repr_html_``.

The profile (:class:`crmresolve.profile.Profile`), pair explanations
(:class:`crmresolve.score.Explanation`) and blocking diagnostics have their own ``_repr_html_``.

**Privacy.** These displays are meant for the analyst's own notebook. The cluster view shows
raw record values (pass ``show_values=False`` to mask them as ``rob***``); the summary and the
evaluation show counts, scores and record ids only. Do not paste cluster views into tickets or
shared reports. Every value is HTML-escaped, so a value such as ``<script>`` is shown, never
run.

>>> from crmresolve.pipeline import dedupe
>>> records = [
...     {"id": "1", "name": "Bob Smith", "email": "BOB@example.org"},
...     {"id": "2", "name": "Robert Smith", "email": "bob@example.org"},
...     {"id": "3", "name": "Alice Jones", "email": "alice@example.net"},
... ]
>>> res = dedupe(records, id_column="id", fields={"full_name": ["name"], "email": ["email"]})
>>> report = res.evaluate({"1": "p1", "2": "p1", "3": "p2"})
>>> report.mode, report.n_labelled, report.blocking.true_pairs
('entities', 3, 1)
>>> [row.source_record_id for row in res.cluster_view("1").lineage if row.column == "email"]
['1']
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from crmresolve.evaluate import (
    BCubed,
    BestThreshold,
    BlockingRecall,
    ClusterErrors,
    Metrics,
    ThresholdCurve,
    bcubed,
    blocking_recall,
    cluster_errors,
    cluster_pairwise_metrics,
    metrics_by_threshold,
    pairwise_metrics,
)
from crmresolve.score._explain import mask_value
from crmresolve.survive import ALL_SUFFIX, LineageRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from crmresolve.pipeline import Resolution

__all__ = [
    "ClusterView",
    "Evaluation",
    "cluster_view",
    "evaluate_resolution",
    "resolution_html",
]

ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]

_STYLE = (
    "<style>"
    ".crm-t{border-collapse:collapse;font-size:12px}"
    ".crm-t th,.crm-t td{border:1px solid #dee2e6;padding:2px 6px;text-align:left}"
    ".crm-t td.crm-diff{background:#fff3bf}"
    ".crm-t td.crm-src{font-weight:bold;background:#d3f9d8}"
    ".crm-t td.crm-miss{color:#adb5bd}"
    ".crm-t tr.crm-conflict th{color:#c92a2a}"
    "</style>"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain HTML table; every cell is escaped here."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='crm-t'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _f(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.4f}" if math.isfinite(x) else str(x)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Labelled evaluation of one :class:`~crmresolve.pipeline.Resolution`.

    ``mode`` is ``"entities"`` (an entity id per record) or ``"pairs"`` (labelled record
    pairs). ``pairs`` scores the candidate pairs with ``match_probability >= threshold``;
    ``curve`` the same at every distinct probability (``best`` is its highest F1);
    ``clusters`` the pairs implied by the clusters (what the golden records are built from).
    ``bcubed``, ``errors`` (over-merged clusters / split entities) and ``blocking`` (share of
    true pairs that blocking produced) need entity labels and are ``None`` in pair mode.
    In pair mode every count is over the labelled pairs only; a labelled pair that blocking did
    not produce is never predicted a match. Zero denominators count as 1.0
    (see :mod:`crmresolve.evaluate`). For a linkage (:func:`crmresolve.pipeline.link`) the
    pair, curve, cluster and blocking metrics count cross-source pairs only; B-cubed and
    ``errors`` still see duplicates within one source as split entities.
    """

    mode: str
    threshold: float
    pairs: Metrics
    curve: ThresholdCurve
    best: BestThreshold
    clusters: Metrics
    n_labelled: int
    bcubed: BCubed | None = None
    errors: ClusterErrors | None = None
    blocking: BlockingRecall | None = None

    def __repr__(self) -> str:
        return (
            f"Evaluation(mode={self.mode!r}, threshold={self.threshold:g}, "
            f"pairs_f1={self.pairs.f1:.4f}, best_threshold={self.best.threshold:.4g}, "
            f"best_f1={self.best.metrics.f1:.4f}, clusters_f1={self.clusters.f1:.4f})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the threshold curve excluded: see ``curve.to_dict()``)."""
        return {
            "mode": self.mode,
            "threshold": self.threshold,
            "n_labelled": self.n_labelled,
            "pairs": self.pairs.to_dict(),
            "best": self.best.to_dict(),
            "clusters": self.clusters.to_dict(),
            "bcubed": None if self.bcubed is None else self.bcubed.to_dict(),
            "errors": None if self.errors is None else self.errors.to_dict(),
            "blocking": None if self.blocking is None else self.blocking.to_dict(),
        }

    def _rows(self) -> list[list[str]]:
        def m(name: str, x: Metrics) -> list[str]:
            return [name, _f(x.precision), _f(x.recall), _f(x.f1), str(x.tp), str(x.fp), str(x.fn)]

        rows = [
            m(f"pairs, p >= {self.threshold:.3g}", self.pairs),
            m(f"pairs, best threshold {self.best.threshold:.3g}", self.best.metrics),
            m("clusters (pairs within clusters)", self.clusters),
        ]
        if self.bcubed is not None:
            b = self.bcubed
            rows.append(["B-cubed", _f(b.precision), _f(b.recall), _f(b.f1), "", "", ""])
        return rows

    def _notes(self) -> list[str]:
        what = "records with an entity label" if self.mode == "entities" else "labelled pairs"
        notes = [f"{self.n_labelled:,} {what}"]
        if self.blocking is not None:
            b = self.blocking
            notes.append(
                f"blocking recall {b.recall:.4f} ({b.true_pairs_found:,} of {b.true_pairs:,} true "
                f"pairs in {b.candidate_pairs:,} candidate pairs)"
            )
        if self.errors is not None:
            e = self.errors
            notes.append(
                f"{e.over_merged_clusters:,} over-merged clusters, {e.split_entities:,} split "
                f"entities ({e.n_clusters:,} clusters for {e.n_entities:,} entities)"
            )
        return notes

    _HEADER = ("metric", "precision", "recall", "F1", "tp", "fp", "fn")

    def __str__(self) -> str:
        rows = [list(self._HEADER), *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEADER))]
        lines = [
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([*lines, *self._notes()])

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{_e(n)}</li>" for n in self._notes())
        return (
            f"{_STYLE}<div><p><b>crmresolve evaluation</b> ({_e(self.mode)})</p>"
            f"{_table(self._HEADER, self._rows())}<ul>{notes}</ul></div>"
        )

    def plot(self, **kwargs: Any) -> Figure:
        """Precision / recall / F1 by threshold (:func:`crmresolve.plot.threshold_chart`)."""
        from crmresolve.plot import threshold_chart

        return threshold_chart(self, **kwargs)


def _is_labelled_pairs(truth: Any) -> bool:
    if isinstance(truth, (str, Mapping, np.ndarray)):
        return False
    try:
        first = next(iter(truth))
    except (TypeError, StopIteration):
        return False
    return isinstance(first, (tuple, list)) and len(first) == 3


def _missing(v: Any) -> bool:
    return v is None or v == "" or (isinstance(v, float) and math.isnan(v))


def _entity_labels(res: Resolution, truth: Any) -> tuple[ObjArray, int]:
    """One entity label per record; an unlabelled record is its own entity."""
    ids = res.table.ids.tolist()
    if isinstance(truth, str):
        if truth not in res.table.columns:
            raise KeyError(f"truth column {truth!r} is not in the table")
        values = res.table.columns[truth].tolist()
    elif isinstance(truth, Mapping):
        values = [truth.get(i) for i in ids]
    else:
        values = list(np.asarray(truth, dtype=object).reshape(-1).tolist())
        if len(values) != len(ids):
            raise ValueError(f"truth has {len(values)} labels for {len(ids)} records")
    out = np.empty(len(values), dtype=object)
    labelled = 0
    for k, v in enumerate(values):
        if _missing(v):
            out[k] = f"\x00unlabelled:{k}"
        else:
            out[k] = str(v)
            labelled += 1
    return out, labelled


def _pair_curve(prob: FloatArray, label: npt.NDArray[np.bool_]) -> ThresholdCurve:
    """Metrics over labelled pairs at each distinct finite probability (ascending)."""
    ts = np.unique(prob[np.isfinite(prob)])
    order = np.argsort(prob, kind="stable")
    p_sorted, l_sorted = prob[order], label[order]
    suffix = np.zeros(p_sorted.size + 1, dtype=np.int64)
    suffix[:-1] = np.cumsum(l_sorted[::-1].astype(np.int64))[::-1]
    start = np.searchsorted(p_sorted, ts, side="left")
    predicted = p_sorted.size - start
    tp = suffix[start]
    fp = predicted - tp
    fn = int(label.sum()) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), 1.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 1.0)
        den = 2 * tp + fp + fn
        f1 = np.where(den > 0, 2 * tp / np.maximum(den, 1), 1.0)
    return ThresholdCurve(
        thresholds=ts,
        precision=precision.astype(np.float64),
        recall=recall.astype(np.float64),
        f1=f1.astype(np.float64),
        tp=tp.astype(np.int64),
        fp=fp.astype(np.int64),
        fn=np.asarray(fn, dtype=np.int64),
    )


def _evaluate_pairs(
    res: Resolution, truth: Sequence[Sequence[Any]], threshold: float
) -> Evaluation:
    lft, rgt, lab = [], [], []
    for a, b, is_match in truth:
        lft.append(res.position(str(a)))
        rgt.append(res.position(str(b)))
        lab.append(bool(is_match))
    n = res.n_records
    left = np.asarray(lft, dtype=np.int64)
    right = np.asarray(rgt, dtype=np.int64)
    label = np.asarray(lab, dtype=bool)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    # Candidate-pair probability per labelled pair; pairs blocking never made get -inf.
    p = res.pairs
    key = np.minimum(p.left, p.right) * np.int64(max(n, 1)) + np.maximum(p.left, p.right)
    order = np.argsort(key, kind="stable")
    key_sorted, prob_sorted = key[order], p.match_probability[order]
    want = lo * np.int64(max(n, 1)) + hi
    at = np.searchsorted(key_sorted, want)
    found = (at < key_sorted.size) & (key_sorted[np.minimum(at, key_sorted.size - 1)] == want)
    prob = np.full(want.size, -np.inf)
    prob[found] = prob_sorted[at[found]]
    curve = _pair_curve(prob, label)
    predicted = prob >= threshold
    pairs = Metrics.from_counts(
        int((predicted & label).sum()),
        int((predicted & ~label).sum()),
        int((~predicted & label).sum()),
    )
    same = res.clustering.labels[left] == res.clustering.labels[right]
    clusters = Metrics.from_counts(
        int((same & label).sum()), int((same & ~label).sum()), int((~same & label).sum())
    )
    best = curve.best() if len(curve) else BestThreshold(float("inf"), pairs)
    return Evaluation("pairs", threshold, pairs, curve, best, clusters, int(label.size))


def evaluate_resolution(
    res: Resolution, truth: Any, *, threshold: float | None = None
) -> Evaluation:
    """Evaluate ``res`` against labels; see :meth:`crmresolve.pipeline.Resolution.evaluate`."""
    t = res.threshold if threshold is None else float(threshold)
    if _is_labelled_pairs(truth):
        return _evaluate_pairs(res, list(truth), t)
    entity, labelled = _entity_labels(res, truth)
    src = res.link_sources
    p = res.pairs
    keep = p.match_probability >= t
    curve = metrics_by_threshold(p.left, p.right, p.match_probability, entity, link_sources=src)
    best = (
        curve.best()
        if len(curve)
        else BestThreshold(float("inf"), pairwise_metrics([], [], entity, link_sources=src))
    )
    return Evaluation(
        mode="entities",
        threshold=t,
        pairs=pairwise_metrics(p.left[keep], p.right[keep], entity, link_sources=src),
        curve=curve,
        best=best,
        clusters=cluster_pairwise_metrics(res.clustering.labels, entity, link_sources=src),
        n_labelled=labelled,
        bcubed=bcubed(res.clustering.labels, entity),
        errors=cluster_errors(res.clustering.labels, entity),
        blocking=blocking_recall(p.left, p.right, entity, link_sources=src),
    )


# --------------------------------------------------------------------------- cluster view


def _same(a: str | None, b: str | None) -> bool:
    """Values equal up to case and spacing (what the eye would call the same)."""
    if a is None or b is None:
        return a is b
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@dataclass(frozen=True)
class ClusterView:
    """One cluster: members side by side and its golden record with lineage.

    ``values[column]`` holds each member's raw value (``None`` = missing) in ``record_ids``
    order; ``golden`` the golden value per column; ``lineage`` the golden values' lineage
    rows (source record id and rule). A row *differs* when its non-missing member values are
    not all equal (ignoring case and spacing); in HTML those cells are highlighted and the cell
    the golden value came from is bold. ``show_values=False`` masks values (``rob***``).
    """

    cluster_id: str
    record_ids: list[str]
    columns: list[str]
    values: dict[str, list[str | None]]
    golden: dict[str, str | None]
    lineage: list[LineageRow]
    confidence: float
    show_values: bool = True

    def __repr__(self) -> str:
        # No values here: the repr ends up in logs and notebook text outputs.
        return (
            f"ClusterView({self.cluster_id!r}, {len(self.record_ids)} records, "
            f"{len(self.columns)} columns, differing={self.differing()!r})"
        )

    def differing(self) -> list[str]:
        """Columns whose non-missing member values disagree."""
        out = []
        for c in self.columns:
            present = [v for v in self.values[c] if v is not None]
            if any(not _same(present[0], v) for v in present[1:]):
                out.append(c)
        return out

    def _lineage_of(self) -> dict[str, LineageRow]:
        return {r.column: r for r in self.lineage}

    def _shown(self, v: str | None) -> str:
        if v is None:
            return "∅"
        return v if self.show_values else mask_value(v)

    def __str__(self) -> str:
        lin = self._lineage_of()
        diff = set(self.differing())
        header = ["column", *self.record_ids, "golden", "from", "rule"]
        rows = []
        for c in self.columns:
            r = lin.get(c)
            rows.append(
                [
                    ("* " if c in diff else "  ") + c,
                    *(self._shown(v) for v in self.values[c]),
                    self._shown(self.golden.get(c)),
                    r.source_record_id if r else "",
                    r.rule if r else "",
                ]
            )
        widths = [max(len(x[i]) for x in [header, *rows]) for i in range(len(header))]
        lines = [
            f"cluster {self.cluster_id}: {len(self.record_ids)} records, "
            f"confidence {self.confidence:.4f} (* = members differ)"
        ]
        lines += [
            "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        lin = self._lineage_of()
        diff = set(self.differing())
        head = "".join(f"<th>{_e(h)}</th>" for h in ["column", *self.record_ids])
        head += "<th>golden</th><th>source record</th><th>rule</th>"
        body = []
        for c in self.columns:
            r = lin.get(c)
            gold = self.golden.get(c)
            cells = []
            for rid, v in zip(self.record_ids, self.values[c], strict=True):
                cls = []
                if v is None:
                    cls.append("crm-miss")
                elif r is not None and rid == r.source_record_id:
                    cls.append("crm-src")
                elif c in diff and not _same(v, gold):
                    cls.append("crm-diff")
                attr = f" class='{' '.join(cls)}'" if cls else ""
                cells.append(f"<td{attr}>{_e(self._shown(v))}</td>")
            row_cls = " class='crm-conflict'" if c in diff else ""
            title = f" title='{_e(f'{r.n_alternatives} other distinct value(s)')}'" if r else ""
            body.append(
                f"<tr{row_cls}><th>{_e(c)}</th>{''.join(cells)}"
                f"<td{title}><b>{_e(self._shown(gold)) if gold is not None else ''}</b></td>"
                f"<td>{_e(r.source_record_id) if r else ''}</td>"
                f"<td>{_e(r.rule) if r else ''}</td></tr>"
            )
        caption = (
            f"cluster {self.cluster_id}: {len(self.record_ids)} records, confidence "
            f"{self.confidence:.4f}; differing values highlighted, golden value's source in bold"
        )
        return (
            f"{_STYLE}<table class='crm-t'><caption>{_e(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def cluster_view(
    res: Resolution,
    key: str,
    *,
    columns: Sequence[str] | None = None,
    show_values: bool = True,
) -> ClusterView:
    """The :class:`ClusterView` of a cluster id, or of the cluster holding record id ``key``."""
    clustering = res.clustering
    hits = np.flatnonzero(clustering.cluster_ids == key)
    c = int(hits[0]) if hits.size else int(clustering.labels[res.position(str(key))])
    cid = str(clustering.cluster_ids[c])
    positions = np.flatnonzero(clustering.labels == c)
    ids = [str(x) for x in res.table.ids[positions].tolist()]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    positions = positions[order]
    ids = [ids[i] for i in order]
    cols = list(columns) if columns is not None else list(res.table.column_names)
    for name in cols:
        if name not in res.table.columns:
            raise KeyError(f"column {name!r} is not in the table")
    values = {}
    for name in cols:
        raw = res.table.columns[name][positions].tolist()
        values[name] = [None if _missing(v) else str(v) for v in raw]
    golden: dict[str, str | None] = {}
    lineage: list[LineageRow] = []
    if res.golden is not None:
        record = res.golden.record(cid)
        golden = {
            n: (None if _missing(record.get(n)) else str(record.get(n)))
            for n in cols
            if not n.endswith(ALL_SUFFIX)
        }
        lineage = [r for r in res.golden.lineage.for_cluster(cid) if r.column in set(cols)]
    return ClusterView(
        cluster_id=cid,
        record_ids=ids,
        columns=cols,
        values=values,
        golden=golden,
        lineage=lineage,
        confidence=float(clustering.confidence[c]),
        show_values=show_values,
    )


# --------------------------------------------------------------------------- resolution


def _summary_rows(res: Resolution) -> list[list[str]]:
    sizes = np.asarray(res.clustering.sizes)
    p = res.pairs
    above = int(np.count_nonzero(p.match_probability >= res.threshold))
    rows = [
        ["records", f"{res.n_records:,}"],
        ["clusters", f"{res.n_clusters:,}"],
        ["clusters with 2+ records", f"{int(np.count_nonzero(sizes > 1)):,}"],
        ["records in clusters of 2+", f"{int(sizes[sizes > 1].sum()):,}"],
        ["largest cluster", f"{int(sizes.max()) if sizes.size else 0:,}"],
        ["candidate pairs", f"{len(p):,}"],
        [f"pairs with p >= {res.threshold:g}", f"{above:,}"],
        ["clusters split on conflicts", f"{len(res.clustering.splits):,}"],
        ["comparisons", ", ".join(p.comparison_names)],
        ["blocking rules", "; ".join(r.name for r in res.blocking_rules)],
    ]
    if res.golden is not None:
        rows.append(["golden records", f"{len(res.golden):,}"])
    if res.link_sources is not None:
        rows.append(["mode", "link (pairs across sources only)"])
    return rows


def resolution_html(res: Resolution) -> str:
    """HTML summary of a resolution: counts and settings only, no record values."""
    return (
        f"{_STYLE}<div><p><b>crmresolve resolution</b></p>"
        f"{_table(['', 'value'], _summary_rows(res))}"
        "<p>Next: <code>.evaluate(truth)</code>, <code>.cluster_view(record_id)</code>, "
        "<code>.explain(a, b)</code>, <code>crmresolve.plot</code>.</p></div>"
    )
