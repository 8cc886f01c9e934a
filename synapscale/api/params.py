"""Small helpers for reading query parameters the same way everywhere."""

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def wants_refresh(request) -> bool:
    """Return True when the caller asked to recompute a cached result (``?refresh=true``)."""
    return request.query_params.get("refresh", "").lower() in TRUE_VALUES
