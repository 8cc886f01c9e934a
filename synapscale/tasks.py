"""Platform periodic tasks."""

from celery import shared_task

from synapscale.cache.warming import run_warmers


@shared_task(bind=True, acks_late=True)
def cache_warm(self, policy: str | None = None) -> int:
    """Run the cache warmers of ``policy``; return how many workspace warmings succeeded."""
    return sum(outcome.ok for outcome in run_warmers(policy_name=policy))
