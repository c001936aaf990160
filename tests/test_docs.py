"""The documentation runs: marked code blocks, the API builder and the Febrl 3 notebook.

Convention: a fenced ```` ```python ```` block in ``docs/**/*.md`` directly preceded by the line
``<!-- run -->`` is executed here, the blocks of one page in order and in one namespace, in a
temporary working directory that holds a link to ``examples/`` (so pages use the paths a user
types at the repository root and write their output files somewhere harmless). Unmarked blocks
(shell commands, sample output, fragments) are not run.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
DATASETS = ROOT / ".." / "shared" / "datasets"
NOTEBOOK = DOCS / "notebooks" / "quality_febrl3.ipynb"

_RUNNABLE = re.compile(r"^<!-- run -->[ \t]*\n```python[ \t]*\n(.*?)^```", re.S | re.M)


def runnable_blocks(page: Path) -> list[str]:
    return _RUNNABLE.findall(page.read_text(encoding="utf-8"))


PAGES = sorted(p for p in DOCS.rglob("*.md") if runnable_blocks(p))


def test_marker_convention_is_followed() -> None:
    # Every marker is followed by a python block (a typo would silently skip an example).
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        markers = re.findall(r"^<!-- run -->[ \t]*$", text, re.M)
        assert len(markers) == len(runnable_blocks(page)), page.name
    names = {p.name for p in PAGES}
    assert {"getting-started.md", "dedupe-contacts.md", "tune-threshold.md"} <= names


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("matplotlib").use("Agg")
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_runnable_blocks(page: Path, workdir: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, block in enumerate(runnable_blocks(page)):
            code = compile(block, f"{page.relative_to(DOCS)} (block {k + 1})", "exec")
            exec(code, namespace)


def test_getting_started_reaches_a_chart_in_under_ten_lines(workdir: Path) -> None:
    block = runnable_blocks(DOCS / "getting-started.md")[0]
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert len(lines) < 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, "getting-started.md", "exec"), {"__name__": "__docs__"})
    png = workdir / "precision_by_threshold.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_build_api_generates_the_reference(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_api", DOCS / "build_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_api"] = module
    try:
        spec.loader.exec_module(module)
        out = tmp_path / "api.md"
        assert module.main(["--output", str(out)]) == 0
    finally:
        sys.modules.pop("build_api", None)
    text = out.read_text(encoding="utf-8")
    for needle in (
        "## `crmresolve.pipeline`",
        "### class `Resolution",
        "**`evaluate(truth: Any, *, threshold: float | None = None) -> Evaluation`**",
        "### `threshold_chart(",
        "## `crmresolve.evaluate`",
        "```python\n>>> ",
    ):
        assert needle in text, needle
    assert ":func:`" not in text.split("```text")[0]
    assert (DOCS / "api.md").exists()


@pytest.mark.skipif(not (DATASETS / "febrl3").exists(), reason="shared datasets not present")
def test_febrl3_notebook_executes() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The precision-vs-threshold chart is an image.
    plot_cell = next(c for c in code if c.source.strip() == "report.plot()")
    assert any("image/png" in o.get("data", {}) for o in plot_cell.outputs)
    # Metrics in range.
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    found = {k: float(v) for k, v in re.findall(r"^([\w -]+): ([0-9.]+)$", text, re.M)}
    for key in ("pairwise F1", "best pairwise F1", "cluster F1", "B-cubed F1"):
        assert 0.95 < found[key] <= 1.0, key
    assert 0.0 <= found["best threshold"] <= 1.0
    # Rich displays rendered as HTML, and the big text repr is not dumped.
    html_outputs = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(html_outputs) >= 3
    assert all(len(o["data"].get("text/plain", "")) < 2000 for o in outputs if "data" in o)
