"""crmresolve: resolve the records of one real person or company in messy CRM data.

The pipeline is ``normalize → profile → block → compare → score → cluster → survive``;
:func:`crmresolve.dedupe` composes it::

    import crmresolve
    result = crmresolve.dedupe("contacts.csv")   # roles and id column inferred
    result.golden_frame()                         # one golden record per cluster

Heavier modules are imported on first use, so ``import crmresolve`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

# Imported eagerly: the function ``profile`` shares its name with the submodule, and binding it
# here (after the submodule's first import) keeps ``crmresolve.profile`` the function.
from crmresolve.profile import Profile, profile
from crmresolve.table import Table

if TYPE_CHECKING:
    from crmresolve import evaluate
    from crmresolve.config import ResolverConfig
    from crmresolve.infer import infer_roles
    from crmresolve.io import CsvFormatError, load_table, read_csv, write_csv
    from crmresolve.pipeline import Resolution, Resolver, dedupe, link

__all__ = [
    "CsvFormatError",
    "Profile",
    "Resolution",
    "Resolver",
    "ResolverConfig",
    "Table",
    "__version__",
    "dedupe",
    "evaluate",
    "infer_roles",
    "link",
    "load_table",
    "profile",
    "read_csv",
    "write_csv",
]

_LAZY = {
    "dedupe": "crmresolve.pipeline",
    "link": "crmresolve.pipeline",
    "Resolver": "crmresolve.pipeline",
    "Resolution": "crmresolve.pipeline",
    "read_csv": "crmresolve.io",
    "write_csv": "crmresolve.io",
    "load_table": "crmresolve.io",
    "CsvFormatError": "crmresolve.io",
    "infer_roles": "crmresolve.infer",
    "ResolverConfig": "crmresolve.config",
}


def __getattr__(name: str) -> Any:
    if name == "evaluate":
        return importlib.import_module("crmresolve.evaluate")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmresolve' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
