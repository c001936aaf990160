"""Blocking: blocking rules → candidate pairs (numpy index arrays) + diagnostics.

Blocking decides which record pairs are compared at all, so that we never compare all n² pairs.
A rule is a conjunction of key functions over feature columns; records whose keys are equal (or,
for sorted neighbourhood, close) become candidate pairs. Several rules are OR-ed.

>>> import numpy as np
>>> from crmresolve.block import block_on, exact, initial, soundex, generate_pairs
>>> features = {
...     "given_name": np.array(["anna", "ana", "bob", None], dtype=object),
...     "surname": np.array(["smith", "smyth", "smith", "smith"], dtype=object),
... }
>>> rules = [block_on(initial("given_name"), "surname"), block_on(initial("given_name"),
...          soundex("surname"))]
>>> [r.name for r in rules]
['initial(given_name) & surname', 'initial(given_name) & soundex(surname)']
>>> pairs = generate_pairs(features, rules)
>>> pairs.left.tolist(), pairs.right.tolist(), pairs.rule.tolist()
([0], [1], [1])

Public surface: key functions (:func:`exact`, :func:`soundex`, :func:`metaphone`,
:func:`nysiis`, :func:`match_rating`, :func:`prefix`, :func:`initial`, :func:`email_local`,
:func:`digits`, :func:`half`, :func:`year`, :func:`sorted_tokens`, :func:`initials`,
:func:`rare_token`), rules
(:func:`block_on`, :func:`sorted_neighbourhood`, :class:`BlockingRule`, :func:`default_rules`),
pairs (:func:`generate_pairs`, :func:`iter_pairs`, :class:`CandidatePairs`) and
:func:`diagnose`.

Modes: dedupe (default); link-and-dedupe (concatenate the sources, no ``link_sources``: pairs
within and across sources); link only (``link_sources=...`` or ``link_only=True`` with a
``source`` feature: pairs across sources only).

Guards: a record with a missing or junk value (:data:`JUNK_VALUES`, repeated-digit numbers, ...)
in any key component is never blocked by that rule; blocks above ``max_block_size``
(:data:`DEFAULT_MAX_BLOCK_SIZE` = 500 records) are skipped with an
:class:`OversizedBlockWarning` that names the rule and block sizes, never values.
"""

from __future__ import annotations

from crmresolve.block._defaults import default_rules
from crmresolve.block._diagnostics import BlockingDiagnostics, RuleDiagnostics, diagnose
from crmresolve.block._engine import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_BLOCK_SIZE,
    CandidatePairs,
    Features,
    OversizedBlockWarning,
    generate_pairs,
    iter_pairs,
)
from crmresolve.block._keys import (
    JUNK_VALUES,
    ROLE_EMAIL_LOCALS,
    KeyFunction,
    digits,
    email_local,
    exact,
    half,
    initial,
    initials,
    is_junk,
    match_rating,
    metaphone,
    nysiis,
    prefix,
    rare_token,
    sorted_tokens,
    soundex,
    year,
)
from crmresolve.block._rules import BlockingRule, block_on, sorted_neighbourhood

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_BLOCK_SIZE",
    "JUNK_VALUES",
    "ROLE_EMAIL_LOCALS",
    "BlockingDiagnostics",
    "BlockingRule",
    "CandidatePairs",
    "Features",
    "KeyFunction",
    "OversizedBlockWarning",
    "RuleDiagnostics",
    "block_on",
    "default_rules",
    "diagnose",
    "digits",
    "email_local",
    "exact",
    "generate_pairs",
    "half",
    "initial",
    "initials",
    "is_junk",
    "iter_pairs",
    "match_rating",
    "metaphone",
    "nysiis",
    "prefix",
    "rare_token",
    "sorted_neighbourhood",
    "sorted_tokens",
    "soundex",
    "year",
]
