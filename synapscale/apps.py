from django.apps import AppConfig


class SynapscaleConfig(AppConfig):
    name = "synapscale"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        # Schema extensions must be imported before drf-spectacular builds the schema.
        from synapscale.api import schema  # noqa: F401
