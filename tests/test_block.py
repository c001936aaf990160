"""Tests for crmresolve.block: pairs checked against a brute-force reference."""

from __future__ import annotations

import json
import sys
import warnings
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.block import (
    JUNK_VALUES,
    BlockingRule,
    CandidatePairs,
    KeyFunction,
    OversizedBlockWarning,
    block_on,
    default_rules,
    diagnose,
    digits,
    email_local,
    exact,
    generate_pairs,
    half,
    initial,
    initials,
    is_junk,
    iter_pairs,
    match_rating,
    metaphone,
    nysiis,
    prefix,
    sorted_neighbourhood,
    sorted_tokens,
    soundex,
    year,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from block_helpers import three_ways

Triple = tuple[int, int, int]


def obj(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def as_triples(p: CandidatePairs) -> list[Triple]:
    return list(zip(p.left.tolist(), p.right.tolist(), p.rule.tolist(), strict=True))


def reference(
    features: dict[str, np.ndarray],
    rules: list[BlockingRule],
    *,
    max_block_size: int | None = 500,
    sources: list[Any] | None = None,
) -> list[Triple]:
    """Brute force over all i < j with scalar keys: the specification of generate_pairs."""
    n = len(next(iter(features.values())))
    per_rule = []
    for rule in rules:
        keys = [tuple(k.apply(features[k.column][i]) for k in rule.keys) for i in range(n)]
        valid = [all(part is not None for part in key) for key in keys]
        counts = Counter(key for key, ok in zip(keys, valid, strict=True) if ok)
        limit = rule.max_block_size if rule.max_block_size is not None else max_block_size
        kept = [
            ok and (limit is None or counts[key] <= limit)
            for key, ok in zip(keys, valid, strict=True)
        ]
        rank = {
            key: r
            for r, key in enumerate(sorted({k for k, ok in zip(keys, kept, strict=True) if ok}))
        }
        per_rule.append((rule.window, keys, kept, rank))
    out = []
    for i, j in combinations(range(n), 2):
        if sources is not None and sources[i] == sources[j]:
            continue
        for r, (window, keys, kept, rank) in enumerate(per_rule):
            if kept[i] and kept[j] and abs(rank[keys[i]] - rank[keys[j]]) < window:
                out.append((i, j, r))
                break
    return out


# --------------------------------------------------------------------------- keys and rules


def test_key_names_and_values() -> None:
    assert exact("surname").name == "surname"
    assert soundex("surname").apply("smyth") == soundex("surname").apply("smith") == "S530"
    assert metaphone("surname").apply("knight") == "NT"
    assert nysiis("surname").apply("macdonald") == "MCDANALD"
    assert match_rating("given_name").apply("catherine") == "CTHRN"
    assert prefix("surname", 3).apply("mueller") == "mue"
    assert initial("given_name").apply("'anna") == "a"
    assert email_local("email").apply("Anna.Berg+x@Example.org") == "anna.berg"
    assert email_local("email_local").apply("anna.berg") == "anna.berg"
    assert email_local("email").apply("info@example.org") is None  # role mailbox
    assert digits("phone", last=7).apply("+41 44 668 18 00") == "6681800"
    assert digits("phone", last=7).apply("12345") is None  # too short
    assert digits("phone").apply("+1 (415) 555-0100") == "14155550100"
    assert year("dob").apply("1980-02-29") == "1980"
    assert year("dob").apply("19xx") is None
    assert sorted_tokens("full_name").apply("Berg, Anna") == "anna berg"
    assert sorted_tokens("full_name", min_tokens=2).apply("berg") is None
    assert initials("full_name").apply("anna maria berg") == "abm"
    assert initials("full_name", min_tokens=2).apply("anna") is None
    # phonetic codes of values without letters are meaningless
    assert soundex("surname").apply("123") is None
    assert match_rating("surname").apply("o'neil-2") == match_rating("surname").apply("oneil")


def test_key_validation() -> None:
    with pytest.raises(ValueError):
        KeyFunction("bogus", "surname")
    with pytest.raises(ValueError):
        prefix("surname", 0)
    with pytest.raises(ValueError):
        KeyFunction("soundex", "surname", 3)
    with pytest.raises(ValueError):
        KeyFunction.from_dict({"kind": "exact", "column": "x", "length": 3})
    for part in (0, 3):
        with pytest.raises(ValueError, match="part 1 or 2"):
            half("identifier", part)


def test_identifier_halves_block_one_mistyped_character() -> None:
    first, second = half("identifier", 1), half("identifier", 2)
    assert (first.apply("765-7500"), second.apply("765-7500")) == ("7657", "500")
    assert (first.apply("AB12CD34"), second.apply("AB12CD34")) == ("AB12", "CD34")
    assert first.apply("12345") is None  # too short for halves to mean anything
    assert first.apply("00000012") is None  # a zero-padded half is junk
    # A substitution in either half, and a swap of neighbours inside one half.
    ids = ["7657500", "7657050", "8888866", "8888966", "2612497", "2812497", "5550123"]
    f = {"identifier": obj(ids), "surname": obj(["a", "a", "b", "b", "c", "c", "c"])}
    rules = [block_on(first), block_on(second, initial("surname"))]
    assert sorted(map(tuple, as_triples(generate_pairs(f, rules)))) == [
        (0, 1, 0),
        (2, 3, 0),
        (4, 5, 1),
    ]
    assert BlockingRule.from_dict(json.loads(json.dumps(rules[1].to_dict()))) == rules[1]


def test_rule_names_and_json_round_trip() -> None:
    rules = [
        block_on(initial("given_name"), exact("surname")),
        block_on("email"),
        block_on(digits("phone", last=7), max_block_size=50),
        sorted_neighbourhood(prefix("surname", 4), year("dob"), window=5),
        block_on(sorted_tokens("full_name", min_tokens=2), initials("company")),
    ]
    assert [r.name for r in rules] == [
        "initial(given_name) & surname",
        "email",
        "digits(phone, last=7)",
        "sorted_neighbourhood(prefix(surname, 4) & year(dob), window=5)",
        "sorted_tokens(full_name, min_tokens=2) & initials(company)",
    ]
    data = json.loads(json.dumps([r.to_dict() for r in rules]))
    assert [BlockingRule.from_dict(d) for d in data] == rules
    assert rules[0].columns == ("given_name", "surname")
    with pytest.raises(ValueError):
        BlockingRule.from_dict({"keys": [{"kind": "exact", "column": "x"}], "bogus": 1})
    with pytest.raises(ValueError):
        sorted_neighbourhood("x", window=0)
    with pytest.raises(ValueError):
        block_on()


def test_junk() -> None:
    for value in ["n/a", "N/A", "none", "NULL", "unknown", "test", "-", "0000000", "test@test.com"]:
        assert is_junk(value), value
    assert "unknown" in JUNK_VALUES
    for value in ["+1 111 111 1111", "+49 1234567", "99999", "  ", "..."]:
        assert is_junk(value), value
    for value in ["smith", "na", "no", "+41446681800", "1980-01-01", "12"]:
        assert not is_junk(value), value
    f = {"surname": obj(["n/a", "N/A", "unknown", "unknown", "-", "-", "berg", "berg"])}
    assert as_triples(generate_pairs(f, [block_on("surname")])) == [(6, 7, 0)]
    # junk can be switched off
    assert len(generate_pairs(f, [block_on("surname")], drop_junk=False)) == 3
    f = {"phone": obj(["+10000000000", "+10000000000", "+4915100000000", "+4915100000000"])}
    assert len(generate_pairs(f, [block_on(digits("phone", last=7))])) == 0
    f = {"email": obj(["test@test.com", "test@test.com", "test@ex.org", "test@ex.org"])}
    # the full address test@ex.org may be real; its local part "test" is not a person
    assert as_triples(generate_pairs(f, [block_on("email"), block_on(email_local())])) == [
        (2, 3, 0)
    ]


# --------------------------------------------------------------------------- pairs


def test_exact_pairs_match_brute_force() -> None:
    f = {
        "surname": obj(["berg", "lind", "berg", None, "lind", "berg", "", "holm"]),
        "given_name": obj(["anna", "bo", "ann", "anna", "bob", "carl", "anna", None]),
    }
    rules = [block_on("surname")]
    p = generate_pairs(f, rules)
    assert as_triples(p) == reference(f, rules)
    assert as_triples(p) == [(0, 2, 0), (0, 5, 0), (1, 4, 0), (2, 5, 0)]
    assert p.left.dtype == np.int64 and p.right.dtype == np.int64 and p.rule.dtype == np.int16
    assert not p.left.flags.writeable
    assert p.rule_names == ("surname",)


def test_missing_keys_never_pair() -> None:
    f = {"email": obj([None, None, "", "", "  ", "  ", None, "a@x.org", "a@x.org"])}
    p = generate_pairs(f, [block_on("email")])
    assert as_triples(p) == [(7, 8, 0)]
    # a missing component makes the whole conjunction missing
    f2 = {"a": obj(["x", "x", "x", None]), "b": obj([None, None, "y", "y"])}
    assert len(generate_pairs(f2, [block_on("a", "b")])) == 0
    assert len(generate_pairs(f2, [sorted_neighbourhood("a", "b", window=9)])) == 0


def test_conjunction() -> None:
    f = {
        "given_name": obj(["anna", "anne", "bob", "anna", "ann"]),
        "surname": obj(["berg", "berg", "berg", "lind", "berg"]),
    }
    rules = [block_on(initial("given_name"), "surname")]
    assert as_triples(generate_pairs(f, rules)) == [(0, 1, 0), (0, 4, 0), (1, 4, 0)]
    assert as_triples(generate_pairs(f, rules)) == reference(f, rules)


def test_sorted_neighbourhood_window() -> None:
    # distinct sorted values: a < b < c < d; "b" appears twice
    f = {"k": obj(["c", "a", "b", "d", "b", None])}
    w1 = generate_pairs(f, [sorted_neighbourhood("k", window=1)])
    assert as_triples(w1) == [(2, 4, 0)]  # window 1 == exact blocking
    w2 = generate_pairs(f, [sorted_neighbourhood("k", window=2)])
    # a-b, b-b, b-c, c-d
    assert as_triples(w2) == [(0, 2, 0), (0, 3, 0), (0, 4, 0), (1, 2, 0), (1, 4, 0), (2, 4, 0)]
    w3 = generate_pairs(f, [sorted_neighbourhood("k", window=3)])
    assert len(w3) == len(reference(f, [sorted_neighbourhood("k", window=3)])) == 9


def test_union_is_unique_and_attributed_to_first_rule() -> None:
    f = {
        "given_name": obj(["anna", "anna", "anne", "bob", "anna"]),
        "surname": obj(["berg", "berg", "berg", "berg", "lind"]),
        "dob": obj(["1980-01-01", "1980-01-01", "1980-01-01", "1990-01-01", "1980-01-01"]),
    }
    rules = [block_on("given_name", "surname"), block_on("surname"), block_on("dob")]
    p = generate_pairs(f, rules)
    triples = as_triples(p)
    assert triples == reference(f, rules)
    assert len({(i, j) for i, j, _ in triples}) == len(triples)
    assert dict(((i, j), r) for i, j, r in triples)[(0, 1)] == 0
    assert dict(((i, j), r) for i, j, r in triples)[(0, 2)] == 1
    assert dict(((i, j), r) for i, j, r in triples)[(0, 4)] == 2
    assert p.counts_by_rule() == {"given_name & surname": 1, "surname": 5, "dob": 3}
    keys = p.left * 10 + p.right
    assert (np.diff(keys) > 0).all()  # sorted, no duplicates


def test_link_mode_only_cross_source() -> None:
    f = {
        "surname": obj(["berg", "berg", "berg", "berg", "lind", "lind"]),
        "source": obj(["crm", "crm", "shop", "shop", "crm", "crm"]),
    }
    rules = [block_on("surname")]
    dedupe = as_triples(generate_pairs(f, rules))
    assert len(dedupe) == 7  # link-and-dedupe: everything
    linked = as_triples(generate_pairs(f, rules, link_only=True))
    assert linked == [(0, 2, 0), (0, 3, 0), (1, 2, 0), (1, 3, 0)]
    assert linked == reference(f, rules, sources=list(f["source"]))
    by_array = generate_pairs(f, rules, link_sources=np.array([0, 0, 1, 1, 0, 0]))
    assert as_triples(by_array) == linked
    with pytest.raises(ValueError, match="no source label"):
        generate_pairs(f, rules, link_sources=obj(["a", None, "b", "b", "a", "a"]))
    with pytest.raises(KeyError, match="source"):
        generate_pairs({"surname": f["surname"]}, rules, link_only=True)


def test_size_guard_skips_switchboard_with_warning() -> None:
    switchboard = "+41446681800"
    phones = [switchboard] * 600 + ["+41791112233", "+41791112233", None]
    f = {"phone": obj(phones), "surname": obj(["x"] * 600 + ["berg", "berg", "berg"])}
    rules = [block_on("phone")]
    with pytest.warns(OversizedBlockWarning) as caught:
        p = generate_pairs(f, rules)
    assert as_triples(p) == [(600, 601, 0)]  # not 179 700 pairs
    message = str(caught[0].message)
    assert "'phone'" in message and "600" in message and "max_block_size=500" in message
    assert switchboard not in message and "4144" not in message  # privacy: no values
    d = diagnose(f, rules)
    assert d.rules[0].skipped_blocks == 1 and d.rules[0].skipped_records == 600
    assert d.rules[0].pairs == 1
    # the rule's own limit wins; None disables the guard
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(generate_pairs(f, [block_on("phone", max_block_size=1000)])) == 179_701
        assert len(generate_pairs(f, rules, max_block_size=None)) == 179_701
    with pytest.warns(OversizedBlockWarning, match="max_block_size=2"):
        assert len(generate_pairs(f, rules, max_block_size=2)) == 1
    with pytest.warns(OversizedBlockWarning, match="surname"):
        assert len(generate_pairs(f, [block_on("surname")], max_block_size=3)) == 3


def test_iter_pairs_chunks_cover_generate_pairs() -> None:
    rng = np.random.default_rng(7)
    f = {
        "a": obj([str(v) for v in rng.integers(0, 30, 400)]),
        "b": obj([str(v) if v else None for v in rng.integers(0, 5, 400)]),
    }
    rules = [block_on("a", "b"), sorted_neighbourhood("a", window=2), block_on("b")]
    full = generate_pairs(f, rules, max_block_size=None)
    chunks = list(iter_pairs(f, rules, chunk_size=97, max_block_size=None))
    assert max(len(c) for c in chunks) <= 97 + 400  # about chunk_size (one row never splits)
    merged = sorted(t for c in chunks for t in as_triples(c))
    assert merged == as_triples(full)
    assert as_triples(generate_pairs(f, rules, chunk_size=13, max_block_size=None)) == (
        as_triples(full)
    )


def test_unpacked_fallback_gives_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    import crmresolve.block._engine as engine

    rng = np.random.default_rng(11)
    f = {"a": obj([str(v) for v in rng.integers(0, 9, 60)]), "b": obj(["x", "y", None] * 20)}
    rules = [block_on("a", "b"), sorted_neighbourhood("a", window=2), block_on("b")]
    packed = as_triples(generate_pairs(f, rules))
    monkeypatch.setattr(engine, "_PACK_BITS", 0)
    assert as_triples(generate_pairs(f, rules)) == packed == reference(f, rules)


def test_errors_name_no_values() -> None:
    f = {"surname": obj(["secret-value", "x"]), "dob": obj(["1980-01-01"])}
    with pytest.raises(KeyError, match="email"):
        generate_pairs(f, [block_on("email")])
    with pytest.raises(ValueError, match="differ in length") as err:
        generate_pairs(f, [block_on("surname", "dob")])
    assert "secret-value" not in str(err.value)
    with pytest.raises(TypeError):
        generate_pairs(f, ["surname"])  # type: ignore[list-item]


def test_empty_inputs() -> None:
    assert len(generate_pairs({"a": obj([])}, [block_on("a")])) == 0
    assert len(generate_pairs({"a": obj(["x", "x"])}, [])) == 0
    assert diagnose({"a": obj([])}, [block_on("a")], truth=[]).pairs == 0


# --------------------------------------------------------------------------- diagnostics


def test_diagnostics_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    n = 300
    f = {
        "surname": obj([f"s{v}" for v in rng.integers(0, 40, n)]),
        "given_name": obj([f"g{v}" if v else None for v in rng.integers(0, 6, n)]),
        "source": obj([f"src{v}" for v in rng.integers(0, 2, n)]),
    }
    truth = [f"e{v}" for v in rng.integers(0, 120, n)]
    truth[5] = None  # unlabelled: its own entity
    rules = [block_on("surname", "given_name"), block_on(prefix("surname", 2))]
    for link in (False, True):
        sources = list(f["source"]) if link else None
        ref = reference(f, rules, sources=sources)
        all_pairs = [
            (i, j) for i, j in combinations(range(n), 2) if not link or sources[i] != sources[j]
        ]
        true_pairs = {(i, j) for i, j in all_pairs if truth[i] is not None and truth[i] == truth[j]}
        d = diagnose(f, rules, truth=truth, link_only=link)
        assert d.total_comparisons == len(all_pairs)
        assert d.true_pairs == len(true_pairs)
        found = 0
        for r, stats in enumerate(d.rules):
            own = set(
                (i, j) for i, j, _ in reference(f, [rules[r]], sources=sources)
            )  # pairs of the rule on its own
            new = {(i, j) for i, j, rr in ref if rr == r}
            found += len(new & true_pairs)
            assert stats.pairs == len(own)
            assert stats.new_pairs == len(new)
            assert stats.cumulative_pairs == sum(1 for t in ref if t[2] <= r)
            assert stats.true_pairs == len(own & true_pairs)
            assert stats.recall == pytest.approx(len(own & true_pairs) / len(true_pairs))
            assert stats.cumulative_recall == pytest.approx(found / len(true_pairs))
            assert stats.reduction_ratio == pytest.approx(
                1 - stats.cumulative_pairs / len(all_pairs)
            )
        assert d.pairs == len(ref) == len(generate_pairs(f, rules, link_only=link))
        assert d.pairs_completeness == pytest.approx(found / len(true_pairs))
        assert d.pairs_quality == pytest.approx(found / len(ref))


def test_diagnostics_report_formats() -> None:
    f = {"surname": obj(["<b>", "<b>", "x", "x", "x"]), "dob": obj(["1980-01-01"] * 5)}
    d = diagnose(f, [block_on("surname"), block_on("dob")], truth=[1, 1, 2, 2, 2])
    text = str(d)
    assert "surname" in text and "pairs completeness 1.0000" in text and "<b>" not in text
    data = json.loads(json.dumps(d.to_dict()))
    assert data["rules"][1]["new_pairs"] == 6 and data["pairs"] == 10
    assert data["rules"][0]["largest_blocks"] == [3, 2]
    assert "<table>" in d._repr_html_()
    plain = diagnose(f, [block_on("surname")])
    assert plain.pairs_completeness is None and "recall" not in str(plain)


# --------------------------------------------------------------------------- defaults


def test_default_rules_follow_available_keys() -> None:
    person = default_rules(
        ["given_name", "given_name_canonical", "surname", "dob", "email", "phone", "postcode"]
    )
    names = [r.name for r in person]
    assert names[:4] == [
        "email",
        "phone",
        "given_name_canonical & surname",
        "soundex(surname) & dob",
    ]
    assert "postcode & initial(surname)" in names and names[-1] == "dob"
    assert all(
        set(r.columns) <= {"given_name_canonical", "surname", "dob", "email", "phone", "postcode"}
        for r in person
    )
    with_full = [r.name for r in default_rules(["given_name", "surname", "full_name", "street"])]
    assert "sorted_tokens(full_name, min_tokens=2)" in with_full
    assert "initials(full_name, min_tokens=2) & street" in with_full
    company = [r.name for r in default_rules(["company", "city", "postcode"])]
    assert company[:3] == ["company & city", "company & postcode", "rare_token(company)"]
    assert default_rules([]) == []
    coded = [r.name for r in default_rules(["identifier", "surname", "email"])]
    assert coded[:4] == [
        "identifier",
        "half(identifier, part=1)",
        "half(identifier, part=2) & initial(surname)",
        "email",
    ]
    assert len(set(person)) == len(person)


# --------------------------------------------------------------------------- properties

VALUES = [None, "", "x", "xy", "xz", "y", "yy", "ab", "n/a", "0000000", "smith", "smyth", "b"]
VALUES += ["x y", "y x", "x-y", 7]  # word order, punctuation, a non-str value
KEY_MAKERS = [exact, initial, soundex, lambda c: prefix(c, 1), sorted_tokens, initials]


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[str, np.ndarray], list[BlockingRule], int | None]:
    n = draw(st.integers(0, 24))
    f = {c: obj(draw(st.lists(st.sampled_from(VALUES), min_size=n, max_size=n))) for c in "ab"}
    f["source"] = obj(draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=n, max_size=n)))
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        keys = [
            draw(st.sampled_from(KEY_MAKERS))(draw(st.sampled_from("ab")))
            for _ in range(draw(st.integers(1, 2)))
        ]
        window = draw(st.integers(1, 3))
        limit = draw(st.one_of(st.none(), st.integers(2, 6)))
        rules.append(BlockingRule(tuple(keys), window, limit))
    return f, rules, draw(st.one_of(st.none(), st.integers(2, 8)))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(tables(), st.booleans())
def test_property_equals_brute_force(
    case: tuple[dict[str, np.ndarray], list[BlockingRule], int | None], link: bool
) -> None:
    f, rules, limit = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        p = generate_pairs(f, rules, max_block_size=limit, link_only=link, chunk_size=5)
        again = generate_pairs(f, rules, max_block_size=limit, link_only=link)
    sources = list(f["source"]) if link else None
    expected = reference(f, rules, max_block_size=limit, sources=sources)
    assert as_triples(p) == expected
    assert as_triples(again) == expected  # deterministic, independent of chunking
    d = diagnose(f, rules, max_block_size=limit, link_only=link)
    assert d.pairs == len(expected)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(tables(), st.randoms(use_true_random=False))
def test_property_row_order_invariant(
    case: tuple[dict[str, np.ndarray], list[BlockingRule], int | None], rnd: Any
) -> None:
    f, rules, limit = case
    n = len(f["a"])
    perm = list(range(n))
    rnd.shuffle(perm)
    shuffled = {k: v[perm] for k, v in f.items()}  # new position q holds old record perm[q]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        base = as_triples(generate_pairs(f, rules, max_block_size=limit))
        moved = generate_pairs(shuffled, rules, max_block_size=limit)
    back = sorted(
        (min(perm[i], perm[j]), max(perm[i], perm[j]), r) for i, j, r in as_triples(moved)
    )
    assert back == base


# --------------------------------------------------------------------------- rare tokens, splits


def test_rare_token_key_matches_a_naive_reference() -> None:
    values = ["acme berg ag", "berg acme", "acme lind", "lind acme gmbh", "acme", "solo word"]
    docs = [set(v.split()) for v in values]

    def naive(i: int, rank: int) -> str | None:
        shared = sorted(
            (sum(t in d for d in docs), t)
            for t in docs[i]
            if len(t) > 1 and sum(t in d for d in docs) > 1
        )
        return shared[rank - 1][1] if len(shared) >= rank else None

    for rank in (1, 2):
        key = KeyFunction("rare_token", "company", None if rank == 1 else rank)
        assert key.keys_of_clean(values) == [naive(i, rank) for i in range(len(values))]
    assert KeyFunction.from_dict(KeyFunction("rare_token", "text", 2).to_dict()).arg == 2
    # the key does not depend on row order
    key = KeyFunction("rare_token", "company")
    assert key.keys_of_clean(values[::-1]) == key.keys_of_clean(values)[::-1]


def split_reference(
    features: dict[str, np.ndarray], rule: BlockingRule, limit: int
) -> set[tuple[int, int]]:
    """Oversized blocks split: records (input order) pair with the next limit - 1 of the block."""
    n = len(next(iter(features.values())))
    keys = [tuple(k.apply(features[k.column][i]) for k in rule.keys) for i in range(n)]
    blocks: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        if all(part is not None for part in key):
            blocks.setdefault(key, []).append(i)
    out = set()
    for members in blocks.values():
        for a, b in combinations(range(len(members)), 2):
            if len(members) <= limit or b - a < limit:
                out.add((members[a], members[b]))
    return out


@pytest.mark.parametrize("limit", [2, 3, 7, 40])
def test_split_oversized_blocks_match_reference(limit: int) -> None:
    rng = np.random.default_rng(limit)
    f = {
        "a": obj(rng.choice(["x", "y", "z", None], 60, p=[0.6, 0.2, 0.1, 0.1]).tolist()),
        "b": obj(rng.choice(["p", "q"], 60).tolist()),
    }
    rules = [block_on("b"), block_on("a")]
    got, streamed, diag = three_ways(
        f, rules, max_block_size=limit, split_oversized=True, chunk_size=7
    )
    expected = split_reference(f, rules[0], limit) | split_reference(f, rules[1], limit)
    assert set(zip(got.left.tolist(), got.right.tolist(), strict=True)) == expected
    assert streamed == sorted(as_triples(got))
    assert diag.rules[-1].cumulative_pairs == len(got)
    # bounded: no record gains more than 2 * (limit - 1) partners per rule
    assert len(got) <= len(rules) * 60 * (limit - 1)


def test_split_oversized_blocks_warn() -> None:
    f = {"phone": obj(["+41446681800"] * 10)}
    with pytest.warns(OversizedBlockWarning, match="split 1 block"):
        p = generate_pairs(f, [block_on("phone")], max_block_size=4, split_oversized=True)
    assert len(p) == 10 * 3 - 6  # each record pairs with the next 3 (fewer at the end)


def budget_features(n: int, seed: int) -> dict[str, np.ndarray]:
    """A few huge surname blocks, birth dates shared by the duplicates of one person."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, n // 3, n)
    dob = np.array([f"19{p % 80 + 10:02d}-0{p % 9 + 1}-1{p % 10}" for p in person])
    dob_list: list[Any] = dob.tolist()
    for i in rng.choice(n, n // 10, replace=False):
        dob_list[i] = None  # missing values never sort together
    return {
        "surname": obj(rng.choice(["smith", "jones", "brown"], n).tolist()),
        "dob": obj(dob_list),
        "person": person,
    }


@pytest.mark.parametrize("budget", [50, 400, 3000])
def test_pair_budget_bounds_each_rule(budget: int) -> None:
    f = budget_features(300, budget)
    rules = [block_on("surname")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        got = generate_pairs(f, rules, split_oversized=True, pair_budget=budget)
        chunks = list(iter_pairs(f, rules, split_oversized=True, pair_budget=budget, chunk_size=9))
        diag = diagnose(f, rules, split_oversized=True, pair_budget=budget)
        unbounded = generate_pairs(f, rules, split_oversized=True)
    # about the budget: at least one neighbour per record and sort order when windowed
    assert len(got) <= max(budget, 300)
    assert len(unbounded) == sum(c * (c - 1) // 2 for c in Counter(f["surname"]).values())
    assert sorted(t for c in chunks for t in as_triples(c)) == sorted(as_triples(got))
    assert diag.rules[-1].cumulative_pairs == len(got)
    pairs = set(zip(got.left.tolist(), got.right.tolist(), strict=True))
    assert pairs <= set(zip(unbounded.left.tolist(), unbounded.right.tolist(), strict=True))


def test_split_block_pairs_records_sharing_a_sort_value() -> None:
    """Inside a split block, records with the same birth date sort next to each other."""
    f = budget_features(600, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        got = generate_pairs(
            f, [block_on("surname")], split_oversized=True, pair_budget=600, split_columns=["dob"]
        )
    assert len(got) <= 1200
    graph = nx.Graph()
    graph.add_edges_from(zip(got.left.tolist(), got.right.tolist(), strict=True))
    groups: dict[tuple[str, str], list[int]] = {}
    for i in range(600):
        if f["dob"][i] is not None:
            groups.setdefault((f["surname"][i], f["dob"][i]), []).append(i)
    # the records of one surname and birth date are found together however far apart they are
    # in input order, because they are neighbours in the block's birth-date order (with a
    # window of one a group of three gets two of its three pairs: still connected)
    multi = [g for g in groups.values() if len(g) > 1]
    assert multi
    for members in multi:
        assert nx.is_connected(graph.subgraph(members))


def test_pair_budget_needs_split_and_is_validated() -> None:
    f = budget_features(120, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversizedBlockWarning)
        skipped = generate_pairs(f, [block_on("surname")], pair_budget=10)
    # without split_oversized the budget does not apply: blocks up to max_block_size are whole
    assert len(skipped) == sum(c * (c - 1) // 2 for c in Counter(f["surname"]).values())
    with pytest.raises(ValueError, match="pair_budget"):
        generate_pairs(f, [block_on("surname")], pair_budget=0)
    with pytest.raises(ValueError, match="split_window"):
        generate_pairs(f, [block_on("surname")], split_window=0)
