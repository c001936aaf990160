"""Feature building: timestamps normalized per day give the same dates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crmresolve.features import _timestamp_day, build_features
from crmresolve.normalize import normalize_date
from crmresolve.table import Table

_two = st.integers(0, 99).map(lambda v: f"{v:02d}")
_stamps = st.builds(
    lambda y, mo, d, sep, h, mi, sec, frac, tz: f"{y:04d}-{mo}-{d}{sep}{h}:{mi}{sec}{frac}{tz}",
    st.integers(0, 9999),
    _two,
    _two,
    st.sampled_from(["T", " "]),
    _two,
    _two,
    st.one_of(st.just(""), _two.map(lambda v: ":" + v)),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["", "Z", "+02:00", "-0700", "+05"]),
)


@settings(max_examples=300, deadline=None)
@given(_stamps)
def test_a_timestamp_normalizes_like_its_day(stamp: str) -> None:
    assert normalize_date(stamp) == normalize_date(_timestamp_day(stamp))


def test_only_strict_iso_timestamps_are_cut() -> None:
    assert _timestamp_day("2025-06-22T10:26:37") == "2025-06-22"
    for other in ("22/06/2025 10:26", " 2025-06-22T10:26", "2025-06-22", None, 20250622):
        assert _timestamp_day(other) == other


def test_updated_at_feature_equals_the_per_value_dates() -> None:
    values = [
        "2025-06-22T10:26:37",
        "2025-06-22 23:59:59+02:00",
        "22/06/2025",
        "2025-02-30T10:00",
        None,
        "1970-01-01T00:00:00Z",
    ]
    t = Table.from_columns({"changed": values})
    got = build_features(t, {"updated_at": ["changed"]}, workers=1).columns["updated_at"]
    assert got.tolist() == [normalize_date(v) for v in values]


def test_phone_mobile_holds_the_first_mobile_number_only() -> None:
    t = Table.from_columns(
        {
            "name": ["Ann Lee", "Bo Lee", "Cy Lee", "Di Lee"],
            "tel": ["04 4802 2870", "02 8825 7204", "+1 415 555 0100", None],
            "mob": [None, "0412 345 678", None, None],
        }
    )
    f = build_features(t, {"full_name": ["name"], "phone": ["tel", "mob"]}, default_region="AU")
    assert f.columns["phone"].tolist() == ["+61448022870", "+61288257204", "+14155550100", None]
    # An AU landline is no mobile; a North American number cannot be told apart: not either.
    assert f.columns["phone_mobile"].tolist() == ["+61448022870", "+61412345678", None, None]


def test_email_feature_applies_provider_rules() -> None:
    t = Table.from_columns(
        {
            "name": ["Ann Lee", "Ann Lee", "Ann Lee", "Ann Lee"],
            "mail": ["Ann.Lee@gmail.com", "annlee+crm@googlemail.com", "ann.lee@web.de", None],
        }
    )
    f = build_features(t, {"full_name": ["name"], "email": ["mail"]})
    # One Gmail mailbox, however it is spelled; other providers keep their dots.
    assert f.columns["email"].tolist() == [
        "annlee@gmail.com",
        "annlee@gmail.com",
        "ann.lee@web.de",
        None,
    ]
    assert f.columns["email_local"].tolist()[:3] == ["annlee", "annlee", "ann.lee"]
