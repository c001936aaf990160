"""Given-name nicknames: which formal names a name may stand for, and one blocking key.

Sources: the English base list of the ``nicknames`` package (Carlton Northern's hand-curated
``names.csv``, read through its ``NickNamer.default_lookup()``), plus crmresolve's own
``data/nicknames_extra.csv`` (German, Spanish, Italian, French, Dutch, Russian, Polish
diminutives) and ``data/nicknames_preferred.csv`` (the representative to use for names the
heuristic below gets wrong).

The base list is a relation, not a hierarchy: it has pairs in both directions (``bob`` has
nickname ``robert`` and ``robert`` has nickname ``bob``). Such two-way pairs are resolved by
keeping the longer name (then the one with more nicknames) as the formal one. The blocking key
(:func:`canonical_given_name`) of a name is its preferred formal name when curated, itself when
it has no formal name or at least as many nicknames as its best formal name, otherwise the
formal name with the most nicknames; keys are followed to a fixed point so that
``canonical_given_name(canonical_given_name(x)) == canonical_given_name(x)``.

Tables are built once on first use (about 10 ms) and every call afterwards is a dict lookup.
Input names are case-folded and accent-folded (``"Jürgen"`` -> ``"jurgen"``).

>>> sorted(canonical_given_names("Bob"))
['bob', 'robert']
>>> canonical_given_name("Peggy"), canonical_given_name("Hans"), canonical_given_name("Zyx")
('margaret', 'johannes', 'zyx')
>>> are_nickname_equivalent("Bill", "William"), are_nickname_equivalent("Bill", "Mary")
(True, False)
"""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from collections.abc import Iterable
from importlib import resources
from typing import NamedTuple

from nicknames import NickNamer

from crmresolve.normalize._text import coerce_text, fold_accents, nfkc, strip_punctuation

__all__ = ["are_nickname_equivalent", "canonical_given_name", "canonical_given_names"]


class _Tables(NamedTuple):
    formals: dict[str, frozenset[str]]
    canonical: dict[str, str]


def name_key(name: object) -> str:
    """The lookup form of a given name: case-folded, accents folded, punctuation removed.

    >>> name_key("  Jürgen "), name_key("Mary-Jane"), name_key(None)
    ('jurgen', 'mary jane', '')
    """
    if isinstance(name, str) and name.isascii() and name.isalpha() and name.islower():
        return name
    text = coerce_text(name)
    if text is None:
        return ""
    return " ".join(strip_punctuation(fold_accents(nfkc(text).casefold())).split())


def _read_data(filename: str) -> list[list[str]]:
    text = resources.files("crmresolve").joinpath("data", filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return rows[1:]  # header


def _base_edges() -> Iterable[tuple[str, str]]:
    for formal, nicks in NickNamer.default_lookup().items():
        for nick in nicks:
            yield formal, nick


@functools.cache
def _tables() -> _Tables:
    edges: set[tuple[str, str]] = set()
    raw = list(_base_edges())
    raw.extend((row[0], row[1]) for row in _read_data("nicknames_extra.csv") if len(row) >= 2)
    for formal, nick in raw:
        a, b = name_key(formal), name_key(nick)
        if a and b and a != b:
            edges.add((a, b))

    out_degree = Counter(a for a, _ in edges)

    def rank(n: str) -> tuple[int, int, str]:
        return (len(n), out_degree[n], n)

    # Two-way pairs ("bob" <-> "robert"): only the direction from the more formal name stays.
    edges = {(a, b) for a, b in edges if (b, a) not in edges or rank(a) > rank(b)}
    out_degree = Counter(a for a, _ in edges)

    preferred: dict[str, str] = {}
    for row in _read_data("nicknames_preferred.csv"):
        if len(row) >= 2:
            n, p = name_key(row[0]), name_key(row[1])
            if n and p:
                preferred[n] = p
                if n != p:
                    edges.add((p, n))  # curation wins: the preferred name is a formal name

    parents: dict[str, set[str]] = {}
    for a, b in edges:
        parents.setdefault(b, set()).add(a)
    names = {a for a, _ in edges} | {b for _, b in edges}

    choice: dict[str, str] = {}
    for n in names:
        if n in preferred:
            choice[n] = preferred[n]
            continue
        ps = parents.get(n)
        if not ps:
            choice[n] = n
            continue
        best = min(ps, key=lambda p: (-out_degree[p], -len(p), p))
        choice[n] = n if out_degree[n] >= out_degree[best] else best

    canonical: dict[str, str] = {}
    for n in names:
        path = [n]
        seen = {n}
        cur = n
        while choice.get(cur, cur) != cur:
            cur = choice[cur]
            if cur in seen:  # a cycle of choices: settle on its alphabetically first member
                cycle = path[path.index(cur) :]
                cur = min(cycle)
                break
            seen.add(cur)
            path.append(cur)
        canonical[n] = cur

    # A name that is its own key counts as formal and stands for itself only; otherwise it
    # stands for its key and for those of its direct formal names that are formal themselves
    # ("bob" -> robert, but not "bobby" or "bert", which are nicknames too).
    formals: dict[str, frozenset[str]] = {}
    for n in names:
        if canonical[n] == n:
            formals[n] = frozenset((n,))
        else:
            direct = (p for p in parents.get(n, ()) if canonical.get(p) == p)
            formals[n] = frozenset((n, canonical[n], *direct))
    return _Tables(formals, canonical)


def canonical_given_names(name: object) -> frozenset[str]:
    """All formal names ``name`` may be a diminutive of, including ``name`` itself.

    Unknown names give just themselves; blank input gives an empty set.

    >>> sorted(canonical_given_names("Paco")), sorted(canonical_given_names("hans"))
    (['francisco', 'paco'], ['hans', 'johannes'])
    """
    key = name_key(name)
    if not key:
        return frozenset()
    found = _tables().formals.get(key)
    return found if found is not None else frozenset((key,))


def canonical_given_name(name: object) -> str:
    """One deterministic representative formal name, usable as a blocking or equality key.

    Returns the normalized name itself when it is unknown or already formal, ``""`` for blank
    input. Pass a single given name (``"Bob"``, not ``"Bob Smith"``).

    >>> canonical_given_name("Bob"), canonical_given_name("Robert"), canonical_given_name("Liz")
    ('robert', 'robert', 'elizabeth')
    """
    key = name_key(name)
    if not key:
        return ""
    return _tables().canonical.get(key, key)


def are_nickname_equivalent(a: object, b: object) -> bool:
    """True when two given names are equal or may stand for the same formal name.

    >>> are_nickname_equivalent("Bob", "Rob"), are_nickname_equivalent("Paco", "Francisco")
    (True, True)
    """
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    tables = _tables()
    fa = tables.formals.get(ka)
    fb = tables.formals.get(kb)
    if fa is None and fb is None:
        return False
    return not (fa or frozenset((ka,))).isdisjoint(fb or frozenset((kb,)))
