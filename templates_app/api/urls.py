"""API routes of this app, included under /api/v1/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from templates_app.api.collections import (
    CollectionViewSet,
    FavoriteViewSet,
    PublicCollectionViewSet,
)
from templates_app.api.crud import TemplateModerationViewSet, TemplateViewSet
from templates_app.api.marketplace import (
    MarketplaceHomeViewSet,
    MarketplaceTemplateViewSet,
    TemplateInstallViewSet,
)
from templates_app.api.reviews import ReviewViewSet, TemplateReviewViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("templates", TemplateViewSet, basename="template")
router.register(
    "marketplace/templates", MarketplaceTemplateViewSet, basename="marketplace-template"
)
router.register("reviews", ReviewViewSet, basename="review")
router.register("collections/public", PublicCollectionViewSet, basename="public-collection")
router.register("collections", CollectionViewSet, basename="collection")
router.register("favorites", FavoriteViewSet, basename="favorite")

moderation = {
    name: TemplateModerationViewSet.as_view({"post": name})
    for name in ("approve", "reject", "feature", "unfeature", "verify")
}

urlpatterns = [
    *(
        path(f"templates/<int:pk>/{name}/", view, name=f"template-{name}")
        for name, view in moderation.items()
    ),
    path(
        "templates/<int:pk>/install/",
        TemplateInstallViewSet.as_view({"post": "install"}),
        name="template-install",
    ),
    path(
        "templates/<int:pk>/reviews/",
        TemplateReviewViewSet.as_view({"get": "list", "post": "create"}),
        name="template-reviews",
    ),
    path(
        "marketplace/",
        MarketplaceHomeViewSet.as_view({"get": "home"}),
        name="marketplace-home",
    ),
    path(
        "marketplace/categories/",
        MarketplaceHomeViewSet.as_view({"get": "categories"}),
        name="marketplace-categories",
    ),
    path(
        "collections/<int:pk>/items/",
        CollectionViewSet.as_view({"post": "add_item"}),
        name="collection-items",
    ),
    path(
        "collections/<int:pk>/items/<int:template_id>/",
        CollectionViewSet.as_view({"delete": "remove_item"}),
        name="collection-item",
    ),
    path(
        "collections/<int:pk>/reorder/",
        CollectionViewSet.as_view({"post": "reorder"}),
        name="collection-reorder",
    ),
    *router.urls,
]
