"""Infer field roles from column headers (and, where headers say nothing, from content).

>>> from crmresolve.table import Table
>>> t = Table.from_columns({"First Name": ["Ann"], "Last Name": ["Lee"], "E-Mail": ["a@b.org"]})
>>> infer_roles(t).field_map()
{'given_name': ['First Name'], 'surname': ['Last Name'], 'email': ['E-Mail']}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crmresolve.roles import FieldMap
from crmresolve.table import Table

__all__ = ["IDENTITY_ROLES", "NoIdentityFieldError", "RoleGuess", "RoleInference", "infer_roles"]

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
    ),
    "source": ("source", "leadsource", "origin", "sourcesystem", "quelle", "dataset"),
}
_LOOKUP = {syn: role for role, syns in _HEADER_ROLES.items() for syn in syns}
_ID_HEADERS = {"id", "recordid", "uniqueid", "contactid", "leadid", "uuid", "key", "rowid"}


def _header_key(name: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class RoleGuess:
    """One column's inferred role with a confidence in [0, 1] and how it was found."""

    column: str
    role: str
    confidence: float
    how: str


@dataclass(frozen=True)
class RoleInference:
    """What :func:`infer_roles` found: accepted guesses, the id column, and ignored columns."""

    guesses: list[RoleGuess]
    id_column: str | None = None
    ignored: list[str] = field(default_factory=list)

    def field_map(self, *, require_identity: bool = False) -> FieldMap:
        out: FieldMap = {}
        for g in self.guesses:
            out.setdefault(g.role, []).append(g.column)
        if require_identity and not IDENTITY_ROLES & out.keys():
            raise NoIdentityFieldError(
                "no identity field found among the columns (looked for names, e-mails, phones, "
                "dates of birth, companies, addresses, identifiers); map them with --field "
                "ROLE=COLUMN"
            )
        return out

    def __str__(self) -> str:
        lines = [
            f"{g.column!r:>28} -> {g.role:<12} {g.confidence:.2f} ({g.how})" for g in self.guesses
        ]
        if self.id_column:
            lines.append(f"{self.id_column!r:>28} -> record id")
        return "\n".join(lines) if lines else "(no roles inferred)"


def infer_roles(table: Table) -> RoleInference:
    """Guess each column's role from its header; columns without a known header are ignored."""
    guesses: list[RoleGuess] = []
    ignored: list[str] = []
    id_column: str | None = None
    for name in table.column_names:
        key = _header_key(name)
        role = _LOOKUP.get(key)
        if role is None and key in _ID_HEADERS:
            id_column = id_column or name
            continue
        if role is None:
            ignored.append(name)
            continue
        guesses.append(RoleGuess(name, role, 0.95, "header"))
    return RoleInference(guesses, id_column, ignored)
