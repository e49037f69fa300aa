"""Numbers from repeated measurements: median and spread, percentiles, side-by-side ratios.

These machines are noisy, so every figure keeps its raw samples beside the summary.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """Median, p95, p99, min, max and the raw samples (seconds), rounded for reading."""
    if not samples:
        raise ValueError("no samples")
    return {
        "n": len(samples),
        "median": round(statistics.median(samples), 4),
        "p95": round(percentile(samples, 0.95), 4),
        "p99": round(percentile(samples, 0.99), 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
        "samples": [round(s, 4) for s in samples],
    }


def paired_ratio(measured: Sequence[float], baseline: Sequence[float]) -> dict[str, Any]:
    """Ratios of runs measured side by side (pair i ran right after pair i-1): their median
    and range, with both sides' summaries."""
    ratios = [m / b for m, b in zip(measured, baseline, strict=True) if b > 0]
    return {
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "measured": summary(measured),
        "baseline": summary(baseline),
    }
