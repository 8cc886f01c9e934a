"""Resolve the workspace a request acts in."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound

from synapscale.selectors.workspaces import membership_for

WORKSPACE_HEADER = "HTTP_X_WORKSPACE"
# What Workspace.slug can hold; anything else cannot name a workspace (and a NUL byte would
# reach PostgreSQL as an error).
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")


def resolve_workspace(request) -> None:
    """Set ``request.workspace`` and ``request.membership`` from ``X-Workspace``.

    Without the header the user's personal workspace is used. A workspace the user is not a
    member of answers 404 so that its existence is not revealed.
    """
    slug = request.META.get(WORKSPACE_HEADER, "").strip() or None
    if slug is not None and not _SLUG.match(slug):
        raise NotFound("No workspace by that name that you are a member of.")
    membership = membership_for(user=request.user, slug=slug)
    if membership is None:
        if slug:
            raise NotFound(f"No workspace {slug!r} that you are a member of.")
        raise NotFound("You are not a member of any workspace; send X-Workspace.")
    request.membership = membership
    request.workspace = membership.workspace
    # The underlying Django request too, so middleware and logs see it.
    request._request.workspace = membership.workspace
