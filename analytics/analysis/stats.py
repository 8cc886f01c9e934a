"""Statistics used by analyses and insights: two-proportion z-test and robust z-score.

The standard library's ``statistics.NormalDist`` gives the normal CDF and quantiles, which is
all these need (no scipy).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

STANDARD_NORMAL = statistics.NormalDist()
# 1 / Phi^-1(3/4): scales the median absolute deviation to a standard deviation for normal data.
MAD_SCALE = 1.4826
# sqrt(pi / 2): scales the mean absolute deviation likewise, the fallback when MAD is 0.
MEAN_AD_SCALE = 1.2533


@dataclass(frozen=True)
class ProportionTest:
    """The comparison of a variant's conversion rate with the control's."""

    z: float
    p_value: float
    difference: float  # variant rate minus control rate
    ci_low: float
    ci_high: float


def two_proportion_z_test(
    *,
    control_conversions: int,
    control_exposures: int,
    conversions: int,
    exposures: int,
    confidence_level: float = 0.95,
) -> ProportionTest | None:
    """Compare two conversion rates with a two-sided pooled z-test.

    The confidence interval of the difference uses the unpooled standard error (Wald).
    Returns None when either group has no exposures (nothing to compare).
    """
    if control_exposures <= 0 or exposures <= 0:
        return None
    control_rate = control_conversions / control_exposures
    rate = conversions / exposures
    difference = rate - control_rate
    pooled = (control_conversions + conversions) / (control_exposures + exposures)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / control_exposures + 1 / exposures))
    if pooled_se == 0:
        # Every person converted or none did, in both groups: the rates cannot differ.
        z, p_value = 0.0, 1.0
    else:
        z = difference / pooled_se
        p_value = 2 * (1 - STANDARD_NORMAL.cdf(abs(z)))
    unpooled_se = math.sqrt(
        control_rate * (1 - control_rate) / control_exposures + rate * (1 - rate) / exposures
    )
    critical = STANDARD_NORMAL.inv_cdf(1 - (1 - confidence_level) / 2)
    return ProportionTest(
        z=z,
        p_value=min(1.0, max(0.0, p_value)),
        difference=difference,
        ci_low=difference - critical * unpooled_se,
        ci_high=difference + critical * unpooled_se,
    )


def robust_z_score(value: float, baseline: Sequence[float], *, min_points: int = 3) -> float | None:
    """Return how unusual ``value`` is against ``baseline``: (x - median) / scaled MAD.

    Robust to the outliers an ordinary z-score is dragged by. When the MAD is 0 (over half
    the baseline is identical), falls back to the mean absolute deviation; when that is 0
    too, any difference is infinitely unusual. Returns None with too little baseline.
    """
    if len(baseline) < min_points:
        return None
    median = statistics.median(baseline)
    deviations = [abs(x - median) for x in baseline]
    spread = MAD_SCALE * statistics.median(deviations)
    if spread == 0:
        spread = MEAN_AD_SCALE * statistics.fmean(deviations)
    if spread == 0:
        if value == median:
            return 0.0
        return math.copysign(math.inf, value - median)
    return (value - median) / spread


def median_or_none(values: Sequence[float]) -> float | None:
    """Return the median (the mean of the middle two for an even count), None when empty."""
    return statistics.median(values) if values else None


def ratio(numerator: int, denominator: int) -> float:
    """Return numerator / denominator rounded to 4 places, 0.0 when the denominator is 0."""
    return round(numerator / denominator, 4) if denominator else 0.0
