from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "executions"
    verbose_name = "Workflows and executions"

    def ready(self):
        from executions.selectors.executions import executions_running_count
        from executions.selectors.monitoring import (
            execution_gauges,
            oldest_queued_check,
            sweeper_check,
            workers_answering_check,
        )
        from executions.selectors.stats import (
            STATS_NAMESPACE,
            warm_execution_stats,
            workspaces_with_recent_executions,
        )
        from executions.selectors.workflows import workflows_count
        from synapscale.cache import Policy, register_warmer
        from synapscale.health.modules import register_module_check
        from synapscale.monitoring.gauges import register_gauge_reader
        from synapscale.quotas import register_usage_reader

        register_warmer(
            STATS_NAMESPACE,
            policy=Policy.REALTIME,
            warm=warm_execution_stats,
            workspaces=workspaces_with_recent_executions,
        )
        register_usage_reader("workflows", workflows_count)
        register_usage_reader("executions_running", executions_running_count)
        register_gauge_reader("executions", execution_gauges)
        register_module_check("executions", "workers", workers_answering_check)
        register_module_check("executions", "oldest_queued", oldest_queued_check)
        register_module_check("executions", "sweeper", sweeper_check)
