"""Reading and writing CRM exports: CSV with clear errors, formula-safe output, pandas interop.

Reading (:func:`read_csv`) is built for real exports rather than clean test files:

* **Encoding.** With ``encoding=None`` (the default) a UTF-8 byte-order mark selects UTF-8 and a
  UTF-16 mark selects UTF-16. Otherwise the file is decoded as UTF-8 when all of it is valid
  UTF-8, and as Windows-1252 when it is not (the Excel-on-Windows default; the five bytes
  Windows-1252 leaves undefined decode to the matching C1 code points, as in the WHATWG
  encoding standard, so this fallback never fails). The fallback emits a :class:`CsvWarning`
  naming the line and byte offset of the first byte that is not UTF-8. With an explicit
  ``encoding`` decoding is strict: invalid bytes raise :class:`CsvFormatError` naming the line and
  byte offset.
* **Delimiter.** ``, ; TAB |`` are sniffed from the first 64 KiB unless ``delimiter`` is given.
* **Quoting.** RFC 4180 double quotes; quoted fields may contain delimiters and newlines.
  Text after a closing quote (``"a"b``) and an unterminated quote are errors, because a
  stray quote otherwise silently swallows the rest of the file into one cell.
* **Ids.** With ``id_column`` that column (stripped) gives the record ids, which must be
  present and unique. Without it the id is the *line number where the record starts* (the
  header is line 1, so the first record is ``"2"``): it is what a text editor shows and, unless
  a quoted field spans lines, the spreadsheet row number, so a user can find the record.
* **Cells.** Values are kept as written; empty and whitespace-only cells become ``None``.
  Header names are stripped and must be non-empty and unique. Blank lines are skipped.
* **Bad rows.** A row with too many or too few fields raises :class:`CsvFormatError` naming
  the line (``on_bad_lines="error"``, the default). With ``on_bad_lines="skip"`` such rows are
  dropped, and never silently: :func:`read_csv` warns with their count and first line numbers,
  and :func:`read_csv_detailed` returns them.

Errors never contain cell values (they may be personal data): only the file, line numbers,
byte offsets, column names and record ids.

Writing (:func:`write_csv`) guards against spreadsheet formula injection (see
:func:`neutralize_formula` for the exact rule).

>>> import io as _io
>>> buf = _io.StringIO()
>>> write_csv(buf, ["id", "note"], [["1", "=HYPERLINK(0)"], ["2", "-12.5"]])
>>> buf.getvalue().splitlines()
['id,note', "1,'=HYPERLINK(0)", '2,-12.5']
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np

from crmresolve.table import ObjArray, Table, clean_cell

if TYPE_CHECKING:  # pandas is an optional extra: imported lazily inside the functions
    import pandas as pd

__all__ = [
    "CsvFormatError",
    "CsvReadResult",
    "CsvWarning",
    "load_table",
    "neutralize_formula",
    "read_csv",
    "read_csv_detailed",
    "table_from_pandas",
    "to_pandas",
    "write_csv",
]

PathLike = str | os.PathLike[str]
OnBadLines = Literal["error", "skip"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_CHUNK_BYTES = 1 << 20
_ROWS_PER_BATCH = 50_000
_FALLBACK_ENCODING = "cp1252"
_C1_ERRORS = "crmresolve.c1"


def _c1_handler(err: UnicodeError) -> tuple[str, int]:
    # Windows-1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; browsers (WHATWG) decode them to the
    # C1 control with the same number, which is exactly what Latin-1 does.
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error(_C1_ERRORS, _c1_handler)


class CsvFormatError(ValueError):
    """A CSV file cannot be read as a table; ``path`` and ``line`` (1-based) say where.

    ``line`` is ``None`` when the problem is not tied to one line (e.g. a missing id column).
    The message names the file and line but never quotes cell values.

    >>> err = CsvFormatError("row has 3 fields, expected 2", path="x.csv", line=7)
    >>> str(err), err.line
    ('x.csv: line 7: row has 3 fields, expected 2', 7)
    """

    def __init__(self, message: str, *, path: PathLike | None = None, line: int | None = None):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.reason = message
        where = ": ".join(
            part
            for part in (self.path, None if line is None else f"line {line}")
            if part is not None
        )
        super().__init__(f"{where}: {message}" if where else message)


class CsvWarning(UserWarning):
    """Something was read in a way the user should know about (encoding fallback, skipped rows)."""


@dataclass(frozen=True)
class CsvReadResult:
    """What :func:`read_csv_detailed` read and how.

    ``skipped_lines`` are the start lines of rows dropped by ``on_bad_lines="skip"``.
    """

    table: Table
    encoding: str
    delimiter: str
    skipped_lines: tuple[int, ...] = ()


# --------------------------------------------------------------------------------------------
# reading


def read_csv(
    path: PathLike,
    *,
    id_column: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    on_bad_lines: OnBadLines = "error",
) -> Table:
    """Read a CSV export into a :class:`~crmresolve.table.Table` (see the module doc for rules).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfName;Email\\r\\nBob;\\r\\n")
    >>> t = read_csv(p)
    >>> t.ids.tolist(), t.columns["Name"].tolist(), t.columns["Email"].tolist()
    (['2'], ['Bob'], [None])
    """
    result = read_csv_detailed(
        path,
        id_column=id_column,
        encoding=encoding,
        delimiter=delimiter,
        on_bad_lines=on_bad_lines,
    )
    if result.skipped_lines:
        shown = ", ".join(str(n) for n in result.skipped_lines[:10])
        more = ", ..." if len(result.skipped_lines) > 10 else ""
        warnings.warn(
            f"{os.fspath(path)}: skipped {len(result.skipped_lines)} malformed row(s) "
            f"starting at line(s) {shown}{more}",
            CsvWarning,
            stacklevel=2,
        )
    return result.table


def read_csv_detailed(
    path: PathLike,
    *,
    id_column: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    on_bad_lines: OnBadLines = "error",
) -> CsvReadResult:
    """Like :func:`read_csv` but also return the encoding, delimiter and skipped lines.

    Skipped rows are reported in the result instead of a warning.
    """
    if on_bad_lines not in ("error", "skip"):
        raise ValueError(f"on_bad_lines must be 'error' or 'skip', not {on_bad_lines!r}")
    if delimiter is not None and len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, not {delimiter!r}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory, not a CSV file")

    chosen, errors = _choose_encoding(path, encoding)
    with open(path, encoding=chosen, errors=errors, newline="") as fh:
        try:
            sample = fh.read(_SNIFF_CHARS)
            if delimiter is None:
                delimiter = _sniff_delimiter(sample)
            fh.seek(0)
            return _parse(fh, path, chosen, delimiter, id_column, on_bad_lines)
        except UnicodeDecodeError:
            where = _first_invalid_byte(path, chosen)
            line, offset = where if where is not None else (None, "?")
            raise CsvFormatError(
                f"bytes at offset {offset} are not valid {chosen}; pass the file's encoding "
                "(e.g. encoding='cp1252') or encoding=None to auto-detect",
                path=path,
                line=line,
            ) from None


def _choose_encoding(path: str, encoding: str | None) -> tuple[str, str]:
    """(codec, error handler) for ``open``; auto-detection as described in the module doc."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        # An explicit utf-8 still drops a BOM: the BOM is never part of the first header.
        return ("utf-8-sig" if name == "utf-8" else encoding), "strict"
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "strict"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    bad = _first_invalid_byte(path, "utf-8")
    if bad is None:
        return "utf-8", "strict"
    line, offset = bad
    warnings.warn(
        f"{path}: not valid UTF-8 (line {line}, byte offset {offset}); "
        "decoded as Windows-1252. Pass encoding=... to choose another.",
        CsvWarning,
        stacklevel=4,
    )
    return _FALLBACK_ENCODING, _C1_ERRORS


def _first_invalid_byte(path: str, encoding: str) -> tuple[int, int] | None:
    """(1-based physical line, 0-based file byte offset) of the first undecodable byte, or None.

    Streams the file so validating a multi-GB export does not load it into memory. Line
    numbers count b"\\n" (right for ASCII-compatible encodings, approximate for UTF-16).
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    consumed = 0  # bytes fully accepted by the decoder before the current chunk
    newlines = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK_BYTES)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # exc.start is relative to the decoder's buffered bytes + this chunk.
                pending = len(exc.object) - len(chunk)
                offset = consumed - pending + exc.start
                newlines += chunk[: max(exc.start - pending, 0)].count(b"\n")
                return newlines + 1, offset
            if final:
                return None
            consumed += len(chunk)
            newlines += chunk.count(b"\n")


def _sniff_delimiter(sample: str) -> str:
    """Pick the candidate that splits the header into most fields *consistently*.

    A candidate scores (share of sample rows with the header's field count, field count).
    The last sample line may be cut off, so it is ignored unless the sample is the whole file.
    Ties go to the earlier of ``, ; TAB |``; a one-column file gives ``,``.
    """
    lines = sample.splitlines(keepends=True)
    if len(sample) >= _SNIFF_CHARS and len(lines) > 1:
        lines = lines[:-1]
    text = "".join(lines)
    best, best_score = ",", (0.0, 1)
    for cand in _DELIMITERS:
        rows: list[list[str]] = []
        reader = csv.reader(text.splitlines(keepends=True), delimiter=cand)
        # A quote problem later in the sample: judge by the rows read so far.
        with contextlib.suppress(csv.Error):
            rows.extend(row for row in reader if row)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score = cand, score
    return best


def _parse(
    fh: IO[str],
    path: str,
    encoding: str,
    delimiter: str,
    id_column: str | None,
    on_bad_lines: OnBadLines,
) -> CsvReadResult:
    reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    header: list[str] | None = None
    start = 1
    while header is None:
        try:
            row = next(reader)
        except StopIteration:
            raise CsvFormatError("file is empty: no header line", path=path, line=1) from None
        except csv.Error as exc:
            raise CsvFormatError(
                f"header is not valid CSV ({exc})", path=path, line=start
            ) from None
        if _is_blank(row):
            start = reader.line_num + 1
            continue
        header = [name.strip() for name in row]
    header_line = start
    _check_header(header, path, header_line)
    width = len(header)

    parts: list[list[ObjArray]] = [[] for _ in header]
    lines: list[int] = []
    skipped: list[int] = []
    batch: list[list[str]] = []

    def flush() -> None:
        for part, values in zip(parts, zip(*batch, strict=True), strict=True):
            part.append(_clean_column(values))
        batch.clear()

    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if on_bad_lines == "skip":
                skipped.append(start)
                continue
            raise CsvFormatError(_quote_problem(exc), path=path, line=start) from None
        if len(row) != width:
            if _is_blank(row):
                continue
            if on_bad_lines == "skip":
                skipped.append(start)
                continue
            end = reader.line_num
            span = f" (record ends on line {end})" if end != start else ""
            raise CsvFormatError(
                f"row has {len(row)} fields, expected {width} like the header{span}; "
                "check for an unquoted delimiter or a missing field, or pass "
                "on_bad_lines='skip'",
                path=path,
                line=start,
            )
        batch.append(row)
        lines.append(start)
        if len(batch) >= _ROWS_PER_BATCH:
            flush()
    if batch:
        flush()

    empty = np.empty(0, dtype=object)
    columns = [np.concatenate(p) if len(p) > 1 else (p[0] if p else empty) for p in parts]
    cols = dict(zip(header, columns, strict=True))
    if id_column is None:
        ids = _obj_array([str(n) for n in lines])
    else:
        ids = _ids_from_column(cols, id_column, lines, path)
    return CsvReadResult(Table(ids, cols), encoding, delimiter, tuple(skipped))


def _is_blank(row: list[str]) -> bool:
    return len(row) <= 1 and (not row or not row[0].strip())


def _quote_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return (
            "a quoted field is never closed: the quote opened in this record runs to the "
            "end of the file"
        )
    if "expected after" in text:
        return f"text after a closing quote ({text}); quotes inside a quoted field must be doubled"
    return f"not valid CSV ({text})"


def _check_header(header: list[str], path: str, line: int) -> None:
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        if not name:
            hint = " (a delimiter at the end of the header line?)" if pos == len(header) else ""
            raise CsvFormatError(
                f"column {pos} of the header has an empty name{hint}; every column needs a name",
                path=path,
                line=line,
            )
        if name in seen:
            raise CsvFormatError(
                f"duplicate column name {name!r} (columns {seen[name]} and {pos})",
                path=path,
                line=line,
            )
        seen[name] = pos


def _ids_from_column(
    cols: dict[str, ObjArray], id_column: str, lines: list[int], path: str
) -> ObjArray:
    if id_column not in cols:
        raise CsvFormatError(
            f"id column {id_column!r} not found; columns: {', '.join(cols)}", path=path
        )
    ids = [None if v is None else v.strip() for v in cols[id_column].tolist()]
    if None not in ids and "" not in ids and len(set(ids)) == len(ids):
        return _obj_array(ids)
    # Slow path, only to name the first offending line.
    first_line: dict[str, int] = {}
    for i, rid in enumerate(ids):
        if not rid:
            raise CsvFormatError(
                f"empty record id in column {id_column!r}", path=path, line=lines[i]
            )
        if rid in first_line:
            raise CsvFormatError(
                f"duplicate record id {rid!r} in column {id_column!r} "
                f"(first on line {first_line[rid]}); ids must be unique",
                path=path,
                line=lines[i],
            )
        first_line[rid] = lines[i]
    raise AssertionError("unreachable: ids were found invalid but no offending id")


def _obj_array(values: Sequence[Any]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _clean_column(values: Sequence[str]) -> ObjArray:
    """Cells as an object array, empty and whitespace-only cells as ``None``.

    Same rule as :func:`crmresolve.table.clean_cell`. Whitespace-only cells are rare, so one
    C-level scan decides whether the cheap ``v or None`` pass is enough.
    """
    if any(map(str.isspace, values)):
        return _obj_array([v if v and not v.isspace() else None for v in values])
    return _obj_array([v or None for v in values])


# --------------------------------------------------------------------------------------------
# writing

# Plain numbers and phone numbers: an optional sign, then only digits, spaces and ( ) . - /,
# with at least one digit. Without letters, quotes, "!", "|", ":" or "@" such a cell cannot
# call a function, reference a cell or a workbook, or start DDE: a spreadsheet can at most
# compute arithmetic on the digits. Leaving them alone keeps "-12.5" and "+1 (415) 555-0100"
# intact, which prefixing would corrupt for every downstream program reading the CSV.
_HARMLESS = re.compile(r"[+-]?(?=[^0-9]*[0-9])[0-9(.][0-9 ().\-/]*\Z")
_TRIGGERS = ("=", "+", "-", "@")
_ALWAYS = ("\t", "\r")
# First characters that make a cell worth a closer look (whitespace is checked separately).
_SUSPECT_FIRST = frozenset("=+-@\t\r")


def neutralize_formula(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (OWASP CSV injection).

    Rule: a cell gets a leading ``'`` when it starts with TAB or CR, or when, after leading
    whitespace, it starts with ``=``, ``+``, ``-`` or ``@`` — **except** when the whole cell is a
    plain number or phone number (optional sign; only digits, spaces and ``( ) . - /``; at least
    one digit). OWASP recommends prefixing every such cell; the exception is the deliberate
    tradeoff that keeps negative numbers and international phones usable. Such cells cannot
    hold a function call, cell reference or DDE payload (those need letters or ``! | : " @``).
    Whitespace-only cells are left alone. The rule is idempotent: a prefixed cell starts with
    ``'`` and is left alone.

    >>> neutralize_formula("=1+1"), neutralize_formula("  @SUM(A1)"), neutralize_formula("-2+3")
    ("'=1+1", "'  @SUM(A1)", "'-2+3")
    >>> neutralize_formula("-12.5"), neutralize_formula("+44 (0)20 7946 0018")
    ('-12.5', '+44 (0)20 7946 0018')
    """
    if not value or value.isspace():
        return value  # nothing to evaluate; prefixing would turn a blank cell into a value
    if value.startswith(_ALWAYS):
        return "'" + value
    # Leading whitespace does not stop a spreadsheet from evaluating what follows it.
    if value.lstrip().startswith(_TRIGGERS) and not _HARMLESS.match(value):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return clean_cell(value) or ""


def write_csv(
    path_or_file: PathLike | IO[str],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
    escape_formulas: bool = True,
    bom: bool = False,
) -> None:
    """Write UTF-8 CSV (CRLF line ends, minimal quoting) that is safe to open in a spreadsheet.

    Every cell, header included, goes through :func:`neutralize_formula` unless
    ``escape_formulas=False`` (for files only programs read). ``None`` and NaN are written as
    empty cells; other non-strings via ``str``. ``bom=True`` adds a UTF-8 BOM so Excel detects
    the encoding. A file object must be opened with ``newline=""``. Rows are streamed.

    Reading the file back with :func:`read_csv` gives the same text, except that escaped cells
    keep their ``'`` and empty or whitespace-only cells come back as ``None``.
    """
    width = len(header)
    suspect = _SUSPECT_FIRST

    def cells(row: Sequence[Any]) -> list[str]:
        out = [v if type(v) is str else _cell(v) for v in row]
        if escape_formulas:
            # Only cells whose first character could start a formula pay for the full check.
            out = [
                neutralize_formula(v) if v and (v[0] in suspect or v[0].isspace()) else v
                for v in out
            ]
        return out

    def write_all(fh: IO[str]) -> None:
        if bom:
            fh.write("\ufeff")
        # CRLF (RFC 4180) rather than "\n": the writer quotes only fields containing characters
        # of the line terminator, and a bare "\r" left unquoted would end the row on reading.
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(cells(header))
        for i, row in enumerate(rows):
            if len(row) != width:
                raise ValueError(f"row {i} has {len(row)} values, the header has {width}")
            writer.writerow(cells(row))

    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", encoding="utf-8", newline="") as fh:
            write_all(fh)
    else:
        write_all(path_or_file)


# --------------------------------------------------------------------------------------------
# pandas interop and loading


def table_from_pandas(df: pd.DataFrame, id_column: str | None = None) -> Table:
    """A :class:`Table` from a DataFrame; every cell goes through :func:`table.clean_cell`.

    Ids come from ``id_column`` when given, else from the index (a default ``RangeIndex`` gives
    ``"0", "1", ...``, as :meth:`Table.from_columns` does). Ids must be present and unique.

    >>> import pandas as pd
    >>> t = table_from_pandas(pd.DataFrame({"id": [7, 8], "x": ["a", None]}), id_column="id")
    >>> t.ids.tolist(), t.columns["x"].tolist()
    (['7', '8'], ['a', None])
    """
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate column names: {', '.join(dup)}")
    cols = {
        name: _obj_array([clean_cell(v) for v in df.iloc[:, i].tolist()])
        for i, name in enumerate(names)
    }
    if id_column is not None:
        if id_column not in cols:
            raise KeyError(f"id column {id_column!r} not found; columns: {', '.join(names)}")
        raw_ids: list[Any] = cols[id_column].tolist()
    else:
        raw_ids = df.index.tolist()
    return Table(_ids(raw_ids), cols)


def _ids(raw: Sequence[Any]) -> ObjArray:
    """Validated string ids (present, unique), with Table's own rules and messages."""
    return Table.from_columns({}, ids=raw).ids


def to_pandas(data: Table | Mapping[str, Any]) -> pd.DataFrame:
    """A DataFrame from a :class:`Table` (index = record ids) or a column mapping.

    >>> to_pandas({"a": ["x", None]}).shape
    (2, 1)
    """
    import pandas as pd

    if isinstance(data, Table):
        index = pd.Index(data.ids.tolist(), dtype=object, name="record_id")
        return pd.DataFrame(
            {name: pd.Series(col, index=index, dtype=object) for name, col in data.columns.items()},
            index=index,
        )
    # Object columns stay object so that missing values stay None (pandas 3 would otherwise
    # infer a string dtype and turn None into NaN).
    return pd.DataFrame(
        {
            name: pd.Series(col, dtype=object)
            if np.asarray(col).dtype == object
            else pd.Series(col)
            for name, col in data.items()
        }
    )


def load_table(data: Any, id_column: str | None = None) -> Table:
    """Accept what users have: a Table, CSV path, pandas DataFrame, records or columns.

    * :class:`Table` — returned as is, or re-keyed by ``id_column`` when given;
    * ``str`` / :class:`~pathlib.Path` — :func:`read_csv`;
    * pandas ``DataFrame`` — :func:`table_from_pandas`;
    * a sequence of dicts — :meth:`Table.from_records` (ids ``"0", "1", ...`` by default);
    * a mapping of column name to values — :meth:`Table.from_columns`.

    >>> load_table([{"id": "a", "name": "Bob"}], id_column="id").ids.tolist()
    ['a']
    """
    if isinstance(data, Table):
        if id_column is None:
            return data
        if id_column not in data.columns:
            raise KeyError(f"id column {id_column!r} not found; columns: {data.column_names}")
        return Table(_ids(data.columns[id_column].tolist()), data.columns)
    if isinstance(data, (str, os.PathLike)):
        return read_csv(Path(data), id_column=id_column)
    if _is_dataframe(data):
        return table_from_pandas(data, id_column=id_column)
    if isinstance(data, Mapping):
        if id_column is None:
            return Table.from_columns(data)
        if id_column not in data:
            raise KeyError(f"id column {id_column!r} not found; columns: {sorted(data)}")
        return Table.from_columns(data, ids=list(data[id_column]))
    if isinstance(data, (list, tuple, Iterator)):
        records = list(data)
        if records and not all(isinstance(r, Mapping) for r in records):
            raise TypeError("a list given to load_table must hold dicts (one per record)")
        return Table.from_records(records, id_column=id_column)
    raise TypeError(
        "expected a Table, a CSV path, a pandas DataFrame, a list of dicts or a column mapping, "
        f"not {type(data).__name__}"
    )


def _is_dataframe(obj: Any) -> bool:
    # Checked by name so that pandas is only imported when the caller already uses it.
    cls = type(obj)
    return cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] == "pandas"
