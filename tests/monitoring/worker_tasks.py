"""Tasks a test worker loads with ``--include``: one returns, one raises, one retries once."""

from celery import shared_task


@shared_task(name="tests.monitoring.succeed")
def succeed(value: int) -> int:
    return value


@shared_task(name="tests.monitoring.fail")
def fail() -> None:
    raise ValueError("this task always fails")


@shared_task(bind=True, name="tests.monitoring.retry_once")
def retry_once(self) -> int:
    if self.request.retries < 1:
        raise self.retry(countdown=0)
    return self.request.retries
