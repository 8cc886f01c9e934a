import logging

from django.apps import AppConfig

logger = logging.getLogger("synapscale")


class SynapscaleConfig(AppConfig):
    name = "synapscale"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        from django.conf import settings

        # Connects the Celery signals that label audit events written by tasks.
        from synapscale import audit_context  # noqa: F401

        # Schema extensions must be imported before drf-spectacular builds the schema.
        from synapscale.api import schema  # noqa: F401
        from synapscale.embedded import describe_services

        logger.info(describe_services(settings))
