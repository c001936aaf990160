"""Columnar record container shared by every pipeline stage.

A :class:`Table` is the raw input: unique string record ids plus named columns, each a numpy
object array of ``str`` or ``None`` (missing). Stages never mutate it.

>>> t = Table.from_records([{"id": "1", "name": "Bob"}, {"id": "2", "name": ""}], id_column="id")
>>> t.columns["name"].tolist()
['Bob', None]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

ObjArray = npt.NDArray[np.object_]

__all__ = ["ObjArray", "Table", "clean_cell", "factorize", "notnull"]

_NONE = np.array(None, dtype=object)


def notnull(values: ObjArray) -> npt.NDArray[np.bool_]:
    """``values[i] is not None`` for an object array, vectorised (in C, no Python loop).

    >>> notnull(np.array(["a", None, ""], dtype=object)).tolist()
    [True, False, True]
    """
    out: npt.NDArray[np.bool_] = np.not_equal(values, _NONE)
    return out


def factorize(
    values: Sequence[Hashable | None] | ObjArray,
) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Dense codes in first-seen order (``None`` → -1) and the distinct values in code order.

    >>> factorize(["b", None, "a", "b"])
    (array([ 0, -1,  1,  0]), ['b', 'a'])
    """
    if isinstance(values, list):
        seq = values
    elif isinstance(values, np.ndarray) and values.dtype == object:
        seq = values.tolist()  # the same objects, without a Python-level iteration
    else:
        seq = list(values)
    # One pass in C: setdefault keeps each value's first position; a table from first
    # positions to dense codes does the rest. None's first position is no other value's, so
    # the table's -1 stays there.
    first: dict[Hashable | None, int] = {}
    positions = np.fromiter(
        map(first.setdefault, seq, itertools.count()), dtype=np.int64, count=len(seq)
    )
    first.pop(None, None)
    dense = np.full(len(seq), -1, dtype=np.int64)
    dense[np.fromiter(first.values(), dtype=np.int64, count=len(first))] = np.arange(len(first))
    return dense[positions], list(first)


def clean_cell(value: Any) -> str | None:
    """Turn a raw cell into ``str`` or ``None``: empty, whitespace-only and NaN become ``None``.

    >>> clean_cell("  x "), clean_cell(float("nan")), clean_cell(""), clean_cell(12)
    ('  x ', None, None, '12')
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value if value.strip() else None
    try:
        # pandas.NA / NaT and numpy NaN variants
        # NaN is the one value unequal to itself; this also catches numpy scalars.
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    text = str(value)
    if text in {"<NA>", "NaT", "nan"}:
        return None
    return text if text.strip() else None


@dataclass(frozen=True)
class Table:
    """Record ids and raw columns; every array has one entry per record."""

    ids: ObjArray
    columns: dict[str, ObjArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name, col in self.columns.items():
            if len(col) != n:
                raise ValueError(f"column {name!r} has {len(col)} values, expected {n}")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Sequence[Any] | ObjArray], ids: Sequence[Any] | None = None
    ) -> Table:
        """Build a table from column sequences; ids default to ``"0", "1", ...``."""
        cols = {str(k): _to_obj_array(v) for k, v in columns.items()}
        n = len(next(iter(cols.values()))) if cols else (len(ids) if ids is not None else 0)
        if ids is None:
            id_arr = np.array([str(i) for i in range(n)], dtype=object)
        else:
            id_arr = _ids_array(ids)
        return cls(id_arr, cols)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], id_column: str | None = None
    ) -> Table:
        """Build a table from dict records (missing keys are missing values).

        With ``id_column`` that column supplies the record ids (and stays a column too).
        """
        rows = list(records)
        names: dict[str, None] = {}
        for row in rows:
            for key in row:
                names.setdefault(str(key), None)
        cols = {name: _to_obj_array([row.get(name) for row in rows]) for name in names}
        if id_column is None:
            return (
                cls.from_columns(cols, ids=None)
                if cols
                else cls(np.array([str(i) for i in range(len(rows))], dtype=object), {})
            )
        if id_column not in cols:
            raise KeyError(f"id column {id_column!r} not found; columns: {sorted(cols)}")
        return cls(_ids_array(cols[id_column], column=id_column), cols)

    def take(self, positions: npt.NDArray[np.int64]) -> Table:
        """Rows at ``positions`` (a new table)."""
        return Table(self.ids[positions], {k: v[positions] for k, v in self.columns.items()})

    def to_records(self) -> list[dict[str, str | None]]:
        names = list(self.columns)
        return [{name: self.columns[name][i] for name in names} for i in range(len(self.ids))]


def _to_obj_array(values: Sequence[Any] | ObjArray) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = clean_cell(v)
    return out


def _ids_array(values: Sequence[Any] | ObjArray, column: str | None = None) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    seen: dict[str, int] = {}
    where = f" in column {column!r}" if column else ""
    for i, v in enumerate(values):
        text = clean_cell(v)
        if text is None:
            raise ValueError(f"record at position {i} has an empty id{where}")
        text = text.strip()
        if text in seen:
            raise ValueError(
                f"duplicate record id{where} at positions {seen[text]} and {i}; ids must be unique"
            )
        seen[text] = i
        out[i] = text
    return out
