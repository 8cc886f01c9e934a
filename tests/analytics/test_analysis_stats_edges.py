"""The statistics' edges: group sizes, confidence levels, baseline sizes, rounding.

Pure tests (no database), beside the known-answer ones of test_analysis_stats.py.
"""

from __future__ import annotations

import math

import pytest

from analytics.analysis.stats import (
    median_or_none,
    ratio,
    robust_z_score,
    two_proportion_z_test,
)


def z_test(control_conversions, control_exposures, conversions, exposures, **options):
    return two_proportion_z_test(
        control_conversions=control_conversions,
        control_exposures=control_exposures,
        conversions=conversions,
        exposures=exposures,
        **options,
    )


def test_either_group_without_exposures_is_not_compared():
    assert z_test(1, 2, 0, 0) is None
    assert z_test(0, 0, 1, 2) is None
    assert z_test(1, -3, 1, 2) is None
    assert z_test(1, 1, 1, 1) is not None  # one exposure each is enough


def test_a_lower_variant_rate_gives_a_negative_z_and_difference():
    test = z_test(130, 1000, 100, 1000)
    assert test.z == pytest.approx(-2.1027, abs=1e-4)
    assert test.difference == pytest.approx(-0.03)
    assert test.p_value == pytest.approx(0.03549, abs=1e-5)
    assert test.ci_low < test.difference < test.ci_high < 0.01


def test_the_confidence_level_sets_the_interval_width():
    wide = z_test(100, 1000, 130, 1000, confidence_level=0.99)
    narrow = z_test(100, 1000, 130, 1000, confidence_level=0.90)
    se = math.sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000)
    assert wide.ci_high - wide.ci_low == pytest.approx(2 * 2.575829 * se, rel=1e-5)
    assert narrow.ci_high - narrow.ci_low == pytest.approx(2 * 1.644854 * se, rel=1e-5)
    assert wide.z == narrow.z and wide.p_value == narrow.p_value


def test_all_converted_in_both_groups_cannot_differ():
    test = z_test(10, 10, 20, 20)
    assert (test.z, test.p_value, test.difference) == (0.0, 1.0, 0.0)
    assert test.ci_low == test.ci_high == 0.0


def test_a_huge_difference_has_a_p_value_of_zero_not_below():
    test = z_test(0, 10_000, 10_000, 10_000)
    assert test.p_value == 0.0
    assert test.z > 100


def test_robust_z_score_needs_min_points_of_baseline_exactly():
    assert robust_z_score(4, [1, 2, 3]) == pytest.approx((4 - 2) / 1.4826)
    assert robust_z_score(4, [1, 2, 3], min_points=4) is None
    assert robust_z_score(4, [1, 2], min_points=2) == pytest.approx((4 - 1.5) / (1.4826 * 0.5))


def test_robust_z_score_below_the_median_is_negative():
    assert robust_z_score(0, [10, 11, 9, 10, 12]) == pytest.approx(-10 / 1.4826)


def test_median_or_none():
    assert median_or_none([]) is None
    assert median_or_none([3, 1, 2]) == 2
    assert median_or_none([1, 4]) == 2.5


def test_ratio_rounds_to_four_places_and_zero_denominator_is_zero():
    assert ratio(1, 3) == 0.3333
    assert ratio(2, 3) == 0.6667
    assert ratio(5, 0) == 0.0
    assert ratio(0, 7) == 0.0
    assert ratio(7, 7) == 1.0
