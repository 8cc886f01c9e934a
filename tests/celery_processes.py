"""Real Celery processes (workers, beat) on the test database, started as subprocesses.

The processes run `celery -A config` from this checkout with the test settings, pointed at
the test database pytest made, the test Redis and the broker of the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil
from django.conf import settings
from django.db import connection

from tests.executions.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    from config.celery_app import app

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": app.conf.broker_url,
        "PYTHONUNBUFFERED": "1",
        # The tests' HTTP servers listen on 127.0.0.1, which production blocks.
        "EXECUTIONS_HTTP_BLOCK_PRIVATE_NETWORKS": "false",
        **extra,
    }


@dataclass
class CeleryProcess:
    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, *, timeout: float = 60) -> None:
        try:
            wait_for(lambda: text in self.log or self.process.poll() is not None, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"{self.name}: no {text!r} in {timeout}s:\n{self.log}") from None
        assert text in self.log, f"{self.name} exited ({self.process.returncode}):\n{self.log}"

    def pool_children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def signal(self, number: int) -> None:
        os.kill(self.process.pid, number)

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGKILL the whole process group (the pool children too), whatever state it is in."""
        # The group outlives a main process that exited: its orphaned children stay in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def beat_lock_clear() -> None:
    """Drop the beat lock a SIGKILLed beat of an earlier test left, which would keep the next
    test's beat a standby until it expired (synapscale/beat_lock.py)."""
    from django_redis import get_redis_connection

    from synapscale.beat_lock import LOCK_KEY

    get_redis_connection("default").delete(LOCK_KEY)


def start_celery(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> CeleryProcess:
    """Start ``celery -A config <argv>`` in its own process group, logging to ``log_dir``."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *argv],
            cwd=ROOT,
            env=process_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() takes the children
        )
    return CeleryProcess(name, process, log_path)
