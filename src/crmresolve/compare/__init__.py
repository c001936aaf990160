"""Compare candidate pairs field by field: comparisons made of named levels → gamma matrix.

A :class:`Comparison` stacks levels closest first (``ExactMatch``, ``NicknameMatch``,
``JaroWinklerAtLeast``, ..., ``Else``); :meth:`Comparison.compute` gives one ``int8`` per pair:
``-1`` missing, ``0`` else, higher = closer (the first level listed is the highest).
:func:`compute_gamma` stacks several comparisons into ``int8[n_pairs, n_comparisons]``.

>>> import numpy as np
>>> feats = {
...     "given_name": np.array(["bob", "robert", "j", "john"], dtype=object),
...     "given_name_canonical": np.array(["robert", "robert", None, "john"], dtype=object),
... }
>>> c = given_name_comparison()
>>> c.level_labels
['else', 'metaphone match', 'jaro-winkler >= 0.75', 'initial match', 'jaro-winkler >= 0.88', \
'jaro-winkler >= 0.92', 'nickname match', 'exact match']
>>> compute_gamma(feats, [0, 2, 0], [1, 3, 3], [c])[:, 0].tolist()
[6, 3, 0]
"""

from __future__ import annotations

from crmresolve.compare._batch import FeatureCache, Features, PairBatch
from crmresolve.compare.comparison import DEFAULT_CHUNK_SIZE, Comparison, compute_gamma
from crmresolve.compare.levels import (
    LEVEL_TYPES,
    AllOf,
    DamerauLevenshteinAtMost,
    DateOutsideYears,
    DateWithin,
    DayMonthTransposed,
    Else,
    EmailDomainMatch,
    EmailLocalMatch,
    EmailLocalSpellsName,
    EmailNumberedVariant,
    ExactMatch,
    HouseNumberAndStreet,
    InitialMatch,
    ItemsSharedAtLeast,
    JaccardAtLeast,
    JaroWinklerAtLeast,
    Level,
    LevenshteinAtMost,
    NicknameMatch,
    PhoneLastDigits,
    PhoneticMatch,
    PrefixMatch,
    SwappedNames,
    TokenSetRatioAtLeast,
    YearMonthMatch,
    level_from_dict,
)
from crmresolve.compare.library import (
    address_comparison,
    city_comparison,
    company_comparison,
    default_comparisons,
    dob_comparison,
    email_comparison,
    full_name_comparison,
    given_name_comparison,
    identifier_comparison,
    items_comparison,
    name_comparison,
    phone_comparison,
    postcode_comparison,
    surname_comparison,
    text_comparison,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "LEVEL_TYPES",
    "AllOf",
    "Comparison",
    "DamerauLevenshteinAtMost",
    "DateOutsideYears",
    "DateWithin",
    "DayMonthTransposed",
    "Else",
    "EmailDomainMatch",
    "EmailLocalMatch",
    "EmailLocalSpellsName",
    "EmailNumberedVariant",
    "ExactMatch",
    "FeatureCache",
    "Features",
    "HouseNumberAndStreet",
    "InitialMatch",
    "ItemsSharedAtLeast",
    "JaccardAtLeast",
    "JaroWinklerAtLeast",
    "Level",
    "LevenshteinAtMost",
    "NicknameMatch",
    "PairBatch",
    "PhoneLastDigits",
    "PhoneticMatch",
    "PrefixMatch",
    "SwappedNames",
    "TokenSetRatioAtLeast",
    "YearMonthMatch",
    "address_comparison",
    "city_comparison",
    "company_comparison",
    "compute_gamma",
    "default_comparisons",
    "dob_comparison",
    "email_comparison",
    "full_name_comparison",
    "given_name_comparison",
    "identifier_comparison",
    "items_comparison",
    "level_from_dict",
    "name_comparison",
    "phone_comparison",
    "postcode_comparison",
    "surname_comparison",
    "text_comparison",
]
