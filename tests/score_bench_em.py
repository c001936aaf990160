"""Timing of FellegiSunter.fit / predict on synthetic gamma (not collected by pytest).

    python tests/score_bench_em.py [n_pairs] [n_comparisons]

Gamma comes from a known two-class model with 5 % missing values; u from a 1M random-pair
sample given as a USample, so only the scoring stage is timed (not comparisons).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from crmresolve.score import FellegiSunter, USample


class _Stub:
    def __init__(self, name: str, n_levels: int) -> None:
        self.name = name
        self.columns = (name,)
        self.level_labels = [f"level {i}" for i in range(n_levels)]
        self.tf_column = None
        self.tf_level = None

    def compute(self, features: Any, left: Any, right: Any) -> npt.NDArray[np.int8]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name}


def main() -> None:
    n_pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rng = np.random.default_rng(0)
    levels = [int(x) for x in rng.integers(2, 5, k)]
    m = [np.sort(rng.dirichlet(np.ones(n))) for n in levels]
    u = [np.sort(rng.dirichlet(np.ones(n) * 0.5))[::-1] for n in levels]

    def draw(n: int, lam: float) -> npt.NDArray[np.int8]:
        y = rng.random(n) < lam
        g = np.empty((n, k), dtype=np.int8)
        for j in range(k):
            g[:, j] = np.where(
                y, rng.choice(levels[j], n, p=m[j]), rng.choice(levels[j], n, p=u[j])
            )
            g[rng.random(n) < 0.05, j] = -1
        return g

    gamma = draw(n_pairs, 0.02)
    sample = USample.from_gamma(draw(1_000_000, 1e-4), levels, n_total_pairs=10**10)
    model = FellegiSunter([_Stub(f"c{j}", n) for j, n in enumerate(levels)])
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(gamma, u_sample=sample)
    fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    model.predict(gamma)
    pred_wall, pred_cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{n_pairs:,} pairs x {k} comparisons: fit {fit_wall:.2f} s wall / {fit_cpu:.2f} s CPU "
        f"({model.n_iter_} EM iterations, converged={model.converged_}); "
        f"predict {pred_wall:.2f} s wall / {pred_cpu:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
