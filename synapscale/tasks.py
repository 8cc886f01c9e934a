"""Platform periodic tasks."""

from synapscale import product_events
from synapscale.cache.warming import warm_caches
from synapscale.services.audit import audit_events_prune
from synapscale.task_policy import durable_task, periodic_task, sweep_unsent_jobs


@durable_task()
def cache_warm(self, policy: str | None = None) -> int:
    """Run the cache warmers of ``policy``; return how many workspace warmings succeeded."""
    return warm_caches(policy_name=policy)


@periodic_task(name="synapscale.tasks.flush_product_events")
def flush_product_events(self) -> int:
    """Store the buffered product events in batches; return how many were handed over."""
    return product_events.flush_buffer()


@periodic_task(name="synapscale.tasks.sweep_unsent_jobs")
def sweep_jobs(self) -> dict:
    """Re-send the queued jobs whose message the broker never got (every job kind)."""
    return sweep_unsent_jobs()


@periodic_task(name="synapscale.tasks.audit_prune")
def audit_prune(self) -> int:
    """Delete the audit events past AUDIT_RETENTION_DAYS; return how many."""
    return audit_events_prune()
