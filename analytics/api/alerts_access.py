"""Who may change an alert rule, and what viewers see of its webhooks.

A webhook URL of a chat tool (Slack, Teams, Discord) is a bearer secret: whoever has it may
post into the channel. Viewers see only its scheme and host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rest_framework.permissions import SAFE_METHODS, BasePermission

from synapscale.choices import MANAGE_ROLES, Role

# Actions that change nothing although they are POSTs.
READ_ONLY_ACTIONS = frozenset({"test"})
URL_IN_TEXT = re.compile(r"https?://\S+")


def webhook_url_masked(url: str) -> str:
    """Return ``url`` reduced to what is not secret: ``https://host/…``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def sees_webhook_urls(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role != Role.VIEWER


class AlertRuleChangePermission(BasePermission):
    """Members change the rules they own; owners and admins change every rule."""

    message = "Members may change only their own alert rules; owners and admins change any."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS or getattr(view, "action", None) in READ_ONLY_ACTIONS:
            return True
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        return membership.role in MANAGE_ROLES or obj.owner_id == request.user.id


def channels_for_viewer(channels: dict) -> dict:
    return {
        **channels,
        "webhooks": [webhook_url_masked(url) for url in channels.get("webhooks", [])],
    }


def _masked_in_text(match) -> str:
    # The error text reads "webhook <url>: <reason>": the colon is not part of the URL.
    url = match.group(0)
    colon = ":" if url.endswith(":") else ""
    return webhook_url_masked(url.removesuffix(":")) + colon


def event_for_viewer(event: dict) -> dict:
    """Mask webhook URLs in an alert event's delivery targets and error text."""
    targets = [
        {**target, "target": webhook_url_masked(target["target"])}
        if target.get("channel") == "webhook"
        else target
        for target in event.get("targets") or []
    ]
    error = URL_IN_TEXT.sub(_masked_in_text, event["error"])
    return {**event, "targets": targets, "error": error}
