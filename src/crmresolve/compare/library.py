"""Ready-made comparisons for CRM fields, each a function returning a :class:`Comparison`.

Design notes shared by all of them:

* Exact agreement is the top level and carries the term-frequency column, so agreeing on a
  common value (``john``, ``gmail.com``, ``1900-01-01``) can weigh less than a rare one.
* Typo-tolerant levels come next, ordered by how much evidence they are likely to carry; the
  model learns the actual weights (m and u) per level.
* ``Else`` is deliberately *not* missing: a different full first name or a different valid
  date of birth lands there, and its tiny m probability is strong evidence *against* a match.

>>> [c.name for c in default_comparisons(["given_name", "surname", "email", "dob"])]
['given_name', 'surname', 'email', 'dob']
>>> dob_comparison().level_labels
['else', 'within 365 days', 'damerau-levenshtein <= 1', 'day and month transposed', 'exact match']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crmresolve.compare.comparison import Comparison
from crmresolve.compare.levels import (
    AllOf,
    DamerauLevenshteinAtMost,
    DateOutsideYears,
    DateWithin,
    DayMonthTransposed,
    Else,
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
)

__all__ = [
    "address_comparison",
    "city_comparison",
    "company_comparison",
    "default_comparisons",
    "dob_comparison",
    "email_comparison",
    "full_name_comparison",
    "given_name_comparison",
    "identifier_comparison",
    "items_comparison",
    "name_comparison",
    "phone_comparison",
    "postcode_comparison",
    "surname_comparison",
    "text_comparison",
]


def name_comparison(
    column: str,
    *,
    name: str | None = None,
    jaro_winkler: Sequence[float] = (0.92, 0.88),
    nickname_column: str | None = None,
    initials: bool = False,
    phonetic: str | None = None,
    swapped: tuple[str, str] | None = None,
) -> Comparison:
    """A personal-name comparison on ``column``:

    exact → given name and surname swapped (if ``swapped`` = ``(given, surname)`` columns) →
    nickname (if ``nickname_column``) → Jaro-Winkler ≥ each threshold (descending)
    → initial (if ``initials``) → phonetic key (if ``phonetic``) → else.

    >>> name_comparison("surname", phonetic="metaphone").level_labels
    ['else', 'metaphone match', 'jaro-winkler >= 0.88', 'jaro-winkler >= 0.92', 'exact match']
    """
    levels: list[Level] = [ExactMatch(column)]
    if swapped is not None:
        levels.append(SwappedNames(*swapped))
    if nickname_column is not None:
        levels.append(NicknameMatch(column, nickname_column))
    levels += [JaroWinklerAtLeast(column, t) for t in sorted(jaro_winkler, reverse=True)]
    if initials:
        levels.append(InitialMatch(column))
    if phonetic is not None:
        levels.append(PhoneticMatch(column, phonetic))
    levels.append(Else())
    return Comparison(name or column, levels, tf_column=column)


def given_name_comparison(
    column: str = "given_name",
    canonical_column: str = "given_name_canonical",
    *,
    surname_column: str | None = None,
) -> Comparison:
    """Exact → [swapped with the surname] → nickname (``bob`` ~ ``robert``) → JW ≥ 0.92 →
    JW ≥ 0.88 → initial → JW ≥ 0.75 → metaphone → else.

    An initial (``j`` ~ ``john``) is weak evidence but not evidence against; a different
    full first name (``john`` vs ``peter``) falls to ``else``. The two weak levels (JW ≥ 0.75,
    same metaphone) keep badly mistyped names (``jomathsn``) out of ``else``, which the
    evidence guards read as "two different people" (:mod:`crmresolve.score.guards`); EM gives
    them whatever weight the data supports. With ``surname_column``, a name entered in swapped
    order (``smith john``) gets its own level instead of ``else``, also with one typo in one
    of the two names (``ryna chloe`` ~ ``chloe ryan``; :class:`SwappedNames` with ``typo``).
    """
    levels: list[Level] = [ExactMatch(column)]
    if surname_column is not None:
        levels.append(SwappedNames(column, surname_column, typo=True))
    levels += [
        NicknameMatch(column, canonical_column),
        JaroWinklerAtLeast(column, 0.92),
        JaroWinklerAtLeast(column, 0.88),
        # Before the weak levels: "j" ~ "john" reaches JW 0.775 but is an initial.
        InitialMatch(column),
        JaroWinklerAtLeast(column, 0.75),
        PhoneticMatch(column, "metaphone"),
        Else(),
    ]
    return Comparison("given_name", levels, tf_column=column)


def surname_comparison(column: str = "surname", *, given_column: str | None = None) -> Comparison:
    """Exact → [swapped with the given name] → JW ≥ 0.92 → JW ≥ 0.88 (also most
    double-barrelled variants) → metaphone → else."""
    swapped = None if given_column is None else (given_column, column)
    return name_comparison(column, name="surname", phonetic="metaphone", swapped=swapped)


def full_name_comparison(
    column: str = "full_name",
    given_column: str = "given_name",
    surname_column: str = "surname",
) -> Comparison:
    """Exact → given/surname swapped → JW ≥ 0.92 → token set ≥ 0.9 (word order, middle
    names) → else. Use it instead of given + surname comparisons, not beside them: the
    same evidence would count twice.
    """
    return Comparison(
        "full_name",
        [
            ExactMatch(column),
            SwappedNames(given_column, surname_column),
            JaroWinklerAtLeast(column, 0.92),
            TokenSetRatioAtLeast(column, 0.9),
            Else(),
        ],
        tf_column=column,
    )


def email_comparison(
    column: str = "email",
    local_column: str = "email_local",
    *,
    given_column: str | None = None,
    surname_column: str | None = None,
    canonical_column: str | None = None,
) -> Comparison:
    """Exact → same local part, other domain → Levenshtein ≤ 1 → Levenshtein ≤ 2 → else.

    Two numbered variants of one address (``maria.rodriguez1@`` / ``maria.rodriguez3@`` at one
    domain: :class:`EmailNumberedVariant`) count as missing, not as a typo: a provider numbers
    a name that is taken, so they are usually two people of one name. With the name columns,
    local parts that only spell the name both records carry, at two providers or spelled two
    ways at one (:class:`EmailLocalSpellsName`), count as missing too: the name comparisons
    already hold that evidence; ``canonical_column`` (given names with nicknames resolved)
    lets a handle spell a record's name by the given name's canonical form too.
    """
    unusable: list[Level] = [EmailNumberedVariant(column)]
    if given_column is not None and surname_column is not None:
        unusable.append(
            EmailLocalSpellsName(
                local_column, column, given_column, surname_column, canonical_column
            )
        )
    return Comparison(
        "email",
        [
            ExactMatch(column),
            EmailLocalMatch(local_column, column),
            LevenshteinAtMost(column, 1),
            LevenshteinAtMost(column, 2),
            Else(),
        ],
        tf_column=column,
        unusable=unusable,
    )


def phone_comparison(column: str = "phone") -> Comparison:
    """Exact E.164 → last 7 digits (other country/area prefix) → one digit typo → else."""
    return Comparison(
        "phone",
        [ExactMatch(column), PhoneLastDigits(7, column), LevenshteinAtMost(column, 1), Else()],
        tf_column=column,
    )


#: Birth years outside this range (up to the current year) are mangled entries, not dates.
EARLIEST_BIRTH_YEAR = 1875


def dob_comparison(
    column: str = "dob", typed_column: str | None = "dob_typed", *, plausible_only: bool = False
) -> Comparison:
    """Exact → day/month transposed → one typo (incl. two swapped digits: 1967/1976) → within
    365 days → else.

    Two different valid dates beyond that land in ``else``: strong evidence against. With
    ``plausible_only``, a date whose year is before 1875 or in the future (``6003-10-19``,
    ``1046-03-19``: digits shuffled on entry) is no evidence of a different person, so the
    pair is missing, like an impossible date (and may be rescued the same way). Off by
    default: measured, it lifts heavily garbled Febrl data but tips EM on RLdata 10000 into
    a worse optimum (pairwise F1 0.964 -> 0.944).

    ``typed_column`` (the ``dob_typed`` feature: the valid date, else an impossible one as
    typed, such as ``1959-03-92``) rescues a pair that ``column`` leaves missing because a date
    is impossible: one Damerau-Levenshtein edit apart (``1959-03-92`` ~ ``1959-03-29``,
    ``1950-19-05`` ~ ``1950-12-05``) it gets the one-typo level; otherwise it stays missing,
    as an impossible date is no evidence of a different person. Pairs of valid dates get the
    same levels as without it. Features without ``typed_column`` (a hand-built feature table,
    a store created before that column existed) simply get no rescue; ``None`` leaves it out.

    >>> import numpy as np
    >>> f = {"dob": np.array(["1959-03-29", None, None, None], dtype=object),
    ...      "dob_typed": np.array(["1959-03-29", "1959-03-92", "1959-07-92", None], dtype=object)}
    >>> c = dob_comparison()
    >>> [c.level_labels[g] if g >= 0 else "missing" for g in c.compute(f, [0, 0, 0], [1, 2, 3])]
    ['damerau-levenshtein <= 1', 'missing', 'missing']
    """
    closest_first: list[Level] = [
        ExactMatch(column),
        DayMonthTransposed(column),
        DamerauLevenshteinAtMost(column, 1),
        DateWithin(column, 365),
    ]
    rescue: list[tuple[Level, int]] = []
    if typed_column is not None:
        typo_gamma = len(closest_first) - 2  # gamma counts up from else = 0
        rescue.append((DamerauLevenshteinAtMost(typed_column, 1), typo_gamma))
    return Comparison(
        "dob",
        [*closest_first, Else()],
        tf_column=column,
        rescue=rescue,
        unusable=[DateOutsideYears(column, EARLIEST_BIRTH_YEAR)] if plausible_only else [],
    )


def address_comparison(
    house_number_column: str = "house_number", street_column: str = "street"
) -> Comparison:
    """Exact house number and street → same number, street JW ≥ 0.9 → same number, the words
    of one street within the other's → same number, street JW ≥ 0.8 → street JW ≥ 0.9 → else.

    The word-subset level catches an address line only one record has or lines in another
    order (``elvire pl swanleigh`` / ``elvire pl``, ``reader ct villa 2`` / ``villa 2 reader
    ct``), which Jaro-Winkler scores low; the JW ≥ 0.8 level a badly mistyped street at the
    same number (``mccombie st`` / ``mccombiueatreet``). Missing (``-1``) only when the street
    is missing; a missing house number just rules out the four top levels.
    """
    return Comparison(
        "address",
        [
            AllOf((ExactMatch(house_number_column), ExactMatch(street_column))),
            HouseNumberAndStreet(0.9, house_number_column, street_column),
            AllOf((ExactMatch(house_number_column), TokenSetRatioAtLeast(street_column, 1.0))),
            HouseNumberAndStreet(0.8, house_number_column, street_column),
            JaroWinklerAtLeast(street_column, 0.9),
            Else(),
        ],
        null_columns=(street_column,),
    )


def postcode_comparison(column: str = "postcode") -> Comparison:
    """Exact → one character typo → first 3 characters (same district) → else."""
    return Comparison(
        "postcode",
        [ExactMatch(column), LevenshteinAtMost(column, 1), PrefixMatch(column, 3), Else()],
        tf_column=column,
    )


def city_comparison(column: str = "city") -> Comparison:
    """Exact → JW ≥ 0.9 → else."""
    return Comparison(
        "city", [ExactMatch(column), JaroWinklerAtLeast(column, 0.9), Else()], tf_column=column
    )


def company_comparison(column: str = "company") -> Comparison:
    """Exact (legal form already stripped) → token set ≥ 0.9 → JW ≥ 0.9 → else."""
    return Comparison(
        "company",
        [
            ExactMatch(column),
            TokenSetRatioAtLeast(column, 0.9),
            JaroWinklerAtLeast(column, 0.9),
            Else(),
        ],
        tf_column=column,
    )


#: Shortest identifier for which two edits still count as a near match.
IDENTIFIER_TWO_EDITS_MIN_LENGTH = 6


def identifier_comparison(column: str = "identifier") -> Comparison:
    """Exact → one typo (an insertion, deletion, substitution or swap of neighbours) → two
    typos in a code of at least 6 characters → else.

    A 7-digit number with two digits mistyped still shares five with the other record's; by
    chance two random 7-digit numbers are that close about once in several thousand pairs,
    so the level is strong evidence, and the evidence guards count it as agreement
    (:data:`crmresolve.score.guards.NEAR_LEVELS`). On shorter codes two edits prove nothing.
    """
    return Comparison(
        "identifier",
        [
            ExactMatch(column),
            DamerauLevenshteinAtMost(column, 1),
            DamerauLevenshteinAtMost(column, 2, min_length=IDENTIFIER_TWO_EDITS_MIN_LENGTH),
            Else(),
        ],
        tf_column=column,
    )


def text_comparison(
    column: str = "text", thresholds: Sequence[float] = (0.7, 0.5, 0.3, 0.15)
) -> Comparison:
    """Free text (titles, co-authors, categories): exact → word-set Jaccard ≥ each threshold
    (descending) → else.

    Word sets ignore order and repetition; the model learns how much each overlap band is
    worth, so noisy text with a little overlap still counts for something.

    >>> text_comparison().level_labels
    ['else', 'token jaccard >= 0.15', 'token jaccard >= 0.3', 'token jaccard >= 0.5', \
'token jaccard >= 0.7', 'exact match']
    """
    levels: list[Level] = [ExactMatch(column)]
    levels += [JaccardAtLeast(column, t) for t in sorted(thresholds, reverse=True)]
    levels.append(Else())
    return Comparison("text", levels)


def items_comparison(
    column: str = "items", shared: Sequence[int] = (3, 2, 1), *, name: str = "items"
) -> Comparison:
    """Lists of items (co-inventors, class codes, tags; the ``items`` role): the same item set
    → at least each count in ``shared`` of items in common (descending) → else.

    The features hold each record's items as a sorted set
    (:func:`crmresolve.features.parse_items`), so the exact level is "the same items, in any
    order and spelling". Sharing is counted item by item, not as string similarity:
    ``Kiyoo Itoh; Hiroyuki Mizuno`` and ``Hiroyuki Mizuno; Takeshi Sakata`` share one
    co-inventor. The exact level carries the term frequency of the whole set (a lone common
    class code is weak evidence); the model learns what each count is worth. A record without
    items is missing, neither agreement nor disagreement.

    >>> items_comparison().level_labels
    ['else', 'shared items >= 1', 'shared items >= 2', 'shared items >= 3', 'exact match']
    >>> import numpy as np
    >>> sets = ["a61b|a61n", "a61b|a61n", "a61n|g01n", "h01l", None]
    >>> f = {"items": np.array(sets, dtype=object)}
    >>> items_comparison().compute(f, [0, 0, 0, 0], [1, 2, 3, 4]).tolist()
    [4, 1, 0, -1]
    """
    counts = sorted(set(shared), reverse=True)
    if not counts:
        raise ValueError("items_comparison needs at least one count in shared")
    levels: list[Level] = [ExactMatch(column)]
    levels += [ItemsSharedAtLeast(column, n) for n in counts]
    levels.append(Else())
    return Comparison(name, levels, tf_column=column)


def default_comparisons(available_keys: Iterable[str]) -> list[Comparison]:
    """The library comparisons the available feature keys support, in a stable order.

    ``full_name`` is used only when given name and surname are not both available, and
    ``city`` only without ``postcode``: overlapping fields would count one piece of evidence
    twice.
    """
    keys = set(available_keys)
    out: list[Comparison] = []
    # A swap is scored once, on the given name: on both comparisons it would count as two
    # agreements, and without TF adjustment a swapped common name outweighs namesake evidence.
    both = {"given_name", "surname"} <= keys
    if "given_name" in keys:
        out.append(given_name_comparison(surname_column="surname" if both else None))
    if "surname" in keys:
        out.append(surname_comparison())
    if "full_name" in keys and not {"given_name", "surname"} <= keys:
        out.append(full_name_comparison())
    if "email" in keys:
        out.append(
            email_comparison(
                given_column="given_name",
                surname_column="surname",
                canonical_column=(
                    "given_name_canonical" if "given_name_canonical" in keys else None
                ),
            )
            if both
            else email_comparison()
        )
    if "phone" in keys:
        out.append(phone_comparison())
    if "dob" in keys:
        out.append(dob_comparison(typed_column="dob_typed" if "dob_typed" in keys else None))
    if "street" in keys:
        out.append(address_comparison())
    if "postcode" in keys:
        out.append(postcode_comparison())
    elif "city" in keys:
        out.append(city_comparison())
    if "company" in keys:
        out.append(company_comparison())
    if "identifier" in keys:
        out.append(identifier_comparison())
    if "text" in keys:
        out.append(text_comparison())
    if "items" in keys:
        out.append(items_comparison())
    return out
