"""Blocking benchmark (not a test): speed on synthetic data, recall on a Febrl CSV.

Run ``python -m crmresolve.block._bench [--records 1000000] [--febrl PATH ...]``.

The synthetic table mimics CRM skew: Zipf-distributed names, cities and postcodes, 30 % of
records are noisy duplicates (typos, missing fields), switchboard phones shared by hundreds of
contacts, placeholder values. Febrl files are lower-cased and their ``YYYYMMDD`` dates turned into
ISO here, standing in for the normalize stage; ``entity_id`` is the truth (``rec_id`` leaks it
and is not used).
"""

from __future__ import annotations

import argparse
import csv
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.block._defaults import default_rules
from crmresolve.block._diagnostics import diagnose
from crmresolve.block._engine import (
    DEFAULT_MAX_BLOCK_SIZE,
    Features,
    _KeyCache,
    _n_records,
    _prepare,
    generate_pairs,
    iter_pairs,
)
from crmresolve.block._rules import block_on

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _vocab(rng: np.random.Generator, size: int, lo: int, hi: int) -> list[str]:
    lengths = rng.integers(lo, hi + 1, size)
    letters = rng.choice(_LETTERS, int(lengths.sum()))
    out, pos = [], 0
    for n in lengths.tolist():
        out.append("".join(letters[pos : pos + n].tolist()))
        pos += n
    return out


def _zipf_pick(rng: np.random.Generator, vocab: Sequence[str], n: int, s: float = 1.0) -> Any:
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** s
    idx = rng.choice(len(vocab), n, p=weights / weights.sum())
    return np.array(vocab, dtype=object)[idx]


def _typo(rng: np.random.Generator, value: str | None) -> str | None:
    if value is None or len(value) < 2:
        return value
    i = int(rng.integers(0, len(value) - 1))
    op = int(rng.integers(0, 3))
    if op == 0:  # transpose
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if op == 1:  # delete
        return value[:i] + value[i + 1 :]
    return value[:i] + str(rng.choice(_LETTERS)) + value[i + 1 :]  # substitute


def synthetic(n: int, seed: int = 0) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
    """``n`` CRM-like person records (features, entity ids), ~30 % noisy duplicates."""
    rng = np.random.default_rng(seed)
    n_entities = int(n * 0.7)
    # Zipf exponents chosen so the most common values have realistic shares: top given name
    # ~3.5 %, top surname ~1.3 %, top city ~12 %, top street ~0.2 %.
    given = _zipf_pick(rng, _vocab(rng, 5_000, 3, 9), n_entities, 0.8)
    surname = _zipf_pick(rng, _vocab(rng, 150_000, 3, 11), n_entities, 0.75)
    city = _zipf_pick(rng, _vocab(rng, 2_000, 4, 12), n_entities, 1.0)
    postcode = _zipf_pick(rng, [f"{i:05d}" for i in rng.permutation(30_000)], n_entities, 0.6)
    street = _zipf_pick(rng, [s + " street" for s in _vocab(rng, 100_000, 4, 10)], n_entities, 0.5)
    house = rng.integers(1, 300, n_entities).astype(str).astype(object)
    days = rng.integers(0, 80 * 365, n_entities).astype("timedelta64[D]")
    dob = (np.datetime64("1930-01-01") + days).astype(str).astype(object)
    phone = np.array([f"+4479{v:08d}" for v in rng.integers(0, 10**8, n_entities)], dtype=object)
    email = np.array(
        [
            f"{g}.{s}{i % 97}@mail{i % 50}.com"
            for i, (g, s) in enumerate(zip(given, surname, strict=True))
        ],
        dtype=object,
    )
    entity = np.concatenate([np.arange(n_entities), rng.integers(0, n_entities, n - n_entities)])
    cols: dict[str, npt.NDArray[Any]] = {
        "given_name": given[entity],
        "surname": surname[entity],
        "city": city[entity],
        "postcode": postcode[entity],
        "street": street[entity],
        "house_number": house[entity],
        "dob": dob[entity],
        "phone": phone[entity],
        "email": email[entity],
    }
    for name, col in cols.items():
        col = col.copy()
        dup = np.flatnonzero(entity != np.arange(n)) if n > n_entities else np.zeros(0, int)
        noisy = dup[rng.random(len(dup)) < 0.25]
        col[noisy] = [_typo(rng, v) for v in col[noisy].tolist()]
        col[rng.random(n) < 0.08] = None  # missing everywhere
        cols[name] = col
    # Switchboards and placeholders: the size guard and junk list must absorb these.
    for k in range(20):
        cols["phone"][rng.integers(0, n, 300 + 50 * k)] = f"+44207000{k:04d}"
    cols["dob"][rng.integers(0, n, n // 200)] = "1900-01-01"
    cols["surname"][rng.integers(0, n, n // 500)] = "unknown"
    cols["given_name_canonical"] = cols["given_name"]
    cols["full_name"] = _full_name(cols["given_name"], cols["surname"])
    return cols, entity


def load_febrl(path: str) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
    """A Febrl-style CSV as features (lower-cased, ISO dates) plus the entity ids."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    def col(name: str, iso: bool = False) -> npt.NDArray[Any]:
        out = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            v = (row.get(name) or "").strip().lower()
            if iso:
                v = f"{v[:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 and v.isdigit() else ""
            out[i] = v or None
        return out

    feats = {
        "given_name": col("given_name"),
        "surname": col("surname"),
        "house_number": col("street_number"),
        "street": col("address_1"),
        "city": col("suburb"),
        "postcode": col("postcode"),
        "dob": col("date_of_birth", iso=True),
        "identifier": col("soc_sec_id"),
    }
    feats["given_name_canonical"] = feats["given_name"]
    feats["full_name"] = _full_name(feats["given_name"], feats["surname"])
    return feats, np.array([r["entity_id"] for r in rows], dtype=object)


def _full_name(given: npt.NDArray[Any], surname: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.empty(len(given), dtype=object)
    out[:] = [" ".join(p for p in (g, s) if p) or None for g, s in zip(given, surname, strict=True)]
    return out


class _Timer:
    """Wall and CPU seconds (CPU time is the honest figure on a shared, loaded machine)."""

    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall / {self.cpu:.2f} s CPU"


def _speed(n: int) -> None:
    with _Timer() as t:
        feats, _ = synthetic(n)
    print(f"synthetic data: {n:,} records ({t})")
    rules = default_rules(feats.keys())
    features: Features = feats

    with _Timer() as keys:
        cache = _KeyCache(features, _n_records(features, rules, None), drop_junk=True)
        for rule in rules:
            _prepare(rule, cache, DEFAULT_MAX_BLOCK_SIZE)
    print(f"key computation, {len(rules)} default rules over {len(feats)} columns: {keys}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _Timer() as it:
            total = sum(len(c) for c in iter_pairs(features, rules))
        with _Timer() as gen:
            pairs = generate_pairs(features, rules)
    assert total == len(pairs)
    pair_cpu = max(it.cpu - keys.cpu, 1e-9)
    print(
        f"iter_pairs (keys + chunks, bounded memory): {total:,} pairs ({total / n:.1f} per "
        f"record) in {it}; pair stage {total / pair_cpu / 1e6:.1f} M pairs per CPU second"
    )
    gen_cpu = max(gen.cpu - keys.cpu, 1e-9)
    print(
        f"generate_pairs (keys + pairs + sort/dedupe): {gen}; "
        f"pair stage {len(pairs) / gen_cpu / 1e6:.1f} M pairs per CPU second"
    )
    print(f"size-guard warnings: {len(caught)}")
    for rule in (block_on("surname"), block_on("dob")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _Timer() as t:
                p = generate_pairs(features, [rule], max_block_size=None)
        print(f"single rule {rule.name!r}, no size limit: {len(p):,} pairs in {t}")


def _recall(path: str) -> None:
    feats, truth = load_febrl(path)
    for label, keys in (
        ("all features", list(feats)),
        ("without identifier", [k for k in feats if k != "identifier"]),
    ):
        t0 = time.perf_counter()
        d = diagnose(feats, default_rules(keys), truth=truth)
        print(f"{path} ({label}, {time.perf_counter() - t0:.2f} s):\n{d}\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--febrl", nargs="*", default=[], help="Febrl-style CSV files")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args(argv)
    if not args.no_speed:
        _speed(args.records)
    for path in args.febrl:
        _recall(path)


if __name__ == "__main__":
    main()
