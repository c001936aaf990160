"""Golden records by per-field survivorship rules, with lineage.

Every cluster (singletons included) gets one golden record. For each input column a rule
chain picks the winning value among the members' raw values: rules such as
:class:`MostRecent`, :class:`MostFrequent`, :class:`Longest`, :class:`SourcePriority`,
:class:`ValidOnly`, :class:`Earliest`, :class:`MostComplete` and :class:`Custom` filter the
candidates in turn until one value is left; the smallest record id breaks remaining ties.
Values are compared by normalized form and the best-formatted raw spelling survives: no value
is invented. Address columns are chosen together from one record (:class:`FieldGroup`).

Default chains per role (see :func:`default_chain`):

=============================  ==========================================================
role                           chain
=============================  ==========================================================
email, phone (+ ``__all``)     valid_only > most_recent > most_frequent > source_priority
given_name, surname,           most_frequent > longest > source_priority > most_recent
full_name, company
dob                            valid_only > most_frequent > source_priority > most_recent
identifier                     most_frequent > source_priority > most_recent
street, city, postcode,        most_recent > most_frequent > source_priority (one group:
country                        parts come from one record, gaps filled from agreeing ones)
updated_at; source (+__all)    most_recent
text                           most_recent > longest
unmapped columns               most_recent > most_frequent
=============================  ==========================================================

>>> import numpy as np
>>> from crmresolve.table import Table
>>> t = Table.from_columns(
...     {"Name": ["ROBERT SMITH", "Robert Smith", "Rob Smith"],
...      "Updated": ["2020-01-01", "2019-05-01", "2023-02-01"]},
...     ids=["r1", "r2", "r3"])
>>> g = build_golden_records(t, np.array([0, 0, 0]),
...                          field_map={"full_name": ["Name"], "updated_at": ["Updated"]})
>>> g.columns["Name"].tolist(), g.columns["Updated"].tolist()
(['Robert Smith'], ['2023-02-01'])
>>> [(r.column, r.source_record_id, r.rule) for r in g.lineage]
[('Name', 'r2', 'most_frequent'), ('Updated', 'r3', 'most_recent')]
"""

from __future__ import annotations

from crmresolve.survive._config import RoleRule, RulesConfigError, RuleSet, load_rules
from crmresolve.survive._engine import default_key, format_score, parse_timestamp
from crmresolve.survive._golden import (
    ALL_SEPARATOR,
    ALL_SUFFIX,
    GoldenRecords,
    Lineage,
    LineageRow,
    Survivorship,
    build_golden_records,
)
from crmresolve.survive._rules import (
    Candidate,
    Custom,
    Earliest,
    FieldGroup,
    FieldRule,
    Longest,
    MostComplete,
    MostFrequent,
    MostRecent,
    Rule,
    SourcePriority,
    ValidOnly,
    default_chain,
)

__all__ = [
    "ALL_SEPARATOR",
    "ALL_SUFFIX",
    "Candidate",
    "Custom",
    "Earliest",
    "FieldGroup",
    "FieldRule",
    "GoldenRecords",
    "Lineage",
    "LineageRow",
    "Longest",
    "MostComplete",
    "MostFrequent",
    "MostRecent",
    "RoleRule",
    "Rule",
    "RuleSet",
    "RulesConfigError",
    "SourcePriority",
    "Survivorship",
    "ValidOnly",
    "build_golden_records",
    "default_chain",
    "default_key",
    "format_score",
    "load_rules",
    "parse_timestamp",
]
