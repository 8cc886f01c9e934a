"""Small helpers for reading query parameters the same way everywhere."""

from rest_framework.exceptions import ValidationError

from synapscale.ratelimits import rate_limit_hit

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"", "0", "false", "no", "off"})


def wants_refresh(request) -> bool:
    """Return True when the caller asked to recompute a cached result (``?refresh=true``).

    Only for a signed-in caller, and counted against the tighter ``refresh`` rate limit: an
    anonymous caller gets the cached answer, so nobody can make the server recompute in a loop.
    """
    raw = request.query_params.get("refresh", "").lower()
    if raw not in TRUE_VALUES | FALSE_VALUES:
        raise ValidationError({"refresh": ["`true` or `false`."]})
    if raw not in TRUE_VALUES:
        return False
    if not (request.user and request.user.is_authenticated):
        return False
    rate_limit_hit(request, "refresh")
    return True
