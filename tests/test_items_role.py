"""The ``items`` role: list cells parsed into item sets and compared by shared items."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmresolve.compare.levels as levels_module
from crmresolve.block import default_rules
from crmresolve.cli import main
from crmresolve.compare import Comparison, FeatureCache, PairBatch, default_comparisons
from crmresolve.compare.levels import ItemsSharedAtLeast, level_from_dict
from crmresolve.compare.library import items_comparison
from crmresolve.features import build_features, parse_items
from crmresolve.pipeline import Resolver
from crmresolve.roles import ITEM_SEPARATOR, ROLES, parse_field_specs
from crmresolve.table import Table

SEP = ITEM_SEPARATOR


def _obj(values: list[str | None]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _key(*items: str) -> str:
    """The canonical feature value of an item set."""
    return SEP.join(sorted(set(items)))


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("Hiroyuki Mizuno; Kiyoo Itoh", ("hiroyuki mizuno", "kiyoo itoh")),
        ("G05F; G11C", ("g05f", "g11c")),
        ("A61N**A61B", ("a61b", "a61n")),
        ("x|y", ("x", "y")),
        ("first\nsecond\r\nthird", ("first", "second", "third")),
        # case, accents, punctuation and spacing are folded, repeats kept once, order ignored
        ("  José  MÜLLER ; jose muller;Kiyoo-Itoh", ("jose muller", "kiyoo itoh")),
        # full-width separators and letters (NFKC)
        ("ＡＢＣ；ｄｅｆ", ("abc", "def")),
        # a comma is part of an item, never a separator (John Brent, Jr. stays one person)
        ("John Brent, Jr.; Yu Lai", ("john brent jr", "yu lai")),
        ("John Brent, Jr.", ("john brent jr",)),
        ("Golf, Tennis", ("golf tennis",)),
        # a lone asterisk is part of a value, only "**" separates
        ("* AKZO NOBEL N.V.** JDS UNIPHASE", ("akzo nobel n v", "jds uniphase")),
        # empty items are dropped; an empty list is no items
        (";; ; **|", ()),
        ("", ()),
        ("   ", ()),
        (None, ()),
        (float("nan"), ()),
    ],
)
def test_parse_items(cell: object, items: tuple[str, ...]) -> None:
    assert parse_items(cell) == items


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parsed_items_are_canonical(cell: str) -> None:
    items = parse_items(cell)
    assert list(items) == sorted(set(items))
    for item in items:
        # Nothing that could be mistaken for the feature's separator or column prefix.
        assert item and item == item.strip() and "  " not in item
        assert SEP not in item and ":" not in item and ";" not in item
    # Parsing the items joined by a separator gives them back: parsing is idempotent.
    assert parse_items("; ".join(items)) == items


def test_role_is_known_to_the_field_machinery() -> None:
    assert "items" in ROLES
    assert parse_field_specs(["items=coinventors,cpc"]) == {"items": ["coinventors", "cpc"]}


# ------------------------------------------------------------------------------ features


def test_features_single_column() -> None:
    t = Table.from_columns({"tags": ["B; a; A", "a;b", None, " ; ", "c"]})
    f = build_features(t, {"items": ["tags"]}, workers=1)
    col = f.columns["items"]
    assert col.dtype == object
    assert col.tolist() == [_key("a", "b"), _key("a", "b"), None, None, "c"]
    assert all(v is None or isinstance(v, str) for v in col)


def test_features_several_columns_are_kept_apart() -> None:
    t = Table.from_columns(
        {
            "coinventors": ["Kiyoo Itoh; H. Mizuno", None, "G05F", None],
            "cpc": ["G05F; G11C", "G05F", None, None],
        }
    )
    col = build_features(t, {"items": ["coinventors", "cpc"]}, workers=1).columns["items"]
    assert col.tolist() == [
        _key("0:h mizuno", "0:kiyoo itoh", "1:g05f", "1:g11c"),
        "1:g05f",
        "0:g05f",  # the same text in the other column: a different item
        None,
    ]
    c = items_comparison()
    # "G05F" as a co-inventor does not match "G05F" as a class code.
    assert c.compute({"items": col}, [1], [2]).tolist() == [0]


def test_features_are_a_function_of_the_record_alone() -> None:
    cells = ["John Brent, Jr.", "John Brent, Jr.; Yu Lai", "Acme, Inc.", "x; y, z"]
    whole = build_features(Table.from_columns({"c": cells}), {"items": ["c"]}, workers=1)
    for i, cell in enumerate(cells):
        alone = build_features(Table.from_columns({"c": [cell]}), {"items": ["c"]}, workers=1)
        assert alone.columns["items"][0] == whole.columns["items"][i]


# ------------------------------------------------------------------------------ levels

SETS = {
    "abc": _key("a", "b", "c"),
    "abcd": _key("a", "b", "c", "d"),
    "ab": _key("a", "b"),
    "bcx": _key("b", "c", "x"),
    "ax": _key("a", "x"),
    "xyz": _key("x", "y", "z"),
    "q": "q",
    "none": None,
}


def _gamma(left: list[str], right: list[str], comparison: Comparison | None = None) -> list[str]:
    names = list(SETS)
    feats = {"items": _obj([SETS[n] for n in names])}
    c = comparison or items_comparison()
    g = c.compute(feats, [names.index(n) for n in left], [names.index(n) for n in right])
    return [c.level_labels[x] if x >= 0 else "missing" for x in g.tolist()]


def test_levels_on_hand_made_pairs() -> None:
    pairs = [
        ("abc", "abc", "exact match"),
        ("abc", "abcd", "shared items >= 3"),
        ("abcd", "bcx", "shared items >= 2"),
        ("ab", "ax", "shared items >= 1"),
        ("abc", "xyz", "else"),
        ("q", "abc", "else"),
        ("q", "q", "exact match"),
    ]
    left, right, expected = zip(*pairs, strict=True)
    assert _gamma(list(left), list(right)) == list(expected)


def test_missing_neither_agrees_nor_disagrees() -> None:
    assert _gamma(["none", "abc", "none"], ["abc", "none", "none"]) == ["missing"] * 3
    for n in (1, 2):
        level = ItemsSharedAtLeast("items", n)
        feats = {"items": _obj([SETS["abc"], None, ""])}
        pairs = PairBatch(FeatureCache(feats), np.array([0, 1, 0, 2]), np.array([1, 0, 2, 0]))
        assert level.evaluate(pairs).tolist() == [False] * 4


def test_custom_counts_and_serialisation() -> None:
    c = items_comparison(shared=(1, 2, 2), name="coauthors")
    assert c.name == "coauthors"
    assert c.level_labels == ["else", "shared items >= 1", "shared items >= 2", "exact match"]
    assert Comparison.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert level_from_dict(ItemsSharedAtLeast("items", 2).to_dict()) == ItemsSharedAtLeast(
        "items", 2
    )
    with pytest.raises(ValueError, match="count"):
        ItemsSharedAtLeast("items", 0)
    with pytest.raises(ValueError, match="at least one count"):
        items_comparison(shared=())


def test_default_comparison_and_no_default_blocking() -> None:
    comps = default_comparisons(["company", "items"])
    assert [c.name for c in comps] == ["company", "items"]
    assert comps[-1] == items_comparison()
    # Shared class codes or co-authors are no blocking key by default: a few codes are held
    # by most records, and blocks on them would spend the pair budget on unrelated records.
    assert all("items" not in rule.columns for rule in default_rules(["company", "items"]))


_item_sets = st.one_of(
    st.none(),
    st.frozensets(st.sampled_from("abcdefghij"), max_size=7).map(
        lambda s: SEP.join(sorted(s)) or None
    ),
    st.frozensets(st.integers(0, 30).map(str), max_size=12).map(
        lambda s: SEP.join(sorted(s)) or None
    ),
)


def _reference(a: str | None, b: str | None) -> int:
    """gamma of the default items comparison, from Python sets."""
    if a is None or b is None:
        return -1
    if a == b:
        return 4
    shared = len(set(a.split(SEP)) & set(b.split(SEP)))
    return min(shared, 3)


@settings(max_examples=150, deadline=None)
@given(st.lists(_item_sets, min_size=2, max_size=40), st.data(), st.sampled_from([64, 4, 0]))
def test_gamma_is_symmetric_and_exact(
    values: list[str | None], data: st.DataObject, frequent: int
) -> None:
    n = len(values)
    k = data.draw(st.integers(1, 60))
    left = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    right = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    feats = {"items": _obj(values)}
    c = items_comparison()
    # The most common items are counted from bitmaps, the others looked up: both ways (and
    # their mix) must count alike.
    with mock.patch.object(levels_module, "_FREQUENT_ITEMS", frequent):
        forward = c.compute(feats, left, right)
        assert forward.tolist() == c.compute(feats, right, left).tolist()
    pairs = zip(left.tolist(), right.tolist(), strict=True)
    assert forward.tolist() == [_reference(values[i], values[j]) for i, j in pairs]


@pytest.mark.parametrize("block", [37, 1 << 18])
def test_shared_counts_on_many_items(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    # Sets of up to 25 of 300 items, a few very common (bitmap) and most rare (looked up, a
    # few items at a time with the small block): same as Python sets, at every count.
    rng = random.Random(5)
    weights = [1.0 / (1 + k) for k in range(300)]
    values: list[str | None] = [
        _key(*(str(x) for x in rng.choices(range(300), weights, k=rng.randint(1, 25))))
        for _ in range(300)
    ]
    values[::17] = [None] * len(values[::17])
    values[5::23] = [f"{values[4]}{SEP}{SEP}"] * len(values[5::23])  # empty items count for none
    left = np.array([rng.randrange(300) for _ in range(6000)])
    right = np.array([rng.randrange(300) for _ in range(6000)])
    feats = {"items": _obj(values)}
    sets = [{i for i in v.split(SEP) if i} if v is not None else set() for v in values]
    shared = [len(sets[i] & sets[j]) for i, j in zip(left.tolist(), right.tolist(), strict=True)]
    assert max(shared) >= 6 and len({i for s in sets for i in s}) > 64
    monkeypatch.setattr(levels_module, "_ITEMS_BLOCK", block)
    pairs = PairBatch(FeatureCache(feats), left, right)
    for count in (1, 2, 3, 5, 8):
        got = ItemsSharedAtLeast("items", count).evaluate(pairs)
        assert got.tolist() == [x >= count for x in shared]


# ------------------------------------------------------------------------------ end to end


def _applicants(n_entities: int = 12, seed: int = 3) -> tuple[list[dict[str, str]], list[str]]:
    """Patent applicants: each entity files under a few name spellings with its own pool of
    co-applicants and classes; each record lists some of them."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    truth: list[str] = []
    classes = [f"{a}{b:02d}{c}" for a in "ABCGH" for b in range(1, 12) for c in "BFKLN"]
    for e in range(n_entities):
        name = f"{rng.choice(['NOVA', 'ACME', 'DELTA', 'ORBIT', 'HELIX'])} {e} LABS"
        people = [f"Person {e}-{k}" for k in range(6)]
        own = rng.sample(classes, 4)
        for r in range(rng.randint(2, 5)):
            spelled = name if r % 2 == 0 else name.lower().replace(" labs", " laboratories")
            rows.append(
                {
                    "Id": f"e{e}r{r}",
                    "Name": spelled,
                    "Coauthors": "; ".join(rng.sample(people, rng.randint(1, 4))),
                    "Classes": "**".join(rng.sample(own, rng.randint(1, 3))),
                }
            )
            truth.append(f"e{e}")
    # records without any list: the items comparison is missing for every pair of theirs
    rows.append({"Id": "lone1", "Name": rows[0]["Name"], "Coauthors": "", "Classes": ""})
    truth.append("e0")
    return rows, truth


def test_resolver_end_to_end() -> None:
    rows, truth = _applicants()
    columns = {k: [r[k] for r in rows] for k in rows[0] if k != "Id"}
    table = Table.from_columns(columns, ids=[r["Id"] for r in rows])
    fields = {"company": ["Name"], "items": ["Coauthors", "Classes"]}
    res = Resolver(fields).resolve(table)
    assert [c.name for c in res.model.comparisons] == ["company", "items"]
    assert res.pairs.level_labels[1][-1] == "exact match"
    # Every record in exactly one cluster; records of one entity end up together mostly.
    assert len(res.cluster_of) == len(rows)
    ids = table.ids.tolist()
    same = [
        res.cluster_of[i] == res.cluster_of[j]
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
        if truth[i] == truth[j]
    ]
    assert sum(same) / len(same) > 0.8
    # A record without lists: the items term is missing and adds nothing to the weight.
    explanation = res.explain("lone1", "e0r0")
    row = next(r for r in explanation.rows if r.comparison == "items")
    assert (row.level, row.gamma, row.weight) == ("missing", -1, 0.0)
    # Sharing items is evidence for a match: a level above else outweighs else.
    weight = {
        row["level"]: row["weight"] for row in res.model.m_u_table() if row["comparison"] == "items"
    }
    assert weight["shared items >= 1"] > weight["else"]


def test_cli_dedupe_and_pairs_with_the_role(tmp_path: Path) -> None:
    rows, _ = _applicants()
    src = tmp_path / "applicants.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out, cfg, pairs = tmp_path / "out.csv", tmp_path / "run.json", tmp_path / "pairs.csv"
    fields = ["--id", "Id", "--field", "company=Name", "--field", "items=Coauthors,Classes"]
    args = ["dedupe", str(src), "-q", "-o", str(out), "--save-config", str(cfg), *fields]
    assert main(args) == 0
    with out.open(encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == len(rows) and all(r["cluster_id"] for r in written)
    config = json.loads(cfg.read_text(encoding="utf-8"))
    assert config["fields"]["items"] == ["Coauthors", "Classes"]
    items = next(c for c in config["comparisons"] if c["name"] == "items")
    assert [lv["type"] for lv in items["levels"]] == ["ExactMatch"] + ["ItemsSharedAtLeast"] * 3
    assert main(["pairs", str(src), "-q", "-o", str(pairs), "--config", str(cfg)]) == 0
    with pairs.open(encoding="utf-8") as fh:
        scored = list(csv.DictReader(fh))
    labels = {r["items_level"] for r in scored}
    known = {"missing", "else", "exact match"} | {f"shared items >= {n}" for n in (1, 2, 3)}
    assert labels <= known
    assert "exact match" in labels or "shared items >= 1" in labels
