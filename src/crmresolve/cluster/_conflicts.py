"""Which record pairs may not share a cluster ("conflicts") and why.

All value comparisons live in two small memoised predicates, :func:`dob_compatible` and
:func:`names_compatible`; :class:`ComponentConflicts` combines them per record pair, either
per merge attempt: with a Python loop over the record pairs for small clusters, with numpy
for large ones. Both paths implement the same rule (tested against
each other).

Conflict codes, ordered by how much they win (a pair reports its highest code):

====  =========================  ================================================================
code  reason                     rule
====  =========================  ================================================================
1     ``conflicting_first_name`` both first names known, not compatible, and the pair shares
                                 neither e-mail nor identifier (so whatever linked them is
                                 household-level evidence: surname, address, phone)
2     ``conflicting_dob``        both dates of birth valid and not compatible, unless *strong
                                 direct evidence* (see ``ComponentConflicts``)
3     ``conflicting_identifier`` both identifiers present and more than one keystroke apart
                                 (:func:`identifiers_compatible`), unless *strong direct
                                 evidence*
4     ``cannot_link``            a reviewer said so
====  =========================  ================================================================
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from crmresolve.table import factorize

IntArray = npt.NDArray[np.int64]
_CompatFn = Callable[[int, int], bool]

NONE, FIRST_NAME, DOB, IDENTIFIER, CANNOT_LINK = 0, 1, 2, 3, 4
REASONS: dict[int, str] = {
    FIRST_NAME: "conflicting_first_name",
    DOB: "conflicting_dob",
    IDENTIFIER: "conflicting_identifier",
    CANNOT_LINK: "cannot_link",
}

#: Dates of birth that CRMs use as "unknown"; they never conflict with anything.
PLACEHOLDER_DOBS: frozenset[str] = frozenset(
    {"1900-01-01", "1901-01-01", "1970-01-01", "0001-01-01", "9999-12-31"}
)

_DOB_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# Merge checks with more record pairs than this use numpy instead of a Python loop.
CROSS_MIN = 256


def valid_dob(value: str | None, placeholders: frozenset[str] = PLACEHOLDER_DOBS) -> str | None:
    """The ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) if it is a real, plausible date.

    >>> valid_dob("1985-02-30") is None, valid_dob("1900-01-01") is None, valid_dob("1985-02")
    (True, True, '1985-02')
    """
    if value is None:
        return None
    text = value.strip()
    if text in placeholders:
        return None
    m = _DOB_RE.match(text)
    if m is None:
        return None
    year = int(m.group(1))
    if not 1800 <= year <= 2200:
        return None
    month = int(m.group(2)) if m.group(2) else 1
    day = int(m.group(3)) if m.group(3) else 1
    try:
        _dt.date(year, month, day)
    except ValueError:
        return None
    return text


def dob_compatible(a: str, b: str, typo_tolerant: bool = True) -> bool:
    """Could two valid dates of birth belong to one person?

    Equal dates, a partial date that prefixes the other (``1985`` / ``1985-03-12``) and, when
    ``typo_tolerant``, one-keystroke variants of a full date: one digit changed, two adjacent
    digits swapped, or day and month swapped.

    >>> dob_compatible("1985-03-12", "1985-03-21"), dob_compatible("1985-03-12", "1985-12-03")
    (True, True)
    >>> dob_compatible("1985-03-12", "1962-07-30")
    False
    """
    if a == b:
        return True
    if len(a) != len(b):
        return a.startswith(b) or b.startswith(a)
    if not typo_tolerant or len(a) != 10:
        return False
    da = a[:4] + a[5:7] + a[8:10]
    db = b[:4] + b[5:7] + b[8:10]
    diff = [i for i in range(8) if da[i] != db[i]]
    if len(diff) == 1:
        return True
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        p = diff[0]
        if da[p] == db[p + 1] and da[p + 1] == db[p]:
            return True
    return a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]


def identifiers_compatible(a: str, b: str) -> bool:
    """Could two identifiers be one, mistyped? Equal, or one keystroke apart (a digit changed,
    dropped or two adjacent digits swapped) when both have at least 5 characters: a national id
    or customer number is typed by hand as often as a birth date.

    >>> identifiers_compatible("1804974", "1809474"), identifiers_compatible("1804974", "5304218")
    (True, False)
    """
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    return bool(OSA.distance(a, b, score_cutoff=1) <= 1)


def _is_initial(name: str) -> bool:
    return len(name.rstrip(".")) == 1


def _typo_variant(a: str, b: str) -> bool:
    # One keystroke apart ("jonh"/"john", "micheal"/"michael"), but not the pattern of
    # gendered or diminutive variants, which differ only at the end ("maria"/"mario",
    # "daniel"/"daniela", "louis"/"louise").
    if min(len(a), len(b)) < 4 or OSA.distance(a, b, score_cutoff=1) > 1:
        return False
    return not (a[:-1] == b[:-1] or a == b[:-1] or b == a[:-1])


NameTuple = tuple[str, str | None] | tuple[str, str | None, str | None]


def names_compatible(a: NameTuple, b: NameTuple) -> bool:
    """Could two normalized first names name one person?

    Each side is ``(given_name, canonical)`` or ``(given_name, canonical, surname)``.
    Compatible: same name or same nickname-canonical form; an initial and a name starting with
    it; the same first token of a compound name; a one-keystroke typo (see ``_typo_variant``);
    or, with surnames, a name entered in swapped order (one side's given name is the other's
    surname, as in a first-name field holding "Wilson, Felix").

    >>> names_compatible(("bob", "robert"), ("robert", "robert"))
    True
    >>> names_compatible(("j", None), ("john", None)), names_compatible(("j", None), ("mary", None))
    (True, False)
    >>> names_compatible(("maria", None), ("mario", None))
    False
    >>> names_compatible(("wilson", None, "wilson"), ("felix", None, "wilson"))
    True
    """
    ga, ca = a[0], a[1]
    gb, cb = b[0], b[1]
    if ga == gb or (ca is not None and ca == cb):
        return True
    ka, kb = ca or ga, cb or gb
    if ka == kb:
        return True
    ia, ib = _is_initial(ga), _is_initial(gb)
    if ia or ib:
        if ia and ib:
            return ga[0] == gb[0]
        letter, other = (ga[0], (gb, cb or "")) if ia else (gb[0], (ga, ca or ""))
        return other[0].startswith(letter) or other[1].startswith(letter)
    ta, tb = ga.split(), gb.split()
    if ta and tb and ta[0] == tb[0]:
        return True
    sa = a[2] if len(a) > 2 else None
    sb = b[2] if len(b) > 2 else None
    if (sb is not None and ta and ta[0] == sb) or (sa is not None and tb and tb[0] == sa):
        return True
    return _typo_variant(ga, gb) or ((ka != ga or kb != gb) and _typo_variant(ka, kb))


def _dense(codes: IntArray) -> IntArray:
    """Renumber non-negative codes densely (0..k-1), keeping -1."""
    uniq, inv = np.unique(codes, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    offset = int((uniq < 0).sum())
    out: IntArray = np.where(codes >= 0, inv - offset, -1)
    return out


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text or None


@dataclass(frozen=True)
class RecordAttributes:
    """Per-record codes of the values the conflict rules read (-1 = missing/unusable)."""

    dob: IntArray
    dob_values: list[str]
    name: IntArray
    name_values: list[tuple[str, str | None, str | None]]
    name_key: IntArray
    identifier: IntArray
    email: IntArray
    dob_typo_tolerant: bool = True
    identifier_values: list[str] = field(default_factory=list)

    @classmethod
    def from_features(
        cls,
        n: int,
        features: Mapping[str, npt.NDArray[np.object_]] | None,
        *,
        subset: IntArray | None = None,
        dob_typo_tolerant: bool = True,
        placeholder_dobs: frozenset[str] = PLACEHOLDER_DOBS,
    ) -> RecordAttributes:
        """Codes for the records at ``subset`` (all records by default); others get -1."""
        feats = features or {}
        for key, arr in feats.items():
            if len(arr) != n:
                raise ValueError(f"feature {key!r} has {len(arr)} values, expected {n}")
        rows = np.arange(n, dtype=np.int64) if subset is None else subset

        def col(key: str, fn: Callable[[object], str | None] = _clean) -> IntArray | None:
            """Codes of the cleaned values; cleaning runs once per distinct raw value."""
            arr = feats.get(key)
            if arr is None:
                return None
            raw_codes, uniques = factorize(np.asarray(arr, dtype=object)[rows].tolist())
            clean_codes, clean_values = factorize([fn(u) for u in uniques])
            values[key] = clean_values
            lookup = np.append(clean_codes, -1)  # raw code -1 (missing) stays -1
            codes: IntArray = lookup[raw_codes]
            return codes

        values: dict[str, list[Hashable]] = {}

        def full(codes: IntArray) -> IntArray:
            if subset is None:
                return codes
            out = np.full(n, -1, dtype=np.int64)
            out[subset] = codes
            return out

        missing = np.full(n, -1, dtype=np.int64)
        dob_codes = col(
            "dob", lambda v: valid_dob(v, placeholder_dobs) if isinstance(v, str) else None
        )
        if dob_codes is None:
            dob, dob_values = missing, []
        else:
            dob, dob_values = full(dob_codes), [str(x) for x in values["dob"]]

        given = col("given_name")
        canon = col("given_name_canonical")
        g_vals, c_vals = values.get("given_name", []), values.get("given_name_canonical", [])
        if given is None:
            given, canon, g_vals, c_vals = canon, None, c_vals, []
        if given is None:
            name, name_values, name_key = missing, [], missing
        else:
            # Names are (given, canonical, surname) code triples combined into one code.
            none = np.full(given.size, -1, dtype=np.int64)
            canon_codes = canon if canon is not None else none
            sur = col("surname")
            sur_codes = sur if sur is not None else none
            s_vals = values.get("surname", [])
            step = _dense(np.where(given >= 0, given * (len(c_vals) + 1) + canon_codes + 1, -1))
            combined = np.where(step >= 0, step * (len(s_vals) + 1) + sur_codes + 1, -1)
            codes = _dense(combined)
            name = full(codes)
            n_names = int(codes.max()) + 1 if codes.size else 0
            first = np.full(n_names, -1, dtype=np.int64)
            has = np.flatnonzero(codes >= 0)
            first[codes[has][::-1]] = has[::-1]  # one record holding each name triple
            name_values = [
                (
                    str(g_vals[given[r]]),
                    None if canon_codes[r] < 0 else str(c_vals[canon_codes[r]]),
                    None if sur_codes[r] < 0 else str(s_vals[sur_codes[r]]),
                )
                for r in first.tolist()
            ]
            keys = [n[1] or n[0] for n in name_values]
            key_codes, _ = factorize(keys)
            lookup = np.append(key_codes, -1)
            name_key = full(lookup[codes])

        ident_codes = col(
            "identifier", lambda v: (v.strip() or None) if isinstance(v, str) else None
        )
        identifier = missing if ident_codes is None else full(ident_codes)
        identifier_values = [str(v) for v in values.get("identifier", [])]
        email_codes = col("email")
        email = missing if email_codes is None else full(email_codes)
        return cls(
            dob=dob,
            dob_values=dob_values,
            name=name,
            name_values=name_values,
            name_key=name_key,
            identifier=identifier,
            email=email,
            dob_typo_tolerant=dob_typo_tolerant,
            identifier_values=identifier_values,
        )


class _Memo:
    """Memoised value-pair predicates over attribute codes (shared by all components)."""

    def __init__(self, attrs: RecordAttributes) -> None:
        self.attrs = attrs
        self._dob: dict[tuple[int, int], bool] = {}
        self._name: dict[tuple[int, int], bool] = {}
        self._ident: dict[tuple[int, int], bool] = {}

    @staticmethod
    def _cached(
        cache: dict[tuple[int, int], bool], a: int, b: int, compatible: Callable[[], bool]
    ) -> bool:
        """Missing or equal codes never conflict; other pairs are decided once and kept."""
        if a < 0 or b < 0 or a == b:
            return True
        key = (a, b) if a < b else (b, a)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = compatible()
        return hit

    def ident_ok(self, a: int, b: int) -> bool:
        vals = self.attrs.identifier_values
        return self._cached(self._ident, a, b, lambda: identifiers_compatible(vals[a], vals[b]))

    def dob_ok(self, a: int, b: int) -> bool:
        vals, tolerant = self.attrs.dob_values, self.attrs.dob_typo_tolerant
        return self._cached(self._dob, a, b, lambda: dob_compatible(vals[a], vals[b], tolerant))

    def name_ok(self, a: int, b: int) -> bool:
        vals = self.attrs.name_values
        return self._cached(self._name, a, b, lambda: names_compatible(vals[a], vals[b]))


class ComponentConflicts:
    """Conflict codes between the records of one connected component.

    ``dob``/``name``/``ident``/``email`` are the attribute codes of the component's records
    (local index = list position). ``overrides`` are local pairs ``(i, j)``, ``i < j``, with
    *strong direct evidence*: a direct edge with probability ``>= strong_evidence`` and
    compatible first names. Strong direct evidence lifts a date-of-birth or identifier conflict
    of that pair (a mistyped birth date or number on an otherwise identical customer) but never
    a first-name conflict, and never a conflict between records that are only linked through
    others. Household pairs do not carry such edges: the scoring guards
    (:mod:`crmresolve.score.guards`) cap them. ``cannot`` are local reviewer cannot-link pairs
    ``(i, j)``, ``i < j``.
    """

    def __init__(
        self,
        memo: _Memo,
        dob: list[int],
        name: list[int],
        ident: list[int],
        email: list[int],
        overrides: set[tuple[int, int]],
        cannot: set[tuple[int, int]],
    ) -> None:
        self.memo = memo
        self.dob, self.name, self.ident, self.email = dob, name, ident, email
        self.k = len(dob)
        self.overrides = overrides
        self.cannot = cannot
        self._arrays: tuple[IntArray, IntArray, IntArray, IntArray] | None = None
        self._codes: dict[int, int] = {}

    def pair(self, i: int, j: int) -> int:
        """Conflict code of local records ``i`` and ``j`` (plain Python, memoised: the merge
        checks and the majority vote revisit the same pairs)."""
        slot = i * self.k + j if i < j else j * self.k + i
        code = self._codes.get(slot)
        if code is None:
            code = self._codes[slot] = self._pair(i, j)
        return code

    def _pair(self, i: int, j: int) -> int:
        key = (i, j) if i < j else (j, i)
        if self.cannot and key in self.cannot:
            return CANNOT_LINK
        ii, ij = self.ident[i], self.ident[j]
        ident_clash = ii >= 0 and ij >= 0 and ii != ij and not self.memo.ident_ok(ii, ij)
        if ident_clash and key not in self.overrides:
            return IDENTIFIER
        di, dj = self.dob[i], self.dob[j]
        dob_clash = di != dj and di >= 0 and dj >= 0 and not self.memo.dob_ok(di, dj)
        if dob_clash and key not in self.overrides:
            return DOB
        ni, nj = self.name[i], self.name[j]
        if ni != nj and ni >= 0 and nj >= 0:
            ei, ej = self.email[i], self.email[j]
            shared = (ei >= 0 and ei == ej) or (ii >= 0 and ii == ij)
            if not shared and key not in self.overrides and not self.memo.name_ok(ni, nj):
                return FIRST_NAME
        return NONE

    def cross(self, a_idx: IntArray, b_idx: IntArray) -> npt.NDArray[np.int8]:
        """Conflict codes of every ``(a, b)`` pair (numpy; same rule as :meth:`pair`)."""
        if self._arrays is None:
            self._arrays = tuple(  # type: ignore[assignment]
                np.asarray(x, dtype=np.int64) for x in (self.dob, self.name, self.ident, self.email)
            )
        assert self._arrays is not None
        dob, name, ident, email = self._arrays
        out = np.zeros((a_idx.size, b_idx.size), dtype=np.int8)
        ia = ident[a_idx][:, None]
        ib = ident[b_idx][None, :]
        both_id = (ia >= 0) & (ib >= 0)
        id_bad = self._value_cross(ident, a_idx, b_idx, self.memo.ident_ok)
        ea = email[a_idx][:, None]
        eb = email[b_idx][None, :]
        shared = ((ea >= 0) & (ea == eb)) | (both_id & (ia == ib))

        dob_bad = self._value_cross(dob, a_idx, b_idx, self.memo.dob_ok)
        name_bad = self._value_cross(name, a_idx, b_idx, self.memo.name_ok) & ~shared
        for bad in (dob_bad, id_bad, name_bad):
            if self.overrides and bad.any():
                for r, c in zip(*np.nonzero(bad), strict=True):
                    i, j = int(a_idx[r]), int(b_idx[c])
                    if ((i, j) if i < j else (j, i)) in self.overrides:
                        bad[r, c] = False
        out[name_bad] = FIRST_NAME
        out[dob_bad] = DOB
        out[id_bad] = IDENTIFIER
        if self.cannot:
            pos_a = {int(x): r for r, x in enumerate(a_idx.tolist())}
            pos_b = {int(x): c for c, x in enumerate(b_idx.tolist())}
            for i, j in self.cannot:
                for x, y in ((i, j), (j, i)):
                    if x in pos_a and y in pos_b:
                        out[pos_a[x], pos_b[y]] = CANNOT_LINK
        return out

    @staticmethod
    def _value_cross(
        codes: IntArray, a_idx: IntArray, b_idx: IntArray, ok: _CompatFn
    ) -> npt.NDArray[np.bool_]:
        # Compare distinct values only, then broadcast to records.
        ua, inv_a = np.unique(codes[a_idx], return_inverse=True)
        ub, inv_b = np.unique(codes[b_idx], return_inverse=True)
        small = np.array(
            [[not ok(int(x), int(y)) for y in ub.tolist()] for x in ua.tolist()], dtype=bool
        ).reshape(ua.size, ub.size)
        bad: npt.NDArray[np.bool_] = small[inv_a.reshape(-1)][:, inv_b.reshape(-1)]
        return bad

    def between(self, a_members: list[int], b_members: list[int]) -> int:
        """Highest conflict code between two groups of local records.

        Small groups loop in Python; large ones go through :meth:`cross` (numpy), whose
        per-call overhead only pays off beyond a few hundred pairs.
        """
        if len(a_members) * len(b_members) <= CROSS_MIN:
            best = 0
            pair = self.pair
            for i in a_members:
                for j in b_members:
                    c = pair(i, j)
                    if c > best:
                        best = c
                        if best == CANNOT_LINK:
                            return best
            return best
        codes = self.cross(
            np.asarray(a_members, dtype=np.int64), np.asarray(b_members, dtype=np.int64)
        )
        return int(codes.max()) if codes.size else 0


def _bad_values(
    a: IntArray,
    b: IntArray,
    verdicts: Callable[[list[int], list[int]], list[bool]],
    skip: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_]:
    """Pairs whose two codes are both known, differ and are not compatible; ``verdicts``
    decides each distinct value pair once (compatible or not). Pairs in ``skip`` are never
    bad."""
    test = (a >= 0) & (b >= 0) & (a != b)
    if skip is not None:
        test &= ~skip
    out = np.zeros(a.size, dtype=bool)
    idx = np.flatnonzero(test)
    if idx.size == 0:
        return out
    lo = np.minimum(a[idx], b[idx])
    hi = np.maximum(a[idx], b[idx])
    width = np.int64(hi.max()) + 1
    uniq, inv = np.unique(lo * width + hi, return_inverse=True)
    ok = np.asarray(verdicts(*(x.tolist() for x in np.divmod(uniq, width))), dtype=bool)
    out[idx] = ~ok[inv.reshape(-1)]
    return out


def pair_codes(
    memo: _Memo,
    dob: IntArray,
    name: IntArray,
    ident: IntArray,
    email: IntArray,
    a: IntArray,
    b: IntArray,
) -> npt.NDArray[np.int8]:
    """Conflict codes of the record pairs ``(a[i], b[i])`` (indices into the code arrays),
    without overrides or cannot-links: the rule of :meth:`ComponentConflicts.pair`, vectorised
    over many pairs (each distinct value pair is decided once, without the memo's overhead)."""
    attrs = memo.attrs
    dv, nv, iv = attrs.dob_values, attrs.name_values, attrs.identifier_values
    tol = attrs.dob_typo_tolerant

    def dob_ok(xs: list[int], ys: list[int]) -> list[bool]:
        return [dob_compatible(dv[x], dv[y], tol) for x, y in zip(xs, ys, strict=True)]

    def name_ok(xs: list[int], ys: list[int]) -> list[bool]:
        return [names_compatible(nv[x], nv[y]) for x, y in zip(xs, ys, strict=True)]

    def ident_ok(xs: list[int], ys: list[int]) -> list[bool]:
        return [identifiers_compatible(iv[x], iv[y]) for x, y in zip(xs, ys, strict=True)]

    ia, ib = ident[a], ident[b]
    ea, eb = email[a], email[b]
    shared = ((ea >= 0) & (ea == eb)) | ((ia >= 0) & (ia == ib))
    out = np.zeros(a.size, dtype=np.int8)
    out[_bad_values(name[a], name[b], name_ok, shared)] = FIRST_NAME
    out[_bad_values(dob[a], dob[b], dob_ok)] = DOB
    out[_bad_values(ia, ib, ident_ok)] = IDENTIFIER
    return out


def names_ok(attrs: RecordAttributes, a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
    """Whether the first names of each record pair ``(a[i], b[i])`` (global record positions)
    are compatible or unknown (vectorised :meth:`_Memo.name_ok`)."""
    nv = attrs.name_values

    def verdicts(xs: list[int], ys: list[int]) -> list[bool]:
        return [names_compatible(nv[x], nv[y]) for x, y in zip(xs, ys, strict=True)]

    return ~_bad_values(attrs.name[a], attrs.name[b], verdicts)
