"""Tests of crmresolve.survive: rules, lineage, nothing lost, TOML configuration."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmresolve.normalize
from crmresolve.cluster import cluster_id_for, cluster_pairs
from crmresolve.survive import (
    Custom,
    Earliest,
    FieldGroup,
    FieldRule,
    GoldenRecords,
    Longest,
    MostComplete,
    MostFrequent,
    MostRecent,
    RulesConfigError,
    RuleSet,
    SourcePriority,
    Survivorship,
    ValidOnly,
    build_golden_records,
    default_chain,
    load_rules,
    parse_timestamp,
)
from crmresolve.table import Table

ROOT = Path(__file__).resolve().parents[1]


def table(rows: list[dict[str, Any]]) -> Table:
    return Table.from_records(rows, id_column="id")


def one_cluster(t: Table, **kwargs: Any) -> GoldenRecords:
    kwargs.setdefault("auto_normalize", False)
    return build_golden_records(t, np.zeros(len(t), dtype=np.int64), **kwargs)


def lineage_of(g: GoldenRecords, column: str) -> tuple[str, str, str, int]:
    rows = [r for r in g.lineage if r.column == column]
    assert len(rows) == 1
    r = rows[0]
    return r.value, r.source_record_id, r.rule, r.n_alternatives


ROWS = [
    {"id": "r1", "Name": "Rob Smith", "Email": "old@x.org", "Updated": "2019-01-01", "Src": "web"},
    {
        "id": "r2",
        "Name": "Robert Smith",
        "Email": "new@x.org",
        "Updated": "2023-06-01",
        "Src": "crm",
    },
    {"id": "r3", "Name": "ROBERT SMITH", "Email": "bad@", "Updated": "2024-01-01", "Src": "erp"},
]


# --------------------------------------------------------------------------- single rules


def test_most_recent() -> None:
    g = one_cluster(table(ROWS), rules=[FieldRule("Email", [MostRecent("Updated")])])
    assert lineage_of(g, "Email") == ("bad@", "r3", "most_recent(Updated)", 2)


def test_earliest() -> None:
    g = one_cluster(table(ROWS), rules=[FieldRule("Email", [Earliest("Updated")])])
    assert g.columns["Email"][0] == "old@x.org"


def test_valid_only_with_array_and_callable() -> None:
    t = table(ROWS)
    chain = [ValidOnly(), MostRecent()]
    valid = np.array([True, True, False])
    g = one_cluster(
        t, rules=[FieldRule("Email", chain)], validity={"Email": valid}, updated_at="Updated"
    )
    assert lineage_of(g, "Email")[:3] == ("new@x.org", "r2", "most_recent")
    g = one_cluster(
        t,
        rules=[FieldRule("Email", chain)],
        updated_at="Updated",
        validity={"Email": lambda v: v.endswith(".org") and "old" not in v},
    )
    assert lineage_of(g, "Email")[:3] == ("new@x.org", "r2", "valid_only")


def test_valid_only_keeps_all_when_none_valid() -> None:
    g = one_cluster(
        table(ROWS),
        rules=[FieldRule("Email", [ValidOnly(), MostRecent("Updated")])],
        validity={"Email": np.zeros(3, dtype=bool)},
    )
    assert g.columns["Email"][0] == "bad@"


def test_most_frequent_groups_by_normalized_form_and_keeps_best_spelling() -> None:
    g = one_cluster(
        table(ROWS), rules=[FieldRule("Name", [MostFrequent()])], field_map={"full_name": ["Name"]}
    )
    # "Robert Smith" and "ROBERT SMITH" are one value (2 votes); the mixed-case spelling wins.
    assert lineage_of(g, "Name") == ("Robert Smith", "r2", "most_frequent", 1)


def test_normalized_values_override_default_grouping() -> None:
    t = table(ROWS)
    norm = np.array(["rob smith", "rob smith", "x"], dtype=object)
    g = one_cluster(t, rules=[FieldRule("Name", [MostFrequent()])], normalized={"Name": norm})
    assert g.columns["Name"][0] in {"Rob Smith", "Robert Smith"}
    assert lineage_of(g, "Name")[2] == "most_frequent"


def test_longest_prefers_full_name_over_initial() -> None:
    t = table(
        [{"id": "a", "First": "J."}, {"id": "b", "First": "Jonathan"}, {"id": "c", "First": "Jon"}]
    )
    g = one_cluster(t, rules=[FieldRule("First", [Longest()])])
    assert lineage_of(g, "First") == ("Jonathan", "b", "longest", 2)


def test_most_complete() -> None:
    t = table(
        [
            {"id": "a", "X": "one", "Y": None, "Z": None},
            {"id": "b", "X": "two", "Y": "y", "Z": "z"},
        ]
    )
    g = one_cluster(t, rules=[FieldRule("X", [MostComplete()])])
    assert g.columns["X"][0] == "two"


def test_source_priority_explicit_and_global() -> None:
    t = table(ROWS)
    g = one_cluster(t, rules=[FieldRule("Name", [SourcePriority(["CRM", "erp"])])], source="Src")
    assert lineage_of(g, "Name")[:3] == ("Robert Smith", "r2", "source_priority(CRM,erp)")
    g = one_cluster(
        t, rules=[FieldRule("Email", [SourcePriority()])], source="Src", source_priority=["web"]
    )
    assert g.columns["Email"][0] == "old@x.org"
    # Without a priority list the rule is a no-op and the tie-break decides.
    g = one_cluster(t, rules=[FieldRule("Email", [SourcePriority()])], source="Src")
    assert lineage_of(g, "Email")[1:3] == ("r1", "tie_break")


def test_custom_rule() -> None:
    rule = Custom(lambda c: (c.value or "").startswith("new"), name="prefer_new")
    g = one_cluster(table(ROWS), rules=[FieldRule("Email", [rule])])
    assert lineage_of(g, "Email")[:3] == ("new@x.org", "r2", "prefer_new")
    seen: list[Any] = []
    one_cluster(
        table(ROWS),
        rules=[FieldRule("Email", [Custom(lambda c: seen.append(c) or 0)])],
        updated_at="Updated",
        source="Src",
    )
    assert {c.record_id for c in seen} == {"r1", "r2", "r3"}
    assert seen[0].updated_at is not None and seen[0].source in {"web", "crm", "erp"}


def test_chain_order_and_tie_break_are_deterministic() -> None:
    t = table([{"id": "b", "C": "x"}, {"id": "a", "C": "y"}, {"id": "c", "C": "z"}])
    g = one_cluster(t, rules=[FieldRule("C", [MostFrequent()])])
    assert lineage_of(g, "C") == ("y", "a", "tie_break", 2)


def test_unanimous_and_single_record() -> None:
    t = table(
        [
            {"id": "a", "C": "Same"},
            {"id": "b", "C": "same "},
            {"id": "c", "C": "alone"},
        ]
    )
    g = build_golden_records(t, [0, 0, 1], auto_normalize=False)
    rows = {r.cluster_id: r for r in g.lineage}
    assert rows[cluster_id_for("a")].rule == "unanimous"
    assert rows[cluster_id_for("a")].value == "Same"  # no stray whitespace
    assert rows[cluster_id_for("c")].rule == "single_record"


def test_missing_everywhere_gives_none_without_lineage() -> None:
    t = table([{"id": "a", "C": None, "D": "d"}, {"id": "b", "C": None, "D": None}])
    g = one_cluster(t)
    assert g.columns["C"][0] is None
    assert [r.column for r in g.lineage if r.column != "id"] == ["D"]


# --------------------------------------------------------------------------- defaults by role


def test_default_chains_and_multi_valued_fields() -> None:
    t = table(
        [
            {"id": "1", "Email": "A@x.org", "Phone": "+1 555 0100", "Upd": "2020-01-01"},
            {"id": "2", "Email": "a@x.org", "Phone": "+1 555 0199", "Upd": "2021-01-01"},
            {"id": "3", "Email": "b@x.org", "Phone": None, "Upd": "2019-01-01"},
        ]
    )
    fmap = {"email": ["Email"], "phone": ["Phone"], "updated_at": ["Upd"]}
    g = one_cluster(t, field_map=fmap)
    # The most recent valid value; the lower-case spelling of the same address.
    assert g.columns["Email"][0] == "a@x.org"
    assert g.all_values["Email"][0] == ("a@x.org", "b@x.org")
    assert g.columns["Email__all"][0] == "a@x.org|b@x.org"
    assert g.columns["Phone"][0] == "+1 555 0199"
    assert g.columns["Phone__all"][0] == "+1 555 0199|+1 555 0100"
    assert list(g.columns) == ["id", "Email", "Email__all", "Phone", "Phone__all", "Upd"]


def test_names_default_avoids_initials() -> None:
    t = table([{"id": "1", "First": "J"}, {"id": "2", "First": "John"}])
    g = one_cluster(t, field_map={"given_name": ["First"]})
    assert lineage_of(g, "First") == ("John", "2", "longest", 1)


def test_address_columns_survive_together() -> None:
    t = table(
        [
            {"id": "1", "Street": "1 Elm St", "City": "Springfield", "Upd": "2020-01-01"},
            {"id": "2", "Street": "9 Oak Ave", "City": "Shelbyville", "Upd": "2018-01-01"},
            {"id": "3", "Street": None, "City": "Capital City", "Upd": "2024-01-01"},
        ]
    )
    fmap = {"street": ["Street"], "city": ["City"], "updated_at": ["Upd"]}
    g = one_cluster(t, field_map=fmap)
    # Record 3 is newest but has no street: the newest record *with* a street wins whole.
    assert (g.columns["Street"][0], g.columns["City"][0]) == ("1 Elm St", "Springfield")
    assert {r.source_record_id for r in g.lineage if r.column in {"Street", "City"}} == {"1"}
    assert any("address (Street, City)" in r for r in g.rules)


def test_address_group_fills_missing_parts_only_from_agreeing_members() -> None:
    t = table(
        [
            {"id": "1", "Street": "1 Elm St", "City": None, "Zip": None, "Upd": "2024-01-01"},
            {
                "id": "2",
                "Street": "1 ELM ST",
                "City": "Springfield",
                "Zip": None,
                "Upd": "2019-01-01",
            },
            {
                "id": "3",
                "Street": "9 Oak Ave",
                "City": "Shelbyville",
                "Zip": "99999",
                "Upd": "2023-01-01",
            },
            {"id": "4", "Street": None, "City": "Springfield", "Zip": "12345", "Upd": "2015-01-01"},
        ]
    )
    fmap = {"street": ["Street"], "city": ["City"], "postcode": ["Zip"], "updated_at": ["Upd"]}
    g = one_cluster(t, field_map=fmap)
    assert (g.columns["Street"][0], g.columns["City"][0], g.columns["Zip"][0]) == (
        "1 Elm St",
        "Springfield",
        "12345",
    )
    rows = {r.column: r for r in g.lineage}
    assert (rows["Street"].source_record_id, rows["Street"].rule) == ("1", "most_recent")
    assert (rows["City"].source_record_id, rows["City"].rule) == ("2", "group_fill")
    assert (rows["Zip"].source_record_id, rows["Zip"].rule) == ("4", "group_fill")


def test_default_chain_table() -> None:
    assert [r.name for r in default_chain("dob")] == [
        "valid_only",
        "most_frequent",
        "source_priority",
        "most_recent",
    ]
    assert [r.name for r in default_chain(None)] == ["most_recent", "most_frequent"]


def test_auto_normalize_uses_parser_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    class P:
        def __init__(self, value: str | None) -> None:
            self.value = value
            self.valid = value is not None

    def parse_email(raw: str) -> P:
        return P(raw.strip().lower() if "@" in raw and "." in raw.split("@")[-1] else None)

    monkeypatch.setattr(crmresolve.normalize, "parse_email", parse_email, raising=False)
    t = table(ROWS)
    g = build_golden_records(
        t, [0, 0, 0], field_map={"email": ["Email"], "updated_at": ["Updated"]}
    )
    assert g.columns["Email"][0] == "new@x.org"  # "bad@" (newest) is invalid

    def broken(raw: str) -> P:
        raise RuntimeError("boom " + raw)

    monkeypatch.setattr(crmresolve.normalize, "parse_email", broken, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = build_golden_records(
            t, [0, 0, 0], field_map={"email": ["Email"], "updated_at": ["Updated"]}
        )
    assert g.columns["Email"][0] == "bad@"
    assert caught and all("@" not in str(w.message) for w in caught)


# --------------------------------------------------------------------------- clusters in/out


def test_with_clustering_and_singletons() -> None:
    t = table(
        [
            {"id": "a", "Name": "Ann"},
            {"id": "b", "Name": "ann"},
            {"id": "c", "Name": "Cid"},
        ]
    )
    c = cluster_pairs(3, t.ids, [0], [1], [0.9])
    g = build_golden_records(t, c)
    assert g.cluster_ids.tolist() == c.cluster_ids.tolist()
    assert g.members == [["a", "b"], ["c"]]
    assert g.columns["Name"].tolist() == ["Ann", "Cid"]
    rec = g.record(c.cluster_ids[1])
    assert rec["Name"] == "Cid" and rec["members"] == ["c"]


def test_arbitrary_labels_get_cluster_module_ids() -> None:
    t = table([{"id": "z", "V": "1"}, {"id": "y", "V": "2"}, {"id": "x", "V": "3"}])
    g = build_golden_records(t, ["p", "q", "p"])
    assert g.cluster_ids.tolist() == [cluster_id_for("x"), cluster_id_for("y")]
    assert g.members == [["x", "z"], ["y"]]


def test_mismatched_clustering_is_rejected() -> None:
    t = table([{"id": "a", "V": "1"}, {"id": "b", "V": "2"}])
    c = cluster_pairs(2, ["b", "a"], [], [], [])
    with pytest.raises(ValueError, match="differ"):
        build_golden_records(t, c)
    with pytest.raises(ValueError, match="at least one member"):
        build_golden_records(t, [0, 0], cluster_ids=["c1", "c2"])


def test_pandas_and_table_views() -> None:
    g = one_cluster(table(ROWS), field_map={"email": ["Email"]})
    assert g.to_table().ids.tolist() == g.cluster_ids.tolist()
    assert g.to_records()[0]["member_count"] == 3
    assert g.lineage.for_cluster(g.cluster_ids[0])
    pytest.importorskip("pandas")
    df = g.to_pandas()
    assert df.loc[0, "member_count"] == 3 and df.loc[0, "members"] == "r1|r2|r3"
    ldf = g.lineage.to_pandas()
    assert set(ldf.columns) == {
        "cluster_id",
        "column",
        "value",
        "source_record_id",
        "rule",
        "n_alternatives",
    }
    assert g.to_table().ids.tolist() == g.cluster_ids.tolist()
    assert g.to_records()[0]["member_count"] == 3
    assert g.lineage.for_cluster(g.cluster_ids[0])


# --------------------------------------------------------------------------- properties


@st.composite
def tables(draw: st.DrawFn) -> tuple[Table, np.ndarray]:
    n = draw(st.integers(1, 30))
    values = st.sampled_from(["Ann", "ann", "ANN ", "Bob", "b@x.org", "B@X.org", None])
    dates = st.sampled_from(["2020-01-01", "2021-05-06 10:00", "01.02.2022", "garbage", None])
    rows = [
        {
            "id": f"r{i:02d}",
            "Name": draw(values),
            "Email": draw(values),
            "Street": draw(values),
            "City": draw(values),
            "Upd": draw(dates),
        }
        for i in range(n)
    ]
    labels = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    return table(rows), labels


FMAP = {
    "full_name": ["Name"],
    "email": ["Email"],
    "street": ["Street"],
    "city": ["City"],
    "updated_at": ["Upd"],
}


@settings(max_examples=80, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_lineage_values_come_from_members_and_nothing_is_lost(
    data: tuple[Table, np.ndarray], rnd: Any
) -> None:
    t, labels = data
    g = build_golden_records(t, labels, field_map=FMAP, auto_normalize=False)
    ids = t.ids.tolist()
    # Every record in exactly one cluster's members.
    flat = [r for m in g.members for r in m]
    assert sorted(flat) == sorted(ids)
    cluster_of = {r: g.cluster_ids[i] for i, m in enumerate(g.members) for r in m}
    for row in g.lineage:
        pos = ids.index(row.source_record_id)
        assert t.columns[row.column][pos] == row.value
        assert cluster_of[row.source_record_id] == row.cluster_id
    # A golden value is missing only if no member has one (address parts may stay missing
    # when only contradicting members have them).
    for col in ["id", "Name", "Email", "Upd"]:
        for i, members in enumerate(g.members):
            has_any = any(t.columns[col][ids.index(r)] is not None for r in members)
            assert (g.columns[col][i] is not None) == has_any
    # Same golden records when the rows are shuffled.
    perm = np.array(rnd.sample(range(len(t)), len(t)))
    g2 = build_golden_records(t.take(perm), labels[perm], field_map=FMAP, auto_normalize=False)
    assert g2.cluster_ids.tolist() == g.cluster_ids.tolist()
    for col in g.columns:
        assert g2.columns[col].tolist() == g.columns[col].tolist()
    assert sorted(g2.lineage) == sorted(g.lineage)
    # The array views of the lineage say what its rows say; a cluster's rows are its own.
    lin = g.lineage
    rows = list(lin)
    assert lin.cluster_id.tolist() == [r.cluster_id for r in rows]
    assert lin.column.tolist() == [r.column for r in rows]
    assert lin.rule.tolist() == [r.rule for r in rows]
    assert lin.column_code.dtype == np.int16 and lin.rule_code.dtype == np.int16
    for cid in g.cluster_ids.tolist()[:3]:
        assert lin.for_cluster(cid) == [r for r in rows if r.cluster_id == cid]
    assert lin.for_cluster("no such cluster") == []


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-04", "2021-03-04T00:00:00"),
        ("2021-03-04 10:30", "2021-03-04T10:30:00"),
        ("2021-03-04T10:30:00Z", "2021-03-04T10:30:00"),
        ("04.03.2021", "2021-03-04T00:00:00"),
        ("2021/03/04", "2021-03-04T00:00:00"),
        ("25/03/2021", "2021-03-25T00:00:00"),
        ("03/25/2021", "2021-03-25T00:00:00"),
        ("1614852000", "2021-03-04T10:00:00"),
    ],
)
def test_parse_timestamp(text: str, expected: str) -> None:
    assert parse_timestamp(text) == np.datetime64(expected).astype("datetime64[s]").astype(int)


@pytest.mark.parametrize("text", ["03/04/2021", "31.02.2021", "soon", ""])
def test_parse_timestamp_rejects(text: str) -> None:
    assert parse_timestamp(text) is None


def test_updated_at_array() -> None:
    t = table(ROWS)
    ts = np.array(["2030-01-01", "2000-01-01", "2001-01-01"], dtype="datetime64[D]")
    g = one_cluster(t, rules=[FieldRule("Email", [MostRecent()])], updated_at=ts)
    assert g.columns["Email"][0] == "old@x.org"


# --------------------------------------------------------------------------- configuration


def test_load_rules_example_file() -> None:
    rs = load_rules(ROOT / "docs" / "rules.example.toml")
    assert rs.source_priority == ("erp", "crm", "webshop")
    assert rs.updated_at == "LastModified" and rs.source == "SourceSystem"
    assert rs.columns["Phone"].keep_all
    assert rs.columns["Segment"].chain[0] == SourcePriority(["erp"])
    assert rs.groups[0].columns == ("BillStreet", "BillCity", "BillZip")
    assert [r.name for r in rs.roles["address"].chain] == [
        "most_recent",
        "most_complete",
        "most_frequent",
    ]
    assert RuleSet.from_dict(rs.to_dict()) == rs


def test_rules_from_toml_drive_survivorship(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'source_priority = ["erp"]\nsource = "Src"\n'
        '[columns.Email]\nrules = ["source_priority"]\nkeep_all = true\n'
    )
    g = Survivorship.from_toml(path, auto_normalize=False).build(table(ROWS), np.zeros(3, int))
    assert g.columns["Email"][0] == "bad@"
    assert g.columns["Email__all"][0].split("|")[0] == "bad@"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns.Email]\nrules = ["newest"]\n', "unknown rule"),
        ('[columns.Email]\nrules = [{ rule = "longest", column = "X" }]\n', "no option"),
        ('colour = "red"\n', "unknown top-level"),
        ('[roles]\nshoe_size = ["longest"]\n', "unknown role"),
        ('[groups.g]\nrules = ["most_recent"]\n', "columns"),
        ("source_priority = [1]\n", "source_priority"),
        ("not toml = = =\n", "invalid TOML"),
    ],
)
def test_bad_toml_is_reported(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(RulesConfigError, match=message):
        load_rules(path)


def test_rules_naming_unknown_columns_fail() -> None:
    with pytest.raises(ValueError, match="Nope"):
        one_cluster(table(ROWS), rules=[FieldRule("Nope", [MostRecent()])])
    with pytest.raises(RulesConfigError, match="twice"):
        RuleSet(columns={"Name": FieldRule("Name")}, groups=[FieldGroup("g", ["Name"])])


def test_custom_rules_cannot_be_serialised() -> None:
    rs = RuleSet(columns={"Name": FieldRule("Name", [Custom(lambda c: 1)])})
    with pytest.raises(ValueError, match="TOML"):
        rs.to_dict()


def test_released_columns_are_built_again_the_same() -> None:
    # Survivorship drops a column's codes and keys after its last field; asked again, they
    # come back the same (nothing else depends on them being kept).
    from crmresolve.survive._engine import Context

    t = Table.from_columns(
        {"Name": ["Ann Lee", "ANN LEE", "Bo Berg", None], "City": ["Oslo", "oslo", "Bergen", "X"]},
        ids=["r1", "r2", "r3", "r4"],
    )
    labels = np.array([0, 0, 0, 1])
    ctx = Context(
        t,
        labels,
        2,
        np.arange(4),
        {"Name": "full_name", "City": "city"},
        updated_at=None,
        source=None,
        source_priority=(),
        validity=None,
        normalized=None,
        auto_normalize=False,
    )
    before = [a.tolist() for a in (*ctx.keys("Name"), ctx.fmt("Name"), ctx.raw_codes("Name")[0])]
    ctx.release(["Name"])
    assert "Name" not in ctx._keys and "Name" not in ctx._raw and "Name" not in ctx._fmt
    after = [a.tolist() for a in (*ctx.keys("Name"), ctx.fmt("Name"), ctx.raw_codes("Name")[0])]
    assert after == before
    assert before[0][0] == before[0][1] != before[0][2]  # "Ann Lee" and "ANN LEE": one key
