"""How long sending a job takes when the broker is down, with the project's Celery settings.

Four brokers that are down: Redis and RabbitMQ URLs on a port where nothing listens
(refused), and on a socket that accepts connections and never answers (hung). For each,
the seconds one `apply_async` takes before it gives up; the request that queued the job
waits that long, then answers as usual (the job's row stays queued for the sweeper).

    .venv/bin/python benchmarks/broker_down.py
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def publish_seconds(app, task, url: str) -> tuple[float, str]:
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    started = time.monotonic()
    try:
        task.apply_async(args=[0])
        outcome = "sent"
    except Exception as exc:  # what a down broker raises is the point of the measurement
        outcome = type(exc).__name__
    return round(time.monotonic() - started, 3), outcome


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from analytics.tasks import export_build_task
    from config.celery_app import app

    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)  # accepts into the backlog, never reads or answers
    port = hung.getsockname()[1]
    brokers = {
        "redis refused": "redis://127.0.0.1:1/0",
        "redis hung": f"redis://127.0.0.1:{port}/0",
        "amqp refused": "amqp://guest:guest@127.0.0.1:1//",
        "amqp hung": f"amqp://guest:guest@127.0.0.1:{port}//",
    }
    report = {
        "connect_timeout_s": app.conf.broker_connection_timeout,
        "socket_timeout_s": app.conf.broker_transport_options.get("socket_timeout"),
        "publish_retry_policy": app.conf.task_publish_retry_policy,
    }
    for name, url in brokers.items():
        seconds, outcome = publish_seconds(app, export_build_task, url)
        report[name] = {"seconds": seconds, "raised": outcome}
    hung.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
