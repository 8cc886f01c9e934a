"""Enumerations of the marketplace: template lifecycle, licences, moderation and sorts."""

from django.db import models


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    DEPRECATED = "deprecated", "Deprecated"


# Statuses an author may still edit freely (nothing is published from them).
EDITABLE_STATUSES = frozenset({TemplateStatus.DRAFT, TemplateStatus.REJECTED})


class VersionStatus(models.TextChoices):
    """A TemplateVersion's review: a new version of a published template waits for staff."""

    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"


class License(models.TextChoices):
    FREE = "free", "Free"
    PREMIUM = "premium", "Premium"
    ENTERPRISE = "enterprise", "Enterprise"
    CUSTOM = "custom", "Custom"


class ModerationAction(models.TextChoices):
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    FEATURED = "featured", "Featured"
    UNFEATURED = "unfeatured", "Unfeatured"
    VERIFIED = "verified", "Verified"
    UNVERIFIED = "unverified", "Unverified"
    DEPRECATED = "deprecated", "Deprecated"
    VERSION_SUBMITTED = "version_submitted", "New version submitted for review"
    VERSION_PUBLISHED = "version_published", "New version published"


class MarketplaceSort(models.TextChoices):
    RELEVANCE = "relevance", "Relevance"
    POPULAR = "popular", "Most installed"
    TRENDING = "trending", "Trending"
    TOP_RATED = "top_rated", "Top rated"
    NEWEST = "newest", "Newest"
