"""Per-value normalizers, their validation reasons and the cached column form.

Every ``normalize_*`` function takes a raw value (``str``, ``None``, NaN, a number) and returns
the canonical string or ``None``; its ``parse_*`` twin returns :class:`Parsed` with the reasons
(catalogued in :data:`REASONS`) and details. :func:`normalize_column` applies one of them to a
whole column, parsing each distinct value once.

>>> normalize_email(" Bob@Acme.ORG "), normalize_phone("+44 (0)20 7946 0018")
('bob@acme.org', '+442079460018')
>>> normalize_date("12. März 1984")
'1984-03-12'
"""

from __future__ import annotations

from crmresolve.normalize._base import Parsed
from crmresolve.normalize.addresses import (
    normalize_address,
    normalize_postcode,
    parse_address,
    parse_postcode,
)
from crmresolve.normalize.batch import KINDS, NormalizedColumn, normalize_column
from crmresolve.normalize.companies import normalize_company, parse_company
from crmresolve.normalize.dates import MONTH_FIRST_REGIONS, normalize_date, parse_date
from crmresolve.normalize.emails import normalize_email, parse_email
from crmresolve.normalize.names import normalize_name, parse_name, split_name
from crmresolve.normalize.nicknames import (
    are_nickname_equivalent,
    canonical_given_name,
    canonical_given_names,
)
from crmresolve.normalize.phones import country_to_region, normalize_phone, parse_phone
from crmresolve.normalize.reasons import REASONS, codes_for, describe

__all__ = [
    "KINDS",
    "MONTH_FIRST_REGIONS",
    "REASONS",
    "NormalizedColumn",
    "Parsed",
    "are_nickname_equivalent",
    "canonical_given_name",
    "canonical_given_names",
    "codes_for",
    "country_to_region",
    "describe",
    "normalize_address",
    "normalize_column",
    "normalize_company",
    "normalize_date",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "parse_address",
    "parse_company",
    "parse_date",
    "parse_email",
    "parse_name",
    "parse_phone",
    "parse_postcode",
    "split_name",
]
