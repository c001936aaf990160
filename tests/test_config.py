"""ResolverConfig: JSON round trip and exact reproduction of a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crmresolve.config import ConfigError, ResolverConfig
from crmresolve.io import read_csv
from crmresolve.pipeline import Resolver

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contacts.csv"
FIELDS = {
    "given_name": ["first_name"],
    "surname": ["last_name"],
    "email": ["email"],
    "phone": ["phone"],
    "dob": ["date_of_birth"],
    "street": ["street"],
    "postcode": ["postcode"],
}


def test_round_trip_and_exact_reproduction(tmp_path: Path) -> None:
    table = read_csv(EXAMPLE, id_column="record_id")
    first = Resolver(FIELDS, id_column="record_id", threshold=0.6, seed=5)
    res1 = first.resolve(table)
    cfg = ResolverConfig.from_resolver(first)
    path = tmp_path / "cfg.json"
    cfg.save(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "version": 1,')  # readable, indent=2, version first
    loaded = ResolverConfig.load(path)
    assert loaded == ResolverConfig.from_dict(json.loads(text))
    assert loaded.to_dict() == cfg.to_dict()
    res2 = loaded.to_resolver().resolve(table)
    assert np.array_equal(res1.pairs.match_probability, res2.pairs.match_probability)
    assert res1.pairs.match_probability.tobytes() == res2.pairs.match_probability.tobytes()
    assert res1.cluster_of.tolist() == res2.cluster_of.tolist()
    assert res1.golden is not None and res2.golden is not None
    assert res1.golden.columns["email"].tolist() == res2.golden.columns["email"].tolist()


def test_survivorship_rules_round_trip(tmp_path: Path) -> None:
    from crmresolve.survive import RuleSet

    rules = RuleSet.from_dict({"columns": {"email": {"rules": ["most_recent"]}}})
    r = Resolver(FIELDS, survivorship=rules)
    cfg = ResolverConfig.from_resolver(r)
    assert cfg.survivorship == rules.to_dict()
    back = ResolverConfig.from_json(cfg.to_json()).to_resolver()
    assert isinstance(back.survivorship, RuleSet)
    assert back.survivorship.to_dict() == rules.to_dict()


def test_bad_configs() -> None:
    with pytest.raises(ConfigError, match="unknown configuration keys: colour"):
        ResolverConfig.from_dict({"fields": {"email": ["e"]}, "colour": 1})
    with pytest.raises(ConfigError, match="newer"):
        ResolverConfig.from_dict({"fields": {"email": ["e"]}, "version": 99})
    with pytest.raises(ConfigError, match="fields"):
        ResolverConfig.from_dict({"version": 1})
    with pytest.raises(ConfigError, match="invalid JSON"):
        ResolverConfig.from_json("[")
