"""Generate docs/api.md from the docstrings of crmresolve's public modules (no Sphinx).

Usage: ``python docs/build_api.py [--output docs/api.md] [--modules crmresolve.plot ...]``.

Public modules are the non-underscore modules and packages of ``crmresolve`` that define
``__all__``; every name in ``__all__`` is documented with its signature and docstring (classes
with their public methods and properties). Doctest examples become ```` ```python ```` blocks;
Sphinx roles (``:func:`x` ``) become plain code. A module that fails to import (e.g. an optional
dependency missing) is listed with the error instead of stopping the build.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "api.md"
PACKAGE = "crmresolve"
SKIP = {"crmresolve.cli"}  # the console script; documented by `crmresolve --help`

_BORDER = re.compile(r"^=+( +=+)+$")
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


class _Raw:
    """An annotation shown as written (postponed annotations are strings)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def public_modules() -> list[str]:
    """Importable public module names of the package, sorted, the package itself first."""
    pkg = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=PACKAGE + "."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name in SKIP:
            continue
        names.append(info.name)
    return sorted(names, key=lambda n: (n != PACKAGE, n))


def stable_repr(value: Any) -> str:
    """``repr`` with set elements sorted: set order changes with each run's string hashing,
    and the reference must not change when the code did not."""
    if isinstance(value, (set, frozenset)):
        if not value:
            return f"{type(value).__name__}()"
        items = ", ".join(sorted(repr(v) for v in value))
        return f"{type(value).__name__}({{{items}}})"
    return repr(value)


def signature(obj: Any) -> str:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"

    def raw(a: Any) -> Any:
        if a is inspect.Parameter.empty:
            return a
        return _Raw(a) if isinstance(a, str) else a

    def default(d: Any) -> Any:
        return _Raw(stable_repr(d)) if isinstance(d, (set, frozenset)) else d

    params = [
        p.replace(annotation=raw(p.annotation), default=default(p.default))
        for p in sig.parameters.values()
    ]
    if params and params[0].name in {"self", "cls"}:
        params = params[1:]
    return str(sig.replace(parameters=params, return_annotation=raw(sig.return_annotation)))


def markdown(doc: str | None) -> str:
    """Docstring → markdown: doctest blocks fenced, Sphinx roles to code spans."""
    if not doc:
        return ""
    text = inspect.cleandoc(doc)
    out: list[str] = []
    in_code = False
    borders = 0  # reST simple tables (three ``=== ===`` lines) are kept as text blocks
    for line in text.splitlines():
        stripped = line.strip()
        if not in_code and _BORDER.match(stripped):
            borders += 1
            if borders == 1:
                out.append("```text")
            out.append(line)
            if borders == 3:
                out.append("```")
                borders = 0
            continue
        if borders:
            out.append(line)
            continue
        if stripped.startswith(">>>") and not in_code:
            out.append("```python")
            in_code = True
        elif in_code and not stripped:
            out.append("```")
            in_code = False
        if in_code:
            out.append(line)
        else:
            out.append(_ROLE.sub(r"`\1`", line).replace("``", "`"))
    if in_code or borders:
        out.append("```")
    return "\n".join(out)


def _first_paragraph(doc: str | None) -> str:
    text = markdown(doc)
    return text.split("\n\n", 1)[0].replace("\n", " ") if text else ""


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    for name, value in cls.__dict__.items():
        if name.startswith("_") and name not in {"__call__"}:
            continue
        yield name, value


def document(name: str, obj: Any, module: str) -> list[str]:
    lines: list[str] = []
    if inspect.isclass(obj):
        lines += [f"### class `{name}{signature(obj)}`", "", markdown(obj.__doc__), ""]
        for attr, value in _members(obj):
            if isinstance(value, property):
                lines.append(f"- **`{attr}`** (property) — {_first_paragraph(value.__doc__)}")
            elif isinstance(value, (classmethod, staticmethod)):
                fn = value.__func__
                lines.append(f"- **`{attr}{signature(fn)}`** — {_first_paragraph(fn.__doc__)}")
            elif inspect.isfunction(value):
                lines.append(
                    f"- **`{attr}{signature(value)}`** — {_first_paragraph(value.__doc__)}"
                )
        lines.append("")
    elif callable(obj):
        lines += [f"### `{name}{signature(obj)}`", "", markdown(obj.__doc__), ""]
    else:
        text = stable_repr(obj)
        if len(text) > 80:
            text = text[:77] + "..."
        lines += [f"### `{name}`", "", f"`{text}`", ""]
    return lines


def build(modules: list[str] | None = None) -> str:
    """The whole api.md text."""
    names = modules or public_modules()
    parts = [
        "# API reference",
        "",
        "Generated by `python docs/build_api.py` from the docstrings; do not edit by hand.",
        "",
    ]
    body: list[str] = []
    for mod_name in names:
        try:
            mod = importlib.import_module(mod_name)
        except Exception as exc:  # an optional dependency or a module being written
            body += [f"## `{mod_name}`", "", f"*Not importable here: {type(exc).__name__}.*", ""]
            continue
        exported = getattr(mod, "__all__", None)
        if exported is None:
            continue
        parts.append(f"- [`{mod_name}`](#{mod_name.replace('.', '')})")
        body += [f"## `{mod_name}`", "", markdown(mod.__doc__), ""]
        for name in exported:
            obj = getattr(mod, name, None)
            if obj is None:
                continue
            if inspect.ismodule(obj):
                anchor = obj.__name__.replace(".", "")
                body += [f"### `{name}`", "", f"Module [`{obj.__name__}`](#{anchor}).", ""]
                continue
            home = getattr(obj, "__module__", None)
            if home != mod_name and home in names and (inspect.isclass(obj) or callable(obj)):
                # Re-exported from another documented module: link instead of repeating it.
                anchor = home.replace(".", "")
                body += [f"### `{name}`", "", f"See [`{home}.{name}`](#{anchor}).", ""]
                continue
            body += document(name, obj, mod_name)
    return "\n".join([*parts, "", *body]).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--modules", nargs="*", help="only these modules")
    args = parser.parse_args(argv)
    text = build(args.modules)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.splitlines())} lines)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
