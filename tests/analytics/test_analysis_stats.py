"""Two-proportion z-test and robust z-score on cases with known answers."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.analysis.stats import robust_z_score, two_proportion_z_test


def test_z_test_matches_the_textbook_example():
    # 100/1000 vs 130/1000: pooled p = 0.115, z = 0.03 / sqrt(.115 * .885 * .002) = 2.1027,
    # two-sided p = erfc(z / sqrt 2) = 0.03549.
    test = two_proportion_z_test(
        control_conversions=100, control_exposures=1000, conversions=130, exposures=1000
    )
    assert test.z == pytest.approx(2.1027, abs=1e-4)
    assert test.p_value == pytest.approx(0.03549, abs=1e-5)
    assert test.p_value == pytest.approx(math.erfc(abs(test.z) / math.sqrt(2)), rel=1e-9)
    assert test.difference == pytest.approx(0.03)
    # Unpooled 95% interval: 0.03 +- 1.96 * sqrt(.1*.9/1000 + .13*.87/1000)
    half_width = 1.959964 * math.sqrt(0.09 / 1000 + 0.1131 / 1000)
    assert test.ci_low == pytest.approx(0.03 - half_width, abs=1e-6)
    assert test.ci_high == pytest.approx(0.03 + half_width, abs=1e-6)


def test_equal_rates_are_not_significant():
    test = two_proportion_z_test(
        control_conversions=50, control_exposures=500, conversions=50, exposures=500
    )
    assert test.z == 0
    assert test.p_value == pytest.approx(1.0)


def test_all_or_nothing_conversions_give_p_value_one():
    test = two_proportion_z_test(
        control_conversions=0, control_exposures=10, conversions=0, exposures=20
    )
    assert test.p_value == 1.0


def test_z_test_needs_exposures_in_both_groups():
    assert (
        two_proportion_z_test(
            control_conversions=0, control_exposures=0, conversions=1, exposures=2
        )
        is None
    )


@given(
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.data(),
)
def test_z_test_p_value_is_a_probability_and_symmetric(n1, n2, data):
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    forward = two_proportion_z_test(
        control_conversions=x1, control_exposures=n1, conversions=x2, exposures=n2
    )
    backward = two_proportion_z_test(
        control_conversions=x2, control_exposures=n2, conversions=x1, exposures=n1
    )
    assert 0 <= forward.p_value <= 1
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.ci_low <= forward.difference <= forward.ci_high


def test_robust_z_score_ignores_an_outlier_in_the_baseline():
    baseline = [10, 11, 9, 10, 12, 10, 500]
    # median 10, absolute deviations [0,1,1,0,2,0,490] -> MAD 1 -> spread 1.4826
    assert robust_z_score(20, baseline) == pytest.approx(10 / 1.4826)


def test_robust_z_score_falls_back_to_mean_deviation_when_mad_is_zero():
    baseline = [5, 5, 5, 5, 9]
    # MAD = 0; mean absolute deviation = 4 / 5 = 0.8 -> spread 1.2533 * 0.8
    assert robust_z_score(7, baseline) == pytest.approx(2 / (1.2533 * 0.8))


def test_robust_z_score_of_a_flat_baseline():
    assert robust_z_score(3, [3, 3, 3]) == 0.0
    assert robust_z_score(4, [3, 3, 3]) == math.inf
    assert robust_z_score(2, [3, 3, 3]) == -math.inf


def test_robust_z_score_needs_enough_baseline():
    assert robust_z_score(3, [1, 2]) is None
