"""The entry point that composes the stages: ``normalize → block → compare → score → cluster →
survive``.

:class:`Resolver` follows scikit-learn's conventions: configuration in the constructor,
:meth:`Resolver.fit` learns the Fellegi–Sunter model without labels, :meth:`Resolver.resolve`
returns a :class:`Resolution` (scored pairs, clusters, golden records, explanations).
:func:`dedupe` and :func:`link` are one-call shorthands.

>>> import crmresolve
>>> from pathlib import Path
>>> example = Path(crmresolve.__file__).parents[2] / "examples" / "contacts.csv"
>>> result = crmresolve.dedupe(example, id_column="record_id")  # roles inferred from headers
>>> result.n_records, result.n_clusters < result.n_records
(400, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from crmresolve._fork import default_workers
from crmresolve._memory import release_free_memory
from crmresolve.block import (
    DEFAULT_MAX_BLOCK_SIZE,
    BlockingDiagnostics,
    BlockingRule,
    CandidatePairs,
    default_rules,
    diagnose,
    generate_pairs,
)
from crmresolve.cluster import Clustering, cluster_pairs
from crmresolve.compare import (
    DEFAULT_CHUNK_SIZE,
    Comparison,
    FeatureCache,
    compute_gamma,
    default_comparisons,
)
from crmresolve.features import Features, build_features
from crmresolve.io import load_table
from crmresolve.progress import Progress, ProgressOption
from crmresolve.roles import FieldMap, validate_field_map
from crmresolve.score import FellegiSunter, estimate_u, match_probability
from crmresolve.score.guards import Guard, apply_guards, default_guards
from crmresolve.survive import GoldenRecords, RuleSet, build_golden_records
from crmresolve.table import ObjArray, Table, notnull

if TYPE_CHECKING:
    import pandas as pd

    from crmresolve.display import ClusterView, Evaluation
    from crmresolve.profile import Profile

__all__ = ["PairScores", "Resolution", "Resolver", "dedupe", "link"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PairScores:
    """Scored candidate pairs as column arrays (positions into the input table)."""

    left: IntArray
    right: IntArray
    rule: npt.NDArray[np.int16]
    gamma: npt.NDArray[np.int8]
    match_weight: FloatArray
    match_probability: FloatArray
    comparison_names: tuple[str, ...]
    level_labels: tuple[tuple[str, ...], ...]
    guard: npt.NDArray[np.int16]
    guard_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.left)

    def above(self, threshold: float) -> PairScores:
        """Only the pairs with ``match_probability >= threshold``."""
        keep = self.match_probability >= threshold
        return PairScores(
            self.left[keep],
            self.right[keep],
            self.rule[keep],
            self.gamma[keep],
            self.match_weight[keep],
            self.match_probability[keep],
            self.comparison_names,
            self.level_labels,
            self.guard[keep],
            self.guard_names,
        )

    def level_label(self, k: int, i: int) -> str:
        g = int(self.gamma[i, k])
        return "missing" if g < 0 else self.level_labels[k][g]


@dataclass
class Resolution:
    """Everything one resolution run produced; every input record is accounted for."""

    table: Table
    fields: FieldMap
    features: Features
    pairs: PairScores
    clustering: Clustering
    model: FellegiSunter
    blocking_rules: list[BlockingRule]
    threshold: float
    golden: GoldenRecords | None = None
    link_sources: ObjArray | None = None
    #: The :func:`~crmresolve.block.generate_pairs` options the pairs were made with.
    blocking_options: dict[str, Any] = field(default_factory=dict)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)
    _profile: Any = field(default=None, repr=False)

    @property
    def n_records(self) -> int:
        return len(self.table)

    @property
    def n_clusters(self) -> int:
        return len(self.clustering.cluster_ids)

    @property
    def cluster_of(self) -> ObjArray:
        """Cluster id per input record (in input order)."""
        return self.clustering.cluster_ids[self.clustering.labels]

    def position(self, record_id: str) -> int:
        if not self._positions:
            self._positions.update({str(r): i for i, r in enumerate(self.table.ids)})
        try:
            return self._positions[str(record_id)]
        except KeyError:
            raise KeyError("unknown record id (not in this resolution)") from None

    def explain(self, record_a: str, record_b: str, *, show_values: bool = False) -> Any:
        """Field-by-field explanation of the score of two records (candidate pair or not)."""
        i, j = self.position(record_a), self.position(record_b)
        return self.model.explain_pair(self.features.columns, i, j, show_values=show_values)

    def blocking_diagnostics(self, truth: npt.ArrayLike | None = None) -> BlockingDiagnostics:
        return diagnose(
            self.features.columns,
            self.blocking_rules,
            truth=truth,
            link_sources=self.link_sources,
            **self.blocking_options,
        )

    def evaluate(self, truth: Any, *, threshold: float | None = None) -> Evaluation:
        """Score this resolution against labels (see :class:`crmresolve.display.Evaluation`).

        ``truth`` is one of: the name of a table column holding an entity id per record; an
        array with an entity id per record (input order); a mapping record id → entity id;
        or labelled pairs ``[(record_a, record_b, is_match), ...]``. Records without a label
        (missing, empty, absent from the mapping) count as their own entity. ``threshold``
        defaults to the resolution's. ``.plot()`` on the result draws precision / recall / F1
        by threshold.
        """
        from crmresolve.display import evaluate_resolution

        return evaluate_resolution(self, truth, threshold=threshold)

    def cluster_view(
        self,
        key: str,
        *,
        columns: Sequence[str] | None = None,
        show_values: bool = True,
    ) -> ClusterView:
        """Members of one cluster side by side with its golden record and lineage.

        ``key`` is a cluster id or the id of any member record. Shows raw values (for the
        analyst's own notebook); ``show_values=False`` masks them.
        """
        from crmresolve.display import cluster_view

        return cluster_view(self, key, columns=columns, show_values=show_values)

    # ------------------------------------------------------------------ tabular outputs
    def records_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Every input row unchanged (same columns, same order) plus ``cluster_id`` and
        ``cluster_confidence``: ``(header, rows)``, ready for :func:`crmresolve.io.write_csv`."""
        names = self.table.column_names
        cols = [self.table.columns[n].tolist() for n in names]
        cid = self.cluster_of.tolist()
        conf = self.clustering.confidence[self.clustering.labels].tolist()
        rows = [[*(c[i] for c in cols), cid[i], _fmt_prob(conf[i])] for i in range(len(self.table))]
        return [*names, "cluster_id", "cluster_confidence"], rows

    def pairs_rows(self, threshold: float | None = None) -> tuple[list[str], list[list[Any]]]:
        """One row per scored candidate pair (``match_probability >= threshold`` when given):
        ``left_id, right_id, match_probability, match_weight`` and one ``<comparison>_level``
        label per comparison."""
        p = self.pairs if threshold is None else self.pairs.above(threshold)
        ids = self.table.ids
        header = ["left_id", "right_id", "match_probability", "match_weight"]
        header += [f"{name}_level" for name in p.comparison_names]
        labels = [("missing", *lv) for lv in p.level_labels]  # index = gamma + 1
        gamma = p.gamma.astype(np.int64) + 1
        left, right = ids[p.left].tolist(), ids[p.right].tolist()
        prob, weight = p.match_probability.tolist(), p.match_weight.tolist()
        rows = [
            [
                left[i],
                right[i],
                _fmt_prob(prob[i]),
                f"{weight[i]:.4f}",
                *(labels[k][gamma[i, k]] for k in range(len(labels))),
            ]
            for i in range(len(p))
        ]
        return header, rows

    def golden_rows(self) -> tuple[list[str], list[list[Any]]]:
        """One row per cluster: the survived value of each input column, ``cluster_id`` and
        ``member_ids`` (record ids joined with ``|``)."""
        if self.golden is None:
            raise ValueError("this resolution was run without golden records (golden=False)")
        g = self.golden
        names = [n for n in self.table.column_names if n in g.columns]
        cols = [g.columns[n].tolist() for n in names]
        cids = g.cluster_ids.tolist()
        rows = [[*(c[i] for c in cols), cids[i], "|".join(g.members[i])] for i in range(len(cids))]
        return [*names, "cluster_id", "member_ids"], rows

    def lineage_rows(self) -> tuple[list[str], list[list[Any]]]:
        """``cluster_id, column, value, source_record_id, rule`` per golden value."""
        if self.golden is None:
            raise ValueError("this resolution was run without golden records (golden=False)")
        lin = self.golden.lineage
        rows = [[r.cluster_id, r.column, r.value, r.source_record_id, r.rule] for r in lin]
        return ["cluster_id", "column", "value", "source_record_id", "rule"], rows

    def to_pandas(self) -> pd.DataFrame:
        """The input records with ``cluster_id`` and ``cluster_confidence`` (needs pandas)."""
        return _frame(*self.records_rows(), float_columns=("cluster_confidence",))

    def pairs_frame(self, threshold: float | None = None) -> pd.DataFrame:
        """The scored candidate pairs as a DataFrame (see :meth:`pairs_rows`)."""
        return _frame(
            *self.pairs_rows(threshold), float_columns=("match_probability", "match_weight")
        )

    def golden_frame(self) -> pd.DataFrame:
        """The golden records as a DataFrame (see :meth:`golden_rows`)."""
        return _frame(*self.golden_rows())

    def lineage_frame(self) -> pd.DataFrame:
        return _frame(*self.lineage_rows())

    def profile(self) -> Profile:
        """Data-quality profile of the input (computed on first use, then cached)."""
        if self._profile is None:
            from crmresolve.profile import profile

            self._profile = profile(self.table, fields=self.fields)
        result: Profile = self._profile
        return result

    def summary(self, *, largest: int = 5) -> str:
        """A short text summary: records, clusters, duplicates found, the largest clusters."""
        sizes = self.clustering.sizes
        multi = int((sizes > 1).sum())
        merged = int(sizes[sizes > 1].sum())
        lines = [
            f"records: {self.n_records}",
            f"clusters: {self.n_clusters} ({multi} with more than one record, holding "
            f"{merged} records)",
            f"candidate pairs scored: {len(self.pairs)}; "
            f"matches at threshold {self.threshold:g}: "
            f"{int((self.pairs.match_probability >= self.threshold).sum())}",
        ]
        order = np.argsort(-sizes, kind="stable")[:largest]
        big = [int(c) for c in order if sizes[c] > 1]
        if big:
            lines.append("largest clusters:")
            for c in big:
                members = self.clustering.members(c)
                shown = ", ".join(members[:6]) + (", ..." if len(members) > 6 else "")
                lines.append(
                    f"  {self.clustering.cluster_ids[c]}: {int(sizes[c])} records "
                    f"(confidence {float(self.clustering.confidence[c]):.2f}): {shown}"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from crmresolve.display import resolution_html

        return resolution_html(self)

    def __repr__(self) -> str:
        # Short on purpose: the generated dataclass repr would print every record value.
        return (
            f"Resolution({self.n_records:,} records, {self.n_clusters:,} clusters, "
            f"{len(self.pairs):,} candidate pairs, threshold {self.threshold:g})"
        )


class Resolver:
    """Configured resolution pipeline (scikit-learn style).

    Parameters:
        fields: role → input columns (see :mod:`crmresolve.roles`). Required here; the
            zero-configuration inference lives in :func:`dedupe`.
        id_column: column holding unique record ids (default: the row number).
        blocking: blocking rules; default :func:`crmresolve.block.default_rules` for the roles
            (without the identifier halves when no two records share an identifier: then it
            is a record key, not an identity number).
        comparisons: comparisons; default :func:`crmresolve.compare.default_comparisons`.
        threshold: match probability at which a pair joins a cluster.
        default_region: phone region for records without a country.
        max_block_size: blocks with more records are split (``split_oversized_blocks``) or
            skipped, with a warning; under a pair budget a block whose pairs cost no more
            than its split would is kept whole instead (nothing lost, no warning).
        split_oversized_blocks: split an oversized block instead of skipping it: each record
            pairs with its nearest records when the block is sorted by each of the other
            identity fields (multi-pass sorted neighbourhood), so big true entities (one
            inventor on hundreds of patents) and the typo'd records of common names keep
            their pairs while the pairs per record stay bounded.
        pairs_per_record: per blocking rule, at most about ``max(MIN_RULE_PAIRS,
            pairs_per_record × records)`` candidate pairs (with ``split_oversized_blocks``):
            the largest blocks of a rule are split first until it fits. Keeps the cost linear
            in the number of records (common names, streets and companies make blocks that
            grow with the data); ``None`` for no budget (only ``max_block_size``). Below
            ``MIN_RULE_PAIRS / pairs_per_record`` records it never binds.
        max_cluster_size: clusters are split above this size.
        seed: random seed (u sampling); same input and seed give the same clusters.
        u_sample_size: random pairs sampled to estimate u.
        survivorship: golden-record rules (a :class:`~crmresolve.survive.RuleSet`, e.g. from
            :func:`~crmresolve.survive.load_rules`, or column → rule chain); default per role.
        source_priority: source systems ranked best first, for the source-priority rule.
        golden: build golden records (``False`` skips survivorship, e.g. for pair scoring).
        guards: evidence guards capping pairs with decisive evidence against a match
            (:mod:`crmresolve.score.guards`); default
            :func:`~crmresolve.score.guards.default_guards` for the comparisons, ``[]`` for none.
        strong_evidence: two records of one cluster whose values conflict (different birth
            dates, identifiers or first names) stay together only when their own direct match
            probability reaches this; otherwise the cluster is split between them. Default
            0.5, the usual threshold: the direct score already went through the guards (which
            cap households and colleagues), so a pair the model itself calls a match keeps its
            mistyped birth date or number; a conflict between records linked only through
            others needs the same direct evidence (or is outvoted, see
            :class:`~crmresolve.cluster.Clusterer` ``majority``).
        progress: report the long phases: ``False``/``None`` silent (default), ``True`` one
            line per phase on stderr, or a callback ``(phase, event, seconds)``
            (:mod:`crmresolve.progress`).
    """

    def __init__(
        self,
        fields: Mapping[str, Sequence[str]],
        *,
        id_column: str | None = None,
        blocking: Sequence[BlockingRule] | None = None,
        comparisons: Sequence[Comparison] | None = None,
        threshold: float = 0.5,
        default_region: str = "US",
        max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE,
        split_oversized_blocks: bool = True,
        pairs_per_record: float | None = 1.0,
        max_cluster_size: int = 100,
        seed: int = 0,
        u_sample_size: int = 1_000_000,
        survivorship: RuleSet | Mapping[str, Any] | None = None,
        source_priority: Sequence[str] | None = None,
        golden: bool = True,
        guards: Sequence[Guard] | None = None,
        strong_evidence: float = 0.5,
        progress: ProgressOption = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be within [0, 1]")
        if pairs_per_record is not None and not pairs_per_record > 0:
            raise ValueError("pairs_per_record must be > 0 (or None for no budget)")
        self.fields = dict(fields)
        self.id_column = id_column
        self.blocking = list(blocking) if blocking is not None else None
        self.comparisons = list(comparisons) if comparisons is not None else None
        self.threshold = threshold
        self.default_region = default_region
        self.max_block_size = max_block_size
        self.split_oversized_blocks = split_oversized_blocks
        self.pairs_per_record = pairs_per_record
        self.max_cluster_size = max_cluster_size
        self.seed = seed
        self.u_sample_size = u_sample_size
        self.survivorship = survivorship
        self.source_priority = list(source_priority) if source_priority else None
        self.golden = golden
        self.guards = list(guards) if guards is not None else None
        self.strong_evidence = strong_evidence
        self.progress = progress
        self._progress = Progress.make(progress)
        self.model_: FellegiSunter | None = None
        self.blocking_rules_: list[BlockingRule] | None = None

    # ------------------------------------------------------------------ stages
    def _table(self, data: Any) -> Table:
        return data if isinstance(data, Table) else load_table(data, id_column=self.id_column)

    def features(self, data: Any) -> tuple[Table, Features]:
        table = self._table(data)
        validate_field_map(self.fields, table.column_names)
        with self._progress.phase("features"):
            feats = build_features(table, self.fields, default_region=self.default_region)
        return table, feats

    def _rules(self, features: Features) -> list[BlockingRule]:
        if self.blocking is not None:
            return list(self.blocking)
        rules = default_rules(features.keys())
        if "identifier" in features and not _repeats(features["identifier"]):
            # No two records share an identifier: it is a record key of the source system, not
            # a number shared by one person's records, and blocking on its halves would only
            # pair neighbouring keys (+65 % candidate pairs on 20k generated records with
            # sequential customer numbers, for no true pair).
            rules = [
                r
                for r in rules
                if not any(k.kind == "half" and k.column == "identifier" for k in r.keys)
            ]
        return rules

    def _comparisons(self, features: Features) -> list[Comparison]:
        if self.comparisons is not None:
            return list(self.comparisons)
        comps = default_comparisons(features.keys())
        if not comps:
            raise ValueError(
                "no identity field to compare: map at least one of given_name, surname, "
                "full_name, email, phone, dob, street, postcode, company, identifier, text, items"
            )
        return comps

    def blocking_options(self, n_records: int) -> dict[str, Any]:
        """Keyword arguments of :func:`~crmresolve.block.generate_pairs` for ``n_records``."""
        budget = None
        if self.pairs_per_record is not None:
            budget = max(MIN_RULE_PAIRS, int(self.pairs_per_record * n_records))
        return {
            "max_block_size": self.max_block_size,
            "split_oversized": self.split_oversized_blocks,
            "pair_budget": budget,
        }

    def _pairs(
        self, features: Features, rules: Sequence[BlockingRule], link_sources: ObjArray | None
    ) -> CandidatePairs:
        n = len(next(iter(features.columns.values()))) if features.columns else 0
        return generate_pairs(
            features.columns,
            rules,
            link_sources=link_sources,
            workers=default_workers(),
            **self.blocking_options(n),
        )

    # ------------------------------------------------------------------ learning
    def fit(self, data: Any, *, link_sources: npt.ArrayLike | None = None) -> Resolver:
        """Learn the matching model from ``data`` without labels."""
        table, feats = self.features(data)
        self._fit_features(feats, _sources(link_sources, len(table)))
        return self

    def _fit_features(
        self, feats: Features, sources: ObjArray | None, cache: FeatureCache | None = None
    ) -> tuple[CandidatePairs, npt.NDArray[np.int8]]:
        rules = self._rules(feats)
        comps = self._comparisons(feats)
        if cache is None:
            cache = FeatureCache(feats.columns)
        with self._progress.phase("blocking"):
            pairs = self._pairs(feats, rules, sources)
        with self._progress.phase("comparing"):
            gamma = _gamma(feats, pairs.left, pairs.right, comps, cache)
        model = FellegiSunter(comps, seed=self.seed, u_sample_size=self.u_sample_size)
        if not len(gamma):
            raise ValueError("blocking produced no candidate pairs; nothing to learn from")
        with self._progress.phase("training"):
            # The random pairs for u, computed here to spread them over the cores like the
            # candidates (the model would draw the very same pairs with one thread).
            threads = default_workers()
            u_sample = estimate_u(
                feats.columns,
                feats.n_records,
                comps,
                sample_size=self.u_sample_size,
                link_sources=sources,
                seed=self.seed,
                cache=cache,
                threads=threads,
            )
            release_free_memory()
            model.fit(gamma, feats.columns, link_sources=sources, u_sample=u_sample)
        self.model_ = model
        self.blocking_rules_ = rules
        return pairs, gamma

    # ------------------------------------------------------------------ inference
    def resolve(
        self,
        data: Any,
        *,
        link_sources: npt.ArrayLike | None = None,
        must_link: Iterable[tuple[str, str]] = (),
        cannot_link: Iterable[tuple[str, str]] = (),
        refit: bool | None = None,
    ) -> Resolution:
        """Score, cluster and survive ``data``; fits the model first unless already fitted."""
        table, feats = self.features(data)
        sources = _sources(link_sources, len(table))
        # One factorisation of the features for candidate pairs, random pairs and the direct
        # re-scoring in clustering (at a million records each rebuild cost ~7 s and ~0.7 GiB).
        cache = FeatureCache(feats.columns)
        if self.model_ is None or refit:
            pairs, gamma = self._fit_features(feats, sources, cache)
        else:
            assert self.blocking_rules_ is not None
            with self._progress.phase("blocking"):
                pairs = self._pairs(feats, self.blocking_rules_, sources)
            with self._progress.phase("comparing"):
                gamma = _model_gamma(self.model_, feats, pairs.left, pairs.right, cache)
        model = self.model_
        assert model is not None and self.blocking_rules_ is not None
        comps = model.comparisons
        names = tuple(c.name for c in comps)
        guards = self.guards if self.guards is not None else default_guards(names)
        freq = _record_tf(model, feats.columns)
        weight, guard_hits = _score(
            model, guards, feats.columns, pairs.left, pairs.right, gamma, freq
        )
        probability = match_probability(weight)

        def score_direct(lft: IntArray, rgt: IntArray, cache: FeatureCache = cache) -> FloatArray:
            g = _model_gamma(model, feats, lft, rgt, cache)
            w, _ = _score(model, guards, feats.columns, lft, rgt, g, freq)
            return match_probability(w)

        pair_scores = PairScores(
            pairs.left,
            pairs.right,
            pairs.rule,
            gamma,
            weight,
            probability,
            tuple(c.name for c in comps),
            tuple(tuple(c.level_labels) for c in comps),
            guard_hits,
            tuple(g.name for g in guards),
        )
        with self._progress.phase("clustering"):
            clustering = cluster_pairs(
                len(table),
                table.ids,
                pairs.left,
                pairs.right,
                probability,
                threshold=self.threshold,
                features=feats.columns,
                must_link=must_link,
                cannot_link=cannot_link,
                max_cluster_size=self.max_cluster_size,
                pair_scorer=score_direct,
                strong_evidence=self.strong_evidence,
                link_sources=sources,
            )
        # The factorisation served its last direct re-scoring: free it before the golden
        # records, the other memory-heavy stage.
        del score_direct, cache
        release_free_memory()
        golden = None
        if self.golden:
            with self._progress.phase("golden"):
                golden = build_golden_records(
                    table,
                    clustering,
                    field_map=self.fields,
                    rules=self.survivorship,
                    source_priority=self.source_priority,
                    validity=feats.valid,
                    normalized=_survivorship_keys(self.fields, feats),
                )
        return Resolution(
            golden=golden,
            table=table,
            fields={k: list(v) for k, v in self.fields.items()},
            features=feats,
            pairs=pair_scores,
            clustering=clustering,
            model=model,
            blocking_rules=list(self.blocking_rules_),
            threshold=self.threshold,
            link_sources=sources,
            blocking_options=self.blocking_options(len(table)),
        )


def _fmt_prob(p: float) -> str:
    """Probabilities in CSV: shortest round-trip text (exact), e.g. ``0.9987``, ``1.0``."""
    return repr(float(p))


def _frame(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, float_columns: Sequence[str] = ()
) -> pd.DataFrame:
    import pandas as pd

    cols = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    data: dict[str, Any] = {}
    for name, values in zip(header, cols, strict=True):
        if name in float_columns:
            data[name] = pd.Series(np.asarray(values, dtype=np.float64))
        else:
            data[name] = pd.Series(list(values), dtype=object)
    return pd.DataFrame(data, columns=list(header))


#: Roles whose normalized feature groups raw values for survivorship (role → feature key).
_SURVIVORSHIP_KEYS = {"email": "email", "phone": "phone", "dob": "dob"}


def _survivorship_keys(fields: Mapping[str, Sequence[str]], feats: Features) -> dict[str, ObjArray]:
    """Column → normalized values, for columns that are their role's only column: survivorship
    then counts ``+1 415 555 0100`` and ``(415) 555-0100``, or ``12.03.1942`` and
    ``1942-03-12``, as one value. With several columns the feature holds the first present
    value of any of them, not this column's; invalid values (``None`` here) fall back to the
    raw value's spelling key.
    """
    out: dict[str, ObjArray] = {}
    for role, key in _SURVIVORSHIP_KEYS.items():
        columns = fields.get(role, [])
        if len(columns) == 1 and key in feats.columns:
            out[columns[0]] = feats.columns[key]
    return out


def _sources(link_sources: npt.ArrayLike | None, n: int) -> ObjArray | None:
    if link_sources is None:
        return None
    arr = np.asarray(link_sources, dtype=object)
    if len(arr) != n:
        raise ValueError(f"link_sources has {len(arr)} entries for {n} records")
    return arr


def _repeats(values: ObjArray) -> bool:
    """Whether some present value occurs in more than one record."""
    present = values[notnull(values)].tolist()
    return len(set(present)) < len(present)


#: Per-rule pair budget floor of :class:`Resolver` ``pairs_per_record``: small and medium
#: tables keep every pair of every block up to ``max_block_size`` (2 M pairs score in a few
#: seconds; datasets whose big blocks are one true entity, such as one inventor on a thousand
#: patents, need them whole: at a 1 M floor PatentsView's cluster F1 fell from 0.99 to 0.64).
MIN_RULE_PAIRS = 2_000_000

#: Pairs a gamma worker (a forked process, or a thread without fork) compares at once: with one
#: per core the chunks in flight together hold about what one 2^18 chunk did on one core.
GAMMA_THREAD_CHUNK = 1 << 17


def _gamma(
    feats: Features,
    left: IntArray,
    right: IntArray,
    comparisons: Sequence[Comparison],
    cache: FeatureCache,
) -> npt.NDArray[np.int8]:
    """Gamma of record pairs, chunks spread over a forked process per usable core (a thread
    per core where there is no fork); each chunk writes its own rows, so the result does not
    depend on either.

    Processes, because some levels loop in Python over the pairs they concern (e-mail handles
    that spell the names): the 15.6 M candidate pairs of ``benchmarks/scale.py``'s million
    records took 15.2-15.6 s on two threads, 11.7-12.4 s on two processes (after the shared
    factorisation, 5.2 s, which both build first).
    """
    workers = default_workers()
    gamma = compute_gamma(
        feats.columns,
        left,
        right,
        comparisons,
        cache=cache,
        threads=workers,
        processes=workers,
        chunk_size=GAMMA_THREAD_CHUNK if workers > 1 else DEFAULT_CHUNK_SIZE,
    )
    # Give back the freed chunk buffers (with threads, each thread's malloc arena keeps its
    # own; the first chunk is always computed here) before the later stages build their peaks.
    release_free_memory()
    return gamma


def _model_gamma(
    model: FellegiSunter,
    feats: Features,
    left: IntArray,
    right: IntArray,
    cache: FeatureCache,
) -> npt.NDArray[np.int8]:
    """Gamma with a fitted model's comparisons: library comparisons over the cores
    (:func:`_gamma`); comparisons that only follow the protocol are computed by the model."""
    known = [c for c in model.comparisons if isinstance(c, Comparison)]
    if len(known) == len(model.comparisons):
        return _gamma(feats, left, right, known, cache)
    return model.compute_gamma(feats.columns, left, right, cache=cache)


#: Pairs scored at once: predict, term frequencies and guards make ~100 bytes of temporaries
#: per pair, so memory stays bounded whatever the number of candidates.
SCORE_CHUNK = 1_000_000


def _score(
    model: FellegiSunter,
    guards: Sequence[Guard],
    feats: Mapping[str, ObjArray],
    left: IntArray,
    right: IntArray,
    gamma: npt.NDArray[np.int8],
    freq: Mapping[str, FloatArray] | None = None,
) -> tuple[FloatArray, npt.NDArray[np.int16]]:
    """Guarded match weights and the guard that fired per pair, in chunks.

    ``freq``: :func:`_record_tf` of ``feats``, when the caller scores several batches (direct
    re-scoring in clustering calls this once per component).
    """
    names = [c.name for c in model.comparisons]
    n_levels = [len(c.level_labels) for c in model.comparisons]
    if freq is None:
        freq = _record_tf(model, feats)
    weight = np.empty(len(left), dtype=np.float64)
    fired = np.empty(len(left), dtype=np.int16)

    def score_chunk(start: int) -> None:
        part = slice(start, start + SCORE_CHUNK)
        lft, rgt, g = left[part], right[part], gamma[part]
        tf = {name: np.fmax(f[lft], f[rgt]) for name, f in freq.items()}
        scores = model.predict(g, tf_values=tf)
        weight[part], fired[part] = apply_guards(
            scores.match_weight, g, names, n_levels, guards, records=(feats, lft, rgt)
        )

    starts = range(0, len(left), SCORE_CHUNK)
    threads = min(default_workers(), len(starts))
    if threads <= 1:
        for start in starts:
            score_chunk(start)
    else:
        # numpy's gathers and sums release the GIL; each chunk writes its own slice, so the
        # result does not depend on the threads.
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(score_chunk, starts))
        release_free_memory()  # the threads' malloc arenas keep their freed chunk temporaries
    return weight, fired


def _record_tf(model: FellegiSunter, feats: Mapping[str, ObjArray]) -> dict[str, FloatArray]:
    """Per record, the term frequency of its value in each of the model's TF comparisons
    (looked up once in the model's stored tables, then gathered per pair chunk), by name.

    Per pair :meth:`FellegiSunter.predict` takes the larger frequency of the two records, so
    one array per comparison is passed instead of both sides of every pair.
    """
    names = [c.name for c in model.comparisons]
    return {names[k]: freq for k, freq in model.record_tf(feats).items()}


def dedupe(
    data: Any,
    *,
    fields: Mapping[str, Sequence[str]] | None = None,
    id_column: str | None = None,
    threshold: float = 0.5,
    seed: int = 0,
    **options: Any,
) -> Resolution:
    """Deduplicate one table in one call: the shorthand for ``Resolver(...).resolve(data)``."""
    table = data if isinstance(data, Table) else load_table(data, id_column=id_column)
    if fields is None:
        from crmresolve.infer import infer_roles

        inference = infer_roles(table, exclude=[id_column] if id_column else ())
        fields = inference.field_map(require_identity=True)
        if id_column is None and inference.id_column is not None:
            id_column = inference.id_column
            table = load_table(table, id_column=id_column)
    resolver = Resolver(fields, id_column=id_column, threshold=threshold, seed=seed, **options)
    return resolver.resolve(table)


def link(
    left: Any,
    right: Any,
    *,
    fields: Mapping[str, Sequence[str]] | None = None,
    id_column: str | None = None,
    threshold: float = 0.5,
    seed: int = 0,
    dedupe_within: bool = False,
    **options: Any,
) -> Resolution:
    """Link two tables (pairs across them only, unless ``dedupe_within``).

    Record ids must be unique across both tables. Without ``fields`` the roles are inferred
    (:func:`crmresolve.infer.infer_roles`) from both tables together.
    """
    a = left if isinstance(left, Table) else load_table(left, id_column=id_column)
    b = right if isinstance(right, Table) else load_table(right, id_column=id_column)
    table = concat_tables([a, b])
    if fields is None:
        from crmresolve.infer import infer_roles

        fields = infer_roles(table, exclude=[id_column] if id_column else ()).field_map(
            require_identity=True
        )
    sources = np.array(["left"] * len(a) + ["right"] * len(b), dtype=object)
    resolver = Resolver(fields, id_column=id_column, threshold=threshold, seed=seed, **options)
    return resolver.resolve(table, link_sources=None if dedupe_within else sources)


def concat_tables(tables: Sequence[Table]) -> Table:
    """Stack tables (union of columns, missing where a table lacks one); ids must stay unique."""
    names: dict[str, None] = {}
    for t in tables:
        names.update(dict.fromkeys(t.column_names))
    ids = np.concatenate([t.ids for t in tables]) if tables else np.empty(0, dtype=object)
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("record ids must be unique across the linked tables")
    cols: dict[str, ObjArray] = {}
    for name in names:
        parts = [
            t.columns[name] if name in t.columns else np.full(len(t), None, dtype=object)
            for t in tables
        ]
        cols[name] = np.concatenate(parts).astype(object)
    return Table(ids.astype(object), cols)
