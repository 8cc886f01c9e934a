from django.apps import AppConfig
from django.conf import settings

# Several apps have a `status` or `trigger` enum; name ours so the OpenAPI schema stays stable.
ENUM_NAME_OVERRIDES = {
    "ExecutionStatusEnum": "executions.choices.ExecutionStatus",
    "NodeRunStatusEnum": "executions.choices.NodeRunStatus",
    "ExecutionTriggerEnum": "executions.choices.Trigger",
    "ExecutionLogLevelEnum": "executions.choices.LogLevel",
    "ExecutionRetryModeEnum": "executions.choices.RetryMode",
    "ExecutionBulkActionEnum": "executions.choices.BulkAction",
}


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
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, choices in ENUM_NAME_OVERRIDES.items():
            overrides.setdefault(name, choices)
