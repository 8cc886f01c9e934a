"""Platform periodic tasks."""

from synapscale.cache.warming import run_warmers
from synapscale.task_policy import durable_task


@durable_task()
def cache_warm(self, policy: str | None = None) -> int:
    """Run the cache warmers of ``policy``; return how many workspace warmings succeeded."""
    return sum(outcome.ok for outcome in run_warmers(policy_name=policy))
