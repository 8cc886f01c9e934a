"""Templates, the marketplace, reviews, collections and favorites."""

from __future__ import annotations

from typing import Any

from synapscale_sdk.models import Template, Workflow
from synapscale_sdk.operations import operation
from synapscale_sdk.pagination import Paginated
from synapscale_sdk.resources._base import Resource


class Templates(Resource):
    """Your workspace's templates, their life cycle (submit, review) and installs."""

    path = "/api/v1/templates/"
    prefix = "templates"
    crud = ("list", "create", "retrieve", "partial_update", "destroy")
    model = Template

    @operation("templates_install_create")
    def install(
        self, id: int, *, name: str | None = None, variables: dict[str, Any] | None = None
    ) -> Workflow:
        """Create a workflow in the current workspace from a template (`raw["install"]`)."""
        body = {key: value for key, value in (("name", name), ("variables", variables)) if value}
        return Workflow.from_dict(self._post(id, "install", json=body))

    @operation("templates_submit_create")
    def submit(self, id: int) -> Template:
        """Send a draft (or a new version) for review."""
        return self._one(self._post(id, "submit"))

    @operation("templates_deprecate_create")
    def deprecate(self, id: int) -> Template:
        """Withdraw a published template from the marketplace."""
        return self._one(self._post(id, "deprecate"))

    @operation("templates_approve_create")
    def approve(self, id: int) -> Template:
        """Staff: publish a submitted template."""
        return self._one(self._post(id, "approve"))

    @operation("templates_reject_create")
    def reject(self, id: int, reason: str) -> Template:
        """Staff: send a submitted template back with a reason."""
        return self._one(self._post(id, "reject", json={"reason": reason}))

    @operation("templates_feature_create")
    def feature(self, id: int) -> Template:
        """Staff: feature a template in the marketplace."""
        return self._one(self._post(id, "feature"))

    @operation("templates_unfeature_create")
    def unfeature(self, id: int) -> Template:
        """Staff: stop featuring a template."""
        return self._one(self._post(id, "unfeature"))

    @operation("templates_verify_create")
    def verify(self, id: int) -> Template:
        """Staff: mark a template as verified."""
        return self._one(self._post(id, "verify"))

    @operation("templates_history_list")
    def history(self, id: int) -> Paginated:
        """Iterate the status changes of a template."""
        return self._paginated(self._url(id, "history"))

    @operation("templates_versions_list")
    def versions(self, id: int) -> Paginated:
        """Iterate the versions of a template."""
        return self._paginated(self._url(id, "versions"))

    @operation("templates_reviews_list")
    def reviews(self, id: int, **filters: Any) -> Paginated:
        """Iterate the reviews of a template."""
        return self._paginated(self._url(id, "reviews"), filters)

    @operation("templates_reviews_create")
    def review(
        self, id: int, rating: int, *, title: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        """Review a template you installed (rating 1 to 5)."""
        fields = {"rating": rating, "title": title, "body": body}
        return self._post(id, "reviews", json={k: v for k, v in fields.items() if v is not None})


class Marketplace(Resource):
    """The public catalogue: published templates, searched and ranked."""

    path = "/api/v1/marketplace/"
    prefix = "marketplace"

    @operation("marketplace_retrieve")
    def home(self) -> dict[str, Any]:
        """The marketplace front page: featured, popular and new templates."""
        return self._get()

    @operation("marketplace_categories_retrieve")
    def categories(self) -> dict[str, Any]:
        """The categories with their template counts."""
        return self._get("categories")

    @operation("marketplace_templates_list")
    def search(self, q: str | None = None, **filters: Any) -> Paginated[Template]:
        """Iterate published templates matching `q` and the filters (`category`, `sort`...)."""
        return self._paginated(self._url("templates"), {"q": q, **filters}, Template)

    @operation("marketplace_templates_retrieve")
    def get(self, slug: str) -> Template:
        """One published template, by slug."""
        return Template.from_dict(self._get("templates", slug))

    def install(self, slug: str, **options: Any) -> Workflow:
        """Install a published template by slug (see `Templates.install`)."""
        template = self.get(slug)
        return Templates(self._t).install(template.id, **options)


class Reviews(Resource):
    path = "/api/v1/reviews/"
    prefix = "reviews"
    crud = ("retrieve", "partial_update", "destroy")

    @operation("reviews_helpful_create")
    def helpful(self, id: int) -> dict[str, Any]:
        """Mark a review as helpful."""
        return self._post(id, "helpful")


class Collections(Resource):
    path = "/api/v1/collections/"
    prefix = "collections"
    crud = ("list", "create", "retrieve", "partial_update", "destroy")

    @operation("collections_items_create")
    def add(self, id: int, template: int, *, note: str | None = None) -> dict[str, Any]:
        """Add a template to a collection."""
        body = {"template": template, **({"note": note} if note else {})}
        return self._post(id, "items", json=body)

    @operation("collections_items_destroy")
    def remove(self, id: int, template: int) -> None:
        """Take a template out of a collection."""
        self._t.json("DELETE", self._url(id, "items", template))

    @operation("collections_reorder_create")
    def reorder(self, id: int, templates: list[int]) -> dict[str, Any]:
        """Set the order of the templates in a collection."""
        return self._post(id, "reorder", json={"templates": templates})

    @operation("collections_public_list")
    def public(self, **filters: Any) -> Paginated:
        """Iterate everybody's public collections."""
        return self._paginated(self._url("public"), filters)

    @operation("collections_public_retrieve")
    def get_public(self, id: int) -> dict[str, Any]:
        """One public collection."""
        return self._get("public", id)


class Favorites(Resource):
    """Favorites are addressed by template id."""

    path = "/api/v1/favorites/"
    prefix = "favorites"
    crud = ("list", "destroy")

    @operation("favorites_create")
    def add(self, template: int) -> dict[str, Any]:
        """Add a template to your favorites."""
        return self._post(json={"template": template})
