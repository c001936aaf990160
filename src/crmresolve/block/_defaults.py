"""Default blocking rules for whatever feature keys are present.

The rules are ordered from most to least specific, so a pair is attributed to the strongest
evidence that found it, and each later rule is there to catch a kind of error the earlier ones
miss (typos, swapped name fields, missing values, moves).

>>> for rule in default_rules(["email", "given_name", "surname", "dob"]):
...     print(rule.name)
email
given_name & surname
soundex(surname) & dob
dob & initial(given_name)
surname & initial(given_name)
prefix(surname, 3) & prefix(given_name, 3)
soundex(given_name) & soundex(surname)
email_local(email)
dob
"""

from __future__ import annotations

from collections.abc import Collection

from crmresolve.block._keys import (
    KeyFunction,
    email_local,
    exact,
    half,
    initial,
    initials,
    prefix,
    rare_token,
    sorted_tokens,
    soundex,
)
from crmresolve.block._rules import BlockingRule, block_on, sorted_neighbourhood

__all__ = ["default_rules"]


def default_rules(available_keys: Collection[str]) -> list[BlockingRule]:
    """Sensible blocking rules for the feature keys present, most specific first.

    ``G`` is ``given_name_canonical`` when present (nicknames agree: bob/robert), else
    ``given_name``. A rule is included when all its keys are available:

    ====  ============================================  ===========================================
    #     rule                                          catches
    ====  ============================================  ===========================================
    1     ``identifier``                                same customer/tax/social-security number
    2     ``half(identifier, 1)``                       identifier with a typo in its second half
    3     ``half(identifier, 2) & initial(surname)``    identifier with a typo in its first half
    4     ``email``                                     same address
    5     ``phone``                                     same number (switchboards: size guard)
    6     ``G & surname``                               same name, everything else may differ
    7     ``sorted_tokens(full_name)``                  same name with given/surname swapped
    8     ``soundex(surname) & dob``                    surname typos and spelling variants
    9     ``dob & initial(G)``                          surname changes (marriage), surname typos
    10    ``surname & initial(G)``                      given-name typos, missing or wrong dob
    11    ``prefix(surname, 3) & prefix(G, 3)``         typos late in both names
    12    ``soundex(G) & soundex(surname)``             typos in both names
    13    ``postcode & initial(surname)``               same area, name typos, no dob
    14    ``initials(full_name) & postcode``            same area, swapped names with typos
    15    ``postcode & house_number``                   same address, names swapped or changed
    16    ``street & house_number & city``              same address when the postcode is wrong
    17    ``street & initial(G)``                       same street, house number/postcode wrong
    18    ``initials(full_name) & street``              same street, swapped names with typos
    19    ``email_local(email)``                        same mailbox name at another domain
    20    ``company & city``, ``company & postcode``    same organisation at one site
          (``company`` alone when neither is present)
    21    ``rare_token(company)``, ``(company, 2)``     reordered/misspelt company names
    22    ``rare_token(text)``, ``rare_token(text, 2)`` free text sharing an unusual word
    23    ``prefix(text, 8)``                           same start of the text (e.g. a title)
    24    ``sorted_neighbourhood(text, window=10)``     text differing late (typos, extra words)
    25    ``dob``                                       swapped name fields plus address errors
    ====  ============================================  ===========================================

    ``dob`` alone comes last: it only adds pairs the others missed, and with ~30 000 distinct
    dates its blocks stay small (about 30 records per date per million records); placeholder
    dates are junk. Blocks of rules that grow with the data (``surname & initial(G)``,
    ``street & initial(G)`` on a million records) are split by the size guard, and under the
    :class:`~crmresolve.pipeline.Resolver`'s pair budget by sorted neighbourhoods inside the
    block, so no rule's pairs grow with the square of the data; a big block the budget affords
    stays whole (one inventor on 1 064 patents: PatentsView pair recall 0.910 -> 0.9995).

    No rule blocks on ``city`` with a name part: ``G & city`` and ``city & soundex(surname)``
    raised pair recall on the noisiest test sets (splink_fake, dsgen C) but added 29 % pairs on
    100k generated CRM records and lowered their F1; ``street & house_number`` without city or
    postcode lowered census F1 0.905 -> 0.858 (household members).

    The identifier halves (rules 2 and 3) find duplicates whose social-security number has one
    digit mistyped and whose names or dates are corrupted too: pair recall on Febrl's dsgen C
    0.954 -> 0.974 and F1 at 0.5 0.954 -> 0.963, for 19k -> 28k candidate pairs; the second
    half alone, without the surname initial, made 74k pairs for F1 0.9635. The
    :class:`~crmresolve.pipeline.Resolver` leaves both out when no two records share an
    identifier: such a column is a record key, and its halves would pair neighbouring keys.

    Measured (``python -m crmresolve.block._bench --febrl``): Febrl 3 (5 000 records, names,
    address, dob, identifier) pairs completeness 0.9997 at 2.5 pairs per record (0.998 at 2.1
    before the identifier halves); Febrl 4 (link) 0.9998.

    >>> [r.name for r in default_rules(["company", "city", "phone"])]
    ['phone', 'company & city', 'rare_token(company)', 'rare_token(company, rank=2)']
    """
    keys = set(available_keys)
    given = "given_name_canonical" if "given_name_canonical" in keys else "given_name"

    def has(*names: str) -> bool:
        return all(n in keys for n in names)

    rules: list[BlockingRule] = []

    def add(*parts: KeyFunction | str) -> None:
        rule = block_on(*parts)
        if has(*rule.columns) and rule not in rules:
            rules.append(rule)

    add("identifier")
    add(half("identifier", 1))
    # The second half is the shorter one for odd lengths (3 of 7 digits: a thousand values),
    # too loose a key on its own.
    add(half("identifier", 2), initial("surname"))
    add("email")
    add("phone")
    add(exact(given), "surname")
    add(sorted_tokens("full_name", min_tokens=2))
    add(soundex("surname"), "dob")
    add("dob", initial(given))
    add("surname", initial(given))
    add(prefix("surname", 3), prefix(given, 3))
    add(soundex(given), soundex("surname"))
    add("postcode", initial("surname"))
    add(initials("full_name", min_tokens=2), "postcode")
    add("postcode", "house_number")
    add("street", "house_number", "city")
    add("street", initial(given))
    add(initials("full_name", min_tokens=2), "street")
    if has("email"):
        add(email_local("email"))
    elif has("email_local"):
        add(email_local("email_local"))
    if has("company", "city") or has("company", "postcode"):
        add("company", "city")
        add("company", "postcode")
    else:
        add("company")
    add(rare_token("company"))
    add(rare_token("company", 2))
    add(rare_token("text"))
    add(rare_token("text", 2))
    add(prefix("text", 8))
    if has("text"):
        rules.append(sorted_neighbourhood("text", window=10))
    add("dob")
    return rules
