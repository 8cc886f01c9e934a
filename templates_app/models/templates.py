from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from templates_app.choices import License, ModerationAction, TemplateStatus, VersionStatus
from templates_app.ranking import UNRATED_SCORE

PUBLISHED = Q(status=TemplateStatus.PUBLISHED)


class Template(models.Model):
    """A workflow definition shared in the marketplace, with its lifecycle and counters."""

    # As a workflow's: the definition may hold API keys; the audit log keeps only that it
    # changed.
    audit_secret_fields = ("definition",)

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="templates"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_templates"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    short_description = models.CharField(max_length=280, blank=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        "templates_app.Category", on_delete=models.PROTECT, related_name="templates"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    definition = models.JSONField()
    version = models.CharField(max_length=64, default="1.0.0")
    changelog = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    rejection_reason = models.TextField(blank=True)
    is_featured = models.BooleanField(default=False)
    is_verified = models.BooleanField(default=False)
    license = models.CharField(max_length=20, choices=License.choices, default=License.FREE)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    complexity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    required_variables = models.JSONField(default=list, blank=True)
    install_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveBigIntegerField(default=0)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    # Stored so the marketplace sorts by an index: the Bayesian average of visible reviews
    # (templates_app.ranking) and the decayed installs of the last 7 days.
    rating_score = models.FloatField(default=UNRATED_SCORE)
    trending_score = models.FloatField(default=0)
    # Weighted name (A), short description and tags (B), description (C); written by
    # templates_app.search.index whenever a service changes those fields.
    search_vector = SearchVectorField(null=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["category", "is_featured"], name="templates_category_feat_idx"),
            GinIndex(fields=["search_vector"], name="templates_search_vector_gin"),
            GinIndex(fields=["tags"], name="templates_tags_gin"),
            models.Index(fields=["status", "published_at"], name="templates_status_pub_idx"),
            models.Index(fields=["workspace", "-created_at"], name="templates_workspace_idx"),
            # The marketplace sorts, restricted to what it shows.
            models.Index(
                fields=["-install_count", "-id"], condition=PUBLISHED, name="templates_popular_idx"
            ),
            models.Index(
                fields=["-trending_score", "-id"],
                condition=PUBLISHED,
                name="templates_trending_idx",
            ),
            models.Index(
                fields=["-rating_score", "-id"], condition=PUBLISHED, name="templates_rated_idx"
            ),
            models.Index(
                fields=["-published_at", "-id"], condition=PUBLISHED, name="templates_newest_idx"
            ),
            # The marketplace filters: with a text query the planner ANDs these bitmaps with
            # the search vector's, so only rows matching both are read from the table; without
            # text, counting a filter's matches is an index-only scan.
            models.Index(
                fields=["is_verified"],
                condition=PUBLISHED & Q(is_verified=True),
                name="templates_verified_idx",
            ),
            models.Index(
                fields=["is_featured"],
                condition=PUBLISHED & Q(is_featured=True),
                name="templates_featured_idx",
            ),
            models.Index(
                fields=["category"], condition=PUBLISHED, name="templates_pub_category_idx"
            ),
            models.Index(
                fields=["complexity"], condition=PUBLISHED, name="templates_complexity_idx"
            ),
            models.Index(fields=["license"], condition=PUBLISHED, name="templates_license_idx"),
            models.Index(fields=["price"], condition=PUBLISHED, name="templates_price_idx"),
            models.Index(fields=["rating_avg"], condition=PUBLISHED, name="templates_rating_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(complexity__gte=1, complexity__lte=5),
                name="templates_complexity_1_to_5",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="templates_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(license=License.FREE) | Q(price=0), name="templates_free_is_free"
            ),
            models.CheckConstraint(
                condition=Q(rating_avg__gte=0, rating_avg__lte=5), name="templates_rating_0_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED


class TemplateVersion(models.Model):
    """One version of a template's definition: approved (published), awaiting review, or not.

    The template row always holds its latest approved version, which the marketplace shows
    and installs use. A new version of a published template waits here as `pending_review`
    until staff approve it (then it is copied onto the template) or reject it.
    """

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    definition = models.JSONField()
    required_variables = models.JSONField(default=list, blank=True)
    changelog = models.TextField(blank=True)
    listing = models.JSONField(
        default=dict,
        blank=True,
        help_text="Proposed name, descriptions, license or price; applied when approved.",
    )
    clears_verified = models.BooleanField(
        default=False, help_text="Proposing it cleared the verified badge; approving restores it."
    )
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.PUBLISHED
    )
    rejection_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-published_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "version"], name="template_versions_unique_version"
            ),
            # One proposal at a time: a newer edit replaces the one waiting for review.
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status=VersionStatus.PENDING_REVIEW),
                name="template_versions_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.template_id}@{self.version}"


class ModerationEntry(models.Model):
    """Who did what to a template's lifecycle, when and why: the moderation history."""

    template = models.ForeignKey(
        Template, on_delete=models.CASCADE, related_name="moderation_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30, choices=ModerationAction.choices)
    reason = models.TextField(blank=True)
    version = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "moderation history"
        indexes = [
            models.Index(fields=["template", "-created_at"], name="templates_moderation_idx")
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_id} at {self.created_at:%Y-%m-%d}"
