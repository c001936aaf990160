"""Notebook displays and Resolution.evaluate: escaping, lineage, metrics against the library's."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from crmresolve import evaluate as ev
from crmresolve.display import ClusterView, Evaluation
from crmresolve.pipeline import Resolution, Resolver, dedupe

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "contacts.csv"
TRUTH = ROOT / "examples" / "contacts_truth.csv"

EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def res() -> Resolution:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dedupe(EXAMPLE, id_column="record_id")


@pytest.fixture(scope="module")
def truth() -> dict[str, str]:
    with TRUTH.open(newline="", encoding="utf-8") as fh:
        return {r["record_id"]: r["entity_id"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def evil() -> Resolution:
    """A cluster whose values (and one record id) are HTML."""
    rows = [
        {"id": "<b>1</b>", "name": "Bob Smith", "email": "bob@example.org", "note": EVIL},
        {"id": "2", "name": "Robert Smith", "email": "bob@example.org", "note": "a & b"},
        {"id": "3", "name": "Alice Jones", "email": "alice@example.net", "note": None},
        {"id": "4", "name": "Alice Jonas", "email": "alice@example.net", "note": None},
        {"id": "5", "name": "Carl Weber", "email": "carl@example.com", "note": None},
    ]
    fields = {"full_name": ["name"], "email": ["email"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Resolver(fields, id_column="id").resolve(rows, must_link=[("<b>1</b>", "2")])


# --------------------------------------------------------------------------- evaluation


def test_evaluate_entity_truth_matches_the_metric_functions(
    res: Resolution, truth: dict[str, str]
) -> None:
    report = res.evaluate(truth)
    assert isinstance(report, Evaluation) and report.mode == "entities"
    ent = np.array([truth[i] for i in res.table.ids.tolist()], dtype=object)
    p = res.pairs.above(res.threshold)
    assert report.pairs == ev.pairwise_metrics(p.left, p.right, ent)
    assert report.clusters == ev.cluster_pairwise_metrics(res.clustering.labels, ent)
    assert report.bcubed == ev.bcubed(res.clustering.labels, ent)
    assert report.blocking == ev.blocking_recall(res.pairs.left, res.pairs.right, ent)
    assert report.best == ev.best_threshold(
        res.pairs.left, res.pairs.right, res.pairs.match_probability, ent
    )
    assert report.n_labelled == res.n_records
    assert 0.9 < report.clusters.f1 <= 1.0
    # The same truth as an array or as a table column gives the same report.
    assert res.evaluate(ent).to_dict() == report.to_dict()
    assert res.evaluate(truth, threshold=0.9).threshold == 0.9


def test_evaluate_column_and_unlabelled_records() -> None:
    rows = [
        {"id": "1", "name": "Bob Smith", "email": "bob@example.org", "ent": "a"},
        {"id": "2", "name": "Bob Smith", "email": "bob@example.org", "ent": "a"},
        {"id": "3", "name": "Ann Lee", "email": "ann@example.org", "ent": ""},
        {"id": "4", "name": "Ann Lee", "email": "ann@example.org", "ent": None},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = dedupe(rows, id_column="id", fields={"full_name": ["name"], "email": ["email"]})
    report = r.evaluate("ent")
    assert report.n_labelled == 2
    # 3 and 4 are unlabelled: each its own entity, not one entity "missing".
    assert report.blocking is not None and report.blocking.true_pairs == 1
    with pytest.raises(KeyError):
        r.evaluate("no_such_column")
    with pytest.raises(ValueError):
        r.evaluate(["a", "a"])


def test_evaluate_labelled_pairs(res: Resolution, truth: dict[str, str]) -> None:
    ids = res.table.ids.tolist()
    pos = res.pairs.match_probability >= res.threshold
    k_match = int(np.flatnonzero(pos)[0])
    a, b = ids[res.pairs.left[k_match]], ids[res.pairs.right[k_match]]
    labelled = [(a, b, truth[a] == truth[b]), (ids[0], ids[1], truth[ids[0]] == truth[ids[1]])]
    report = res.evaluate(labelled)
    assert report.mode == "pairs" and report.n_labelled == 2
    assert report.bcubed is None and report.errors is None and report.blocking is None
    m = report.pairs
    assert m.tp + m.fp + m.fn <= 2
    # Order of the two records does not matter.
    flipped = res.evaluate([(b, a, x) for a, b, x in labelled])
    assert flipped.to_dict() == report.to_dict()
    assert "labelled pairs" in str(report)


def test_evaluation_text_and_html(res: Resolution, truth: dict[str, str]) -> None:
    report = res.evaluate(truth)
    text = str(report)
    assert "pairs, p >= 0.5" in text and "B-cubed" in text and "blocking recall" in text
    page = report._repr_html_()
    assert "<table" in page and "B-cubed" in page and "p &gt;= 0.5" in page
    d = report.to_dict()
    assert set(d) >= {"pairs", "best", "clusters", "bcubed", "errors", "blocking"}


# --------------------------------------------------------------------------- cluster view


def test_cluster_view_escapes_every_value(evil: Resolution) -> None:
    view = evil.cluster_view("2")
    assert isinstance(view, ClusterView)
    assert view.record_ids == ["2", "<b>1</b>"] or view.record_ids == ["<b>1</b>", "2"]
    page = view._repr_html_()
    assert "<script>" not in page and "<b>1</b>" not in page
    assert html_escaped(EVIL) in page
    assert "a &amp; b" in page
    assert "&lt;b&gt;1&lt;/b&gt;" in page


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_cluster_view_shows_lineage_and_differences(evil: Resolution) -> None:
    view = evil.cluster_view("<b>1</b>")
    assert evil.golden is not None
    rows = {r.column: r for r in view.lineage}
    expected = {r.column: r for r in evil.golden.lineage.for_cluster(view.cluster_id)}
    assert rows == expected
    # note differs between the members; email does not (case/space-insensitive).
    assert "note" in view.differing() and "email" not in view.differing()
    page = view._repr_html_()
    for r in view.lineage:
        assert html_escaped(r.rule) in page and html_escaped(r.source_record_id) in page
    assert "crm-src" in page and "crm-conflict" in page
    text = str(view)
    assert "* note" in text and rows["name"].rule in text
    # Looked up by cluster id too.
    assert evil.cluster_view(view.cluster_id).record_ids == view.record_ids


def test_cluster_view_masks_values_on_request(evil: Resolution) -> None:
    view = evil.cluster_view("2", columns=["name", "email"], show_values=False)
    page = view._repr_html_() + str(view)
    assert "Robert Smith" not in page and "bob@example.org" not in page
    assert "***" in page
    assert view.columns == ["name", "email"]
    with pytest.raises(KeyError):
        evil.cluster_view("2", columns=["nope"])
    with pytest.raises(KeyError):
        evil.cluster_view("no such record")


def test_singleton_cluster_view(evil: Resolution) -> None:
    view = evil.cluster_view("5")
    assert view.record_ids == ["5"] and view.differing() == []
    assert {r.rule for r in view.lineage} == {"single_record"}


# --------------------------------------------------------------------------- summary


def test_resolution_html_summary_has_counts_not_values(evil: Resolution) -> None:
    page = evil._repr_html_()
    assert f"<td>{evil.n_records:,}</td>" in page
    assert "candidate pairs" in page and "clusters" in page
    assert "Bob" not in page and "example.org" not in page
    assert "<script>" not in page


def test_existing_displays_escape(evil: Resolution) -> None:
    # Explanations and blocking diagnostics have their own HTML; check they escape values.
    exp = evil.explain("<b>1</b>", "2", show_values=True)
    assert "<b>1</b>" not in exp._repr_html_()
    assert "<table>" in evil.blocking_diagnostics()._repr_html_()
