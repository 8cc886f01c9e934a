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

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # Append-only and read by time window (trending): a BRIN index is tiny and enough.
            BrinIndex(fields=["created_at"], name="template_installs_created_brin"),
            models.Index(fields=["template", "-created_at"], name="template_installs_tpl_idx"),
        ]

    def __str__(self):
        return f"{self.template_id}@{self.version} -> {self.workspace_id}"
