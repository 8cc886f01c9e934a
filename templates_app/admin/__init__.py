"""The staff console of the marketplace: moderation of templates and reviews, collections."""

from templates_app.admin import collections, reviews, templates  # noqa: F401  (registration)
