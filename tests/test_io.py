"""crmresolve.io: CSV edge cases of real exports, formula injection, pandas interop."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmresolve.io import (
    CsvFormatError,
    CsvWarning,
    load_table,
    neutralize_formula,
    read_csv,
    read_csv_detailed,
    table_from_pandas,
    to_pandas,
    write_csv,
)
from crmresolve.table import Table


def _write(tmp_path: Path, data: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------------------------- reading


def test_basic_ids_are_start_line_numbers(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, "name,email\nBob,b@x.org\n  ,\nAnn,a@x.org\n"))
    assert t.ids.tolist() == ["2", "3", "4"]
    assert t.columns["name"].tolist() == ["Bob", None, "Ann"]
    assert t.columns["name"].dtype == object


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    res = read_csv_detailed(_write(tmp_path, b"\xef\xbb\xbfId,Name\n1,Jos\xc3\xa9\n"))
    assert res.table.column_names == ["Id", "Name"]
    assert res.table.columns["Name"].tolist() == ["José"]
    assert res.encoding == "utf-8-sig"


def test_explicit_utf8_also_drops_bom(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, b"\xef\xbb\xbfId\n1\n"), encoding="utf-8")
    assert t.column_names == ["Id"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("a\tb\r\n1\tMüller\r\n".encode("utf-16"))
    res = read_csv_detailed(path)
    assert res.delimiter == "\t"
    assert res.table.columns["b"].tolist() == ["Müller"]


def test_cp1252_fallback_warns_with_line_and_offset(tmp_path: Path) -> None:
    data = "name,city\nAnn,Köln\nJosé,Zürich €\n".encode("cp1252") + b"Bad,\x81x\n"
    path = _write(tmp_path, data)
    with pytest.warns(CsvWarning, match=r"line 2, byte offset 15.*Windows-1252"):
        res = read_csv_detailed(path)
    assert res.encoding == "cp1252"
    assert res.table.columns["city"].tolist() == ["Köln", "Zürich €", "\x81x"]


def test_bad_bytes_with_explicit_encoding_name_line_and_offset(tmp_path: Path) -> None:
    path = _write(tmp_path, b"name\nok\nJos\xe9\n")
    with pytest.raises(CsvFormatError) as info:
        read_csv(path, encoding="utf-8")
    assert info.value.line == 3
    assert "offset 11" in str(info.value)
    assert str(path) in str(info.value)
    assert "Jos" not in str(info.value)  # no cell values in messages


def test_bad_bytes_deep_in_large_file_report_the_right_line(tmp_path: Path) -> None:
    # > 1 MiB so that the offset is found across the scanner's chunk boundary.
    body = b"".join(b"%d,%s\n" % (i, b"x" * 90) for i in range(20_000))
    path = _write(tmp_path, b"a,b\n" + body + b"x,\xff\n")
    with pytest.raises(CsvFormatError) as info:
        read_csv(path, encoding="utf-8")
    assert info.value.line == 20_002
    assert f"offset {len(body) + 4 + 2}" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(CsvFormatError, match="empty") as info:
        read_csv(_write(tmp_path, data))
    assert info.value.line == 1


def test_header_only_gives_zero_records(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, "id;name;email\n"), id_column="id")
    assert len(t) == 0
    assert t.column_names == ["id", "name", "email"]


def test_quoted_newlines_and_delimiters(tmp_path: Path) -> None:
    text = 'id,note,city\n1,"line one\nline two, with comma",Paris\n2,"say ""hi""",Rome\n'
    t = read_csv(_write(tmp_path, text))
    assert t.columns["note"].tolist() == ["line one\nline two, with comma", 'say "hi"']
    assert t.ids.tolist() == ["2", "4"]  # the second record starts on line 4


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_delimiter_sniffing(tmp_path: Path, sep: str) -> None:
    rows = [["id", "name", "amount"], ["1", "Smith, John", "1,5"], ["2", "Doe; Jane", "2"]]
    text = "".join(sep.join(_quote(c, sep) for c in r) + "\r\n" for r in rows)
    res = read_csv_detailed(_write(tmp_path, text))
    assert res.delimiter == sep
    assert res.table.columns["name"].tolist() == ["Smith, John", "Doe; Jane"]


def _quote(cell: str, sep: str) -> str:
    return f'"{cell}"' if any(c in cell for c in (sep, ",", ";", "|", "\t")) else cell


def test_single_column_file(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, "email\na@x.org\nb@y.org\n"))
    assert t.column_names == ["email"]
    assert len(t) == 2


def test_ragged_row_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b\n1,2\n3,4,5\n6,7\n")
    with pytest.raises(CsvFormatError) as info:
        read_csv(path)
    err = info.value
    assert err.line == 3
    assert f"{path}: line 3: row has 3 fields, expected 2" in str(err)
    assert isinstance(err, ValueError)


def test_short_row_after_multiline_record_names_start_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n1,"x\ny"\n2\n')
    with pytest.raises(CsvFormatError) as info:
        read_csv(path)
    assert info.value.line == 4
    assert "1 fields, expected 2" in str(info.value)


def test_skip_bad_lines_is_reported_never_silent(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n1,2\n3,4,5\n6\n7,"8"x\n9,10\n')
    res = read_csv_detailed(path, on_bad_lines="skip")
    assert res.skipped_lines == (3, 4, 5)
    assert res.table.ids.tolist() == ["2", "6"]
    with pytest.warns(
        CsvWarning, match=r"skipped 3 malformed row\(s\) starting at line\(s\) 3, 4, 5"
    ):
        read_csv(path, on_bad_lines="skip")


def test_unterminated_quote_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n1,2\n3,"never closed\n4,5\n')
    with pytest.raises(CsvFormatError, match="never closed") as info:
        read_csv(path)
    assert info.value.line == 3


def test_text_after_closing_quote_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="after a closing quote") as info:
        read_csv(_write(tmp_path, 'a,b\n1,"x"y\n'))
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        ("a,b,a\n", r"duplicate column name 'a' \(columns 1 and 3\)"),
        ("a,,c\n", "column 2 of the header has an empty name"),
        ("a, b ,b\n", "duplicate column name 'b'"),
        ("a,b,\n", r"column 3 of the header has an empty name \(a delimiter at the end"),
    ],
)
def test_bad_headers(tmp_path: Path, header: str, pattern: str) -> None:
    with pytest.raises(CsvFormatError, match=pattern) as info:
        read_csv(_write(tmp_path, header + "1,2,3\n"))
    assert info.value.line == 1


def test_header_names_are_stripped(tmp_path: Path) -> None:
    assert read_csv(_write(tmp_path, " id , name\n1,x\n")).column_names == ["id", "name"]


def test_id_column(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, "id,name\n a1 ,Bob\nb2,Ann\n"), id_column="id")
    assert t.ids.tolist() == ["a1", "b2"]
    assert t.columns["id"].tolist() == [" a1 ", "b2"]  # the column keeps the raw value


@pytest.mark.parametrize(
    ("text", "line", "pattern"),
    [
        ("id,n\n1,a\n1,b\n", 3, r"duplicate record id '1' in column 'id' \(first on line 2\)"),
        ("id,n\n1,a\n ,b\n", 3, "empty record id"),
        ("x,n\n1,a\n", None, "id column 'id' not found; columns: x, n"),
    ],
)
def test_id_problems(tmp_path: Path, text: str, line: int | None, pattern: str) -> None:
    with pytest.raises(CsvFormatError, match=pattern) as info:
        read_csv(_write(tmp_path, text), id_column="id")
    assert info.value.line == line


def test_blank_lines_are_skipped_and_crlf_handled(tmp_path: Path) -> None:
    t = read_csv(_write(tmp_path, "\r\na,b\r\n1,2\r\n\r\n3,4\r\n\r\n"))
    assert t.ids.tolist() == ["3", "5"]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError):
        read_csv(tmp_path)


def test_bad_arguments(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n")
    with pytest.raises(ValueError, match="on_bad_lines"):
        read_csv(path, on_bad_lines="warn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one character"):
        read_csv(path, delimiter=";;")
    with pytest.raises(ValueError, match="unknown encoding"):
        read_csv(path, encoding="no-such-codec")


def test_utf8_file_does_not_warn(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_csv(_write(tmp_path, "name\nJosé\n"))


# ---------------------------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("\t=1", "'\t=1"),
        ("\r1", "'\r1"),
        ('  =HYPERLINK("x")', '\'  =HYPERLINK("x")'),
        ("\n=1", "'\n=1"),
        ("-", "'-"),
        ("- 12", "'- 12"),
        ("+1e5", "'+1e5"),
        ("  -12", "'  -12"),
        # left alone: plain numbers and phone numbers, and everything not starting with a trigger
        ("-12.5", "-12.5"),
        ("+14155550100", "+14155550100"),
        ("+1 (415) 555-0100", "+1 (415) 555-0100"),
        ("+44 (0)20 7946 0018", "+44 (0)20 7946 0018"),
        ("-.5", "-.5"),
        ("Bob = Robert", "Bob = Robert"),
        ("a@b.org", "a@b.org"),
        ("'=1", "'=1"),
        ("", ""),
        (" \t\r", " \t\r"),
    ],
)
def test_neutralize_formula(cell: str, expected: str) -> None:
    assert neutralize_formula(cell) == expected
    assert neutralize_formula(expected) == expected  # idempotent


def test_write_csv_to_file_object_and_path(tmp_path: Path) -> None:
    buf = io.StringIO()
    write_csv(buf, ["id", "x"], [["1", None], [2, float("nan")], ["3", "=cmd"]])
    assert buf.getvalue() == "id,x\r\n1,\r\n2,\r\n3,'=cmd\r\n"
    path = tmp_path / "out.csv"
    write_csv(path, ["id", "x"], [["1", "a,b"]], bom=True)
    assert path.read_bytes() == b'\xef\xbb\xbfid,x\r\n1,"a,b"\r\n'
    assert read_csv(path).columns["x"].tolist() == ["a,b"]


def test_write_csv_opt_out_and_width_check() -> None:
    buf = io.StringIO()
    write_csv(buf, ["x"], [["=1"]], escape_formulas=False)
    assert buf.getvalue() == "x\r\n=1\r\n"
    with pytest.raises(ValueError, match="row 0 has 2 values"):
        write_csv(io.StringIO(), ["x"], [["1", "2"]])


_cells = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_characters="\ufeff")),
    st.sampled_from(["=1+1", "-12", "+1 (415) 555-0100", "@x", " \t", '"', "a,b", "x\r\ny"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_cells, min_size=3, max_size=3), max_size=8))
def test_round_trip_changes_only_the_injection_prefix(
    tmp_path: Path, rows: list[list[str | None]]
) -> None:
    path = tmp_path / "rt.csv"
    header = ["a", "=b", "c"]
    write_csv(path, header, rows)
    t = read_csv(path, delimiter=",", encoding="utf-8")
    assert t.column_names == ["a", "'=b", "c"]
    for j, name in enumerate(t.column_names):
        got = t.columns[name].tolist()
        want = [
            None if v is None or not v.strip() else neutralize_formula(v)
            for v in (row[j] for row in rows)
        ]
        assert got == want
    for row in rows:
        for v in row:
            if v:
                assert neutralize_formula(v) in (v, "'" + v)


# ---------------------------------------------------------------------------------- loading


def test_load_table_accepts_everything(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,name\nx,Bob\ny,\n")
    from_csv = load_table(path, id_column="id")
    from_str = load_table(str(path))
    from_records = load_table([{"id": "x", "name": "Bob"}, {"id": "y", "name": ""}], "id")
    from_columns = load_table({"id": ["x", "y"], "name": ["Bob", None]}, id_column="id")
    for t in (from_csv, from_records, from_columns):
        assert t.ids.tolist() == ["x", "y"]
        assert t.columns["name"].tolist() == ["Bob", None]
    assert from_str.ids.tolist() == ["2", "3"]
    assert load_table(from_csv) is from_csv
    assert load_table(from_str, id_column="id").ids.tolist() == ["x", "y"]
    assert len(load_table([])) == 0
    with pytest.raises(TypeError, match="expected a Table"):
        load_table(42)
    with pytest.raises(TypeError, match="must hold dicts"):
        load_table([["x"]])
    with pytest.raises(KeyError):
        load_table({"a": [1]}, id_column="id")


def test_pandas_round_trip() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [10, 11, 12], "name": ["Bob", None, "  "], "age": [1.0, np.nan, 3.5]})
    t = table_from_pandas(df, id_column="id")
    assert t.ids.tolist() == ["10", "11", "12"]
    assert t.columns["name"].tolist() == ["Bob", None, None]
    assert t.columns["age"].tolist() == ["1", None, "3.5"]
    assert load_table(df).ids.tolist() == ["0", "1", "2"]  # default RangeIndex
    back = to_pandas(t)
    assert back.index.tolist() == ["10", "11", "12"]
    assert back["name"].tolist() == ["Bob", None, None]
    assert to_pandas({"a": np.array(["x", None], dtype=object)})["a"].tolist() == ["x", None]
    with pytest.raises(ValueError, match="duplicate record id"):
        table_from_pandas(pd.DataFrame({"x": [1, 2]}, index=[5, 5]))


def test_table_type_is_shared() -> None:
    assert isinstance(load_table([{"a": "1"}]), Table)
