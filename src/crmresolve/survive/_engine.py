"""Vectorised survivorship engine.

Per output field, candidates (member records with a value) are sorted by (cluster, value key,
record id) once; each rule scores all candidates at once and ``np.maximum.reduceat`` keeps the
best per cluster, so the common path has no Python loop per cluster. Only :class:`Custom`
rules call Python per candidate, and only for clusters the chain has not decided yet.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.cluster._graph import sorted_unique
from crmresolve.survive._rules import Candidate, FieldGroup, FieldRule
from crmresolve.table import Table, factorize, notnull

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

Validity = Mapping[str, "npt.NDArray[np.bool_] | Sequence[bool] | Callable[[str], bool]"]

# Rule codes besides chain positions (>= 0).
SINGLE_RECORD = -1
UNANIMOUS = -2
TIE_BREAK = -3
_UNDECIDED = -9
FIXED_RULE_NAMES = {SINGLE_RECORD: "single_record", UNANIMOUS: "unanimous", TIE_BREAK: "tie_break"}

#: Roles whose values are text where casing and accents are a matter of formatting.
TEXT_ROLES = frozenset({"given_name", "surname", "full_name", "company", "street", "city", "text"})

_PARSERS = {"email": "parse_email", "phone": "parse_phone", "dob": "parse_date"}
_PUNCT = re.compile(r"[^\w\s]")
_NON_DIGIT = re.compile(r"\D+")


# ---------------------------------------------------------------------------- value helpers


def default_key(value: str, role: str | None = None) -> str:
    """How raw values are compared when no normalized form is given: case, accents, spacing
    (and, for names and addresses, punctuation) do not make two values different.

    >>> default_key("  ROBERT   Smith "), default_key("José"), default_key("+1 (555) 010", "phone")
    ('robert smith', 'jose', '1555010')
    """
    if role == "phone":
        digits = _NON_DIGIT.sub("", value)
        if digits:
            return digits
    text = value.strip()
    if role == "email":
        return text.casefold()
    if not text.isascii():
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    text = text.casefold()
    if role in TEXT_ROLES:
        text = _PUNCT.sub(" ", text)
    key = " ".join(text.split())
    return key or value.casefold()


def format_score(value: str, role: str | None = None) -> int:
    """How well a raw spelling is formatted (higher is better); picks the survivor among raw
    variants with the same key.

    >>> format_score("Robert Smith", "surname") > format_score("ROBERT SMITH", "surname")
    True
    >>> format_score("Müller", "surname") > format_score("Muller", "surname")
    True
    """
    score = 0
    if value != value.strip() or "  " in value:
        score -= 1
    if role in TEXT_ROLES:
        if value != value.upper() and value != value.lower():
            score += 2  # mixed case, e.g. "McDonald", not "MCDONALD" / "mcdonald"
        if not value.isascii():
            score += 1  # keeps accents the plain variant lost
    elif role == "email" and value == value.lower():
        score += 1
    return score


_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_YMD = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")


def parse_timestamp(value: str) -> float | None:
    """Seconds since the epoch (naive times count as UTC), or ``None`` if not understood.

    ISO 8601, ``YYYY/MM/DD``, ``DD.MM.YYYY`` and slash dates whose day is unambiguous
    (``25/03/2021``, ``03/25/2021``); ``03/04/2021`` is ambiguous and gives ``None``. Epoch
    seconds or milliseconds are accepted too.

    >>> parse_timestamp("2021-03-04T10:00:00Z") == parse_timestamp("04.03.2021 10:00")
    True
    >>> parse_timestamp("03/04/2021") is None
    True
    """
    text = value.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        num = float(text)
        return num / 1000.0 if len(text.split(".")[0]) == 13 else num
    try:
        dt = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parts: tuple[int, int, int] | None = None
        m = _YMD.match(text)
        if m:
            parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            m = _SLASH.match(text)
            if m:
                a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                if "." in text[:6] or a > 12:
                    parts = (y, b, a)  # day first: German dots, or the day is obvious
                elif b > 12:
                    parts = (y, a, b)
        if parts is None or m is None:
            return None
        hh, mm, ss = (int(m.group(i)) if m.group(i) else 0 for i in (4, 5, 6))
        try:
            dt = _dt.datetime(parts[0], parts[1], parts[2], hh, mm, ss)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt.timestamp()


def _subset(codes: IntArray, uniques: list[Any]) -> tuple[IntArray, list[Any]]:
    """Re-factorise a subset of (non-negative) codes: dense sub-codes and their values."""
    used, inv = np.unique(codes, return_inverse=True)
    return inv.reshape(-1).astype(np.int64), [uniques[i] for i in used.tolist()]


def _combine(code_arrays: Sequence[IntArray]) -> IntArray:
    """One code per row for tuples of codes (-1 parts allowed)."""
    out = code_arrays[0]
    for nxt in code_arrays[1:]:
        joined = out * np.int64(int(nxt.max(initial=-1)) + 2) + (nxt + 1)
        out = np.unique(joined, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return out


# ---------------------------------------------------------------------------- context


class Context:
    """Per-run data shared by all fields: raw columns, ranks, lazily cached derived arrays.

    Work per distinct value (keys, validity, formatting) is only done where it can matter:
    for records of multi-record clusters whose members disagree on the raw value of that
    column ("contested"). Everywhere else the raw value itself identifies the group.
    """

    def __init__(
        self,
        table: Table,
        labels: IntArray,
        n_clusters: int,
        id_rank: IntArray,
        roles_by_column: Mapping[str, str],
        *,
        updated_at: str | npt.NDArray[Any] | None,
        source: str | None,
        source_priority: Sequence[str],
        validity: Validity | None,
        normalized: Mapping[str, ObjArray] | None,
        auto_normalize: bool,
    ) -> None:
        self.table = table
        self.n = len(table)
        self.labels = labels
        self.n_clusters = n_clusters
        self.cluster_sizes = np.bincount(labels, minlength=n_clusters).astype(np.int64)
        self.multi = self.cluster_sizes[labels] > 1
        self.multi_pos = np.flatnonzero(self.multi).astype(np.int64)
        self.id_rank = id_rank
        self.roles = roles_by_column
        self.updated_at = updated_at
        self.source = source
        self.source_priority = tuple(source_priority)
        self.validity = validity or {}
        self.normalized = normalized or {}
        self.auto_normalize = auto_normalize
        self._present: dict[str, BoolArray] = {}
        self._raw: dict[str, tuple[IntArray, list[Any]]] = {}
        self._keys: dict[str, tuple[IntArray, IntArray, BoolArray]] = {}
        self._fmt: dict[str, IntArray] = {}
        self._ts: dict[str | None, FloatArray] = {}
        self._src: dict[tuple[tuple[str, ...] | None, str | None], FloatArray] = {}
        self._complete: IntArray | None = None

    def column(self, name: str) -> ObjArray:
        try:
            return self.table.columns[name]
        except KeyError:
            raise KeyError(f"column {name!r} is not in the table") from None

    def release(self, columns: Sequence[str]) -> None:
        """Forget the per-record codes, keys and format scores of ``columns`` (they are built
        again if asked for)."""
        for col in columns:
            for cache in (self._raw, self._keys, self._fmt):
                cache.pop(col, None)

    def present(self, col: str) -> BoolArray:
        """Non-missing values, all records."""
        if col not in self._present:
            self._present[col] = notnull(self.column(col))
        return self._present[col]

    def raw_codes(self, col: str) -> tuple[IntArray, list[Any]]:
        """Codes of the raw values of multi-record clusters (-1: missing or singleton)."""
        if col not in self._raw:
            sub, uniques = factorize(self.column(col)[self.multi_pos].tolist())
            codes = np.full(self.n, -1, dtype=np.int64)
            codes[self.multi_pos] = sub
            self._raw[col] = (codes, uniques)
        return self._raw[col]

    def _contested(self, codes: IntArray) -> BoolArray:
        """Records whose cluster holds more than one distinct raw value of the column."""
        if codes.size == 0 or codes.max() < 0:
            return np.zeros(self.n, dtype=bool)
        has = np.flatnonzero(codes >= 0)
        pairs = sorted_unique(self.labels[has] * np.int64(int(codes.max()) + 1) + codes[has])
        per_cluster = np.bincount(
            pairs // np.int64(int(codes.max()) + 1), minlength=self.n_clusters
        )
        out: BoolArray = (per_cluster > 1)[self.labels] & (codes >= 0)
        return out

    def keys(self, col: str) -> tuple[IntArray, IntArray, BoolArray]:
        """Per record: key code (-1 missing/singleton), key length, validity."""
        if col in self._keys:
            return self._keys[col]
        role = self.roles.get(col)
        codes, uniques = self.raw_codes(col)
        key_codes = codes.copy()
        raw_len = np.array([len(u) for u in uniques] + [0], dtype=np.int64)
        lengths = raw_len[codes]
        contested = self._contested(codes)
        lookup_valid: BoolArray | None = None
        cpos = np.flatnonzero(contested)
        if cpos.size:
            # Uncontested records keep their raw code (shifted past the key codes): within
            # their cluster it is the only value anyway.
            sub_codes, sub_uniques = _subset(codes[cpos], uniques)
            if col in self.normalized:
                norm = np.asarray(self.normalized[col], dtype=object)
                if norm.size != self.n:
                    raise ValueError(
                        f"normalized[{col!r}] has {norm.size} values, expected {self.n}"
                    )
                keys_c = [
                    k if isinstance(k, str) and k else default_key(sub_uniques[c], role)
                    for c, k in zip(sub_codes.tolist(), norm[cpos].tolist(), strict=True)
                ]
                kc, key_vals = factorize(keys_c)
            else:
                parsed = self._auto_parse(col, role, sub_uniques)
                if parsed is not None:
                    keys_u = [
                        p[0] or default_key(u, role)
                        for p, u in zip(parsed, sub_uniques, strict=True)
                    ]
                    valid_u = np.array([p[1] for p in parsed], dtype=bool)
                    lookup_valid = np.ones(self.n, dtype=bool)
                    lookup_valid[cpos] = valid_u[sub_codes]
                else:
                    keys_u = [default_key(u, role) for u in sub_uniques]
                ku, key_vals = factorize(keys_u)
                kc = ku[sub_codes]
            key_codes[contested] = kc
            other = ~contested & (codes >= 0)
            key_codes[other] = codes[other] + len(key_vals)
            lengths[cpos] = np.array([len(k) for k in key_vals], dtype=np.int64)[kc]
        valid = self._validity(col, codes, uniques, lookup_valid, contested)
        self._keys[col] = (key_codes, lengths, valid)
        return self._keys[col]

    def _auto_parse(
        self, col: str, role: str | None, uniques: list[Any]
    ) -> list[tuple[str | None, bool]] | None:
        # The normalize package is optional here: use its parse_* when it exists.
        if not self.auto_normalize or role not in _PARSERS or col in self.validity:
            return None
        try:
            mod = importlib.import_module("crmresolve.normalize")
        except ImportError:
            return None
        fn = getattr(mod, _PARSERS[role], None)
        if fn is None:
            return None
        try:
            out = []
            for u in uniques:
                p = fn(u)
                value = getattr(p, "value", None)
                out.append((value if isinstance(value, str) else None, bool(p.valid)))
            return out
        except Exception:
            warnings.warn(
                f"crmresolve.normalize.{_PARSERS[role]} failed on column {col!r}; "
                "survivorship compares its raw values instead",
                RuntimeWarning,
                stacklevel=2,
            )
            return None

    def _validity(
        self,
        col: str,
        codes: IntArray,
        uniques: list[Any],
        lookup: BoolArray | None,
        contested: BoolArray,
    ) -> BoolArray:
        spec = self.validity.get(col)
        if spec is None:
            return lookup if lookup is not None else np.ones(self.n, dtype=bool)
        if callable(spec):
            # Validity only matters where members disagree.
            out = np.ones(self.n, dtype=bool)
            cpos = np.flatnonzero(contested)
            if cpos.size:
                sub_codes, sub_uniques = _subset(codes[cpos], uniques)
                flags = np.array([bool(spec(u)) for u in sub_uniques], dtype=bool)
                out[cpos] = flags[sub_codes]
            return out
        arr = np.asarray(spec, dtype=bool).reshape(-1)
        if arr.size != self.n:
            raise ValueError(f"validity[{col!r}] has {arr.size} values, expected {self.n}")
        return arr

    def fmt(self, col: str) -> IntArray:
        """Format score of contested values (0 elsewhere: a single spelling has no rival)."""
        if col not in self._fmt:
            role = self.roles.get(col)
            codes, uniques = self.raw_codes(col)
            out = np.zeros(self.n, dtype=np.int64)
            cpos = np.flatnonzero(self._contested(codes))
            if cpos.size:
                sub_codes, sub_uniques = _subset(codes[cpos], uniques)
                scores = np.array([format_score(u, role) for u in sub_uniques], dtype=np.int64)
                out[cpos] = scores[sub_codes]
            self._fmt[col] = out
        return self._fmt[col]

    def timestamps(self, col: str | None) -> FloatArray:
        if col in self._ts:
            return self._ts[col]
        source: str | npt.NDArray[Any] | None = col if col is not None else self.updated_at
        if source is None:
            out = np.full(self.n, -np.inf)
        elif isinstance(source, str):
            codes, uniques = factorize(self.column(source).tolist())
            out = np.append(_parse_many(uniques), -np.inf)[codes]
        else:
            out = _timestamps_from_array(source, self.n)
        self._ts[col] = out
        return out

    def source_score(self, priority: tuple[str, ...] | None, col: str | None) -> FloatArray:
        key = (priority, col)
        if key in self._src:
            return self._src[key]
        prio = self.source_priority if priority is None else priority
        column = col or self.source
        if not prio or column is None:
            out = np.zeros(self.n)
        else:
            rank = {p.strip().casefold(): i for i, p in reversed(list(enumerate(prio)))}
            codes, uniques = factorize(self.column(column).tolist())
            worst = len(prio)
            scores = [float(worst - rank.get(u.strip().casefold(), worst)) for u in uniques]
            out = np.array([*scores, -1.0])[codes]  # a missing source ranks below unlisted
        self._src[key] = out
        return out

    def completeness(self) -> IntArray:
        if self._complete is None:
            total = np.zeros(self.n, dtype=np.int64)
            for name in self.table.columns:
                total += self.present(name)
            self._complete = total
        return self._complete


def _parse_many(values: list[Any]) -> FloatArray:
    if not values:
        return np.empty(0)
    # Fast path: numpy parses uniform ISO strings in C; anything else falls back per value.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            arr = np.array([str(v).strip() for v in values], dtype="datetime64[s]")
        secs = arr.astype(np.int64).astype(np.float64)
        return np.where(np.isnat(arr), -np.inf, secs)
    except (ValueError, TypeError, Warning):
        pass
    out = np.empty(len(values))
    for i, v in enumerate(values):
        ts = parse_timestamp(v) if isinstance(v, str) else None
        out[i] = -np.inf if ts is None else ts
    return out


def _timestamps_from_array(arr: npt.NDArray[Any], n: int) -> FloatArray:
    a = np.asarray(arr)
    if a.shape != (n,):
        raise ValueError(f"updated_at array has shape {a.shape}, expected ({n},)")
    if np.issubdtype(a.dtype, np.datetime64):
        secs = a.astype("datetime64[s]").astype(np.int64).astype(np.float64)
        return np.where(np.isnat(a), -np.inf, secs)
    if np.issubdtype(a.dtype, np.number):
        f = a.astype(np.float64)
        return np.where(np.isfinite(f), f, -np.inf)
    codes, uniques = factorize([None if v is None else str(v) for v in a.tolist()])
    return np.append(_parse_many(uniques), -np.inf)[codes]


# ---------------------------------------------------------------------------- per-field run


class Scope:
    """The candidates of one field (all clusters at once) as rules see them."""

    def __init__(
        self,
        ctx: Context,
        unit: FieldRule | FieldGroup,
        pos: IntArray,
        group_size: IntArray,
        key_len: IntArray,
        valid: BoolArray,
    ) -> None:
        self.ctx = ctx
        self.unit = unit
        self.pos = pos
        self._group_size = group_size
        self._key_len = key_len
        self._valid = valid
        self.active: BoolArray = np.ones(pos.size, dtype=bool)

    def __len__(self) -> int:
        return int(self.pos.size)

    def valid(self) -> BoolArray:
        return self._valid

    def frequency(self) -> IntArray:
        return self._group_size

    def key_length(self) -> IntArray:
        return self._key_len

    def timestamps(self, column: str | None) -> FloatArray:
        out: FloatArray = self.ctx.timestamps(column)[self.pos]
        return out

    def completeness(self) -> IntArray:
        out: IntArray = self.ctx.completeness()[self.pos]
        return out

    def source_score(self, priority: tuple[str, ...] | None, column: str | None) -> FloatArray:
        out: FloatArray = self.ctx.source_score(priority, column)[self.pos]
        return out

    def custom_score(self, fn: Callable[[Candidate], float | int | bool]) -> FloatArray:
        ctx = self.ctx
        out = np.full(self.pos.size, -np.inf)
        cols = self.unit.columns
        raw = [ctx.column(c) for c in cols]
        src = ctx.column(ctx.source) if ctx.source else None
        ts = ctx.timestamps(None)
        ids = ctx.table.ids
        for i in np.flatnonzero(self.active).tolist():
            p = int(self.pos[i])
            values = {c: r[p] for c, r in zip(cols, raw, strict=True)}
            t = float(ts[p])
            cand = Candidate(
                record_id=str(ids[p]),
                value=values[cols[0]],
                values=values,
                source=None if src is None else src[p],
                updated_at=t if np.isfinite(t) else None,
                valid=bool(self._valid[i]),
            )
            out[i] = float(fn(cand))
        return out


@dataclass(frozen=True)
class UnitResult:
    """Per cluster: winning record position (-1: no value), rule code, distinct alternatives.

    ``fills`` (groups only): column → (cluster indices, record positions) where the winning
    record lacks that column and a compatible member supplies it.
    """

    winner: IntArray
    rule: IntArray
    n_alternatives: IntArray
    all_values: list[tuple[str, ...]] | None
    fills: dict[str, tuple[IntArray, IntArray]] = field(default_factory=dict)


def run_unit(ctx: Context, unit: FieldRule | FieldGroup) -> UnitResult:
    """Choose the winning record of one field for every cluster."""
    nc = ctx.n_clusters
    labels = ctx.labels
    cols = unit.columns
    winner = np.full(nc, -1, dtype=np.int64)
    rule_out = np.full(nc, _UNDECIDED, dtype=np.int64)
    n_alt = np.zeros(nc, dtype=np.int64)
    keep_all = isinstance(unit, FieldRule) and unit.keep_all
    all_values: list[tuple[str, ...]] | None = [()] * nc if keep_all else None

    # One-record clusters: the record's own values, no rule needed.
    single = np.flatnonzero(~ctx.multi)
    any_present = np.zeros(single.size, dtype=bool)
    for c in cols:
        any_present |= ctx.present(c)[single]
    single = single[any_present]
    winner[labels[single]] = single
    rule_out[labels[single]] = SINGLE_RECORD
    if all_values is not None:
        raw = ctx.column(cols[0])
        for cl_i, v in zip(labels[single].tolist(), raw[single].tolist(), strict=True):
            all_values[cl_i] = (v,)

    if len(cols) == 1:
        cand_mask = ctx.present(cols[0]) & ctx.multi
    else:
        # A group's candidates hold its first column that any member of the cluster has.
        cand_mask = np.zeros(ctx.n, dtype=bool)
        settled = np.zeros(nc, dtype=bool)
        for c in cols:
            pm = ctx.present(c) & ctx.multi
            has = np.bincount(labels[pm], minlength=nc) > 0
            cand_mask |= pm & (has & ~settled)[labels]
            settled |= has
    pos = np.flatnonzero(cand_mask).astype(np.int64)
    if pos.size == 0:
        return UnitResult(winner, rule_out, n_alt, all_values)

    # Clusters whose candidates all hold the very same raw value (the common case) need no
    # rule: the value is unanimous and its record is the smallest id.
    variant_all = _combine([ctx.raw_codes(c)[0][pos] for c in cols])
    cl_all = labels[pos]
    o = np.lexsort((ctx.id_rank[pos], variant_all, cl_all))
    v_sorted, c_sorted = variant_all[o], cl_all[o]
    c_first = np.r_[True, c_sorted[1:] != c_sorted[:-1]]
    c_last = np.r_[c_sorted[1:] != c_sorted[:-1], True]
    seg = np.cumsum(c_first) - 1
    uniform = (v_sorted[c_first] == v_sorted[c_last])[seg]
    same = pos[o][uniform & c_first]
    winner[labels[same]] = same
    rule_out[labels[same]] = UNANIMOUS
    if all_values is not None:
        raw = ctx.column(cols[0])
        for cl_i, v in zip(labels[same].tolist(), raw[same].tolist(), strict=True):
            all_values[cl_i] = (v,)
    pos = np.sort(pos[o][~uniform])
    if pos.size == 0:
        return UnitResult(winner, rule_out, n_alt, all_values)

    parts = [ctx.keys(c) for c in cols]
    key = _combine([p[0][pos] for p in parts]) if len(cols) > 1 else parts[0][0][pos]
    key_len = sum((p[1][pos] for p in parts), start=np.zeros(pos.size, dtype=np.int64))
    valid = np.ones(pos.size, dtype=bool)
    for c, p in zip(cols, parts, strict=True):
        valid &= p[2][pos] | ~ctx.present(c)[pos]
    variant = _combine([ctx.raw_codes(c)[0][pos] for c in cols])
    fmt = sum((ctx.fmt(c)[pos] for c in cols), start=np.zeros(pos.size, dtype=np.int64))
    rank = ctx.id_rank[pos]
    cl = labels[pos]

    order = np.lexsort((rank, key, cl))
    pos, key, key_len, variant, fmt, rank, cl = (
        a[order] for a in (pos, key, key_len, variant, fmt, rank, cl)
    )
    valid = valid[order]
    m = pos.size
    seg_first = np.r_[True, cl[1:] != cl[:-1]]
    seg_start = np.flatnonzero(seg_first)
    seg_of = np.cumsum(seg_first) - 1
    n_seg = seg_start.size
    seg_cluster = cl[seg_start]
    grp_first = seg_first | np.r_[True, key[1:] != key[:-1]]
    grp_start = np.flatnonzero(grp_first)
    gid = np.cumsum(grp_first) - 1
    g_size = np.diff(np.r_[grp_start, m])
    g_seg = seg_of[grp_start]
    n_groups = np.bincount(g_seg, minlength=n_seg)

    code = np.where(n_groups == 1, UNANIMOUS, _UNDECIDED).astype(np.int64)
    alive = np.ones(m, dtype=bool)
    scope = Scope(ctx, unit, pos, g_size[gid], key_len, valid)
    for ri, rule in enumerate(unit.chain):
        undecided = code == _UNDECIDED
        if not undecided.any():
            break
        active = undecided[seg_of]
        scope.active = active
        score = np.asarray(rule.score(scope), dtype=np.float64).reshape(-1)
        if score.size != m:
            raise ValueError(f"rule {rule.describe()!r} returned {score.size} scores for {m}")
        score = np.where(np.isnan(score), -np.inf, score)
        s_alive = np.where(alive & active, score, -np.inf)
        best = np.maximum.reduceat(s_alive, seg_start)
        alive &= ~active | (s_alive == best[seg_of])
        alive_group = np.zeros(int(gid[-1]) + 1, dtype=bool)
        alive_group[gid[alive]] = True
        left = np.bincount(g_seg[alive_group], minlength=n_seg)
        code[undecided & (left == 1)] = ri
    code[code == _UNDECIDED] = TIE_BREAK

    # Winning value: the alive group holding the smallest record id (the final tie-break; for
    # decided clusters only one group is alive anyway).
    big = np.iinfo(np.int64).max
    win_rank = np.minimum.reduceat(np.where(alive, rank, big), seg_start)
    hit = alive & (rank == win_rank[seg_of])
    win_gid = np.empty(n_seg, dtype=np.int64)
    win_gid[seg_of[hit]] = gid[hit]

    # Spelling of the winning value: best formatted, then one held by a record that survived
    # the chain, then the most common spelling, then the smallest record id.
    vkey = np.unique(seg_of * np.int64(int(variant.max()) + 2) + variant, return_inverse=True)[1]
    vkey = vkey.reshape(-1)
    vfreq = np.bincount(vkey)[vkey]
    idx = np.flatnonzero(gid == win_gid[seg_of])
    o = np.lexsort((rank[idx], -vfreq[idx], ~alive[idx], -fmt[idx], seg_of[idx]))
    idx = idx[o]
    first = np.r_[True, seg_of[idx][1:] != seg_of[idx][:-1]]
    winner[seg_cluster] = pos[idx[first]]
    rule_out[seg_cluster] = code
    n_alt[seg_cluster] = n_groups - 1

    if all_values is not None:
        _all_values(
            ctx,
            cols[0],
            all_values,
            pos,
            gid,
            g_size,
            g_seg,
            win_gid,
            seg_cluster,
            vfreq,
            fmt,
            rank,
        )
    fills = _group_fills(ctx, cols, winner) if len(cols) > 1 else {}
    return UnitResult(winner, rule_out, n_alt, all_values, fills)


def _group_fills(
    ctx: Context, cols: Sequence[str], winner: IntArray
) -> dict[str, tuple[IntArray, IntArray]]:
    """Complete a group's winning record from members that do not contradict it.

    The winning record may lack a part (no city) that another member has for *the same*
    address. A member qualifies when, on every group column where both it and the parts
    chosen so far have a value, the values agree (by normalized form); among those the most
    recent record, then the smallest record id, supplies the part. Parts are filled in group
    order, so a filled city also constrains the postcode.
    """
    labels = ctx.labels
    multi_cluster = ctx.cluster_sizes > 1
    chosen = {c: np.where(winner >= 0, winner, -1) for c in cols}
    for c in cols:
        cur = chosen[c]
        has_winner = cur >= 0
        lacking = has_winner & multi_cluster
        lacking[has_winner] &= ~ctx.present(c)[cur[has_winner]]
        if not lacking.any():
            continue
        recs = np.flatnonzero(ctx.present(c) & lacking[labels])
        ok = np.ones(recs.size, dtype=bool)
        for d in cols:
            if d == c:
                continue
            ref = chosen[d][labels[recs]]
            keys, pres = ctx.keys(d)[0], ctx.present(d)
            ref_has = (ref >= 0) & pres[np.maximum(ref, 0)]
            both = pres[recs] & ref_has
            ok &= ~both | (keys[recs] == keys[np.maximum(ref, 0)])
        recs = recs[ok]
        if recs.size == 0:
            continue
        ts = ctx.timestamps(None)[recs]
        o = np.lexsort((ctx.id_rank[recs], -ts, labels[recs]))
        recs = recs[o]
        first = np.r_[True, labels[recs][1:] != labels[recs][:-1]]
        picked = recs[first]
        chosen[c] = cur.copy()
        chosen[c][labels[picked]] = picked
    out: dict[str, tuple[IntArray, IntArray]] = {}
    for c in cols:
        changed = np.flatnonzero(chosen[c] != np.where(winner >= 0, winner, -1))
        if changed.size:
            out[c] = (changed, chosen[c][changed])
    return out


def _all_values(
    ctx: Context,
    col: str,
    out: list[tuple[str, ...]],
    pos: IntArray,
    gid: IntArray,
    g_size: IntArray,
    g_seg: IntArray,
    win_gid: IntArray,
    seg_cluster: IntArray,
    vfreq: IntArray,
    fmt: IntArray,
    rank: IntArray,
) -> None:
    """Every distinct value per cluster (best spelling each): the chosen one first, then by
    frequency, then by smallest record id. Fills ``out`` in place."""
    o = np.lexsort((rank, -vfreq, -fmt, gid))
    first = np.r_[True, gid[o][1:] != gid[o][:-1]]
    rep = o[first]  # best spelling of each group, in group order
    is_win = np.zeros(rep.size, dtype=bool)
    is_win[win_gid] = True
    go = np.lexsort((rank[rep], -g_size, ~is_win, g_seg))
    values = ctx.column(col)[pos[rep[go]]].tolist()
    bounds = np.searchsorted(g_seg[go], np.arange(seg_cluster.size + 1)).tolist()
    for s, a, b in zip(seg_cluster.tolist(), bounds[:-1], bounds[1:], strict=True):
        out[s] = tuple(values[a:b])
