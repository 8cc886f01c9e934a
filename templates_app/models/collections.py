from django.conf import settings
from django.db import models


class Collection(models.Model):
    """An ordered, annotated list of templates curated in a workspace."""

    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="template_collections"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="template_collections"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    description = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)
    is_featured = models.BooleanField(default=False)
    templates = models.ManyToManyField(
        "templates_app.Template", through="CollectionItem", related_name="collections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slug"], name="collections_unique_slug_per_workspace"
            )
        ]
        indexes = [
            models.Index(
                fields=["-created_at"],
                condition=models.Q(is_public=True),
                name="collections_public_idx",
            )
        ]

    def __str__(self):
        return self.name


class CollectionItem(models.Model):
    """A template's place in a collection, with the curator's note."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    template = models.ForeignKey(
        "templates_app.Template", on_delete=models.CASCADE, related_name="collection_items"
    )
    position = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "template"], name="collection_items_unique_template"
            )
        ]

    def __str__(self):
        return f"{self.collection_id}#{self.position}: {self.template_id}"


class Favorite(models.Model):
    """A template a user marked to find again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_templates"
    )
    template = models.ForeignKey(
        "templates_app.Template", on_delete=models.CASCADE, related_name="favorites"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["user", "template"], name="favorites_one_per_user")
        ]

    def __str__(self):
        return f"{self.user_id} likes {self.template_id}"
