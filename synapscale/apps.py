import logging

from django.apps import AppConfig

logger = logging.getLogger("synapscale")


class SynapscaleConfig(AppConfig):
    name = "synapscale"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        from django.conf import settings

        # Schema extensions must be imported before drf-spectacular builds the schema.
        from synapscale import signals  # noqa: F401
        from synapscale.api import schema  # noqa: F401
        from synapscale.embedded import describe_services

        logger.info(describe_services(settings))
