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


# ------------------------------------------------------------------------------ dedupe / pairs

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contacts.csv"
TRUTH = Path(__file__).resolve().parents[1] / "examples" / "contacts_truth.csv"


def _rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_dedupe_zero_config_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, golden, lineage = tmp_path / "out.csv", tmp_path / "golden.csv", tmp_path / "lin.csv"
    args = ["dedupe", str(EXAMPLE), "--output", str(out), "--golden", str(golden)]
    code = main([*args, "--lineage", str(lineage), "--truth", str(TRUTH)])
    assert code == 0
    err = capsys.readouterr().err
    assert "given_name" in err and "(header)" in err and "'record_id'" in err
    assert "clusters:" in err and "golden record of" in err
    assert "F1" in err and "quality against" in err
    src, rows = _rows(EXAMPLE), _rows(out)
    assert rows[0] == [*src[0], "cluster_id", "cluster_confidence"]
    assert len(rows) == len(src)
    assert [r[:-2] for r in rows[1:]] == [[c for c in r] for r in src[1:]]
    assert all(0.0 <= float(r[-1]) <= 1.0 for r in rows[1:])
    g = _rows(golden)
    assert g[0] == [*src[0], "cluster_id", "member_ids"]
    clusters = {r[-2] for r in rows[1:]}
    assert len(g) - 1 == len(clusters)
    members = [m for r in g[1:] for m in r[-1].split("|")]
    assert sorted(members) == sorted(r[0] for r in src[1:])  # ids inferred as record_id
    lin = _rows(lineage)
    assert lin[0] == ["cluster_id", "column", "value", "source_record_id", "rule"]
    assert {r[0] for r in lin[1:]} <= clusters


def test_dedupe_outputs_are_formula_safe(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(
        "id,name,email\n"
        '1,=HYPERLINK("x"),robert.smith@acme-corp.com\n'
        "2,@SUM(A1),robert.smith@acme-corp.com\n"
        "3,Ann Lee,ann.lee@lee-family.net\n"
        "4,Ann Lee,ann.lee@lee-family.net\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    golden = tmp_path / "golden.csv"
    args = ["dedupe", str(path), "-o", str(out), "--golden", str(golden), "-q"]
    assert main([*args, "--field", "full_name=name", "--field", "email=email", "--id", "id"]) == 0
    text = out.read_text(encoding="utf-8") + golden.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'@SUM" in text
    assert "\n=" not in text and ",=" not in text and ",@" not in text


def test_pairs_columns_and_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    all_pairs, strong = tmp_path / "all.csv", tmp_path / "strong.csv"
    assert main(["pairs", str(EXAMPLE), "-q", "--output", str(all_pairs)]) == 0
    assert main(["pairs", str(EXAMPLE), "-q", "-o", str(strong), "--threshold", "0.9"]) == 0
    a, s = _rows(all_pairs), _rows(strong)
    assert a[0][:4] == ["left_id", "right_id", "match_probability", "match_weight"]
    assert "given_name_level" in a[0] and "email_level" in a[0]
    assert all(c.endswith("_level") for c in a[0][4:])
    assert 0 < len(s) < len(a)
    assert all(float(r[2]) >= 0.9 for r in s[1:])
    assert {tuple(r) for r in s[1:]} <= {tuple(r) for r in a[1:]}
    assert a[1][0].startswith("C")  # record ids, not positions


def test_link_two_files(tmp_path: Path) -> None:
    a, b, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "pairs.csv"
    a.write_text(
        "cid,First Name,Last Name,Email\n"
        "a1,Robert,Smith,rob@acme.com\na2,Ann,Lee,ann@lee.org\na3,Joe,Bloggs,joe@x.org\n",
        encoding="utf-8",
    )
    b.write_text(
        "cid,First Name,Last Name,Email\n"
        "b1,Bob,Smith,rob@acme.com\nb2,Anne,Lee,ann@lee.org\nb3,Max,Muster,max@y.de\n",
        encoding="utf-8",
    )
    args = ["link", str(a), str(b), "-o", str(out), "--id", "cid", "-q"]
    assert main([*args, "--field", "given_name=First Name", "--field", "surname=Last Name",
                 "--field", "email=Email"]) == 0  # fmt: skip
    rows = _rows(out)
    assert rows[0][:2] == ["left_id", "right_id"]
    pairs = {(r[0], r[1]) for r in rows[1:]}
    assert pairs and all(x.startswith("a") and y.startswith("b") for x, y in pairs)
    assert ("a1", "b1") in pairs


def test_config_round_trip_reproduces_run(tmp_path: Path) -> None:
    cfg = tmp_path / "run.json"
    out1, out2 = tmp_path / "o1.csv", tmp_path / "o2.csv"
    p1, p2 = tmp_path / "p1.csv", tmp_path / "p2.csv"
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", str(out1), "--save-config", str(cfg),
                 "--threshold", "0.7", "--seed", "3"]) == 0  # fmt: skip
    data = json.loads(cfg.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["id_column"] == "record_id"
    assert data["threshold"] == 0.7 and data["seed"] == 3
    assert data["blocking"] and data["comparisons"] and data["guards"]
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", str(out2), "--config", str(cfg)]) == 0
    assert out1.read_bytes() == out2.read_bytes()  # same clusters, same confidences
    assert main(["pairs", str(EXAMPLE), "-q", "-o", str(p1), "--seed", "3"]) == 0
    assert main(["pairs", str(EXAMPLE), "-q", "-o", str(p2), "--config", str(cfg)]) == 0
    assert p1.read_bytes() == p2.read_bytes()  # probabilities written exactly (repr)


def test_resolve_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "o.csv")
    code = main(["dedupe", str(EXAMPLE), "-o", out, "--field", "email=email,email"])
    assert code == 2
    assert "crmresolve: error:" in capsys.readouterr().err
    assert main(["dedupe", str(EXAMPLE), "-o", out, "--field", "shoe_size=email"]) == 2
    assert "unknown role 'shoe_size'" in capsys.readouterr().err
    assert main(["dedupe", str(EXAMPLE), "-o", out, "--field", "email=nope"]) == 2
    assert "not in the input" in capsys.readouterr().err
    assert main(["pairs", str(EXAMPLE), "-o", out, "--threshold", "2"]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["dedupe", str(EXAMPLE), "-o", out, "--config", str(bad)]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("a,b\n1,x\n2,y\n3,x\n", encoding="utf-8")
    assert main(["dedupe", str(nothing), "-o", out]) == 2
    err = capsys.readouterr().err
    assert "crmresolve: error: no identity field" in err and "Traceback" not in err


def test_progress_only_on_a_terminal() -> None:
    import io

    from crmresolve.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream, quiet in ((tty, False), (pipe, False), (Tty(), True)):
        p = Progress.for_terminal(quiet=quiet, stream=stream)
        with p.phase("clustering"):
            pass
    assert "clustering" in tty.getvalue() and tty.getvalue().endswith("s\n")
    assert pipe.getvalue() == ""
    assert not Progress.for_terminal(quiet=True, stream=Tty()).enabled


def test_cli_is_silent_when_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.csv"
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_rules_errors_and_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, g1, g2 = str(tmp_path / "o.csv"), tmp_path / "g1.csv", tmp_path / "g2.csv"
    rules, cfg = tmp_path / "rules.toml", tmp_path / "cfg.json"
    rules.write_text('[columns.Phone]\nrules = ["most_recent"]\n', encoding="utf-8")
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", out, "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "crmresolve: error: survivorship rules" in err and "Phone" in err
    rules.write_text('[columns.email]\nrules = ["most_recent"]\n', encoding="utf-8")
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", out, "--golden", str(g1),
                 "--rules", str(rules), "--save-config", str(cfg)]) == 0  # fmt: skip
    assert json.loads(cfg.read_text(encoding="utf-8"))["survivorship"]["columns"]["email"]
    assert main(["dedupe", str(EXAMPLE), "-q", "-o", out, "--golden", str(g2),
                 "--config", str(cfg)]) == 0  # fmt: skip
    assert g1.read_bytes() == g2.read_bytes()
