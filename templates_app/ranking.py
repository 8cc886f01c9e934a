"""How the marketplace ranks templates: a Bayesian rating and a decaying trending score.

The formulas live here once; the services store their results on each template (so sorts use
an index) and the SQL that recomputes them in bulk is derived from the same constants.
"""

from __future__ import annotations

import math
from datetime import timedelta

# Bayesian average: every template starts with PRIOR_WEIGHT imaginary reviews of PRIOR_MEAN
# stars. One 5-star review then scores (5 + 35) / 11 = 3.64, while a hundred 4.8-star reviews
# score 4.68: volume of evidence counts, not just the mean.
PRIOR_MEAN = 3.5
PRIOR_WEIGHT = 10

# Trending: installs of the last TRENDING_WINDOW, each weighted by its age, halving every
# TRENDING_HALF_LIFE, so yesterday's install counts for more than last week's.
TRENDING_WINDOW = timedelta(days=7)
TRENDING_HALF_LIFE = timedelta(days=2)


def bayesian_rating(*, rating_sum: float, rating_count: int) -> float:
    """Return the Bayesian average of `rating_count` ratings adding up to `rating_sum`."""
    return (PRIOR_MEAN * PRIOR_WEIGHT + rating_sum) / (PRIOR_WEIGHT + rating_count)


# The score of a template without visible reviews (never reviewed, or all deleted or hidden):
# the prior mean, so one 1-star review (3.27) ranks below it and one 5-star (3.64) above.
UNRATED_SCORE = PRIOR_MEAN


def trending_weight(age: timedelta) -> float:
    """Return the weight of an install `age` old: 1 now, halving each half-life, 0 past 7 days."""
    if age > TRENDING_WINDOW:
        return 0.0
    seconds = max(age.total_seconds(), 0.0)
    return math.pow(0.5, seconds / TRENDING_HALF_LIFE.total_seconds())
