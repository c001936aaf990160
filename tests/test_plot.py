"""Charts: each returns a matplotlib Figure with the expected axes, labels and data."""

from __future__ import annotations

import csv
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from crmresolve import plot  # noqa: E402
from crmresolve.block import block_on, diagnose  # noqa: E402
from crmresolve.evaluate import metrics_by_threshold  # noqa: E402
from crmresolve.pipeline import Resolution, dedupe  # noqa: E402

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "contacts.csv"
TRUTH = ROOT / "examples" / "contacts_truth.csv"


@pytest.fixture(scope="module")
def res() -> Resolution:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dedupe(EXAMPLE, id_column="record_id")


@pytest.fixture(scope="module")
def truth() -> dict[str, str]:
    with TRUTH.open(newline="", encoding="utf-8") as fh:
        return {r["record_id"]: r["entity_id"] for r in csv.DictReader(fh)}


def _texts(fig: Figure) -> str:
    ax = fig.axes[0]
    return " ".join(t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels())


def test_plot_module_does_not_import_matplotlib_eagerly() -> None:
    import subprocess

    code = "import crmresolve.plot, crmresolve.display, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_waterfall_sums_to_the_match_weight(res: Resolution) -> None:
    a, b = res.table.ids[res.pairs.left[0]], res.table.ids[res.pairs.right[0]]
    exp = res.explain(a, b)
    fig = plot.waterfall(exp)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "match weight (log2 Bayes factor)"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "prior" and labels[-1] == "match weight"
    assert len(labels) == len(exp.rows) + 2 + (exp.related_weight is not None)
    bars = ax.patches
    # The last step bar ends where the total bar ends: the chart adds up.
    last = bars[len(labels) - 2]
    assert last.get_y() + last.get_height() == pytest.approx(exp.weight, abs=1e-9)
    assert bars[-1].get_height() == pytest.approx(exp.weight)
    # Only comparison names and levels are drawn, never record values.
    assert not any(str(r.left) in " ".join(labels) for r in exp.rows if r.left)


def test_threshold_chart_from_curve_and_evaluation(res: Resolution, truth: dict[str, str]) -> None:
    report = res.evaluate(truth)
    fig = plot.threshold_chart(report)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "match probability threshold"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:3] == ["precision", "recall", "F1"]
    assert any(lbl.startswith("best F1") for lbl in labels)
    assert any(lbl.startswith("threshold 0.5") for lbl in labels)
    f1 = ax.get_lines()[2].get_ydata()
    assert np.allclose(np.asarray(f1), report.curve.f1)
    # A bare ThresholdCurve works too, and report.plot() is the same chart.
    curve = metrics_by_threshold([0, 0, 2], [1, 2, 3], [0.9, 0.6, 0.3], [1, 1, 2, 2])
    assert isinstance(plot.threshold_chart(curve), Figure)
    assert report.plot().axes[0].get_xlabel() == "match probability threshold"
    assert report.plot(xscale="logit").axes[0].get_xscale() == "logit"


def test_probability_histogram(res: Resolution) -> None:
    fig = plot.probability_histogram(res, bins=20)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "match probability" and ax.get_ylabel() == "candidate pairs"
    assert len(ax.patches) == 20
    assert sum(p.get_height() for p in ax.patches) == len(res.pairs)
    assert ax.get_yscale() == "log"
    fig2 = plot.probability_histogram(np.array([0.1, 0.9, 0.95]), log=False, bins=10)
    assert sum(p.get_height() for p in fig2.axes[0].patches) == 3


def test_m_u_chart(res: Resolution) -> None:
    rows = res.model.m_u_table()
    for source in (res, res.model, rows):
        fig = plot.m_u_chart(source)
        ax_m, ax_u = fig.axes
        assert ax_m.get_xlabel().startswith("m = ") and ax_u.get_xlabel().startswith("u = ")
        assert ax_u.get_xscale() == "log"
        assert len(ax_m.patches) == len(rows) == len(ax_u.patches)
        assert f"{rows[0]['comparison']}: {rows[0]['level']}" in _texts(fig)


def test_blocking_chart(res: Resolution, truth: dict[str, str]) -> None:
    diag = res.blocking_diagnostics([truth[i] for i in res.table.ids.tolist()])
    fig = plot.blocking_chart(diag)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "candidate pairs"
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [r.rule for r in diag.rules]
    heights = sorted(p.get_width() for p in ax.patches[: len(diag.rules)])
    assert heights == sorted(r.pairs for r in diag.rules)
    assert "cum. recall" in " ".join(t.get_text() for t in ax.texts)
    # Without truth: no recall notes.
    f = {"surname": np.array(["a", "a", "b", "b"], dtype=object)}
    fig2 = plot.blocking_chart(diagnose(f, [block_on("surname")]))
    assert "recall" not in " ".join(t.get_text() for t in fig2.axes[0].texts)


def test_cluster_size_chart(res: Resolution) -> None:
    fig = plot.cluster_size_chart(res)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "cluster size (records)" and ax.get_ylabel() == "clusters"
    _, counts = np.unique(res.clustering.sizes, return_counts=True)
    assert sorted(p.get_height() for p in ax.patches) == sorted(counts.tolist())
    assert f"{res.n_clusters:,} clusters" in ax.get_title()
    fig2 = plot.cluster_size_chart([1, 1, 2, 5], log=False)
    assert [p.get_height() for p in fig2.axes[0].patches] == [2, 1, 1]


def test_charts_draw_into_a_given_axes_without_pyplot_state(res: Resolution) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = Figure()
    ax = fig.add_subplot()
    assert plot.cluster_size_chart(res, ax=ax) is fig
    plot.probability_histogram(res)
    assert plt.get_fignums() == before  # nothing left open in pyplot
