"""Writes of the executions app: workflows, executions, running them, retention."""

# synapscale.api.exceptions imports rest_framework.views, whose settings import
# synapscale.api.parsers, which imports synapscale.api.exceptions back. Loading DRF's views
# first (as any request does) keeps that cycle from breaking processes that reach our
# services before DRF, such as admin autodiscovery and Celery workers.
import rest_framework.views  # noqa: F401
