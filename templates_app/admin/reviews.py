"""Review moderation: hide abusive reviews, show them again."""

from __future__ import annotations

from django.contrib import admin

from synapscale.admin_audit import AuditedModelAdmin
from templates_app.admin.common import apply_to_each
from templates_app.models import Review
from templates_app.services.reviews import review_set_hidden


@admin.register(Review)
class ReviewAdmin(AuditedModelAdmin):
    list_display = (
        "template",
        "user",
        "rating",
        "title",
        "helpful_count",
        "is_hidden",
        "created_at",
    )
    list_filter = ("is_hidden", "rating")
    search_fields = ("title", "body", "user__username", "template__name")
    list_select_related = ("template", "user")
    readonly_fields = (
        "template",
        "user",
        "rating",
        "title",
        "body",
        "helpful_count",
        "is_hidden",
        "created_at",
        "updated_at",
    )
    actions = ("hide", "unhide")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # hiding keeps the evidence and the aggregates right

    @admin.action(description="Hide the selected reviews", permissions=["change"])
    def hide(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda review: review_set_hidden(review=review, user=request.user, hidden=True),
            done="Hidden",
        )

    @admin.action(description="Show the selected reviews again", permissions=["change"])
    def unhide(self, request, queryset):
        apply_to_each(
            self,
            request,
            queryset,
            lambda review: review_set_hidden(review=review, user=request.user, hidden=False),
            done="Shown again",
        )
