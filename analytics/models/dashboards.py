"""Dashboards and their widgets (a query spec or a named metric each)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from analytics.choices import Sharing, WidgetType


class Dashboard(models.Model):
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Overrides every query widget's own date range when set (relative name or {from, to}).
    date_range = models.JSONField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    sharing = models.CharField(max_length=16, choices=Sharing.choices, default=Sharing.WORKSPACE)
    refresh_interval = models.PositiveIntegerField(
        default=300, help_text="Seconds between refreshes the frontend should use."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(is_default=True), name="dashboard_one_default"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "name"], name="dashboard_ws_name")]

    def __str__(self):
        return self.name


class Widget(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=WidgetType.choices)
    query = models.JSONField(null=True, blank=True, help_text="A query spec, or null.")
    metric = models.CharField(max_length=64, blank=True, default="", help_text="A named metric.")
    position_x = models.PositiveSmallIntegerField(default=0)
    position_y = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveSmallIntegerField(default=4)
    height = models.PositiveSmallIntegerField(default=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position_y", "position_x", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(query__isnull=False) & Q(metric=""))
                | (Q(query__isnull=True) & ~Q(metric="")),
                name="widget_query_xor_metric",
            ),
        ]

    def __str__(self):
        return self.title
