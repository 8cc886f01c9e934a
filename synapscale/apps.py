import logging

from django.apps import AppConfig

logger = logging.getLogger("synapscale")


def _audit_logins() -> None:
    # Django's own signals: they cover the admin's login and every authenticate() call.
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    from synapscale.services.accounts import user_login_failure_record, user_login_record

    def logged_in(sender, request, user, **kwargs):
        user_login_record(user=user, request=request, via="session")

    def login_failed(sender, credentials, request=None, **kwargs):
        user_login_failure_record(username=str(credentials.get("username", "")), request=request)

    user_logged_in.connect(logged_in, weak=False, dispatch_uid="synapscale_audit_login")
    user_login_failed.connect(login_failed, weak=False, dispatch_uid="synapscale_audit_failure")


class SynapscaleConfig(AppConfig):
    name = "synapscale"
    verbose_name = "Accounts and workspaces"

    def ready(self):
        from django.conf import settings

        # Connects the Celery signals that label audit events written by tasks.
        # Schema extensions must be imported before drf-spectacular builds the schema.
        from synapscale import (
            audit_context,  # noqa: F401
            signals,  # noqa: F401
        )
        from synapscale.api import schema  # noqa: F401
        from synapscale.embedded import describe_services
        from synapscale.health.modules import register_platform_checks
        from synapscale.monitoring.gauges import register_gauge_reader
        from synapscale.monitoring.platform_gauges import (
            broker_gauges,
            database_gauges,
            schedule_gauges,
        )

        _audit_logins()

        logger.info(describe_services(settings))
        register_gauge_reader("broker", broker_gauges)
        register_gauge_reader("schedule", schedule_gauges)
        register_gauge_reader("database", database_gauges)
        register_platform_checks()
