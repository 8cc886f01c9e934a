"""The ranking formulas: Bayesian rating and trending decay."""

from datetime import timedelta

import pytest

from templates_app.ranking import UNRATED_SCORE, bayesian_rating, trending_weight


def test_one_five_star_review_does_not_beat_a_hundred_at_4_8():
    single = bayesian_rating(rating_sum=5, rating_count=1)
    many = bayesian_rating(rating_sum=480, rating_count=100)
    assert single == pytest.approx(3.636, abs=1e-3)
    assert many == pytest.approx(4.682, abs=1e-3)
    assert many > single


def test_no_reviews_score_the_prior():
    assert bayesian_rating(rating_sum=0, rating_count=0) == 3.5


def test_trending_weight_halves_every_two_days_and_stops_after_seven():
    assert trending_weight(timedelta(0)) == 1.0
    assert trending_weight(timedelta(days=2)) == pytest.approx(0.5)
    assert trending_weight(timedelta(days=6)) == pytest.approx(0.125)
    assert trending_weight(timedelta(days=7, seconds=1)) == 0.0
    assert trending_weight(timedelta(seconds=-5)) == 1.0


def test_the_unrated_score_is_the_prior_and_migration_0005_froze_it():
    from importlib import import_module

    migration = import_module("templates_app.migrations.0005_unrated_score_is_the_prior_mean")
    assert bayesian_rating(rating_sum=0, rating_count=0) == UNRATED_SCORE
    assert migration.UNRATED_SCORE == UNRATED_SCORE


def test_an_install_exactly_seven_days_old_still_counts():
    # The window is inclusive: at 7 days the weight is 0.5 ** 3.5, one second later 0.
    assert trending_weight(timedelta(days=7)) == pytest.approx(0.5**3.5)
    assert trending_weight(timedelta(days=1)) == pytest.approx(0.5**0.5)
