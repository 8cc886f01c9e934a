import logging

from django.apps import AppConfig

logger = logging.getLogger("synapscale")


class SynapscaleConfig(AppConfig):
    name = "synapscale"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        from django.conf import settings

        # Schema extensions must be imported before drf-spectacular builds the schema.
        from synapscale.api import schema  # noqa: F401
        from synapscale.embedded import describe_services
        from synapscale.health.modules import register_platform_checks
        from synapscale.monitoring.gauges import register_gauge_reader
        from synapscale.monitoring.platform_gauges import (
            broker_gauges,
            database_gauges,
            schedule_gauges,
        )

        logger.info(describe_services(settings))
        register_gauge_reader("broker", broker_gauges)
        register_gauge_reader("schedule", schedule_gauges)
        register_gauge_reader("database", database_gauges)
        register_platform_checks()
