"""Prometheus metrics beyond django-prometheus': workers, routes, queues, business gauges.

Label values come from small closed sets (task names, route templates, statuses, queue
names, problem types): never a workspace, user or execution id (docs/monitoring.md).
"""
