from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "executions"
    verbose_name = "Workflows and executions"

    def ready(self):
        from executions.selectors.stats import (
            STATS_NAMESPACE,
            warm_execution_stats,
            workspaces_with_recent_executions,
        )
        from synapscale.cache import Policy, register_warmer

        register_warmer(
            STATS_NAMESPACE,
            policy=Policy.REALTIME,
            warm=warm_execution_stats,
            workspaces=workspaces_with_recent_executions,
        )
