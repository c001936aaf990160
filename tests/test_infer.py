"""Role inference from headers (vendor exports, languages, code styles) and from content."""

from __future__ import annotations

from pathlib import Path

import pytest

import crmresolve
from crmresolve.infer import NoIdentityFieldError, header_role, infer_roles, roles_from_headers
from crmresolve.io import read_csv
from crmresolve.table import Table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contacts.csv"

HEADERS = {
    # Salesforce
    "FirstName": "given_name",
    "LastName": "surname",
    "Email": "email",
    "Phone": "phone",
    "MobilePhone": "phone",
    "MailingStreet": "street",
    "MailingCity": "city",
    "MailingPostalCode": "postcode",
    "MailingCountry": "country",
    "Birthdate": "dob",
    "Account.Name": "company",
    "LastModifiedDate": "updated_at",
    "LeadSource": "source",
    # HubSpot
    "First Name": "given_name",
    "Phone Number": "phone",
    "Company Name": "company",
    "Street Address": "street",
    "Postal Code": "postcode",
    "Last Modified Date": "updated_at",
    "Record ID": "id",
    # Dynamics 365
    "firstname": "given_name",
    "lastname": "surname",
    "emailaddress1": "email",
    "telephone1": "phone",
    "mobilephone": "phone",
    "address1_line1": "street",
    "address1_city": "city",
    "address1_postalcode": "postcode",
    "address1_country": "country",
    "birthdate": "dob",
    "parentcustomerid": "company",
    "modifiedon": "updated_at",
    "contactid": "id",
    # Zoho
    "Last Name": "surname",
    "Mobile": "phone",
    "Mailing Street": "street",
    "Mailing Zip": "postcode",
    "Account Name": "company",
    "Modified Time": "updated_at",
    # Pipedrive
    "Person - Name": "full_name",
    "Person - Email": "email",
    "Person - Phone": "phone",
    "Organization - Name": "company",
    # Mailchimp
    "Email Address": "email",
    "Address": "street",
    "LAST_CHANGED": "updated_at",
    # code styles
    "first_name": "given_name",
    "lastName": "surname",
    "emailAddress": "email",
    "postalCode": "postcode",
    "dateOfBirth": "dob",
    "date_of_birth": "dob",
    "record_id": "id",
    # other languages
    "E-Mail": "email",
    "Telefon": "phone",
    "Nom": "surname",
    "Prénom": "given_name",
    "Apellido": "surname",
    "Código postal": "postcode",
    "Straße": "street",
    "PLZ": "postcode",
    "Ort": "city",
    "Geburtsdatum": "dob",
    "Firma": "company",
    "Vorname": "given_name",
    "Nachname": "surname",
    "Courriel": "email",
    "Teléfono": "phone",
}


@pytest.mark.parametrize(("header", "role"), sorted(HEADERS.items()))
def test_header_roles(header: str, role: str) -> None:
    found = header_role(header)
    assert found is not None and found[0] == role
    assert 0.5 < found[1] <= 1.0


def test_unknown_headers() -> None:
    assert header_role("col7") is None
    assert header_role("Favourite colour") is None
    assert roles_from_headers(["Id", "col1", "Email"]) == {"email": ["Email"]}


def _example_columns() -> tuple[list[str], dict[str, list[str | None]]]:
    t = read_csv(EXAMPLE)
    return t.column_names, {n: t.columns[n].tolist() for n in t.column_names}


def test_content_only_meaningless_headers() -> None:
    names, cols = _example_columns()
    renamed = {f"col{i + 1}": cols[n] for i, n in enumerate(names)}
    inf = infer_roles(Table.from_columns(renamed))
    got = {g.column: g.role for g in inf.guesses}
    want = {
        "col2": "given_name",
        "col3": "surname",
        "col4": "email",
        "col5": "phone",
        "col6": "company",
        "col7": "street",
        "col8": "city",
        "col9": "postcode",
        "col10": "country",
        "col11": "dob",
        "col12": "updated_at",
    }
    assert got == want
    assert all(g.how == "content" and 0 < g.confidence <= 1 for g in inf.guesses)
    assert inf.id_column == "col1" and inf.id_how == "content"
    assert "col13" in inf.ignored  # the source system: a category, not identity
    text = str(inf)
    assert "col4" in text and "email" in text and "(content)" in text


def test_header_contradicted_by_content_falls_back() -> None:
    t = Table.from_columns(
        {
            "Email": ["+1 415 555 0100", "+1 415 555 0101", "+1 415 555 0102"],
            "Name": ["Acme GmbH", "Globex Corporation", "Initech LLC"],
        }
    )
    got = {g.column: (g.role, g.how) for g in infer_roles(t).guesses}
    assert got["Email"] == ("phone", "content")
    assert got["Name"][0] == "company"  # "Name" holding organisations


def test_person_name_column_stays_full_name() -> None:
    t = Table.from_columns({"Name": ["Robert Smith", "Ann Lee", "Maria Garcia", "Hans Müller"]})
    assert infer_roles(t).field_map() == {"full_name": ["Name"]}


def test_list_columns_are_items() -> None:
    names = ["Hiroyuki Mizuno", "Kiyoo Itoh", "Yu-Yen Chen", "Kuo-Hsien Lu", "Ann Lee"]
    t = Table.from_columns(
        {
            "Inventor": [names[i % 5] for i in range(40)],
            "Coinventors": [f"{names[i % 5]}; {names[(i + 1) % 5]}" for i in range(40)],
            "Classes": ["G05F**G11C" if i % 3 else "G06F" for i in range(40)],
            # Titles that sometimes hold a semicolon are text, not lists: no shared items.
            "Title": [f"Method {i}; apparatus {i}" if i % 2 else f"Device {i}" for i in range(40)],
        }
    )
    fmap = infer_roles(t).field_map()
    assert fmap["items"] == ["Coinventors", "Classes"]
    assert "Title" not in fmap.get("items", [])


def test_no_identity_field_message() -> None:
    t = Table.from_columns({"a": ["1", "2", "1"], "b": ["x", "y", "x"]})
    with pytest.raises(NoIdentityFieldError, match="--field ROLE=COLUMN"):
        infer_roles(t).field_map(require_identity=True)


def test_excluded_columns_are_never_mapped() -> None:
    t = Table.from_columns({"Email": ["a@b.org"], "Phone": ["+1 415 555 0100"]})
    assert infer_roles(t, exclude=["Email"]).field_map() == {"phone": ["Phone"]}


def test_vendor_export_end_to_end() -> None:
    names, cols = _example_columns()
    dynamics = dict(
        zip(
            names,
            [
                "contactid",
                "firstname",
                "lastname",
                "emailaddress1",
                "telephone1",
                "parentcustomerid",
                "address1_line1",
                "address1_city",
                "address1_postalcode",
                "address1_country",
                "birthdate",
                "modifiedon",
                "leadsourcecode",
            ],
            strict=True,
        )
    )
    records = [{dynamics[n]: cols[n][i] for n in names} for i in range(len(cols[names[0]]))]
    res = crmresolve.dedupe(records)  # roles and ids inferred
    assert res.table.ids[0] == cols["record_id"][0]
    assert res.fields["email"] == ["emailaddress1"]
    assert res.n_records == len(records) and res.n_clusters < res.n_records


# ------------------------------------------------------------------------------ Python API


def test_public_api_exports() -> None:
    for name in ("dedupe", "link", "Resolver", "Resolution", "profile", "Profile", "read_csv",
                 "write_csv", "load_table", "CsvFormatError", "Table", "infer_roles",
                 "ResolverConfig", "evaluate"):  # fmt: skip
        assert hasattr(crmresolve, name), name
    assert callable(crmresolve.profile)
    assert hasattr(crmresolve.evaluate, "pairwise_metrics")


@pytest.fixture(scope="module")
def from_path() -> crmresolve.Resolution:
    return crmresolve.dedupe(str(EXAMPLE))


def test_dedupe_inputs_and_frames(from_path: crmresolve.Resolution) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    from_frame = crmresolve.dedupe(frame)
    assert from_path.cluster_of.tolist() == from_frame.cluster_of.tolist()
    df = from_path.to_pandas()
    assert list(df.columns) == [*frame.columns, "cluster_id", "cluster_confidence"]
    assert len(df) == len(frame)
    pairs = from_path.pairs_frame(threshold=0.9)
    assert (pairs["match_probability"] >= 0.9).all()
    assert {"left_id", "right_id", "match_weight", "email_level"} <= set(pairs.columns)
    golden = from_path.golden_frame()
    assert len(golden) == from_path.n_clusters and "member_ids" in golden.columns
    assert from_path.golden is not None and len(from_path.golden.to_pandas()) == len(golden)
    prof = from_path.profile()
    assert prof is from_path.profile() and prof.n_records == len(frame)
    summary = from_path.summary()
    assert "records: 400" in summary and "largest clusters" in summary
    a, b = pairs["left_id"].iloc[0], pairs["right_id"].iloc[0]
    assert from_path.explain(a, b) is not None


def test_progress_callback_and_silence(capsys: pytest.CaptureFixture[str]) -> None:
    events: list[tuple[str, str]] = []
    records = [
        {"id": "1", "name": "Bob Smith", "email": "bob@acme-corp.com"},
        {"id": "2", "name": "Robert Smith", "email": "bob@acme-corp.com"},
        {"id": "3", "name": "Alice Jones", "email": "alice@jones-family.net"},
    ]
    crmresolve.dedupe(records, progress=lambda phase, event, s: events.append((phase, event)))
    phases = [p for p, e in events if e == "done"]
    for phase in ("features", "blocking", "comparing", "training", "clustering", "golden"):
        assert phase in phases
    crmresolve.dedupe(records)
    assert capsys.readouterr().err == ""  # silent unless asked
    crmresolve.dedupe(records, progress=True)
    assert "clustering" in capsys.readouterr().err


def test_rows_without_pandas(from_path: crmresolve.Resolution) -> None:
    # Tabular outputs exist without pandas too (rows for write_csv).
    res = from_path
    header, rows = res.records_rows()
    assert len(rows) == res.n_records and header[-2:] == ["cluster_id", "cluster_confidence"]
