# SPDX-License-Identifier: GPL-3.0-or-later
"""A measured figure beside its baseline, the table printed for people and results.json for tools."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float
    baseline_label: str       # what the baseline is, for the printed table only
    target: str               # e.g. "p99 < 1 ms", as the issue words it
    passed: Callable[[float, float], bool] | None = None   # (value, ratio) -> met?

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else math.inf

    def met(self) -> bool | None:
        return None if self.passed is None else bool(self.passed(self.value, self.ratio))

    def as_json(self) -> dict:
        """Exactly the issue's shape: value, unit, baseline, ratio (= value / baseline), target."""
        return {"value": _round(self.value), "unit": self.unit, "baseline": _round(self.baseline),
                "ratio": _round(self.ratio), "target": self.target}


def _round(x: float) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.4g}")


def _fmt(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.4g}"


def print_table(figures: list[Figure]) -> None:
    rows = [("figure", "value", "baseline", "ratio", "target", "met")]
    for f in figures:
        met = f.met()
        rows.append((f.name, f"{_fmt(f.value)} {f.unit}", f"{_fmt(f.baseline)} {f.unit} ({f.baseline_label})",
                     _fmt(f.ratio), f.target, "-" if met is None else ("yes" if met else "NO")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), flush=True)
        if i == 0:
            print("  ".join("-" * w for w in widths), flush=True)


def write_json(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps({f.name: f.as_json() for f in figures}, indent=2) + "\n", encoding="utf-8")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
