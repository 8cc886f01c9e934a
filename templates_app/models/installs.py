from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models


class TemplateInstall(models.Model):
    """A template installed into a workspace as a workflow."""

    template = models.ForeignKey(
        "templates_app.Template", on_delete=models.CASCADE, related_name="installs"
    )
    version = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    workspace = models.ForeignKey(
        "synapscale.Workspace", on_delete=models.CASCADE, related_name="template_installs"
    )
    workflow = models.ForeignKey(
        "executions.Workflow", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The workspace's first install of the template: the only one install_count and the
    # trending score count (a workspace installing it again is not a new adopter).
    counted = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "workspace"],
                condition=models.Q(counted=True),
                name="template_installs_one_counted",
            ),
        ]
        indexes = [
            # Append-only and read by time window (trending): a BRIN index is tiny and enough.
            BrinIndex(fields=["created_at"], name="template_installs_created_brin"),
            models.Index(fields=["template", "-created_at"], name="template_installs_tpl_idx"),
        ]

    def __str__(self):
        return f"{self.template_id}@{self.version} -> {self.workspace_id}"
