"""Golden records: one per cluster, each value traceable to the member record it came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from crmresolve.cluster._graph import paused_gc
from crmresolve.cluster._ids import cluster_ids_for
from crmresolve.roles import validate_field_map
from crmresolve.survive._config import RuleSet, load_rules
from crmresolve.survive._engine import FIXED_RULE_NAMES, Context, Validity, run_unit
from crmresolve.survive._rules import FieldGroup, FieldRule, Rule
from crmresolve.table import Table, notnull

if TYPE_CHECKING:
    import pandas as pd

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]

ALL_SUFFIX = "__all"
#: Lineage rule of a group part taken from a member that agrees with the winning record.
GROUP_FILL = "group_fill"
ALL_SEPARATOR = "|"

RulesArg = (
    RuleSet | Mapping[str, Sequence[Rule] | FieldRule] | Sequence[FieldRule | FieldGroup] | None
)


class _ClusteringLike(Protocol):
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def cluster_ids(self) -> npt.NDArray[np.object_]: ...


class LineageRow(NamedTuple):
    """Where one golden value came from."""

    cluster_id: str
    column: str
    value: str
    source_record_id: str
    rule: str
    n_alternatives: int


@dataclass(frozen=True)
class Lineage:
    """Lineage of every golden value, column-wise (one row per non-missing golden value).

    ``rule`` is the rule that left a single value: a chain rule's name (``most_recent``, ...),
    ``single_record`` (one-record cluster), ``unanimous`` (all members agree up to
    normalization), ``tie_break`` (smallest record id) or ``group_fill`` (a part of a
    :class:`FieldGroup` the winning record lacked, taken from a member that agrees with it).
    ``n_alternatives`` counts the other distinct values (by normalized form) among the
    members. Rows are grouped by column.

    The repetitive columns are stored as codes (a million records make ~8 M rows: three object
    arrays of cluster ids, column and rule names would hold ~190 MB of pointers); the
    ``cluster_id``, ``column`` and ``rule`` arrays are built when read.
    """

    cluster_index: IntArray
    value: ObjArray
    source_record_id: ObjArray
    n_alternatives: IntArray
    cluster_ids: ObjArray
    column_code: npt.NDArray[np.int16]
    column_names: tuple[str, ...]
    rule_code: npt.NDArray[np.int16]
    rule_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.cluster_index.size)

    @property
    def cluster_id(self) -> ObjArray:
        """Cluster id per row."""
        out: ObjArray = self.cluster_ids[self.cluster_index]
        return out

    @property
    def column(self) -> ObjArray:
        """Input column per row."""
        return _names(self.column_names)[self.column_code]

    @property
    def rule(self) -> ObjArray:
        """Survivorship rule per row."""
        return _names(self.rule_names)[self.rule_code]

    def __iter__(self) -> Iterator[LineageRow]:
        for row in self._columns(slice(None)):
            yield LineageRow(*row)

    def rows(self) -> list[LineageRow]:
        return list(self)

    def for_cluster(self, cluster_id: str) -> list[LineageRow]:
        """Rows of one golden record."""
        k = np.flatnonzero(self.cluster_ids == cluster_id)
        if k.size == 0:
            return []
        return list(self._take(np.flatnonzero(self.cluster_index == k[0])))

    def _columns(self, idx: IntArray | slice) -> Iterator[tuple[Any, ...]]:
        return zip(
            self.cluster_ids[self.cluster_index[idx]].tolist(),
            [self.column_names[c] for c in self.column_code[idx].tolist()],
            self.value[idx].tolist(),
            self.source_record_id[idx].tolist(),
            [self.rule_names[c] for c in self.rule_code[idx].tolist()],
            self.n_alternatives[idx].tolist(),
            strict=True,
        )

    def _take(self, idx: IntArray) -> Iterator[LineageRow]:
        for row in self._columns(idx):
            yield LineageRow(
                str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5])
            )

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "cluster_id": self.cluster_id,
                "column": self.column,
                "value": self.value,
                "source_record_id": self.source_record_id,
                "rule": self.rule,
                "n_alternatives": self.n_alternatives,
            }
        )


def _names(names: tuple[str, ...]) -> ObjArray:
    out = np.empty(len(names), dtype=object)
    out[:] = list(names)
    return out


@dataclass(frozen=True)
class GoldenRecords:
    """One golden record per cluster.

    ``columns`` maps every input column to its golden values (raw values of member records;
    ``None`` when no member has one) and, for multi-valued fields, ``<column>__all`` to every
    distinct value joined with ``|`` (the exact tuples are in ``all_values``). ``members`` are
    the sorted record ids of each cluster.
    """

    cluster_ids: ObjArray
    columns: dict[str, ObjArray]
    members: list[list[str]]
    lineage: Lineage
    all_values: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    rules: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.cluster_ids.size)

    def record(self, cluster_id: str) -> dict[str, Any]:
        """The golden record of one cluster as a dict (plus ``cluster_id`` and ``members``)."""
        hits = np.flatnonzero(self.cluster_ids == cluster_id)
        if hits.size == 0:
            raise KeyError("unknown cluster id")
        i = int(hits[0])
        out: dict[str, Any] = {"cluster_id": cluster_id}
        out.update({name: col[i] for name, col in self.columns.items()})
        out["members"] = list(self.members[i])
        return out

    def to_table(self) -> Table:
        """Golden records as a :class:`Table` whose ids are the cluster ids (for ``write_csv``)."""
        return Table(self.cluster_ids.copy(), {k: v.copy() for k, v in self.columns.items()})

    def to_records(self) -> list[dict[str, Any]]:
        names = list(self.columns)
        cols = [self.columns[n].tolist() for n in names]
        out = []
        for i, cid in enumerate(self.cluster_ids.tolist()):
            rec: dict[str, Any] = {"cluster_id": cid}
            for n, c in zip(names, cols, strict=True):
                rec[n] = c[i]
            rec["member_count"] = len(self.members[i])
            out.append(rec)
        return out

    def to_pandas(self) -> pd.DataFrame:
        """Golden records as a DataFrame (needs the ``pandas`` extra)."""
        import pandas as pd

        data: dict[str, Any] = {"cluster_id": self.cluster_ids}
        data.update(self.columns)
        data["member_count"] = np.array([len(m) for m in self.members], dtype=np.int64)
        data["members"] = [ALL_SEPARATOR.join(m) for m in self.members]
        return pd.DataFrame(data)


@dataclass(frozen=True)
class Survivorship:
    """Survivorship settings (sklearn style); :meth:`build` makes the golden records.

    >>> t = Table.from_columns({"Name": ["ann lee", "Ann Lee", "Bob"]}, ids=["1", "2", "3"])
    >>> g = Survivorship().build(t, np.array([0, 0, 1]), field_map={"full_name": ["Name"]})
    >>> g.columns["Name"].tolist(), g.members
    (['Ann Lee', 'Bob'], [['1', '2'], ['3']])
    """

    rules: RulesArg = None
    source_priority: Sequence[str] | None = None
    auto_normalize: bool = True

    @classmethod
    def from_toml(cls, path: str | Path, **kwargs: Any) -> Survivorship:
        return cls(rules=load_rules(path), **kwargs)

    def build(
        self,
        table: Table,
        clustering: _ClusteringLike | npt.ArrayLike,
        *,
        cluster_ids: Sequence[str] | ObjArray | None = None,
        field_map: Mapping[str, Sequence[str]] | None = None,
        updated_at: str | npt.NDArray[Any] | None = None,
        source: str | None = None,
        validity: Validity | None = None,
        normalized: Mapping[str, ObjArray] | None = None,
    ) -> GoldenRecords:
        return build_golden_records(
            table,
            clustering,
            cluster_ids=cluster_ids,
            field_map=field_map,
            rules=self.rules,
            updated_at=updated_at,
            source=source,
            source_priority=self.source_priority,
            validity=validity,
            normalized=normalized,
            auto_normalize=self.auto_normalize,
        )


def build_golden_records(
    table: Table,
    clustering: _ClusteringLike | npt.ArrayLike,
    *,
    cluster_ids: Sequence[str] | ObjArray | None = None,
    field_map: Mapping[str, Sequence[str]] | None = None,
    rules: RulesArg = None,
    updated_at: str | npt.NDArray[Any] | None = None,
    source: str | None = None,
    source_priority: Sequence[str] | None = None,
    validity: Validity | None = None,
    normalized: Mapping[str, ObjArray] | None = None,
    auto_normalize: bool = True,
) -> GoldenRecords:
    """Merge each cluster's records into one golden record with lineage.

    * ``clustering`` — a :class:`~crmresolve.cluster.Clustering` (its record ids must equal
      ``table.ids``) or one label per record (any values; then ``cluster_ids`` are the
      clustering ids of the labels ``0..k-1``, or, if omitted, made from the smallest member
      record id exactly like :mod:`crmresolve.cluster` does).
    * ``field_map`` — role → columns; picks each column's default rule chain.
    * ``rules`` — a :class:`RuleSet` (e.g. from :func:`load_rules`), a mapping column → rule
      chain / :class:`FieldRule`, or a list of :class:`FieldRule` / :class:`FieldGroup`.
    * ``updated_at`` / ``source`` — the timestamp and source-system columns (default: the
      ``updated_at`` / ``source`` roles of ``field_map``, then the rule set's settings);
      ``updated_at`` may also be an array (datetime64 or epoch seconds).
    * ``validity`` — column → boolean array (one per record) or ``fn(raw_value) -> bool``;
      without it, e-mail/phone/dob columns use ``crmresolve.normalize.parse_*`` when that
      package provides them (``auto_normalize``), else every value counts as valid.
    * ``normalized`` — column → normalized values per record; values are grouped by this form
      (default: case/accent/spacing-insensitive, see ``default_key``).

    Raw values survive unchanged: a golden value is always the raw value of one member record.
    Values are grouped by normalized form for the rules (``"ROBERT SMITH"`` and ``"Robert
    Smith"`` count as one value for ``most_frequent``), and the surviving spelling is the
    best-formatted raw variant of the winning value (mixed case and accents preferred for
    names and addresses).

    >>> t = Table.from_columns({"Email": ["a@x.org", None, "b@x.org"]}, ids=["r1", "r2", "r3"])
    >>> g = build_golden_records(t, [0, 0, 0], field_map={"email": ["Email"]})
    >>> g.columns["Email"].tolist(), g.columns["Email__all"].tolist()
    (['a@x.org'], ['a@x.org|b@x.org'])
    """
    with paused_gc():
        return _build(
            table,
            clustering,
            cluster_ids=cluster_ids,
            field_map=field_map,
            rules=rules,
            updated_at=updated_at,
            source=source,
            source_priority=source_priority,
            validity=validity,
            normalized=normalized,
            auto_normalize=auto_normalize,
        )


def _build(
    table: Table,
    clustering: _ClusteringLike | npt.ArrayLike,
    *,
    cluster_ids: Sequence[str] | ObjArray | None,
    field_map: Mapping[str, Sequence[str]] | None,
    rules: RulesArg,
    updated_at: str | npt.NDArray[Any] | None,
    source: str | None,
    source_priority: Sequence[str] | None,
    validity: Validity | None,
    normalized: Mapping[str, ObjArray] | None,
    auto_normalize: bool,
) -> GoldenRecords:
    labels, cids = _resolve_clusters(table, clustering, cluster_ids)
    ruleset = RuleSet.of(rules)
    fmap = validate_field_map(field_map or {}, columns=table.column_names)
    roles_by_column = {col: role for role, cols in fmap.items() for col in cols}
    ts_default: str | npt.NDArray[Any] | None = updated_at
    if ts_default is None:
        ts_default = _first(fmap.get("updated_at")) or ruleset.updated_at
    src = source or _first(fmap.get("source")) or ruleset.source
    for name, col in (("updated_at", ts_default), ("source", src)):
        if isinstance(col, str) and col not in table.columns:
            raise KeyError(f"{name} column {col!r} is not in the table")
    priority = tuple(source_priority) if source_priority is not None else ruleset.source_priority

    id_rank = _ranks(table.ids)
    ctx = Context(
        table,
        labels,
        cids.size,
        id_rank,
        roles_by_column,
        updated_at=ts_default,
        source=src,
        source_priority=priority,
        validity=validity,
        normalized=normalized,
        auto_normalize=auto_normalize,
    )
    units = ruleset.units(table.column_names, roles_by_column)
    clashes = [
        c + ALL_SUFFIX
        for u in units
        if isinstance(u, FieldRule) and u.keep_all
        for c in u.columns
        if c + ALL_SUFFIX in table.columns
    ]
    if clashes:
        raise ValueError(f"output column(s) {', '.join(clashes)} would overwrite input columns")

    golden: dict[str, ObjArray] = {}
    all_values: dict[str, list[tuple[str, ...]]] = {}
    lineage_parts: list[_Part] = []
    rule_index: dict[str, int] = {}  # rule name -> lineage rule code
    # The units run in this process. Forked workers would be faster but each would copy most
    # of the table's strings (reading a Python object writes its reference count, so the page
    # is copied): at a million records the process tree grew from 3.7 to 5.8 GiB.
    # A column's codes, grouping keys and format scores (~33 bytes per record) are dropped after
    # the last unit that reads it: kept to the end, on top of the lineage, they made the run's
    # peak (on a million-record clustering the peak RSS went 2,593 -> 2,146 MiB).
    last_unit = {col: i for i, unit in enumerate(units) for col in unit.columns}
    for i, unit in enumerate(units):
        res = run_unit(ctx, unit)
        ctx.release([col for col in unit.columns if last_unit[col] == i])
        names = [r.describe() for r in unit.chain] + [FIXED_RULE_NAMES[k] for k in (-3, -2, -1)]
        codes = np.array([rule_index.setdefault(r, len(rule_index)) for r in names], np.int16)
        has = res.winner >= 0
        win = res.winner[has]
        cl_idx = np.flatnonzero(has)
        # Chain position k >= 0 → names[k]; fixed codes -3..-1 → the last three names.
        rule_of = codes[np.where(res.rule[has] >= 0, res.rule[has], len(names) + res.rule[has])]
        for col in unit.columns:
            col_win, col_rules = win, rule_of
            if col in res.fills:
                # Group parts completed from a compatible member (see _group_fills).
                filled_cl, filled_rec = res.fills[col]
                full = res.winner.copy()
                full[filled_cl] = filled_rec
                col_win = full[has]
                col_rules = rule_of.copy()
                col_rules[np.isin(cl_idx, filled_cl)] = rule_index.setdefault(
                    GROUP_FILL, len(rule_index)
                )
            values = np.empty(cids.size, dtype=object)
            raw = table.columns[col][col_win]
            values[cl_idx] = raw
            golden[col] = values
            ok = notnull(raw)
            lineage_parts.append(
                _Part(
                    cl_idx[ok],
                    col,
                    raw[ok],
                    table.ids[col_win[ok]],
                    col_rules[ok],
                    res.n_alternatives[has][ok],
                )
            )
        if res.all_values is not None:
            col = unit.columns[0]
            all_values[col] = res.all_values
            joined = np.empty(cids.size, dtype=object)
            joined[:] = [ALL_SEPARATOR.join(v) if v else None for v in res.all_values]
            golden[col + ALL_SUFFIX] = joined

    ordered: dict[str, ObjArray] = {}
    for col in table.column_names:
        ordered[col] = golden[col]
        if col + ALL_SUFFIX in golden:
            ordered[col + ALL_SUFFIX] = golden[col + ALL_SUFFIX]
    order = {c: i for i, c in enumerate(table.column_names)}
    lineage_parts.sort(key=lambda p: order[p.column])
    lineage = _lineage(cids, lineage_parts, tuple(rule_index))
    return GoldenRecords(
        cluster_ids=cids,
        columns=ordered,
        members=_members(table.ids, labels, id_rank, cids.size),
        lineage=lineage,
        all_values=all_values,
        rules=tuple(u.describe() for u in units),
    )


def _first(columns: Sequence[str] | None) -> str | None:
    return columns[0] if columns else None


class _Part(NamedTuple):
    """Lineage rows of one column: cluster indices, values, source ids, rule codes."""

    cluster_index: IntArray
    column: str
    value: ObjArray
    source_record_id: ObjArray
    rule_code: npt.NDArray[np.int16]
    n_alternatives: IntArray


def _lineage(cids: ObjArray, parts: list[_Part], rule_names: tuple[str, ...]) -> Lineage:
    columns = tuple(dict.fromkeys(p.column for p in parts))
    sizes = [p.cluster_index.size for p in parts]
    col_code = np.repeat(
        np.array([columns.index(p.column) for p in parts], dtype=np.int16),
        np.array(sizes, dtype=np.int64),
    )

    def cat(arrays: list[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)

    return Lineage(
        cluster_index=cat([p.cluster_index for p in parts], np.int64),
        value=cat([p.value for p in parts], object),
        source_record_id=cat([p.source_record_id for p in parts], object),
        n_alternatives=cat([p.n_alternatives for p in parts], np.int64),
        cluster_ids=cids,
        column_code=col_code.astype(np.int16, copy=False),
        column_names=columns,
        rule_code=cat([p.rule_code for p in parts], np.int16),
        rule_names=rule_names,
    )


def _ranks(ids: ObjArray) -> IntArray:
    as_list = ids.tolist()
    n = len(as_list)
    order = np.array(sorted(range(n), key=as_list.__getitem__), dtype=np.int64).reshape(-1)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n, dtype=np.int64)
    return ranks


def _members(
    ids: ObjArray, labels: IntArray, id_rank: IntArray, n_clusters: int
) -> list[list[str]]:
    order = np.lexsort((id_rank, labels))
    sorted_ids = ids[order].tolist()
    ends = np.cumsum(np.bincount(labels, minlength=n_clusters)).tolist()
    starts = [0, *ends[:-1]]
    return [sorted_ids[s:e] for s, e in zip(starts, ends, strict=True)]


def _resolve_clusters(
    table: Table,
    clustering: _ClusteringLike | npt.ArrayLike,
    cluster_ids: Sequence[str] | ObjArray | None,
) -> tuple[IntArray, ObjArray]:
    n = len(table)
    if hasattr(clustering, "labels") and hasattr(clustering, "cluster_ids"):
        rec = getattr(clustering, "record_ids", None)
        if rec is not None and (len(rec) != n or not np.array_equal(np.asarray(rec), table.ids)):
            raise ValueError(
                "the clustering's record ids differ from the table's ids "
                "(same records in the same order expected)"
            )
        labels = np.asarray(clustering.labels)
        cids = np.asarray(clustering.cluster_ids, dtype=object)
    else:
        raw = np.asarray(clustering)
        if raw.shape != (n,):
            raise ValueError(f"labels has shape {raw.shape}, expected ({n},)")
        if cluster_ids is None:
            return _labels_to_clusters(table, raw)
        labels = raw
        cids = np.empty(len(cluster_ids), dtype=object)
        cids[:] = list(cluster_ids)
    if labels.shape != (n,):
        raise ValueError(f"labels has shape {labels.shape}, expected ({n},)")
    if n and not np.issubdtype(labels.dtype, np.integer):
        raise TypeError("labels must be integer positions into cluster_ids")
    labels = labels.astype(np.int64)
    if n and (labels.min() < 0 or labels.max() >= cids.size):
        raise ValueError(f"labels must be within [0, {cids.size})")
    if (np.bincount(labels, minlength=cids.size) == 0).any():
        raise ValueError("every cluster id needs at least one member record")
    if len(set(cids.tolist())) != cids.size:
        raise ValueError("cluster_ids must be unique")
    return labels, cids


def _labels_to_clusters(table: Table, raw: npt.NDArray[Any]) -> tuple[IntArray, ObjArray]:
    """Arbitrary labels → clusters ordered by smallest member id, with cluster-module ids."""
    n = len(table)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    _, inv = np.unique(raw, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    k = int(inv.max()) + 1
    ranks = _ranks(table.ids)
    min_rank = np.full(k, n, dtype=np.int64)
    np.minimum.at(min_rank, inv, ranks)
    order = np.argsort(min_rank, kind="stable")
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k, dtype=np.int64)
    by_rank = np.empty(n, dtype=np.int64)
    by_rank[ranks] = np.arange(n, dtype=np.int64)
    min_ids = table.ids[by_rank[min_rank[order]]].tolist()
    return relabel[inv], cluster_ids_for(min_ids)
