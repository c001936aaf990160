"""The crmresolve command line via main([...])."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmresolve import __version__
from crmresolve.cli import SUBCOMMANDS, main

CSV = (
    "Id,First Name,Last Name,Email,Phone,Updated\n"
    "1,Robert,Smith,rob@acme.com,+1 415 555 0100,2025-01-01\n"
    "2,Bob,Smith,ROB@acme.com,,2024-01-01\n"
    "3,Ann,,nope,12,\n"
)


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"crmresolve {__version__}"


def test_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_profile_text(contacts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(contacts), "--id", "Id"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"crmresolve profile ({contacts}): 3 records, 6 columns")
    assert "email.syntax" in out
    assert "Robert" not in out and "acme" not in out
    assert err == ""


def test_profile_json_to_file(contacts: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    fields = ["--field", "email=Email", "--field", "phone=Phone", "--updated-at", "Updated"]
    assert main(["profile", str(contacts), "--json", "--output", str(out), *fields]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["fields"] == {"email": ["Email"], "phone": ["Phone"], "updated_at": ["Updated"]}
    assert report["n_records"] == 3
    assert report["duplicates"][0]["key"] == "email"
    assert report["duplicates"][0]["normalized_records"] == 2


def test_profile_semicolon_and_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("email;name\na@b.org;x\nbad;row;here\nc@d.org;y\n", encoding="utf-8")
    assert main(["profile", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crmresolve: error: ") and "line 3" in err
    assert "Traceback" not in err
    assert main(["profile", str(path), "--on-bad-lines", "skip"]) == 0
    out, err = capsys.readouterr()
    assert "2 records" in out
    assert "skipped 1 malformed row(s) starting at line(s) 3" in err


def test_encoding_fallback_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nJosé,Köln\n".encode("cp1252"))
    assert main(["profile", str(path)]) == 0
    assert "crmresolve: note:" in capsys.readouterr().err
    assert main(["profile", str(path), "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "not valid utf-8" in err.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "{missing}"], "No such file or directory"),
        (["profile", "{csv}", "--field", "colour=Email"], "unknown role 'colour'"),
        (["profile", "{csv}", "--field", "email"], "expected ROLE=COLUMN"),
        (["profile", "{csv}", "--field", "email=Mail"], "column 'Mail' (role 'email') is not"),
        (["profile", "{csv}", "--id", "nope"], "id column 'nope' not found"),
        (["profile", "{csv}", "--updated-at", "nope"], "updated_at column 'nope'"),
        (["profile", "{dir}"], "is a directory"),
    ],
)
def test_errors_exit_2_without_traceback(
    args: list[str],
    message: str,
    contacts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.format(missing=tmp_path / "missing.csv", csv=contacts, dir=tmp_path) for a in args]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("crmresolve: error: ")
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["profile"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_shipped_example_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parents[1] / "examples" / "contacts.csv"
    if not example.exists():
        pytest.skip("examples/contacts.csv not generated yet")
    assert main(["profile", str(example), "--id", "record_id"]) == 0
    out = capsys.readouterr().out
    assert "Identity keys" in out and "Freshness (updated_at" in out


def test_readme_test_command_is_what_ci_runs() -> None:
    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    command = 'pip install -e ".[dev]" && python -m pytest'
    tests_section = readme.split("## Tests", 1)[1].split("##", 1)[0]
    assert f"```sh\n{command}\n```" in tests_section
    assert [line for line in ci.splitlines() if line.startswith("pip install")] == [
        command + " || exit $?"
    ]
