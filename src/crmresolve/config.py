"""A resolution run's configuration as readable, editable JSON (never pickle).

:class:`ResolverConfig` holds everything that decides a run: the field map, the id column, the
threshold, the blocking rules, comparisons and evidence guards (as their ``to_dict`` forms),
the seed and the other :class:`~crmresolve.pipeline.Resolver` options, and survivorship rules
when given. ``crmresolve dedupe ... --save-config run.json`` writes one; ``--config run.json``
reproduces the run (same clusters, bitwise-equal pair probabilities on the same input).

>>> cfg = ResolverConfig(fields={"email": ["Email"]}, id_column="Id", threshold=0.8)
>>> ResolverConfig.from_dict(cfg.to_dict()) == cfg
True
>>> cfg.to_resolver().threshold
0.8
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmresolve.block import DEFAULT_MAX_BLOCK_SIZE

if TYPE_CHECKING:
    from crmresolve.pipeline import Resolver

__all__ = ["CONFIG_VERSION", "ConfigError", "ResolverConfig"]

#: Format version written as ``"version"``; files of a newer version are refused.
CONFIG_VERSION = 1

_KEYS = (
    "version",
    "fields",
    "id_column",
    "threshold",
    "seed",
    "default_region",
    "max_block_size",
    "split_oversized_blocks",
    "pairs_per_record",
    "max_cluster_size",
    "strong_evidence",
    "u_sample_size",
    "source_priority",
    "blocking",
    "comparisons",
    "guards",
    "survivorship",
)


class ConfigError(ValueError):
    """A configuration file that cannot be read (bad JSON, unknown keys, newer version)."""


@dataclass
class ResolverConfig:
    """Everything a :class:`~crmresolve.pipeline.Resolver` run depends on, JSON-friendly.

    ``blocking``, ``comparisons`` and ``guards`` are ``None`` for "the defaults for the roles"
    or lists of the dicts of :meth:`BlockingRule.to_dict`, :meth:`Comparison.to_dict` and the
    guards' ``to_dict`` (:func:`crmresolve.score.guards.guard_from_dict`). ``survivorship`` is
    the structure of the survivorship TOML (:meth:`RuleSet.to_dict`) or ``None``.
    """

    fields: dict[str, list[str]]
    id_column: str | None = None
    threshold: float = 0.5
    seed: int = 0
    default_region: str = "US"
    max_block_size: int | None = DEFAULT_MAX_BLOCK_SIZE
    split_oversized_blocks: bool = True
    pairs_per_record: float | None = 1.0
    max_cluster_size: int = 100
    strong_evidence: float = 0.5
    u_sample_size: int = 1_000_000
    source_priority: list[str] | None = None
    blocking: list[dict[str, Any]] | None = None
    comparisons: list[dict[str, Any]] | None = None
    guards: list[dict[str, Any]] | None = None
    survivorship: dict[str, Any] | None = None
    version: int = field(default=CONFIG_VERSION)

    # ------------------------------------------------------------------ dict / JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (keys in a readable order, ``"version"`` first)."""
        return {key: _plain(getattr(self, key)) for key in _KEYS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolverConfig:
        if not isinstance(data, Mapping):
            raise ConfigError("a configuration must be a JSON object")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
        version = int(data.get("version", CONFIG_VERSION))
        if version > CONFIG_VERSION:
            raise ConfigError(
                f"configuration version {version} is newer than this crmresolve understands "
                f"({CONFIG_VERSION}); upgrade crmresolve"
            )
        fields = data.get("fields")
        if not isinstance(fields, Mapping) or not fields:
            raise ConfigError("configuration needs 'fields': {role: [column, ...]}")
        kwargs: dict[str, Any] = {k: data[k] for k in _KEYS if k in data and k != "fields"}
        kwargs["fields"] = {
            str(role): [cols] if isinstance(cols, str) else [str(c) for c in cols]
            for role, cols in fields.items()
        }
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ResolverConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON ({exc})") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ResolverConfig:
        p = Path(path)
        try:
            return cls.from_json(p.read_text(encoding="utf-8"))
        except ConfigError as exc:
            raise ConfigError(f"{p.name}: {exc}") from None

    # ------------------------------------------------------------------ Resolver
    def to_resolver(self, **overrides: Any) -> Resolver:
        """A :class:`~crmresolve.pipeline.Resolver` configured exactly as this config says."""
        from crmresolve.block import BlockingRule
        from crmresolve.compare import Comparison
        from crmresolve.pipeline import Resolver
        from crmresolve.score.guards import guard_from_dict
        from crmresolve.survive import RuleSet

        options: dict[str, Any] = {
            "id_column": self.id_column,
            "threshold": self.threshold,
            "seed": self.seed,
            "default_region": self.default_region,
            "max_block_size": self.max_block_size,
            "split_oversized_blocks": self.split_oversized_blocks,
            "pairs_per_record": self.pairs_per_record,
            "max_cluster_size": self.max_cluster_size,
            "strong_evidence": self.strong_evidence,
            "u_sample_size": self.u_sample_size,
            "source_priority": self.source_priority,
            "blocking": None
            if self.blocking is None
            else [BlockingRule.from_dict(d) for d in self.blocking],
            "comparisons": None
            if self.comparisons is None
            else [Comparison.from_dict(d) for d in self.comparisons],
            "guards": None if self.guards is None else [guard_from_dict(d) for d in self.guards],
            "survivorship": None
            if self.survivorship is None
            else RuleSet.from_dict(self.survivorship),
        }
        options.update(overrides)
        return Resolver(self.fields, **options)

    @classmethod
    def from_resolver(cls, resolver: Resolver) -> ResolverConfig:
        """The configuration of ``resolver``; after a fit, with its learned-from defaults
        (blocking rules, comparisons, guards) written out explicitly so the file is complete.
        """
        from crmresolve.score.guards import default_guards
        from crmresolve.survive import RuleSet

        rules = resolver.blocking_rules_ if resolver.blocking_rules_ is not None else None
        if rules is None and resolver.blocking is not None:
            rules = resolver.blocking
        comps = resolver.model_.comparisons if resolver.model_ is not None else resolver.comparisons
        guards = resolver.guards
        if guards is None and comps is not None:
            guards = default_guards([c.name for c in comps])
        surv = resolver.survivorship
        if isinstance(surv, Mapping):
            surv = RuleSet.from_dict(surv)
        return cls(
            fields={k: list(v) for k, v in resolver.fields.items()},
            id_column=resolver.id_column,
            threshold=resolver.threshold,
            seed=resolver.seed,
            default_region=resolver.default_region,
            max_block_size=resolver.max_block_size,
            split_oversized_blocks=resolver.split_oversized_blocks,
            pairs_per_record=resolver.pairs_per_record,
            max_cluster_size=resolver.max_cluster_size,
            strong_evidence=resolver.strong_evidence,
            u_sample_size=resolver.u_sample_size,
            source_priority=list(resolver.source_priority) if resolver.source_priority else None,
            blocking=None if rules is None else [r.to_dict() for r in rules],
            comparisons=None if comps is None else [c.to_dict() for c in comps],
            guards=None if guards is None else [g.to_dict() for g in guards],
            survivorship=None if surv is None else surv.to_dict(),
        )


def _plain(value: Any) -> Any:
    """A JSON round-trip-stable copy (tuples become lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        return [_plain(v) for v in value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value
