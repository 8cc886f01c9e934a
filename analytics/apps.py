from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics.selectors.monitoring import (
            alert_evaluation_check,
            analytics_gauges,
            last_ingest_check,
            rollup_freshness_check,
        )
        from analytics.services import sweepers
        from analytics.services.events import product_event_record, product_events_record_batch
        from analytics.services.exports import exports_building_count
        from analytics.warming import register_analytics_warmers
        from synapscale import product_events
        from synapscale.health.modules import register_module_check
        from synapscale.monitoring.gauges import register_gauge_reader
        from synapscale.quotas import register_usage_reader
        from synapscale.task_policy import register_sweeper

        # Executions and template installs reach analytics through this port (they may not
        # import analytics); events are stored through the same write path as the API's.
        product_events.set_recorder(product_event_record)
        product_events.set_batch_recorder(product_events_record_batch)
        register_analytics_warmers()
        register_usage_reader("exports_building", exports_building_count)
        register_sweeper("report_run", sweepers.report_runs_resend)
        register_sweeper("export", sweepers.exports_resend)
        register_sweeper("alert_notification", sweepers.alert_notifications_resend)
        register_gauge_reader("analytics", analytics_gauges)
        register_module_check("analytics", "last_ingest", last_ingest_check)
        register_module_check("analytics", "rollup_freshness", rollup_freshness_check)
        register_module_check("analytics", "alert_evaluation", alert_evaluation_check)
