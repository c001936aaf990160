"""Survivorship configuration in code (:class:`RuleSet`) and in TOML (:func:`load_rules`).

TOML schema (every key optional; see ``docs/rules.example.toml``)::

    source_priority = ["erp", "crm", "webshop"]   # most trusted first
    updated_at = "LastModified"                   # column with record timestamps
    source = "SourceSystem"                       # column naming the source system

    [roles]                                       # replace the default chain of a role
    email = ["valid_only", "source_priority", "most_recent"]
    company = { rules = ["most_frequent", "longest"], keep_all = true }

    [columns.Phone]                               # rule for one column
    rules = ["valid_only", "most_recent", "most_frequent"]
    keep_all = true                               # also output Phone__all

    [columns.Segment]
    rules = [{ rule = "source_priority", priority = ["erp"] }, "most_frequent"]

    [groups.billing]                              # columns taken together from one record
    columns = ["BillStreet", "BillCity", "BillZip"]
    rules = ["most_recent", "most_frequent"]

Rule names: ``valid_only``, ``most_recent`` / ``earliest`` (option ``column``),
``most_frequent``, ``longest``, ``most_complete``, ``source_priority`` (options ``priority``,
``column``). :class:`~crmresolve.survive.Custom` rules exist only in code.

>>> cfg = {"source_priority": ["erp"], "columns": {"Email": {"rules": ["most_recent"]}}}
>>> rs = RuleSet.from_dict(cfg)
>>> rs.columns["Email"].describe(), rs.source_priority
('Email: most_recent', ('erp',))
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmresolve.roles import ROLES
from crmresolve.survive._rules import (
    ADDRESS_ROLES,
    MULTI_VALUED_ROLES,
    RULES_BY_NAME,
    FieldGroup,
    FieldRule,
    MostRecent,
    Rule,
    SourcePriority,
    default_chain,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["RoleRule", "RuleSet", "load_rules"]


class RulesConfigError(ValueError):
    """The survivorship configuration is malformed (message names the offending key)."""


@dataclass(frozen=True)
class RoleRule:
    """A per-role override of the default chain."""

    chain: tuple[Rule, ...]
    keep_all: bool | None = None


@dataclass(frozen=True)
class RuleSet:
    """All survivorship settings of a run.

    Resolution for a column: an explicit :class:`FieldRule` (``columns``) or membership of an
    explicit :class:`FieldGroup` (``groups``) first; otherwise its role's chain (``roles``
    override, else :func:`default_chain`); address-role columns (street, city, postcode,
    country) not configured otherwise form one ``"address"`` group, whose chain the pseudo-role
    ``"address"`` overrides (overriding e.g. ``"street"`` takes street columns out of the group).
    """

    columns: Mapping[str, FieldRule] = field(default_factory=dict)
    groups: Sequence[FieldGroup] = ()
    roles: Mapping[str, RoleRule] = field(default_factory=dict)
    source_priority: tuple[str, ...] = ()
    updated_at: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "source_priority", tuple(self.source_priority))
        seen: dict[str, str] = {}
        for g in self.groups:
            for c in g.columns:
                if c in seen or c in self.columns:
                    raise RulesConfigError(f"column {c!r} is configured twice")
                seen[c] = g.name

    @classmethod
    def of(
        cls,
        rules: RuleSet
        | Mapping[str, Sequence[Rule] | FieldRule]
        | Sequence[FieldRule | FieldGroup]
        | None,
    ) -> RuleSet:
        """Coerce the forms ``build_golden_records(rules=...)`` accepts."""
        if rules is None:
            return cls()
        if isinstance(rules, RuleSet):
            return rules
        if isinstance(rules, Mapping):
            cols = {
                k: v if isinstance(v, FieldRule) else FieldRule(k, tuple(v))
                for k, v in rules.items()
            }
            return cls(columns=cols)
        cols2: dict[str, FieldRule] = {}
        groups: list[FieldGroup] = []
        for item in rules:
            if isinstance(item, FieldGroup):
                groups.append(item)
            elif isinstance(item, FieldRule):
                cols2[item.column] = item
            else:
                raise TypeError("rules must hold FieldRule or FieldGroup objects")
        return cls(columns=cols2, groups=groups)

    def units(
        self, columns: Sequence[str], roles_by_column: Mapping[str, str]
    ) -> list[FieldRule | FieldGroup]:
        """One rule or group per output field, covering every column exactly once."""
        missing = [c for c in self.columns if c not in columns]
        missing += [c for g in self.groups for c in g.columns if c not in columns]
        if missing:
            raise RulesConfigError(
                "survivorship rules name columns that are not in the table: " + ", ".join(missing)
            )
        grouped = {c for g in self.groups for c in g.columns}
        units: list[FieldRule | FieldGroup] = list(self.groups)
        address: list[str] = []
        for col in columns:
            if col in grouped:
                continue
            if col in self.columns:
                units.append(self.columns[col])
                continue
            role = roles_by_column.get(col)
            if role in ADDRESS_ROLES and role not in self.roles:
                address.append(col)
                continue
            override = self.roles.get(role) if role else None
            chain = override.chain if override else default_chain(role)
            keep_all = role in MULTI_VALUED_ROLES
            if override is not None and override.keep_all is not None:
                keep_all = override.keep_all
            units.append(FieldRule(col, chain, keep_all=keep_all))
        if address:
            # Street before city before postcode before country: the first column a cluster
            # has decides which records are candidates.
            address.sort(key=lambda c: ADDRESS_ROLES.index(roles_by_column[c]))
            name = "address" if "address" not in columns else "address_group"
            override = self.roles.get("address")
            chain = override.chain if override else default_chain("street")
            units.append(FieldGroup(name, address, chain))
        return units

    # ------------------------------------------------------------------ dict / TOML
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build from the TOML structure (see the module docstring)."""
        known = {"source_priority", "updated_at", "source", "roles", "columns", "groups"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise RulesConfigError(f"unknown top-level keys: {', '.join(unknown)}")
        sp = data.get("source_priority", [])
        if not isinstance(sp, list) or not all(isinstance(x, str) for x in sp):
            raise RulesConfigError("source_priority must be a list of strings")
        for key in ("updated_at", "source"):
            if key in data and not isinstance(data[key], str):
                raise RulesConfigError(f"{key} must be a column name (string)")

        roles: dict[str, RoleRule] = {}
        for role, spec in _table(data, "roles").items():
            if role not in ROLES and role != "address":
                raise RulesConfigError(
                    f"roles.{role}: unknown role; known roles: address, {', '.join(ROLES)}"
                )
            chain, keep_all = _chain_spec(spec, f"roles.{role}")
            roles[role] = RoleRule(chain, keep_all)
        columns: dict[str, FieldRule] = {}
        for col, spec in _table(data, "columns").items():
            chain, keep_all = _chain_spec(spec, f"columns.{col}")
            columns[col] = FieldRule(col, chain, keep_all=bool(keep_all))
        groups: list[FieldGroup] = []
        for name, spec in _table(data, "groups").items():
            where = f"groups.{name}"
            if not isinstance(spec, Mapping):
                raise RulesConfigError(f"{where} must be a table")
            cols = spec.get("columns")
            if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
                raise RulesConfigError(f"{where}.columns must be a non-empty list of column names")
            if spec.get("keep_all"):
                raise RulesConfigError(f"{where}: keep_all is not supported for groups")
            chain, _ = _chain_spec({k: v for k, v in spec.items() if k != "columns"}, where)
            groups.append(FieldGroup(name, cols, chain))
        return cls(
            columns=columns,
            groups=groups,
            roles=roles,
            source_priority=tuple(sp),
            updated_at=data.get("updated_at"),
            source=data.get("source"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML structure of this rule set (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {}
        if self.source_priority:
            out["source_priority"] = list(self.source_priority)
        if self.updated_at:
            out["updated_at"] = self.updated_at
        if self.source:
            out["source"] = self.source
        if self.roles:
            out["roles"] = {
                role: {
                    "rules": [r.to_config() for r in rr.chain],
                    **({} if rr.keep_all is None else {"keep_all": rr.keep_all}),
                }
                for role, rr in self.roles.items()
            }
        if self.columns:
            out["columns"] = {
                col: {"rules": [r.to_config() for r in fr.chain], "keep_all": fr.keep_all}
                for col, fr in self.columns.items()
            }
        if self.groups:
            out["groups"] = {
                g.name: {"columns": list(g.columns), "rules": [r.to_config() for r in g.chain]}
                for g in self.groups
            }
        return out


def load_rules(path: str | Path) -> RuleSet:
    """Read a survivorship TOML file (schema in this module's docstring).

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
    ...     _ = f.write('source_priority = ["erp"]\\n[columns.Email]\\nrules = ["most_recent"]\\n')
    >>> load_rules(f.name).columns["Email"].chain
    (MostRecent(),)
    >>> os.unlink(f.name)
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RulesConfigError(f"{p.name}: invalid TOML ({exc})") from None
    try:
        return RuleSet.from_dict(data)
    except RulesConfigError as exc:
        raise RulesConfigError(f"{p.name}: {exc}") from None


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise RulesConfigError(f"{key} must be a table")
    return value


def _chain_spec(spec: Any, where: str) -> tuple[tuple[Rule, ...], bool | None]:
    keep_all: bool | None = None
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"rules", "keep_all"})
        if unknown:
            raise RulesConfigError(f"{where}: unknown keys {', '.join(unknown)}")
        if "keep_all" in spec:
            if not isinstance(spec["keep_all"], bool):
                raise RulesConfigError(f"{where}.keep_all must be true or false")
            keep_all = spec["keep_all"]
        spec = spec.get("rules", [])
    if not isinstance(spec, list):
        raise RulesConfigError(f"{where}: rules must be a list")
    return tuple(_rule(item, f"{where}[{i}]") for i, item in enumerate(spec)), keep_all


def _rule(item: Any, where: str) -> Rule:
    options: dict[str, Any] = {}
    if isinstance(item, Mapping):
        options = {k: v for k, v in item.items() if k != "rule"}
        item = item.get("rule")
    if not isinstance(item, str) or item not in RULES_BY_NAME:
        raise RulesConfigError(
            f"{where}: unknown rule; known rules: {', '.join(sorted(RULES_BY_NAME))}"
        )
    cls = RULES_BY_NAME[item]
    allowed: set[str] = set()
    if issubclass(cls, MostRecent):
        allowed = {"column"}
    elif cls is SourcePriority:
        allowed = {"priority", "column"}
    bad = sorted(set(options) - allowed)
    if bad:
        raise RulesConfigError(f"{where}: rule {item!r} has no option(s) {', '.join(bad)}")
    if "column" in options and not isinstance(options["column"], str):
        raise RulesConfigError(f"{where}: column must be a string")
    if "priority" in options and (
        not isinstance(options["priority"], list)
        or not all(isinstance(x, str) for x in options["priority"])
    ):
        raise RulesConfigError(f"{where}: priority must be a list of strings")
    return cls(**options)
