"""Models of the template marketplace, one module per concern."""

from templates_app.models.categories import Category
from templates_app.models.collections import Collection, CollectionItem, Favorite
from templates_app.models.installs import TemplateInstall
from templates_app.models.reviews import Review, ReviewHelpfulVote
from templates_app.models.search import SearchTerm
from templates_app.models.templates import ModerationEntry, Template, TemplateVersion

__all__ = [
    "Category",
    "Collection",
    "CollectionItem",
    "Favorite",
    "ModerationEntry",
    "Review",
    "ReviewHelpfulVote",
    "SearchTerm",
    "Template",
    "TemplateInstall",
    "TemplateVersion",
]
