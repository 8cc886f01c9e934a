"""The servers and the application processes of each host, started and checked."""

from __future__ import annotations

import secrets
import shutil
import socket
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet

from . import topology, traffic
from .hosts import (
    PYTHON,
    ROOT,
    ClusterError,
    State,
    base_environment,
    create_network,
    in_namespace,
    run,
    start,
    wait_until,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def port_open(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def as_postgres(host_name: str, argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: its data directories belong to the postgres user.
    return in_namespace(host_name, ["runuser", "-u", "postgres", "--", *argv])


def pg_ctl(state: State, host_name: str, action: str, *extra: str, timeout: float = 90) -> str:
    data = f"{state['dir']}/{host_name}"
    address = topology.host(host_name).address
    # No unix socket: the machine's own PostgreSQL has /var/run/postgresql, and one inside the
    # data directory would be copied into the standby's by pg_basebackup.
    options = f"-c listen_addresses={address} -c unix_socket_directories=''"
    argv = [str(PG_BIN / "pg_ctl"), "-D", data, "-w", "-t", str(int(timeout)), action, *extra]
    if action == "start":
        log = state.log(f"postgres-{host_name}")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch()
        shutil.chown(log, "postgres", "postgres")
        argv += ["-l", str(log), "-o", options]
    return run(as_postgres(host_name, argv), timeout=timeout + 10, env=base_environment())


def postgres_directory(state: State, host_name: str) -> Path:
    """An empty data directory owned by the postgres user (initdb and pg_basebackup fill it)."""
    data = Path(state["dir"]) / host_name
    data.mkdir(mode=0o700, parents=True, exist_ok=False)
    shutil.chown(data, "postgres", "postgres")
    return data


def start_postgres_primary(state: State, host_name: str = "pg1") -> None:
    data = postgres_directory(state, host_name)
    run(
        as_postgres(
            host_name,
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        ),
        timeout=120,
        env=base_environment(),
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(topology.postgres_conf())
    (data / "pg_hba.conf").write_text(topology.pg_hba())
    pg_ctl(state, host_name, "start")
    sql(state, host_name, f"CREATE DATABASE {topology.DATABASE_NAME}", database="postgres")


def start_postgres_standby(state: State, host_name: str = "pg2", primary: str = "pg1") -> None:
    """pg_basebackup from the primary (with a replication slot), then a hot standby."""
    data = postgres_directory(state, host_name)
    argv = [
        str(PG_BIN / "pg_basebackup"),
        "-h",
        topology.host(primary).address,
        "-U",
        "postgres",
        "-D",
        str(data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "-C",
        "-S",
        f"standby_{host_name}",
    ]
    run(as_postgres(host_name, argv), timeout=300, env=base_environment())
    pg_ctl(state, host_name, "start")
    wait_until(
        lambda: replication_streaming(state, primary),
        timeout=30,
        what="the standby streaming from the primary",
    )


def sql(
    state: State,
    host_name: str,
    statement: str,
    params: list | None = None,
    *,
    database: str | None = None,
) -> list:
    """Run one statement on a PostgreSQL host (over the bridge) and return its rows."""
    dsn = f"host={topology.host(host_name).address} port={topology.POSTGRES_PORT} user=postgres"
    dsn += f" dbname={database or topology.DATABASE_NAME} connect_timeout=2"
    with psycopg.connect(dsn, autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def replication_streaming(state: State, primary: str) -> bool:
    try:
        rows = sql(state, primary, "SELECT state FROM pg_stat_replication", database="postgres")
    except Exception:
        return False
    return any(row[0] == "streaming" for row in rows)


def start_redis(state: State) -> None:
    data = Path(state["dir"]) / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        "redis-server",
        "--bind",
        topology.host("redis").address,
        "--port",
        str(topology.REDIS_PORT),
        "--dir",
        str(data),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--protected-mode",
        "no",
    ]
    start(state, "redis", "redis", argv, env=base_environment())
    wait_until(
        lambda: port_open(topology.host("redis").address, topology.REDIS_PORT),
        timeout=20,
        what="redis",
    )


def start_rabbitmq(state: State) -> None:
    """The machine's rabbitmq-server with a node name, cookie, mnesia and logs of its own."""
    home = Path(state["dir"]) / "rabbitmq"
    (home / "mnesia").mkdir(parents=True, exist_ok=True)
    (home / "log").mkdir(parents=True, exist_ok=True)
    (home / "rabbitmq.conf").write_text(topology.rabbitmq_conf())
    (home / "enabled_plugins").write_text("[].\n")
    cookie = home / ".erlang.cookie"
    cookie.write_text(state["secrets"]["erlang_cookie"])
    cookie.chmod(0o400)
    env = {
        **base_environment(),
        "HOME": str(home),
        "RABBITMQ_NODENAME": "synapscale@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": topology.host("mq").address,
        "RABBITMQ_NODE_PORT": str(topology.AMQP_PORT),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
    }
    start(state, "rabbitmq", "mq", [RABBITMQ_SERVER], env=env)
    wait_until(
        lambda: port_open(topology.host("mq").address, topology.AMQP_PORT),
        timeout=90,
        what="rabbitmq",
    )


def app_env(state: State, host_name: str) -> dict:
    env = topology.app_environment(state.data, host_name=host_name, base_env=base_environment())
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    return env


def manage(state: State, *args: str, timeout: float = 300) -> str:
    # Run from web1, as a release step would be run from an application host.
    argv = in_namespace("web1", [PYTHON, "manage.py", *args])
    return run(argv, timeout=timeout, env=app_env(state, "web1"), cwd=ROOT)


def start_web(state: State, host_name: str) -> None:
    argv = [PYTHON, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
    start(state, f"web-{host_name}", host_name, argv, env=app_env(state, host_name))


def web_ready(host_name: str) -> bool:
    return port_open(topology.host(host_name).address, topology.WEB_PORT)


def start_worker(state: State, host_name: str) -> None:
    queues = topology.ANALYTICS_QUEUES if host_name == "analytics" else topology.EXECUTION_QUEUES
    env = app_env(state, host_name)
    argv = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=INFO",
        f"--queues={queues}",
        "--concurrency=2",
        f"--hostname={host_name}@%h",
    ]
    start(state, f"worker-{host_name}", host_name, argv, env=env)


def start_beat(state: State) -> None:
    schedule = Path(state["dir"]) / "beat"
    schedule.mkdir(parents=True, exist_ok=True)
    argv = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel=WARNING",
        f"--pidfile={schedule / 'beat.pid'}",
    ]
    start(state, "beat", "beat", argv, env=app_env(state, "beat"))


def start_balancer(state: State) -> None:
    if not shutil.which("haproxy"):
        print("haproxy is missing: installing Debian's package (apt-get install haproxy)")
        run(["apt-get", "update", "-qq"], timeout=300)
        run(["apt-get", "install", "-y", "-qq", "haproxy"], timeout=300)
    config = Path(state["dir"]) / "haproxy.cfg"
    config.write_text(topology.haproxy_config())
    run(["haproxy", "-c", "-f", str(config)], timeout=30)
    start(state, "haproxy", "lb", ["haproxy", "-db", "-f", str(config)], env=base_environment())
    wait_until(balancer_serves, timeout=30, what="haproxy serving /health/live/")


def balancer_serves() -> bool:
    try:
        return httpx.get(f"{traffic.balancer_url()}/health/live/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def new_secrets() -> dict:
    return {
        "django": secrets.token_urlsafe(50),
        "fernet": Fernet.generate_key().decode(),
        "metrics": secrets.token_urlsafe(24),
        "erlang_cookie": secrets.token_hex(20).upper(),
    }


def check_prerequisites() -> None:
    missing = [path for path in (str(PG_BIN / "initdb"), PYTHON) if not Path(path).exists()]
    missing += [name for name in ("redis-server", "ip", "runuser") if not shutil.which(name)]
    if missing:
        raise ClusterError(f"missing: {', '.join(missing)} (run `make install` first)")


def bring_up(state: State) -> None:
    """Every server, then migrations, then the application hosts behind the balancer."""
    check_prerequisites()
    if (
        run(
            ["runuser", "-u", "postgres", "--", "sh", "-c", f"test -x '{state['dir']}' && echo ok"],
            check=False,
        ).strip()
        != "ok"
    ):
        raise ClusterError(f"the postgres user cannot reach {state['dir']}: choose another --dir")
    create_network(state)
    print("network: bridge", topology.BRIDGE, "and", len(topology.HOSTS), "namespaces")
    start_postgres_primary(state)
    start_postgres_standby(state)
    print("postgres: primary pg1 and a hot standby pg2, streaming")
    start_redis(state)
    if state["broker"] == "rabbitmq":
        start_rabbitmq(state)
    print("redis" + (" and rabbitmq" if state["broker"] == "rabbitmq" else " (also the broker)"))
    manage(state, "migrate", "--noinput", "-v", "0", timeout=600)
    manage(state, "sync_schedules")
    print("database migrated, schedules synced")
    for name in topology.WEB_HOSTS:
        start_web(state, name)
    for name in (*topology.EXECUTION_WORKER_HOSTS, "analytics"):
        start_worker(state, name)
    start_beat(state)
    for name in topology.WEB_HOSTS:
        wait_until(lambda name=name: web_ready(name), timeout=120, what=f"gunicorn on {name}")
    start_balancer(state)
    print("web1, web2 behind haproxy on", f"http://{topology.host('lb').address}/")
