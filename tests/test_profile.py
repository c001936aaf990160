"""crmresolve.profile on a small table and on the shared benchmark datasets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crmresolve.profile import Profile, _infer_fields, profile, value_shape
from crmresolve.roles import FieldSpecError

DATASETS = Path(__file__).parents[1] / ".." / "shared" / "datasets"
NOW = dt.date(2025, 6, 30)

RECORDS = [
    {
        "id": "a1",
        "First Name": "Robert",
        "Last Name": "Smith",
        "Email": "Rob.Smith@gmail.com",
        "Phone": "+1 (415) 555-0100",
        "DOB": "1984-03-12",
        "Country": "US",
        "Last Modified": "2025-06-20 10:00:00",
    },
    {
        "id": "a2",
        "First Name": "ROBERT",
        "Last Name": "Smith",
        "Email": "robsmith@gmail.com",
        "Phone": "415.555.0100",
        "DOB": "03/12/1984",
        "Country": "US",
        "Last Modified": "2024-01-02",
    },
    {
        "id": "a3",
        "First Name": "Ann",
        "Last Name": "",
        "Email": "not an email",
        "Phone": "12",
        "DOB": "1984-02-30",
        "Country": "",
        "Last Modified": "2019-05-05T08:00:00Z",
    },
    {
        "id": "a4",
        "First Name": "",
        "Last Name": "Jones",
        "Email": "",
        "Phone": "",
        "DOB": "",
        "Country": "GB",
        "Last Modified": "garbage",
    },
]


@pytest.fixture(scope="module")
def small() -> Profile:
    return profile(RECORDS, id_column="id", now=NOW)


def test_fields_are_inferred_from_headers(small: Profile) -> None:
    p = small
    assert p.fields_inferred
    assert p.fields == {
        "given_name": ["First Name"],
        "surname": ["Last Name"],
        "email": ["Email"],
        "phone": ["Phone"],
        "country": ["Country"],
        "dob": ["DOB"],
        "updated_at": ["Last Modified"],
    }


def test_completeness_validity_and_reasons(small: Profile) -> None:
    email = small.column("Email")
    assert (email.n_present, email.n_valid) == (3, 2)
    assert email.completeness == 0.75
    assert email.validity == pytest.approx(2 / 3)
    assert email.reasons == {"email.free_mail": 2, "email.syntax": 1}
    dob = small.column("DOB")
    assert dob.reasons["date.impossible"] == 1
    phone = small.column("Phone")
    assert phone.n_valid == 2
    ident = small.column("id")
    assert ident.role is None and ident.n_valid is None and ident.validity is None


def test_shapes_hide_values(small: Profile) -> None:
    first = small.column("First Name")
    assert dict(first.top_shapes) == {"Aa": 2, "A": 1}
    assert first.n_shapes == 2
    assert value_shape("+44 (0)20 7946 0018") == "+9 (9)9 9 9"
    assert value_shape("Zoë-Ann  O'Neil") == "Aa-Aa A'Aa"
    assert value_shape("a1" * 50).endswith("…")


def test_duplicates_exact_and_normalized(small: Profile) -> None:
    p = small
    email = p.duplicate("email")
    assert (email.exact_groups, email.normalized_groups, email.normalized_records) == (0, 1, 2)
    phone = p.duplicate("phone")
    assert (phone.exact_records, phone.normalized_records) == (0, 2)
    name_dob = p.duplicate("name+dob")
    assert name_dob.columns == ["First Name", "Last Name", "DOB"]
    assert (name_dob.exact_records, name_dob.normalized_records) == (0, 2)


def test_freshness(small: Profile) -> None:
    f = small.freshness
    assert f is not None
    assert f.column == "Last Modified"
    assert (f.n_parsed, f.n_unparsed, f.n_future) == (3, 1, 0)
    assert f.min_days == 10
    assert f.buckets == {"<30d": 1, "30d-1y": 0, "1y-3y": 1, ">=3y": 1}


def test_worst_records_carry_ids_and_codes_only(small: Profile) -> None:
    worst = small.worst_records
    assert worst[0].record_id in {"a3", "a4"}
    assert worst[0].n_problems >= 4
    codes = {c for w in worst for c in w.reasons}
    assert "email.free_mail" not in codes  # informational, not a problem
    assert {"email.syntax", "surname.missing", "date.impossible"} <= codes


def test_outputs_contain_no_values(small: Profile) -> None:
    text = small.to_text()
    blob = json.dumps(small.to_dict())
    html = small._repr_html_()
    for out in (text, blob, html):
        for secret in ("Robert", "Smith", "gmail", "555", "1984", "Jones"):
            assert secret not in out
    assert "Email" in text and "a3" in text


def test_to_dict_is_json(small: Profile) -> None:
    d = json.loads(json.dumps(small.to_dict()))
    assert d["n_records"] == 4
    assert d["columns"][3]["column"] == "Email"
    assert d["freshness"]["now"] == "2025-06-30"


def test_html_escapes_everything() -> None:
    p = profile([{"<b>Email</b>": "x@y.org"}], fields={"email": ["<b>Email</b>"]}, now=NOW)
    out = p._repr_html_()
    assert "<b>Email" not in out and "&lt;b&gt;Email&lt;/b&gt;" in out


def test_explicit_fields_and_errors() -> None:
    p = profile(RECORDS, fields={"email": "Email"}, updated_at="Last Modified", now=NOW)
    assert p.fields == {"email": ["Email"], "updated_at": ["Last Modified"]}
    assert not p.fields_inferred
    assert p.column("Phone").role is None
    with pytest.raises(FieldSpecError, match="unknown role"):
        profile(RECORDS, fields={"mail": ["Email"]})
    with pytest.raises(FieldSpecError, match="not in the input"):
        profile(RECORDS, fields={"email": ["E-mail"]})
    with pytest.raises(FieldSpecError, match="updated_at column"):
        profile(RECORDS, updated_at="nope")


def test_empty_and_unrecognised_tables() -> None:
    p = profile([], now=NOW)
    assert p.n_records == 0 and p.columns == [] and p.worst_records == []
    q = profile([{"foo": "1"}, {"foo": ""}], now=NOW)
    assert q.fields == {} and q.column("foo").completeness == 0.5
    assert "none recognised" in q.to_text()
    assert q.freshness is None and q.duplicates == []


def test_infer_fields_table() -> None:
    assert _infer_fields(["Vorname", "Nachname", "PLZ", "E-Mail-Adresse", "Mobile"]) == {
        "given_name": ["Vorname"],
        "surname": ["Nachname"],
        "email": ["E-Mail-Adresse"],
        "phone": ["Mobile"],
        "postcode": ["PLZ"],
    }
    assert _infer_fields(["email", "id"], exclude=["email"]) == {}


def _dataset(name: str) -> Path:
    path = DATASETS / name / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"shared dataset {name} not available at {path.resolve()}")
    return path


def test_febrl3() -> None:
    p = profile(_dataset("febrl3"), id_column="record_id", now=NOW)
    assert p.n_records == 5000
    assert p.fields["dob"] == ["date_of_birth"]
    dob = p.column("date_of_birth")
    assert dob.completeness is not None and 0.9 < dob.completeness < 1.0
    assert dob.reasons.get("date.impossible", 0) > 0  # Febrl corrupts some dates
    assert p.duplicate("name+dob").exact_records > 1000  # febrl3 is mostly duplicates
    assert len(p.worst_records) == 10


def test_splink_fake_1000() -> None:
    p = profile(_dataset("splink_fake_1000"), id_column="record_id", now=NOW)
    assert p.n_records == 1000
    email = p.column("email")
    assert email.reasons.get("email.syntax", 0) > 0
    assert p.duplicate("email").normalized_records > 300
    assert "splink_fake_1000.csv" in p.to_text()
