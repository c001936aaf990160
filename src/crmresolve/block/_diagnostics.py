"""Blocking diagnostics: what each rule contributes, before any pair is scored.

Terms (per rule, in rule order):

- ``pairs``: pairs the rule produces on its own; ``new_pairs``: of those, pairs no earlier rule
  produced; ``cumulative_pairs``: union of the rules so far (what :func:`generate_pairs` returns).
- ``reduction_ratio``: ``1 - cumulative_pairs / total_comparisons`` (comparisons avoided versus
  all ``n(n-1)/2`` pairs; in link-only mode versus all cross-source pairs).
- With ``truth`` (an entity id per record): ``recall`` = true pairs found by the rule alone / all
  true pairs; ``cumulative_recall`` is the *pairs completeness* of the rules so far;
  ``precision`` / ``cumulative_precision`` are the *pairs quality* (true pairs / candidate pairs).
- ``blocks``: distinct key values that can produce pairs; ``largest_blocks``: the five largest
  block sizes; ``skipped_blocks`` / ``skipped_records``: blocks dropped by the size guard.

Only counts and sizes are reported, never key values.

>>> import numpy as np
>>> from crmresolve.block import block_on, initial
>>> f = {
...     "given_name": np.array(["ann", "anna", "bo", "bob"], dtype=object),
...     "surname": np.array(["berg", "berg", "berg", "lind"], dtype=object),
... }
>>> d = diagnose(f, [block_on(initial("given_name"), "surname"), block_on("surname")],
...              truth=np.array([1, 1, 2, 2]))
>>> [(r.pairs, r.new_pairs, r.cumulative_pairs) for r in d.rules]
[(1, 1, 1), (3, 2, 3)]
>>> d.true_pairs, d.pairs_completeness, round(d.pairs_quality, 3)
(2, 0.5, 0.333)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.block._engine import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_BLOCK_SIZE,
    DEFAULT_SPLIT_COLUMNS,
    DEFAULT_SPLIT_WINDOW,
    Features,
    Int64Array,
    _plan,
    _rule_pairs,
)
from crmresolve.block._rules import BlockingRule
from crmresolve.table import factorize

__all__ = ["BlockingDiagnostics", "RuleDiagnostics", "diagnose"]


@dataclass(frozen=True)
class RuleDiagnostics:
    """Counts for one rule; see the module docstring for the definitions."""

    rule: str
    records_with_key: int
    blocks: int
    largest_blocks: tuple[int, ...]
    skipped_blocks: int
    skipped_records: int
    pairs: int
    new_pairs: int
    cumulative_pairs: int
    reduction_ratio: float
    true_pairs: int | None = None
    new_true_pairs: int | None = None
    recall: float | None = None
    cumulative_recall: float | None = None
    precision: float | None = None
    cumulative_precision: float | None = None


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass(frozen=True)
class BlockingDiagnostics:
    """Per-rule blocking statistics plus totals; ``str()`` is a readable table."""

    n_records: int
    total_comparisons: int
    rules: tuple[RuleDiagnostics, ...]
    true_pairs: int | None = None
    max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE
    link_only: bool = False

    @property
    def pairs(self) -> int:
        """Candidate pairs of all rules together."""
        return self.rules[-1].cumulative_pairs if self.rules else 0

    @property
    def pairs_per_record(self) -> float:
        return _ratio(self.pairs, self.n_records)

    @property
    def reduction_ratio(self) -> float:
        """Share of all comparisons avoided."""
        return 1.0 - _ratio(self.pairs, self.total_comparisons)

    @property
    def pairs_completeness(self) -> float | None:
        """Recall of all rules together: true pairs found / all true pairs (needs truth)."""
        if self.true_pairs is None:
            return None
        found = sum(r.new_true_pairs or 0 for r in self.rules)
        return _ratio(found, self.true_pairs)

    @property
    def pairs_quality(self) -> float | None:
        """Precision of all rules together: true pairs found / candidate pairs (needs truth)."""
        if self.true_pairs is None:
            return None
        found = sum(r.new_true_pairs or 0 for r in self.rules)
        return _ratio(found, self.pairs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "n_records": self.n_records,
            "total_comparisons": self.total_comparisons,
            "true_pairs": self.true_pairs,
            "max_block_size": self.max_block_size,
            "link_only": self.link_only,
            "pairs": self.pairs,
            "pairs_per_record": self.pairs_per_record,
            "reduction_ratio": self.reduction_ratio,
            "pairs_completeness": self.pairs_completeness,
            "pairs_quality": self.pairs_quality,
            "rules": [{**asdict(r), "largest_blocks": list(r.largest_blocks)} for r in self.rules],
        }

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        has_truth = self.true_pairs is not None
        header = ["#", "rule", "pairs", "new", "cumulative", "reduction"]
        if has_truth:
            header += ["recall", "cum. recall", "cum. precision"]
        header += ["blocks", "largest", "skipped (records)"]
        rows = []
        for i, r in enumerate(self.rules):
            row = [
                str(i),
                r.rule,
                f"{r.pairs:,}",
                f"{r.new_pairs:,}",
                f"{r.cumulative_pairs:,}",
                f"{r.reduction_ratio:.6f}",
            ]
            if has_truth:
                row += [
                    f"{r.recall or 0.0:.4f}",
                    f"{r.cumulative_recall or 0.0:.4f}",
                    f"{r.cumulative_precision or 0.0:.4f}",
                ]
            largest = ",".join(str(s) for s in r.largest_blocks[:3])
            row += [f"{r.blocks:,}", largest, f"{r.skipped_blocks} ({r.skipped_records})"]
            rows.append(row)
        return header, rows

    def _summary(self) -> str:
        text = (
            f"{self.n_records:,} records, {self.pairs:,} candidate pairs "
            f"({self.pairs_per_record:.1f} per record) of {self.total_comparisons:,} possible; "
            f"reduction ratio {self.reduction_ratio:.6f}"
        )
        if self.true_pairs is not None:
            text += (
                f"; pairs completeness {self.pairs_completeness or 0.0:.4f} of "
                f"{self.true_pairs:,} true pairs, pairs quality {self.pairs_quality or 0.0:.4f}"
            )
        return text

    def __str__(self) -> str:
        header, rows = self._rows()
        widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]
        left_aligned = {1}

        def fmt(cells: list[str]) -> str:
            return "  ".join(
                c.ljust(w) if i in left_aligned else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        lines = [self._summary(), fmt(header), "  ".join("-" * w for w in widths)]
        lines += [fmt(row) for row in rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header, rows = self._rows()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return (
            f"<p>{html.escape(self._summary())}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def _truth_codes(truth: npt.ArrayLike, n: int) -> Int64Array:
    values = np.asarray(truth, dtype=object).tolist()
    if len(values) != n:
        raise ValueError(f"truth has {len(values)} labels, expected {n}")
    codes, uniques = factorize(values)
    # A record without a label is its own entity.
    where = codes < 0
    codes[where] = len(uniques) + np.arange(int(where.sum()))
    return codes


def _pairs_within(group_codes: Int64Array) -> int:
    sizes = np.bincount(group_codes).astype(np.int64) if len(group_codes) else np.zeros(0, int)
    return int((sizes * (sizes - 1) // 2).sum())


def _cross_pairs(group_codes: Int64Array, sources: Int64Array) -> int:
    """Pairs within groups whose two records come from different sources."""
    n_sources = int(sources.max()) + 1 if len(sources) else 1
    return _pairs_within(group_codes) - _pairs_within(group_codes * n_sources + sources)


def diagnose(
    features: Features,
    rules: Sequence[BlockingRule],
    *,
    truth: npt.ArrayLike | None = None,
    max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE,
    link_sources: npt.ArrayLike | None = None,
    link_only: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    drop_junk: bool = True,
    split_oversized: bool = False,
    pair_budget: int | None = None,
    split_columns: Sequence[str] = DEFAULT_SPLIT_COLUMNS,
    split_window: int = DEFAULT_SPLIT_WINDOW,
) -> BlockingDiagnostics:
    """Per-rule pair counts, block sizes, reduction ratio and (with ``truth``) recall.

    Arguments as for :func:`~crmresolve.block.generate_pairs`, which returns exactly the
    ``cumulative_pairs`` of the last rule. ``truth`` holds an entity id per record (``None``:
    unlabelled, its own entity); the number of true pairs is computed from group sizes. Skipped
    blocks are reported here instead of warned about. Runs in the same bounded memory as
    :func:`~crmresolve.block.iter_pairs`.
    """
    plan = _plan(
        features,
        rules,
        max_block_size=max_block_size,
        link_sources=link_sources,
        link_only=link_only,
        chunk_size=chunk_size,
        drop_junk=drop_junk,
        warn=False,
        split_oversized=split_oversized,
        pair_budget=pair_budget,
        split_columns=split_columns,
        split_window=split_window,
    )
    n = plan.n_records
    sources = plan.sources
    everyone = np.zeros(n, dtype=np.int64)
    total = _pairs_within(everyone) if sources is None else _cross_pairs(everyone, sources)
    t_codes = None if truth is None else _truth_codes(truth, n)
    n_true: int | None = None
    if t_codes is not None:
        n_true = _pairs_within(t_codes) if sources is None else _cross_pairs(t_codes, sources)

    out: list[RuleDiagnostics] = []
    cumulative = 0
    cumulative_true = 0
    for index, prepared in enumerate(plan.prepared):
        produced = new = true_found = new_true = 0
        for left, right in _rule_pairs(prepared, chunk_size, sources):
            fresh = ~plan.seen_before(index, left, right)
            produced += len(left)
            new += int(fresh.sum())
            if t_codes is not None:
                same = t_codes[left] == t_codes[right]
                true_found += int(same.sum())
                new_true += int((same & fresh).sum())
        cumulative += new
        cumulative_true += new_true
        sizes = prepared.block_sizes
        blocks = int((sizes >= 2).sum()) if prepared.rule.window == 1 else len(sizes)
        largest = tuple(int(s) for s in np.sort(sizes)[::-1][:5])
        stats = RuleDiagnostics(
            rule=prepared.rule.name,
            records_with_key=prepared.records_with_key,
            blocks=blocks,
            largest_blocks=largest,
            skipped_blocks=len(prepared.skipped_sizes),
            skipped_records=int(prepared.skipped_sizes.sum()),
            pairs=produced,
            new_pairs=new,
            cumulative_pairs=cumulative,
            reduction_ratio=1.0 - _ratio(cumulative, total),
        )
        if n_true is not None:
            stats = replace(
                stats,
                true_pairs=true_found,
                new_true_pairs=new_true,
                recall=_ratio(true_found, n_true),
                cumulative_recall=_ratio(cumulative_true, n_true),
                precision=_ratio(true_found, produced),
                cumulative_precision=_ratio(cumulative_true, cumulative),
            )
        out.append(stats)
    return BlockingDiagnostics(
        n_records=n,
        total_comparisons=total,
        rules=tuple(out),
        true_pairs=n_true,
        max_block_size=max_block_size,
        link_only=sources is not None,
    )
