"""Loaders for the labelled benchmark datasets in ``../shared/datasets/`` (beside the repo).

Every loader returns a :class:`Dataset` with one common shape, whatever the source files:

* ``records``: a pandas DataFrame, first column ``record_id`` (unique key), then the
  original columns as text with missing values as ``None``; link sets are the A and B files
  concatenated with a ``source`` column (``"a"`` / ``"b"``). Rows are shuffled with a fixed
  seed because several files are sorted by entity, which would flatter any method that
  looks at row order.
* ``entity_id``: the truth, one id per row, kept OUT of ``records``.
* Leak columns named under "Do not use as matching features" in each dataset README are
  dropped, and so are plain copies of ``record_id`` (they are sequential / grouped by entity
  in several files). ``record_id`` itself stays as the key but is NOT a feature: in Febrl,
  dsgen and Fodors it encodes the label (``rec-12-dup-0``, ``…0``/``…1``, parallel numbers).
* ``roles``: a suggested crmresolve field map (role → columns) for hand-configured runs
  (link sets also map the ``source`` role).
* ``people_or_company``: ``"people"``, ``"company"`` or ``"bibliographic"``.

>>> ds = load("febrl1")
>>> ds.kind, len(ds.records), ds.true_pairs
('dedup', 1000, 500)
>>> "rec_id" in ds.records.columns
False
>>> sorted(DATASETS)[:2]
['census_secondstring', 'cora_citations']

The data folder is found relative to this file (``<repo>/../shared/datasets``) so the same
code works wherever the checkout lives; ``CRMRESOLVE_DATASETS`` overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmresolve.evaluate import true_pair_count

__all__ = ["DATASETS", "DATA_DIR", "SPECS", "Dataset", "DatasetSpec", "load"]

DATA_DIR = Path(
    os.environ.get(
        "CRMRESOLVE_DATASETS",
        Path(__file__).resolve().parent.parent.parent / "shared" / "datasets",
    )
)

Kind = Literal["dedup", "link"]
Domain = Literal["people", "company", "bibliographic"]


@dataclass(frozen=True)
class DatasetSpec:
    """Static facts about one dataset: files, leaks to drop, roles, domain."""

    name: str
    kind: Kind
    people_or_company: Domain
    roles: dict[str, list[str]]
    #: Columns the README lists under "Do not use as matching features" (besides entity_id).
    leak_columns: tuple[str, ...] = ()
    #: Exact copies of record_id (not listed as leaks, but keys rather than features).
    key_copies: tuple[str, ...] = ()
    #: Copies of the A/B source flag (redundant with the added ``source`` column).
    source_copies: tuple[str, ...] = ()
    #: Derived columns: name -> function of the raw frame (documented in `roles`).
    derived: dict[str, Callable[[pd.DataFrame], pd.Series]] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Dataset:
    """One loaded benchmark dataset (see the module docstring for the contract)."""

    name: str
    kind: Kind
    people_or_company: Domain
    records: pd.DataFrame
    entity_id: np.ndarray
    roles: dict[str, list[str]]
    dropped_columns: tuple[str, ...]
    derived_columns: tuple[str, ...]
    description: str
    seed: int | None

    @property
    def sources(self) -> np.ndarray | None:
        """Per-row source (``"a"``/``"b"``) for link sets, else ``None``."""
        if self.kind != "link":
            return None
        return self.records["source"].to_numpy(dtype=object)

    @property
    def true_pairs(self) -> int:
        """True pairs: within-entity pairs for dedup sets, cross-source pairs for link sets."""
        return true_pair_count(self.entity_id, link_sources=self.sources)

    @property
    def true_pairs_dedup(self) -> int:
        """All within-entity pairs, ignoring sources (link sets used as one dedup set)."""
        return true_pair_count(self.entity_id)

    def feature_columns(self) -> list[str]:
        """Columns that may be used for matching (everything except the key and source)."""
        return [c for c in self.records.columns if c not in ("record_id", "source")]

    def to_table(self) -> Any:
        """The records as a :class:`crmresolve.table.Table` (ids = ``record_id``)."""
        from crmresolve.table import Table

        cols = {c: self.records[c].tolist() for c in self.records.columns if c != "record_id"}
        return Table.from_columns(cols, ids=self.records["record_id"].tolist())


# --------------------------------------------------------------------------- specs

_FEBRL_ROLES: dict[str, list[str]] = {
    "given_name": ["given_name"],
    "surname": ["surname"],
    "street": ["street_number", "address_1", "address_2"],
    "city": ["suburb"],
    "postcode": ["postcode"],
    "dob": ["date_of_birth"],
    "identifier": ["soc_sec_id"],
}
_DSGEN_ROLES: dict[str, list[str]] = {**_FEBRL_ROLES, "phone": ["phone_number"]}
_SPLINK_ROLES: dict[str, list[str]] = {
    "given_name": ["first_name"],
    "surname": ["surname"],
    "dob": ["dob"],
    "city": ["city"],
    "email": ["email"],
}
_RL_ROLES: dict[str, list[str]] = {
    "given_name": ["fname_c1", "fname_c2"],
    "surname": ["lname_c1", "lname_c2"],
    "dob": ["birth_date"],
}


def _rl_birth_date(df: pd.DataFrame) -> pd.Series:
    # RLdata splits the birth date into year/month/day; one ISO column suits a dob role.
    out = []
    for y, m, d in zip(df["by"], df["bm"], df["bd"], strict=True):
        if y and m and d:
            out.append(f"{int(y):04d}-{int(m):02d}-{int(d):02d}")
        else:
            out.append(None)
    return pd.Series(out, index=df.index, dtype=object)


def _febrl(name: str, kind: Kind, desc: str) -> DatasetSpec:
    return DatasetSpec(name, kind, "people", _FEBRL_ROLES, ("rec_id",), description=desc)


def _dsgen(name: str, kind: Kind, desc: str) -> DatasetSpec:
    leaks = ("rec_id", "blocking_number")
    return DatasetSpec(name, kind, "people", _DSGEN_ROLES, leaks, description=desc)


SPECS: dict[str, DatasetSpec] = {
    s.name: s
    for s in [
        _febrl("febrl1", "dedup", "Febrl synthetic AU persons, 1 dup per original"),
        _febrl("febrl2", "dedup", "Febrl synthetic AU persons, up to 5 dups"),
        _febrl("febrl3", "dedup", "Febrl synthetic AU persons, up to 5 dups (Zipf)"),
        _febrl("febrl4", "link", "Febrl synthetic AU persons, A originals / B duplicates"),
        _dsgen("febrl_dsgen_A_10000", "dedup", "Febrl 0.4.2 persons with phone, light dups"),
        _dsgen("febrl_dsgen_C_10000", "dedup", "Febrl 0.4.2 persons with phone, heavy dups"),
        _dsgen("febrl_dsgen_D_10000_link", "link", "Febrl 0.4.2 linkage, light errors"),
        _dsgen("febrl_dsgen_F_10000_link", "link", "Febrl 0.4.2 linkage, heavy errors"),
        DatasetSpec(
            "census_secondstring",
            "link",
            "people",
            {
                "given_name": ["first_name"],
                "surname": ["last_name"],
                "street": ["house_number", "street"],
            },
            leak_columns=("id",),
            source_copies=("file",),
            description="US census-style persons, hard name variations, households",
        ),
        DatasetSpec(
            "splink_fake_1000",
            "dedup",
            "people",
            _SPLINK_ROLES,
            leak_columns=("cluster",),
            key_copies=("unique_id",),
            description="Splink synthetic UK persons (1000)",
        ),
        DatasetSpec(
            "splink_fake_20000",
            "dedup",
            "people",
            _SPLINK_ROLES,
            leak_columns=("group",),
            key_copies=("unique_id",),
            description="Splink synthetic UK persons (20000)",
        ),
        DatasetSpec(
            "rldata500",
            "dedup",
            "people",
            _RL_ROLES,
            derived={"birth_date": _rl_birth_date},
            description="R RecordLinkage synthetic German persons (500)",
        ),
        DatasetSpec(
            "rldata10000",
            "dedup",
            "people",
            _RL_ROLES,
            derived={"birth_date": _rl_birth_date},
            description="R RecordLinkage synthetic German persons (10000)",
        ),
        DatasetSpec(
            "patentsview_inventors",
            "dedup",
            "people",
            {
                "given_name": ["raw_inventor_name_first"],
                "surname": ["raw_inventor_name_last"],
                "city": ["raw_city"],
                "country": ["raw_country"],
                "company": ["assignee_organizations"],
                "updated_at": ["patent_date"],
                "text": ["patent_title"],
                "items": ["cpc_subclasses", "coinventors"],
            },
            key_copies=("mention_id",),
            description="REAL US patent inventors, hand-labelled (PatentsView benchmark)",
        ),
        DatasetSpec(
            "dedupe_patstat_nl",
            "dedup",
            "company",
            {"company": ["Name"], "items": ["Coauthor", "Class"]},
            leak_columns=("reference_person_name",),
            key_copies=("person_id",),
            description="REAL Dutch patent applicants (mostly companies)",
        ),
        DatasetSpec(
            "fodors_zagat",
            "link",
            "company",
            {
                "company": ["name"],
                "street": ["addr"],
                "city": ["city"],
                "phone": ["phone"],
                "text": ["type"],
            },
            leak_columns=("id",),
            description="REAL restaurants from two guides",
        ),
        DatasetSpec(
            "cora_citations",
            "dedup",
            "bibliographic",
            {
                "text": ["title", "authors", "book_title", "journal", "publisher"],
            },
            # README: "record_id/id are sequential and roughly grouped by entity".
            key_copies=("id",),
            description="Cora citations (bibliographic, not CRM)",
        ),
    ]
}

#: Every dataset name, in the order of the shared README table.
DATASETS: list[str] = list(SPECS)


# --------------------------------------------------------------------------- loading


def _read(path: Path) -> pd.DataFrame:
    # Text only: ids like "0012" and postcodes must keep their leading zeros.
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    return df.astype(object)


def _blank_to_none(df: pd.DataFrame) -> pd.DataFrame:
    out = df.astype(object)
    return out.where(out != "", None)


def _check_link_truth(folder: Path, name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    """The matches file must be exactly the cross-file pairs sharing an entity id."""
    matches = _read(folder / f"{name}_matches.csv")
    ent_a = dict(zip(a["record_id"], a["entity_id"], strict=True))
    ent_b = dict(zip(b["record_id"], b["entity_id"], strict=True))
    bad = [
        (ra, rb)
        for ra, rb in zip(matches["record_id_a"], matches["record_id_b"], strict=True)
        if ent_a.get(ra) is None or ent_a.get(ra) != ent_b.get(rb)
    ]
    ents = np.concatenate([a["entity_id"].to_numpy(), b["entity_id"].to_numpy()])
    srcs = np.array(["a"] * len(a) + ["b"] * len(b), dtype=object)
    expected = true_pair_count(ents, link_sources=srcs)
    if bad or len(matches) != expected:
        raise ValueError(
            f"{name}: matches file disagrees with entity ids "
            f"({len(bad)} bad pairs; {len(matches)} listed vs {expected} implied)"
        )


def load(name: str, *, seed: int | None = 0, data_dir: Path | str | None = None) -> Dataset:
    """Load one dataset by name (see :data:`DATASETS`); ``seed=None`` keeps file order."""
    if name not in SPECS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    spec = SPECS[name]
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    folder = folder / name
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {folder}")

    if spec.kind == "link":
        a = _read(folder / f"{name}_a.csv")
        b = _read(folder / f"{name}_b.csv")
        _check_link_truth(folder, name, a, b)
        a.insert(1, "source", "a")
        b.insert(1, "source", "b")
        raw = pd.concat([a, b], ignore_index=True)
    else:
        raw = _read(folder / f"{name}.csv")

    if raw["record_id"].duplicated().any():
        raise ValueError(f"{name}: record_id is not unique")
    # Only drop a "copy" if it really is one, so a changed file fails loudly.
    for col in spec.key_copies:
        if not (raw[col] == raw["record_id"]).all():
            raise ValueError(f"{name}: column {col!r} is not a copy of record_id")
    for col in spec.source_copies:
        if not (raw[col].str.lower() == raw["source"]).all():
            raise ValueError(f"{name}: column {col!r} is not a copy of the source flag")

    dropped = ("entity_id", *spec.leak_columns, *spec.key_copies, *spec.source_copies)
    missing = [c for c in dropped if c not in raw.columns]
    if missing:
        raise ValueError(f"{name}: expected columns not found: {missing}")

    for col, fn in spec.derived.items():
        raw[col] = fn(raw)

    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(raw))
        raw = raw.iloc[order].reset_index(drop=True)

    entity = raw["entity_id"].to_numpy(dtype=object)
    records = _blank_to_none(raw.drop(columns=list(dropped)))
    for role_cols in spec.roles.values():
        for col in role_cols:
            if col not in records.columns:
                raise ValueError(f"{name}: role column {col!r} not in records")
    roles = {k: list(v) for k, v in spec.roles.items()}
    if spec.kind == "link":
        roles["source"] = ["source"]
    return Dataset(
        name=name,
        kind=spec.kind,
        people_or_company=spec.people_or_company,
        records=records,
        entity_id=entity,
        roles=roles,
        dropped_columns=dropped,
        derived_columns=tuple(spec.derived),
        description=spec.description,
        seed=seed,
    )


def summary() -> pd.DataFrame:
    """One row per dataset: kind, records, entities, true pairs, dropped columns."""
    rows = []
    for name in DATASETS:
        ds = load(name)
        rows.append(
            {
                "dataset": name,
                "kind": ds.kind,
                "domain": ds.people_or_company,
                "records": len(ds.records),
                "entities": len(set(ds.entity_id.tolist())),
                "true_pairs": ds.true_pairs,
                "dropped": ", ".join(ds.dropped_columns),
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    print(summary().to_string(index=False))
