"""Read models of template installs for other apps (analytics' reports and business metrics).

A workspace's marketplace side: installs, by anyone, of the templates it publishes.
Analytics asks here instead of reading the templates app's tables itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from templates_app.models import TemplateInstall

PAID = Q(template__price__gt=0)


def installs_of_published_templates(*, workspace_id: int) -> QuerySet[TemplateInstall]:
    """Return installs of the templates the workspace publishes (reports narrow them)."""
    return TemplateInstall.objects.filter(template__workspace_id=workspace_id)


def installs_between(
    *, workspace_id: int, start: dt.datetime, end: dt.datetime
) -> QuerySet[TemplateInstall]:
    return installs_of_published_templates(workspace_id=workspace_id).filter(
        created_at__gte=start, created_at__lt=end
    )


def top_installed_templates(installs: QuerySet[TemplateInstall], *, limit: int) -> list[dict]:
    """Return ``{"template", "name", "installs", "revenue"}`` of the most installed templates."""
    rows = (
        installs.values("template_id", "template__name")
        .annotate(installs=Count("id"), revenue=Sum("template__price", filter=PAID))
        .order_by("-installs", "template_id")[:limit]
    )
    return [
        {
            "template": row["template_id"],
            "name": row["template__name"],
            "installs": row["installs"],
            "revenue": str(row["revenue"] or Decimal("0.00")),
        }
        for row in rows
    ]


def installs_revenue(installs: QuerySet[TemplateInstall]) -> str:
    """Return the revenue of the paid installs among ``installs`` (price per install)."""
    total = installs.filter(PAID).aggregate(total=Sum("template__price"))["total"]
    return str(total or Decimal("0.00"))
