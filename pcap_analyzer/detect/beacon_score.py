"""How regular a series of connections is, scored 0..1 from interval dispersion and skew, size dispersion,
connection count and duration coverage (the components a beacon analyst reads, each 0..1, 1 = beacon-like).

Intervals: median m, median absolute deviation (MAD); ``dispersion`` = 1 - MAD / m, a jitter-tolerant regularity (a
beacon with 20% jitter scores about 0.9, a Poisson process about 0.3). ``skew`` = 1 - |Bowley skewness| of the
intervals, where an inter-quartile range under ``skew_floor`` * m counts as no skew (quartiles of near-identical
intervals are noise). ``size`` = 1 - MAD / median of the bytes per connection. ``count``: intervals seen, up to
``full_count`` of them. ``coverage``: the share of the observed window (the capture) the series spans.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config_schema import BeaconingConfig

COMPONENTS = ("dispersion", "skew", "size", "count", "coverage")


@dataclass(frozen=True)
class BeaconScore:
    score: float
    components: dict[str, float]
    median_interval: float
    mad: float
    bowley_skew: float
    mean_interval: float
    cv: float

    def evidence(self) -> dict[str, Any]:
        return {"score": round(self.score, 3), "components": {k: round(v, 3) for k, v in self.components.items()},
                "median_interval": round(self.median_interval, 3), "mad": round(self.mad, 3),
                "bowley_skew": round(self.bowley_skew, 3), "mean_interval": round(self.mean_interval, 3),
                "cv": round(self.cv, 4)}


def _robust_regularity(values: np.ndarray) -> tuple[float, float, float]:
    """(median, MAD, 1 - MAD/median clipped to 0..1; 1 when every value is 0)."""
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med)))
    if med <= 0.0:
        return med, mad, 1.0 if mad == 0.0 else 0.0
    return med, mad, float(min(1.0, max(0.0, 1.0 - mad / med)))


def bowley_skew(values: np.ndarray, floor: float) -> float:
    """Bowley (quartile) skewness in -1..1; 0 when the inter-quartile range is at most ``floor``."""
    q1, q2, q3 = np.percentile(values, (25.0, 50.0, 75.0))
    iqr = float(q3 - q1)
    return 0.0 if iqr <= floor else float((q3 + q1 - 2.0 * q2) / iqr)


def score_series(starts: np.ndarray, sizes: np.ndarray, window: float, cfg: BeaconingConfig) -> BeaconScore:
    """Score connection start times ``starts`` (sorted, at least two) with their byte counts ``sizes``, observed
    over ``window`` seconds; ``cfg`` is ``[detect.beaconing]``."""
    gaps = np.diff(starts)
    med, mad, dispersion = _robust_regularity(gaps)
    skew = bowley_skew(gaps, cfg.skew_floor * med)
    _, _, size = _robust_regularity(sizes.astype(np.float64))
    count = min(1.0, gaps.shape[0] / cfg.full_count)
    span = float(starts[-1] - starts[0]) + med  # the last interval runs on after the last start
    coverage = min(1.0, span / window) if window > 0 else 1.0
    components = {"dispersion": dispersion, "skew": 1.0 - abs(skew), "size": size, "count": count,
                  "coverage": coverage}
    weights = cfg.weights
    total = sum(weights[k] for k in COMPONENTS)
    score = sum(weights[k] * components[k] for k in COMPONENTS) / total if total > 0 else 0.0
    mean = float(gaps.mean())
    cv = float(gaps.std() / mean) if mean > 0 else float("inf")
    return BeaconScore(score, components, med, mad, skew, mean, cv)
