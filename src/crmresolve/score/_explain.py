"""Human-readable breakdown of one pair's match weight."""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Explanation", "ExplanationRow", "mask_value"]


def mask_value(value: str | None) -> str:
    """Show only a short prefix of a value so explanations can be shared.

    >>> mask_value("robert"), mask_value("bo"), mask_value(None)
    ('rob***', 'b***', '∅')
    """
    if value is None:
        return "∅"
    text = str(value)
    keep = max(1, min(3, len(text) // 2))
    return text[:keep] + "***"


@dataclass(frozen=True)
class ExplanationRow:
    """One comparison's part of the match weight.

    ``u`` is the level u; ``u_tf`` the value-specific u used instead when a term-frequency
    adjustment applied (then ``bayes_factor = m / u_tf``). Missing comparisons have
    ``gamma == -1``, ``m``/``u`` ``None`` and contribute 0.
    """

    comparison: str
    left: str | None
    right: str | None
    gamma: int
    level: str
    m: float | None
    u: float | None
    u_tf: float | None
    bayes_factor: float
    weight: float


@dataclass(frozen=True)
class Explanation:
    """Why a pair got its weight: ``weight == prior_weight + sum(row.weight)`` (+
    ``related_weight`` when the model has a related-records class) exactly, added left to
    right as :meth:`FellegiSunter.predict` does.

    ``related_weight`` (<= 0) is the evidence explained away by "a related but different
    entity" (a household member, a colleague), see ``FellegiSunter(related=...)``.
    """

    rows: tuple[ExplanationRow, ...]
    prior: float
    prior_weight: float
    weight: float
    probability: float
    related_weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "prior_weight": self.prior_weight,
            "comparisons": [asdict(r) for r in self.rows],
            "related_weight": self.related_weight,
            "match_weight": self.weight,
            "match_probability": self.probability,
        }

    def _table(self) -> tuple[list[str], list[list[str]]]:
        head = ["comparison", "left", "right", "level", "m", "u", "bayes factor", "weight"]
        body = [["prior", "", "", "", "", "", _num(2.0**self.prior_weight), _w(self.prior_weight)]]
        for r in self.rows:
            u_text = "" if r.u is None else _num(r.u)
            if r.u_tf is not None:
                u_text = f"{_num(r.u_tf)} (tf)"
            body.append(
                [
                    r.comparison,
                    "" if r.left is None else r.left,
                    "" if r.right is None else r.right,
                    f"{r.gamma}: {r.level}",
                    "" if r.m is None else _num(r.m),
                    u_text,
                    _num(r.bayes_factor),
                    _w(r.weight),
                ]
            )
        if self.related_weight is not None:
            factor = _num(2.0**self.related_weight)
            body.append(["related entity", "", "", "", "", "", factor, _w(self.related_weight)])
        return head, body

    def __str__(self) -> str:
        head, body = self._table()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
        lines.append(
            f"match weight {self.weight:+.3f}  →  match probability {self.probability:.6f}"
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, body = self._table()
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        trs = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
        )
        foot = (
            f"<tr><th colspan='{len(head) - 1}'>match weight (probability "
            f"{self.probability:.6f})</th><th>{_w(self.weight)}</th></tr>"
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}{foot}</tbody></table>"


def _num(x: float) -> str:
    if x == 0 or (1e-3 <= abs(x) < 1e5):
        return f"{x:.4g}"
    return f"{x:.3e}"


def _w(x: float) -> str:
    return f"{x:+.3f}" if math.isfinite(x) else str(x)
