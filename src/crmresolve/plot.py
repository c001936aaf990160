"""Charts for judging a resolution (needs the ``plot`` extra: ``pip install "crmresolve[plot]"``).

Every function returns a :class:`matplotlib.figure.Figure` made without :mod:`matplotlib.pyplot`
(no global figure state, nothing shown twice in a notebook); save it with ``fig.savefig(...)``.
In Jupyter run ``%matplotlib inline`` once so a returned figure displays as the cell's output.
Pass ``ax=`` to draw into an existing axes instead (its figure is returned). matplotlib is
imported when a chart is drawn, never at ``import crmresolve``.

==========================  ===============================================================
chart                       input
==========================  ===============================================================
:func:`waterfall`           an :class:`~crmresolve.score.Explanation` (``Resolution.explain``)
:func:`threshold_chart`     an :class:`~crmresolve.evaluate.ThresholdCurve` or an evaluation
:func:`probability_histogram`  a :class:`~crmresolve.pipeline.Resolution`, its pairs, or scores
:func:`m_u_chart`           a fitted model or its ``m_u_table()`` rows
:func:`blocking_chart`      :class:`~crmresolve.block.BlockingDiagnostics` (``block.diagnose``)
:func:`cluster_size_chart`  a Resolution, a :class:`~crmresolve.cluster.Clustering` or sizes
==========================  ===============================================================

Charts show counts, scores and comparison names only, never record values.

>>> from crmresolve.evaluate import metrics_by_threshold
>>> curve = metrics_by_threshold([0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2])
>>> fig = threshold_chart(curve)
>>> fig.axes[0].get_xlabel()
'match probability threshold'
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "blocking_chart",
    "cluster_size_chart",
    "m_u_chart",
    "probability_histogram",
    "threshold_chart",
    "waterfall",
]

#: Colours: agreement evidence, disagreement evidence, totals; precision, recall, F1.
POSITIVE, NEGATIVE, TOTAL = "#2b8a3e", "#c92a2a", "#495057"
PRECISION, RECALL, F1 = "#1c7ed6", "#e8590c", "#2f9e44"


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The axes to draw on: ``ax`` or a fresh one-axes figure (no pyplot)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'crmresolve.plot needs matplotlib: pip install "crmresolve[plot]"'
        ) from exc
    if ax is not None:
        fig = ax.get_figure()
        assert fig is not None
        return fig, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


# --------------------------------------------------------------------------- waterfall


def waterfall(explanation: Any, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Waterfall of one pair's match weight: the prior, then each comparison's contribution.

    ``explanation`` is an :class:`~crmresolve.score.Explanation` (``Resolution.explain(a, b)``,
    ``model.explain(...)``). Bars start where the previous one ended; green adds evidence for a
    match, red against; the last bar is the total match weight (log2 Bayes factor), annotated
    with the match probability. Values are not drawn, only comparison names and levels.
    """
    labels = ["prior"]
    steps = [float(explanation.prior_weight)]
    for row in explanation.rows:
        level = "\n".join(textwrap.wrap(str(row.level), 24)) or str(row.level)
        labels.append(f"{row.comparison}\n{level}")
        steps.append(float(row.weight))
    if explanation.related_weight is not None:
        labels.append("related entity")
        steps.append(float(explanation.related_weight))
    total = float(explanation.weight)
    n = len(steps)
    fig, axes = _axes(ax, (max(6.0, 0.9 * (n + 1)), 4.5))
    ends = np.cumsum(np.asarray(steps, dtype=np.float64))
    starts = ends - np.asarray(steps, dtype=np.float64)
    x = np.arange(n + 1)
    colours = [POSITIVE if s >= 0 else NEGATIVE for s in steps] + [TOTAL]
    heights = [*steps, total]
    bottoms = [*starts.tolist(), 0.0]
    axes.bar(x, heights, bottom=bottoms, color=colours, edgecolor="white")
    for xi, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
        axes.annotate(
            f"{h:+.2f}",
            (xi, b + h),
            ha="center",
            va="bottom" if h >= 0 else "top",
            fontsize=8,
        )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.use_sticky_edges = False  # bars start mid-air: let the margin apply at both ends
    axes.margins(y=0.12)
    axes.set_xticks(x, [*labels, "match weight"], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("match weight (log2 Bayes factor)")
    axes.set_title(title or f"match weight {total:+.2f}, probability {explanation.probability:.4f}")
    return fig


# --------------------------------------------------------------------------- threshold


def threshold_chart(
    curve: Any,
    *,
    ax: Axes | None = None,
    threshold: float | None = None,
    title: str | None = None,
    xscale: str = "linear",
) -> Figure:
    """Precision, recall and F1 against the match probability threshold.

    ``curve`` is a :class:`~crmresolve.evaluate.ThresholdCurve` (``metrics_by_threshold``) or
    anything with a ``curve`` attribute holding one (``Resolution.evaluate(truth)``). The best
    F1 is marked; ``threshold`` (default: the evaluation's own, if any) is drawn as a dashed line.
    ``xscale="logit"`` spreads out the ends near 0 and 1, where most thresholds usually lie.
    """
    if threshold is None:
        threshold = getattr(curve, "threshold", None)
    curve = getattr(curve, "curve", curve)
    fig, axes = _axes(ax, (7.0, 4.5))
    t = np.asarray(curve.thresholds, dtype=np.float64)
    axes.plot(t, curve.precision, color=PRECISION, label="precision", drawstyle="steps-post")
    axes.plot(t, curve.recall, color=RECALL, label="recall", drawstyle="steps-post")
    axes.plot(t, curve.f1, color=F1, label="F1", drawstyle="steps-post", linewidth=2)
    if len(curve):
        best = curve.best()
        axes.plot(
            [best.threshold],
            [best.metrics.f1],
            marker="o",
            color=F1,
            linestyle="none",
            label=f"best F1 {best.metrics.f1:.4f} at {best.threshold:.3g}",
        )
    if threshold is not None and np.isfinite(threshold):
        axes.axvline(
            float(threshold),
            color=TOTAL,
            linestyle="--",
            linewidth=1,
            label=f"threshold {threshold:.3g}",
        )
    if xscale == "linear":
        axes.set_xlim(0.0, 1.0)
    else:
        axes.set_xscale(xscale)
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel("match probability threshold")
    axes.set_ylabel("score")
    axes.set_title(title or "precision / recall / F1 by threshold")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower left" if xscale == "linear" else "best", fontsize=8)
    return fig


# --------------------------------------------------------------------------- histogram


def _probabilities(scores: Any) -> tuple[npt.NDArray[np.float64], float | None]:
    threshold = getattr(scores, "threshold", None)
    pairs = getattr(scores, "pairs", scores)
    values = getattr(pairs, "match_probability", pairs)
    return np.asarray(values, dtype=np.float64).reshape(-1), threshold


def probability_histogram(
    scores: Any,
    *,
    bins: int = 50,
    log: bool = True,
    threshold: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Histogram of candidate-pair match probabilities.

    ``scores`` is a :class:`~crmresolve.pipeline.Resolution` (its threshold is drawn too), its
    ``pairs`` (:class:`~crmresolve.pipeline.PairScores`) or an array of probabilities. A good
    model puts most pairs near 0 and 1; a hump in the middle is the review work. ``log`` uses a
    logarithmic count axis (the non-matches usually dwarf the matches).
    """
    values, own = _probabilities(scores)
    threshold = own if threshold is None else threshold
    fig, axes = _axes(ax, (7.0, 4.0))
    axes.hist(values, bins=np.linspace(0.0, 1.0, bins + 1).tolist(), color=PRECISION, log=log)
    if threshold is not None:
        axes.axvline(
            float(threshold),
            color=TOTAL,
            linestyle="--",
            linewidth=1,
            label=f"threshold {threshold:.3g}",
        )
        axes.legend(fontsize=8)
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("match probability")
    axes.set_ylabel("candidate pairs")
    axes.set_title(title or f"match probability of {values.size:,} candidate pairs")
    return fig


# --------------------------------------------------------------------------- m and u


def m_u_chart(model: Any, *, title: str | None = None) -> Figure:
    """m and u probability of every comparison level, side by side (two axes).

    ``model`` is a fitted :class:`~crmresolve.score.FellegiSunter` (or anything with
    ``m_u_table()``), a :class:`~crmresolve.pipeline.Resolution`, or the list of rows
    ``m_u_table()`` returns. Left: m, the chance of the level among true matches; right: u,
    among non-matches (log scale). Levels whose m/u ratio is > 1 add evidence for a match.
    """
    model = getattr(model, "model", model)
    rows: Sequence[Mapping[str, Any]] = (
        model.m_u_table() if hasattr(model, "m_u_table") else list(model)
    )
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'crmresolve.plot needs matplotlib: pip install "crmresolve[plot]"'
        ) from exc
    labels = [f"{r['comparison']}: {r['level']}" for r in rows]
    y = np.arange(len(rows))[::-1]
    fig = Figure(figsize=(10.0, max(3.0, 0.28 * len(rows) + 1.2)), layout="constrained")
    ax_m, ax_u = fig.subplots(1, 2, sharey=True)
    colour = [POSITIVE if r["bayes_factor"] >= 1 else NEGATIVE for r in rows]
    ax_m.barh(y, [r["m"] for r in rows], color=colour)
    ax_u.barh(y, [r["u"] for r in rows], color=colour)
    ax_m.set_yticks(y, labels, fontsize=8)
    ax_m.set_xlim(0.0, 1.0)
    ax_m.set_xlabel("m = P(level | match)")
    ax_u.set_xscale("log")
    ax_u.set_xlabel("u = P(level | non-match), log scale")
    ax_m.set_title("m probability")
    ax_u.set_title("u probability")
    # Separate comparisons with a faint line.
    names = [r["comparison"] for r in rows]
    for i in range(1, len(rows)):
        if names[i] != names[i - 1]:
            for a in (ax_m, ax_u):
                a.axhline(y[i] + 0.5, color="#adb5bd", linewidth=0.6)
    fig.suptitle(title or "m and u per comparison level")
    return fig


# --------------------------------------------------------------------------- blocking


def blocking_chart(diagnostics: Any, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Candidate pairs per blocking rule: all pairs a rule makes, and the new ones it adds.

    ``diagnostics`` is a :class:`~crmresolve.block.BlockingDiagnostics`
    (``crmresolve.block.diagnose`` or ``Resolution.blocking_diagnostics()``). With truth, the
    cumulative recall (pairs completeness) after each rule is written next to its bar.
    """
    rules = list(diagnostics.rules)
    fig, axes = _axes(ax, (8.0, max(2.5, 0.5 * len(rules) + 1.2)))
    y = np.arange(len(rules))[::-1]
    axes.barh(y, [r.pairs for r in rules], color="#a5d8ff", label="pairs of the rule")
    axes.barh(
        y,
        [r.new_pairs for r in rules],
        color=PRECISION,
        height=0.5,
        label="new pairs (no earlier rule)",
    )
    axes.set_yticks(y, [r.rule for r in rules], fontsize=8)
    for yi, r in zip(y, rules, strict=True):
        note = f" {r.pairs:,}"
        if r.cumulative_recall is not None:
            note += f"  (cum. recall {r.cumulative_recall:.3f})"
        axes.annotate(note, (r.pairs, yi), va="center", fontsize=8)
    axes.set_xlabel("candidate pairs")
    axes.set_xlim(0.0, max([r.pairs for r in rules], default=0) * 1.6 or 1.0)
    axes.legend(loc="lower right", fontsize=8)
    axes.set_title(
        title
        or f"{diagnostics.pairs:,} candidate pairs, "
        f"reduction ratio {diagnostics.reduction_ratio:.4f}"
    )
    return fig


# --------------------------------------------------------------------------- clusters


def _sizes(clusters: Any) -> npt.NDArray[np.int64]:
    clusters = getattr(clusters, "clustering", clusters)
    sizes = getattr(clusters, "sizes", clusters)
    return np.asarray(sizes, dtype=np.int64).reshape(-1)


def cluster_size_chart(
    clusters: Any, *, log: bool = True, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Number of clusters of each size (singletons included).

    ``clusters`` is a :class:`~crmresolve.pipeline.Resolution`, a
    :class:`~crmresolve.cluster.Clustering` or an array of cluster sizes. A long tail of big
    clusters usually means over-merging (a shared junk value, a household).
    """
    sizes = _sizes(clusters)
    fig, axes = _axes(ax, (7.0, 4.0))
    values, counts = np.unique(sizes, return_counts=True)
    axes.bar(values, counts, color=PRECISION, width=0.8)
    if log:
        axes.set_yscale("log")
    axes.set_xlabel("cluster size (records)")
    axes.set_ylabel("clusters")
    if values.size and values.max() <= 30:
        axes.set_xticks(values)
    largest = int(sizes.max()) if sizes.size else 0
    axes.set_title(
        title or f"{sizes.size:,} clusters of {int(sizes.sum()):,} records, largest {largest}"
    )
    return fig
