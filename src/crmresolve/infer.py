"""Infer field roles from column headers and, where headers say nothing, from content.

Headers are matched after normalisation (accents folded, ``ß`` → ``ss``, lower case,
non-alphanumerics removed) against synonyms covering the exports of Salesforce, HubSpot,
Dynamics 365, Zoho, Pipedrive and Mailchimp, snake_case / camelCase spellings and German,
French, Spanish, Italian and Dutch headers; vendor prefixes (``Mailing``, ``Person -``,
``address1_``) and numbered copies (``_c1``, ``2``) are tried next. A header role whose content
clearly contradicts it (an "email" column without e-mails) falls back to the content. Columns
with meaningless headers are read by content: the share of values that parse as e-mails,
phones, dates, postcodes, countries or street addresses; lists of a shared vocabulary
(``items``: co-inventors, class codes, tags); person names (share of known given names) versus
company names (share of legal forms); id-like columns (unique, short, no spaces). Each guess
carries a confidence in [0, 1] and how it was found.

>>> from crmresolve.table import Table
>>> t = Table.from_columns({"First Name": ["Ann"], "Last Name": ["Lee"], "E-Mail": ["a@b.org"]})
>>> infer_roles(t).field_map()
{'given_name': ['First Name'], 'surname': ['Last Name'], 'email': ['E-Mail']}
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from crmresolve.roles import ROLES, FieldMap
from crmresolve.table import Table

__all__ = [
    "IDENTITY_ROLES",
    "NoIdentityFieldError",
    "RoleGuess",
    "RoleInference",
    "header_role",
    "infer_roles",
    "roles_from_headers",
]

#: Roles that identify a person or company on their own or together.
IDENTITY_ROLES = frozenset(
    {
        "given_name",
        "surname",
        "full_name",
        "email",
        "phone",
        "dob",
        "company",
        "identifier",
        "street",
        "postcode",
    }
)


class NoIdentityFieldError(ValueError):
    """No column could be read as an identity field (name, e-mail, phone, ...)."""


# Header synonyms after normalisation (lower case, accents folded, non-alphanumerics removed).
_HEADER_ROLES: dict[str, tuple[str, ...]] = {
    "given_name": (
        "firstname",
        "first",
        "givenname",
        "given",
        "forename",
        "fname",
        "vorname",
        "prenom",
        "nombre",
        "nome",
        "voornaam",
        "contactfirstname",
        "leadfirstname",
        "firstnm",
        "fname",
        "givennames",
        "prenoms",
        "personfirstname",
    ),
    "surname": (
        "lastname",
        "last",
        "surname",
        "familyname",
        "lname",
        "nachname",
        "nom",
        "apellido",
        "apellidos",
        "cognome",
        "achternaam",
        "contactlastname",
        "leadlastname",
        "lastnm",
        "familienname",
        "personlastname",
        "inventornamelast",
        "inventorlastname",
    ),
    "full_name": (
        "name",
        "fullname",
        "contactname",
        "contact",
        "leadname",
        "personname",
        "customername",
        "displayname",
        "nomcomplet",
        "nombrecompleto",
        "vollstandigername",
        "naam",
        "personname",
        "nombreyapellidos",
        "contactfullname",
    ),
    "email": (
        "email",
        "emailaddress",
        "mail",
        "email1",
        "primaryemail",
        "workemail",
        "personalemail",
        "courriel",
        "correo",
        "correoelectronico",
        "emailadresse",
        "adresseemail",
        "emailaddress1",
        "emailaddress2",
        "personemail",
        "emailadress",
        "epost",
        "emailid",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "telefon",
        "telefono",
        "telefoon",
        "mobile",
        "mobilephone",
        "cell",
        "cellphone",
        "businessphone",
        "workphone",
        "homephone",
        "handy",
        "portable",
        "movil",
        "primaryphone",
        "phone1",
        "mobilenumber",
        "telephone1",
        "telephone2",
        "telefonnummer",
        "mobiltelefon",
        "personphone",
        "otherphone",
        "phone2",
        "tel1",
        "fax",
        "numerodetelephone",
    ),
    "dob": (
        "dob",
        "dateofbirth",
        "birthdate",
        "birthday",
        "geburtsdatum",
        "datedenaissance",
        "fechadenacimiento",
        "datanascita",
        "geboortedatum",
        "birthdt",
        "bdate",
        "gebdatum",
        "fechanacimiento",
    ),
    "company": (
        "company",
        "companyname",
        "account",
        "accountname",
        "organization",
        "organisation",
        "organizationname",
        "employer",
        "firma",
        "unternehmen",
        "societe",
        "entreprise",
        "empresa",
        "azienda",
        "bedrijf",
        "business",
        "businessname",
        "parentcustomerid",
        "organizationname",
        "organisationname",
        "firmenname",
        "nomentreprise",
        "nomdelentreprise",
        "assigneeorganizations",
        "assignee",
        "companyname1",
        "accountnamename",
    ),
    "street": (
        "street",
        "address",
        "address1",
        "address2",
        "addressline1",
        "addressline2",
        "streetaddress",
        "mailingstreet",
        "billingstreet",
        "strasse",
        "adresse",
        "rue",
        "direccion",
        "calle",
        "indirizzo",
        "straat",
        "adres",
        "street1",
        "street2",
        "streetnumber",
        "housenumber",
        "hausnummer",
        "addressline",
        "address1line1",
        "address1line2",
        "address1street1",
        "address1street2",
        "streetname",
        "strasseundhausnummer",
        "addr",
        "mailingaddress",
        "postaladdress",
        "shippingstreet",
        "otherstreet",
        "direccion1",
    ),
    "city": (
        "city",
        "town",
        "mailingcity",
        "billingcity",
        "ort",
        "stadt",
        "ville",
        "ciudad",
        "citta",
        "plaats",
        "suburb",
        "locality",
        "address1city",
        "wohnort",
        "localite",
        "shippingcity",
        "othercity",
        "municipality",
    ),
    "postcode": (
        "postcode",
        "postalcode",
        "zip",
        "zipcode",
        "postleitzahl",
        "plz",
        "codepostal",
        "codigopostal",
        "cap",
        "mailingpostalcode",
        "billingpostalcode",
        "zippostalcode",
        "address1postalcode",
        "mailingzip",
        "billingzip",
        "shippingpostalcode",
        "postleitzahl",
        "postnummer",
        "cp",
        "zipcode1",
        "postal",
    ),
    "country": (
        "country",
        "countrycode",
        "mailingcountry",
        "billingcountry",
        "land",
        "pays",
        "pais",
        "paese",
        "address1country",
        "countryregion",
        "shippingcountry",
        "othercountry",
    ),
    "identifier": (
        "ssn",
        "socsecid",
        "nationalid",
        "taxid",
        "vatid",
        "vatnumber",
        "customernumber",
        "customerid",
        "accountnumber",
        "externalid",
        "ustidnr",
        "siret",
        "siren",
        "nif",
        "socsecid",
        "socialsecuritynumber",
        "nationalinsurancenumber",
        "passportnumber",
        "steuernummer",
        "taxnumber",
        "companynumber",
        "registrationnumber",
        "duns",
        "dunsnumber",
    ),
    "updated_at": (
        "updatedat",
        "lastmodified",
        "lastmodifieddate",
        "modified",
        "modifiedon",
        "lastupdated",
        "updated",
        "datemodified",
        "lastmodifiedat",
        "geandert",
        "modifiedtime",
        "lastchanged",
        "lastmodifieddate",
        "systemmodstamp",
        "updatedate",
        "updatetime",
        "lastactivitydate",
        "geaendert",
        "zuletztgeandert",
        "datedemodification",
        "fechademodificacion",
        "lastupdate",
    ),
    "source": (
        "source",
        "leadsource",
        "origin",
        "sourcesystem",
        "quelle",
        "dataset",
        "leadorigin",
        "originalsource",
        "sourcesystem",
        "herkunft",
    ),
}
_LOOKUP = {syn: role for role, syns in _HEADER_ROLES.items() for syn in syns}
_LOOKUP.update({"namefirst": "given_name", "namelast": "surname", "strae": "street"})
_ID_HEADERS = {
    "id",
    "recordid",
    "uniqueid",
    "contactid",
    "leadid",
    "personid",
    "accountid",
    "uuid",
    "guid",
    "key",
    "rowid",
    "recid",
    "objectid",
    "hsobjectid",
    "contactrecordid",
    "kundennummer",
    "kundenid",
    "identifiant",
    "mentionid",
    "uniqueidentifier",
}
# Headers of columns that are known and carry no identity: never read by content.
_IGNORED_HEADERS = frozenset(
    [
        "state",
        "region",
        "province",
        "county",
        "bundesland",
        "mailingstate",
        "billingstate",
        "address1stateorprovince",
        "stateregion",
        "stateprovince",
        "title",
        "jobtitle",
        "salutation",
        "anrede",
        "civilite",
        "gender",
        "sex",
        "geschlecht",
        "status",
        "leadstatus",
        "lifecyclestage",
        "stage",
        "type",
        "category",
        "industry",
        "rating",
        "owner",
        "contactowner",
        "ownerid",
        "notes",
        "note",
        "description",
        "comments",
        "comment",
        "tags",
        "language",
        "website",
        "url",
        "createddate",
        "createdon",
        "createdat",
        "createtime",
        "by",
        "bm",
        "bd",
        "birthyear",
        "birthmonth",
        "birthday_day",
        "middleinitial",
        "middlename",
        "initial",
        "initials",
        "mi",
        "suffix",
        "prefix",
    ]
)
# Tokens that qualify a header without changing its meaning ("Mailing City", "Person - Email").
_NOISE = frozenset(
    [
        "raw",
        "inventor",
        "person",
        "contact",
        "lead",
        "customer",
        "client",
        "primary",
        "main",
        "home",
        "work",
        "business",
        "private",
        "mailing",
        "billing",
        "shipping",
        "other",
        "the",
        "of",
        "de",
        "du",
        "la",
        "le",
        "el",
        "des",
        "der",
        "die",
        "das",
        "c1",
        "c2",
        "c3",
        "1",
        "2",
        "3",
        "address1",
        "hs",
        "std",
    ]
)
_ROLE_ORDER = {r: i for i, r in enumerate(ROLES)}


def _fold(name: str) -> str:
    text = name.replace("ß", "ss").replace("ẞ", "SS")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(name).lower())


def _tokens(name: str) -> list[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", _fold(name))
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def _ignored_header(name: str) -> bool:
    kept = "".join(t for t in _tokens(name) if t not in _NOISE)
    return _header_key(name) in _IGNORED_HEADERS or kept in _IGNORED_HEADERS


def header_role(name: str) -> tuple[str, float] | None:
    """The role a header names (``"id"`` for a record-id column) and a confidence, or ``None``.

    >>> header_role("MailingPostalCode"), header_role("Person - Email"), header_role("fname_c1")
    (('postcode', 0.95), ('email', 0.95), ('given_name', 0.85))
    """
    key = _header_key(name)
    if not key:
        return None
    if key in _ID_HEADERS:
        return "id", 0.95
    if key in _LOOKUP:
        return _LOOKUP[key], 0.95
    tokens = _tokens(name)
    kept = [t for t in tokens if t not in _NOISE]
    for cand in ("".join(kept), "".join(t for t in kept if not t.isdigit())):
        if cand in _ID_HEADERS:
            return "id", 0.85
        if cand in _LOOKUP:
            return _LOOKUP[cand], 0.85
    stripped = re.sub(r"(c?\d+)$", "", key)
    if stripped != key and stripped in _LOOKUP:
        return _LOOKUP[stripped], 0.85
    return None


def roles_from_headers(columns: Sequence[str], exclude: Iterable[str] = ()) -> FieldMap:
    """Roles from header names alone (no content), in :data:`crmresolve.roles.ROLES` order.

    >>> roles_from_headers(["Id", "First Name", "last_name", "E-Mail", "Phone", "Mobile", "ZIP"])
    {'given_name': ['First Name'], 'surname': ['last_name'], 'email': ['E-Mail'], \
'phone': ['Phone', 'Mobile'], 'postcode': ['ZIP']}
    """
    skip = set(exclude)
    out: FieldMap = {}
    for col in columns:
        found = header_role(col)
        if found is not None and found[0] != "id" and col not in skip:
            out.setdefault(found[0], []).append(col)
    return {role: out[role] for role in ROLES if role in out}


@dataclass(frozen=True)
class RoleGuess:
    """One column's inferred role with a confidence in [0, 1] and how it was found."""

    column: str
    role: str
    confidence: float
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "role": self.role,
            "confidence": round(self.confidence, 3),
            "how": self.how,
        }


@dataclass(frozen=True)
class RoleInference:
    """What :func:`infer_roles` found: accepted guesses, the id column, and ignored columns."""

    guesses: list[RoleGuess]
    id_column: str | None = None
    ignored: list[str] = field(default_factory=list)
    id_how: str | None = None

    def field_map(self, *, require_identity: bool = False) -> FieldMap:
        out: FieldMap = {}
        for g in sorted(self.guesses, key=lambda g: _ROLE_ORDER.get(g.role, 99)):
            out.setdefault(g.role, []).append(g.column)
        if require_identity and not IDENTITY_ROLES & out.keys():
            raise NoIdentityFieldError(
                "no identity field found among the columns (looked for names, e-mails, phones, "
                "dates of birth, companies, addresses, identifiers by header and by content); "
                "map them with --field ROLE=COLUMN"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": [g.to_dict() for g in self.guesses],
            "id_column": self.id_column,
            "ignored": list(self.ignored),
        }

    def __str__(self) -> str:
        lines = [
            f"{g.column!r:>28} -> {g.role:<12} {g.confidence:.2f} ({g.how})" for g in self.guesses
        ]
        if self.id_column:
            lines.append(f"{self.id_column!r:>28} -> record id    ({self.id_how or 'given'})")
        if self.ignored:
            lines.append("ignored: " + ", ".join(repr(c) for c in self.ignored))
        return "\n".join(lines) if lines else "(no roles inferred)"


# ------------------------------------------------------------------------------ content

_SAMPLE = 500
_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_PHONE_CHARS_RE = re.compile(r"^[+(]?[0-9][0-9 ()./\-]{5,}[0-9](\s*(x|ext\.?)\s*\d+)?$", re.I)
_POSTCODE_RE = re.compile(
    r"^(\d{4,5}(-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d"
    r"|\d{3} ?\d{2}|\d{2}-\d{3})$",
    re.I,
)
_HAS_DIGIT_RE = re.compile(r"\d")
_STREET_WORDS = frozenset(
    [
        "st",
        "street",
        "rd",
        "road",
        "ave",
        "avenue",
        "blvd",
        "boulevard",
        "dr",
        "drive",
        "ln",
        "lane",
        "way",
        "ct",
        "court",
        "pl",
        "place",
        "sq",
        "square",
        "pkwy",
        "parkway",
        "hwy",
        "highway",
        "cres",
        "crescent",
        "terrace",
        "tce",
        "close",
        "cl",
        "grove",
        "gardens",
        "row",
        "walk",
        "circle",
        "cir",
        "trail",
        "lane",
        "strasse",
        "str",
        "weg",
        "allee",
        "platz",
        "gasse",
        "ring",
        "damm",
        "rue",
        "avenue",
        "chemin",
        "boulevard",
        "bd",
        "calle",
        "avenida",
        "av",
        "plaza",
        "paseo",
        "carrera",
        "straat",
        "laan",
        "plein",
        "gracht",
        "kade",
        "via",
        "viale",
        "piazza",
        "corso",
    ]
)
_COMPANY_WORDS = frozenset(
    [
        "inc",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "plc",
        "group",
        "holding",
        "holdings",
        "partners",
        "solutions",
        "services",
        "systems",
        "technologies",
        "consulting",
        "international",
        "industries",
        "enterprises",
        "associates",
        "foundation",
        "bank",
        "university",
        "institute",
    ]
)
_NAME_RE = re.compile(r"^[^\W\d_][^\d@/\\:;]*$")


@functools.cache
def _given_names() -> frozenset[str]:
    from crmresolve.normalize.nicknames import _tables

    return frozenset(_tables().canonical)


def _sample(values: Any) -> list[str]:
    out: list[str] = []
    for v in values:
        if v is not None:
            s = str(v).strip()
            if s:
                out.append(s)
                if len(out) >= _SAMPLE:
                    break
    return out


def _share(values: Sequence[str], test: Any) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_email(v: str) -> bool:
    return bool(_EMAIL_RE.match(v))


def _is_phone(v: str) -> bool:
    if not _PHONE_CHARS_RE.match(v):
        return False
    digits = sum(c.isdigit() for c in v)
    if v.isdigit():  # bare digits: a phone only at full national length (not an id or a zip)
        return 9 <= digits <= 15
    return 7 <= digits <= 15 and not re.match(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$", v)


def _date_info(v: str) -> tuple[bool, bool, int]:
    """(parses as a date, has a time part, year)."""
    from crmresolve.normalize.dates import parse_date

    if v.isdigit() and len(v) != 8:
        return False, False, 0
    p = parse_date(v)
    if p.value is None or p.details.get("format") == "excel_serial":
        return False, False, 0
    return True, p.details.get("had_time") == "true", int(p.value[:4])


def _is_street(v: str) -> bool:
    words = re.findall(r"[^\W\d_]+", v.lower())
    if not words:
        return False
    typed = any(w in _STREET_WORDS or w.endswith(("strasse", "straat", "weg")) for w in words)
    long_word = any(len(w) >= 3 for w in words)
    return bool(_HAS_DIGIT_RE.search(v)) and " " in v.strip() and (typed or long_word)


def _name_tokens(v: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:['\-][^\W\d_]+)*", v.lower())


def _legal_form(v: str) -> bool:
    from crmresolve.normalize.companies import parse_company

    words = set(re.findall(r"[a-z]+", _fold(v).lower()))
    if words & _COMPANY_WORDS:
        return True
    return "legal_form" in parse_company(v).details


def _content_role(name: str, values: Sequence[str], n_rows: int) -> tuple[str, float] | None:
    """The role the values suggest, with the share of values supporting it."""
    if not values:
        return None
    email = _share(values, _is_email)
    if email >= 0.6:
        return "email", email
    if _share(values, lambda v: v.isdigit() and len(v) == 4 and 1880 <= int(v) <= 2030) >= 0.8:
        return None  # a year on its own (birth year, fiscal year): not an identity field
    dates = [_date_info(v) for v in values]
    date_share = sum(d[0] for d in dates) / len(values)
    if date_share >= 0.7:
        years = sorted(d[2] for d in dates if d[0])
        with_time = sum(d[1] for d in dates) / len(values)
        median = years[len(years) // 2]
        if with_time >= 0.5 or median >= 2005:
            return "updated_at", date_share
        return "dob", date_share
    postcode = _share(values, lambda v: bool(_POSTCODE_RE.match(v)))
    phone = _share(values, _is_phone)
    if phone >= 0.6 and phone > postcode:
        return "phone", phone
    if postcode >= 0.6:
        return "postcode", postcode
    items = _list_share(values)
    if items >= 0.4:
        return "items", items
    from crmresolve.normalize.addresses import _country_code

    distinct = len(set(values))
    country = _share(values, lambda v: _country_code(v) is not None)
    if country >= 0.8 and distinct <= 300:
        return "country", country
    street = _share(values, _is_street)
    if street >= 0.6:
        return "street", street
    alpha = _share(values, lambda v: bool(_NAME_RE.match(v)))
    if alpha < 0.7:
        return None
    legal = _share(values, _legal_form)
    tokens = [_name_tokens(v) for v in values]
    given = _given_names()
    first_given = sum(1 for t in tokens if t and t[0] in given) / len(values)
    any_given = sum(1 for t in tokens if any(w in given for w in t)) / len(values)
    multi = sum(1 for t in tokens if len(t) >= 2) / len(values)
    if legal >= 0.15 and legal > first_given / 2:
        return "company", max(legal, 0.6)
    if multi >= 0.6 and first_given >= 0.4:
        return "full_name", first_given
    if multi < 0.5 and first_given >= 0.5:
        return "given_name", first_given
    if any_given < 0.3 and multi < 0.5:
        # single words that are not given names: surnames (varied) or cities (repeated);
        # a handful of distinct values is a category (source, status, type), not identity
        if distinct < 10 or distinct <= len(values) * 0.02:
            return None
        ratio = distinct / len(values)
        if ratio < 0.25 and len(values) >= 40:
            return "city", 0.6
        return "surname", 0.6
    words = sorted(len(t) for t in tokens)
    short = words[len(words) // 2] <= 5  # names are short; titles and notes are not
    if multi >= 0.6 and short and (legal >= 0.05 or any_given < 0.2):
        # several words, (almost) no given names, not an address: organisation names
        return "company", 0.6
    return None


def _list_share(values: Sequence[str]) -> float:
    """Share of values that are lists (two or more items, see
    :func:`crmresolve.features.parse_items`) of a shared vocabulary: 0 unless at least half of
    the values hold an item that another value holds too (co-inventors, class codes, tags;
    not a title that happens to contain a semicolon).

    >>> _list_share(["G06F; H04L", "H04L", "G06F; G06K", "A61B; G06F"])
    0.75
    >>> _list_share(["Ann; Bob", "Cid; Dee", "Eve"])
    0.0
    """
    from crmresolve.features import parse_items

    parsed = [parse_items(v) for v in values]
    seen: dict[str, int] = {}
    for items in parsed:
        for item in items:
            seen[item] = seen.get(item, 0) + 1
    shared = sum(1 for items in parsed if any(seen[i] >= 2 for i in items))
    if shared < 0.5 * len(values):
        return 0.0
    return sum(1 for items in parsed if len(items) >= 2) / len(values)


def _given_share(values: Sequence[str], *, anywhere: bool = False) -> float:
    """Share of values whose first (or any) word is a known given name."""
    if not values:
        return 0.0
    given = _given_names()
    hits = 0
    for v in values:
        toks = _name_tokens(v)
        if toks and (any(t in given for t in toks) if anywhere else toks[0] in given):
            hits += 1
    return hits / len(values)


def _looks_like_id(values: Sequence[str], n_present: int, n_rows: int, all_unique: bool) -> bool:
    if n_present != n_rows or not all_unique or not values:
        return False
    return all(len(v) <= 40 and " " not in v for v in values) and not any(
        _is_email(v) for v in values[:50]
    )


def infer_roles(
    table: Table,
    *,
    exclude: Iterable[str] = (),
    content: bool = True,
) -> RoleInference:
    """Guess each column's role from its header, else from its content.

    ``exclude`` columns (e.g. a given id column) are never mapped. ``content=False`` uses
    headers only. The id column is a column named like an id (``Id``, ``Record ID``,
    ``contactid``) or, without one, the first column whose values are all present, unique,
    short and without spaces and that got no other role.
    """
    skip = set(exclude)
    guesses: list[RoleGuess] = []
    ignored: list[str] = []
    id_column: str | None = None
    id_how: str | None = None
    n = len(table)
    leftover: list[str] = []
    for name in table.column_names:
        if name in skip:
            continue
        col = table.columns[name]
        values = _sample(col) if content else []
        found = header_role(name)
        if found is None and _ignored_header(name):
            ignored.append(name)
            continue
        if found is not None and found[0] == "id":
            if id_column is None:
                id_column, id_how = name, "header"
            else:
                ignored.append(name)
            continue
        if found is not None:
            role, conf = found
            if content and values and role in _CHECKED:
                by_content = _content_role(name, values, n)
                if role == "full_name" and (
                    (by_content is not None and by_content[0] == "company")
                    or _given_share(values, anywhere=True) < 0.35
                ):
                    # "Name" holding organisations (legal forms, no given names)
                    conf = by_content[1] if by_content is not None else 0.6
                    guesses.append(RoleGuess(name, "company", conf, "header+content"))
                    continue
                if role in ("email", "phone", "dob") and (
                    by_content is None or by_content[0] != role
                ):
                    if by_content is None or by_content[0] in _CHECKED:
                        conf = 0.5  # header says so, content does not confirm
                    if conf < 0.6 and by_content is not None:
                        guesses.append(RoleGuess(name, by_content[0], by_content[1], "content"))
                        continue
            guesses.append(RoleGuess(name, role, conf, "header"))
            continue
        leftover.append(name)
    taken = {g.role for g in guesses}
    for name in leftover:
        col = table.columns[name]
        values = _sample(col) if content else []
        if content and id_column is None:
            present = [v for v in col if v is not None and str(v).strip()]
            by_content = _content_role(name, values, n)
            if _looks_like_id(values, len(present), n, len(set(present)) == len(present)) and (
                by_content is None or by_content[0] not in _NOT_ID
            ):
                id_column, id_how = name, "content"
                continue
        role_conf = _content_role(name, values, n) if content else None
        if role_conf is None:
            ignored.append(name)
            continue
        role, conf = role_conf
        if role in ("given_name", "surname") and role in taken:
            role = "surname" if role == "given_name" and "surname" not in taken else role
        guesses.append(RoleGuess(name, role, conf, "content"))
        taken.add(role)
    guesses = _resolve_names(guesses, table)
    if content:
        guesses, ignored = _context_text(guesses, ignored, table)
    return RoleInference(guesses, id_column, ignored, id_how)


def _context_text(
    guesses: list[RoleGuess], ignored: list[str], table: Table
) -> tuple[list[RoleGuess], list[str]]:
    """With a lone name column as the only identity evidence (e.g. organisation names and
    nothing else), the remaining descriptive text columns become ``text`` context."""
    identity = [g for g in guesses if g.role in IDENTITY_ROLES]
    if len(identity) != 1 or identity[0].role not in ("company", "full_name"):
        return guesses, ignored
    extra: list[RoleGuess] = []
    keep: list[str] = []
    for name in ignored:
        values = _sample(table.columns[name])
        if (
            not _ignored_header(name)
            and len(values) >= 10
            and len(set(values)) >= 0.05 * len(values)
            and _share(values, lambda v: any(c.isalpha() for c in v)) >= 0.8
        ):
            extra.append(RoleGuess(name, "text", 0.5, "content (context)"))
        else:
            keep.append(name)
    return guesses + extra, keep


_CHECKED = frozenset({"email", "phone", "dob", "full_name"})
_NOT_ID = frozenset({"email", "phone", "dob", "updated_at", "given_name", "surname", "full_name"})


def _resolve_names(guesses: list[RoleGuess], table: Table) -> list[RoleGuess]:
    """Content-only name columns: two single-word name columns are given name then surname."""
    names = [g for g in guesses if g.how == "content" and g.role in ("given_name", "surname")]
    if len(names) < 2 or any(
        g.how != "content" and g.role in ("given_name", "surname") for g in guesses
    ):
        return guesses
    given = _given_names()

    def given_share(g: RoleGuess) -> float:
        vals = _sample(table.columns[g.column])
        toks = [_name_tokens(v) for v in vals]
        return sum(1 for t in toks if t and t[0] in given) / max(1, len(vals))

    best = max(names, key=given_share)
    out = []
    for g in guesses:
        if g in names:
            role = "given_name" if g is best else "surname"
            out.append(RoleGuess(g.column, role, g.confidence, g.how))
        else:
            out.append(g)
    return out
