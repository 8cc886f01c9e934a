"""Resolve the workspace a request acts in."""

from __future__ import annotations

from rest_framework.exceptions import NotFound

from synapscale.selectors.workspaces import membership_for

WORKSPACE_HEADER = "HTTP_X_WORKSPACE"


def resolve_workspace(request) -> None:
    """Set ``request.workspace`` and ``request.membership`` from ``X-Workspace``.

    Without the header the user's personal workspace is used. A workspace the user is not a
    member of answers 404 so that its existence is not revealed.
    """
    slug = request.META.get(WORKSPACE_HEADER, "").strip() or None
    membership = membership_for(user=request.user, slug=slug)
    if membership is None:
        if slug:
            raise NotFound(f"No workspace {slug!r} that you are a member of.")
        raise NotFound("You are not a member of any workspace; send X-Workspace.")
    request.membership = membership
    request.workspace = membership.workspace
    # The underlying Django request too, so middleware and logs see it.
    request._request.workspace = membership.workspace
