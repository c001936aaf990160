"""crmresolve: resolve the records of one real person or company in messy CRM data.

The pipeline is ``normalize → profile → block → compare → score → cluster → survive``;
:func:`crmresolve.dedupe` composes it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from crmresolve.table import Table

__all__ = ["Table", "__version__"]
