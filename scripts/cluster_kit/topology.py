"""The cluster's shape, pure: hosts and addresses, each process's environment, configs.

Nothing here touches the machine, so it is what the unit tests cover
(tests/scripts/test_cluster_topology.py); hosts.py and services.py act on it.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

SUBNET = ipaddress.ip_network("10.77.0.0/24")
BRIDGE = "synbr0"
BRIDGE_ADDRESS = "10.77.0.1"  # the root namespace's foot on the bridge: the load generator
NAMESPACE_PREFIX = "syn-"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
AMQP_PORT = 5672
WEB_PORT = 8000
BALANCER_PORT = 80
DATABASE_NAME = "synapscale"
EXECUTION_QUEUES = "default,high"
ANALYTICS_QUEUES = "analytics,maintenance"


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    role: str

    @property
    def namespace(self) -> str:
        return NAMESPACE_PREFIX + self.name

    @property
    def veth(self) -> str:
        # Interface names are at most 15 bytes: "synv-" + a host name of at most 10.
        return "synv-" + self.name


# One host per role, as they would be machines: the fourth octet groups them by kind.
HOSTS = (
    Host("lb", "10.77.0.10", "balancer"),
    Host("pg1", "10.77.0.11", "postgres"),
    Host("pg2", "10.77.0.12", "postgres"),
    Host("redis", "10.77.0.13", "redis"),
    Host("mq", "10.77.0.14", "rabbitmq"),
    Host("web1", "10.77.0.21", "web"),
    Host("web2", "10.77.0.22", "web"),
    Host("worker1", "10.77.0.31", "worker"),
    Host("worker2", "10.77.0.32", "worker"),
    Host("worker3", "10.77.0.33", "worker"),
    Host("analytics", "10.77.0.34", "analytics-worker"),
    Host("beat", "10.77.0.40", "beat"),
)
HOSTS_BY_NAME = {host.name: host for host in HOSTS}
WEB_HOSTS = tuple(h.name for h in HOSTS if h.role == "web")
EXECUTION_WORKER_HOSTS = tuple(h.name for h in HOSTS if h.role == "worker")
APP_HOSTS = (*WEB_HOSTS, *EXECUTION_WORKER_HOSTS, "analytics", "beat")


def host(name: str) -> Host:
    return HOSTS_BY_NAME[name]


def check_addresses(hosts: tuple[Host, ...] = HOSTS) -> None:
    """Every address is in SUBNET, none is the bridge's, none is used twice."""
    seen = {BRIDGE_ADDRESS}
    for item in hosts:
        address = ipaddress.ip_address(item.address)
        if address not in SUBNET:
            raise ValueError(f"{item.name}: {item.address} is outside {SUBNET}")
        if item.address in seen:
            raise ValueError(f"{item.name}: {item.address} is used twice")
        if len(item.veth) > 15:
            raise ValueError(f"{item.name}: interface name {item.veth} is over 15 bytes")
        seen.add(item.address)


def database_url(primary: str) -> str:
    return f"postgres://postgres@{host(primary).address}:{POSTGRES_PORT}/{DATABASE_NAME}"


def broker_url(broker: str) -> str:
    if broker == "rabbitmq":
        return f"amqp://guest:guest@{host('mq').address}:{AMQP_PORT}//"
    return f"redis://{host('redis').address}:{REDIS_PORT}/1"


# Load comes from one client: the limits stay on (each request is still counted) but far
# above what the cluster can serve, so a refusal never hides a cluster figure.
UNLIMITED_RATE_GROUPS = ("RUN", "READS", "WRITES", "INGEST", "CAPTURE", "HOOKS", "AUTH")


def app_environment(state: dict, *, host_name: str, base_env: dict) -> dict:
    """The environment of a web, worker or beat process of this cluster (production settings)."""
    secrets = state["secrets"]
    env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url(state["primary"]),
        "REDIS_URL": f"redis://{host('redis').address}:{REDIS_PORT}/0",
        "CELERY_BROKER_URL": broker_url(state["broker"]),
        "DJANGO_SECRET_KEY": secrets["django"],
        "CREDENTIALS_ENCRYPTION_KEYS": secrets["fernet"],
        "METRICS_TOKEN": secrets["metrics"],
        "ALLOWED_HOSTS": f"{host('lb').address},{host(host_name).address},localhost",
        # Plain HTTP inside the cluster's network: no HTTPS redirect.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXIES": host("lb").address,
        "MEDIA_ROOT": state["media_root"],
        "PROMETHEUS_MULTIPROC_DIR": f"{state['dir']}/prometheus/{host_name}",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
        "WEB_ACCESS_LOG": "",
        "PORT": str(WEB_PORT),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "EXECUTIONS_MAX_CONCURRENT_PER_WORKSPACE": "200",
        "WORKSPACE_QUOTA_EXECUTIONS_PER_DAY": "100000000",
        "WORKSPACE_QUOTA_EVENTS_PER_DAY": "1000000000",
        **{f"RATE_LIMIT_{group}": "1000000/s" for group in UNLIMITED_RATE_GROUPS},
    }
    if state.get("standby"):
        env["DATABASE_REPLICA_URL"] = database_url(state["standby"])
    return env


def postgres_conf() -> str:
    """Lines appended to both servers' postgresql.conf (the address is given at start)."""
    return "\n".join(
        [
            "# scripts/cluster.py",
            "port = 5432",
            "max_connections = 300",
            "shared_buffers = 128MB",
            "wal_level = replica",
            "max_wal_senders = 5",
            "max_replication_slots = 5",
            "wal_keep_size = 256MB",
            "hot_standby = on",
            # Analytics reads on the standby: the primary keeps the rows they still see, and
            # replay waits up to 30 s before it cancels one that conflicts.
            "hot_standby_feedback = on",
            "max_standby_streaming_delay = 30s",
            "",
        ]
    )


def pg_hba() -> str:
    return "\n".join(
        [
            "local all all trust",
            f"host all all {SUBNET} trust",
            f"host replication all {SUBNET} trust",
            "",
        ]
    )


def haproxy_config(web_hosts: tuple[str, ...] = WEB_HOSTS) -> str:
    """Round robin over the web hosts; a host failing its health check is taken out."""
    servers = "\n".join(
        f"    server {name} {host(name).address}:{WEB_PORT} check inter 500 fall 2 rise 2"
        for name in web_hosts
    )
    return f"""global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A connection refused by a dead host is tried on the other one; a request already
    # sent is not replayed (the client retries it, with its idempotency key).
    retries 2
    option redispatch
    retry-on conn-failure

frontend api
    bind {host("lb").address}:{BALANCER_PORT}
    option forwardfor
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/live/ ver HTTP/1.1 hdr Host localhost
{servers}
"""


def rabbitmq_conf() -> str:
    # guest may connect from other hosts: the cluster's network is private to this machine.
    return "loopback_users = none\nlisteners.tcp.default = 5672\n"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in [0, 1]) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def scaling_ratios(throughputs: dict[int, float]) -> dict[int, float]:
    """Each host count's throughput divided by the one-host throughput."""
    base = throughputs.get(1) or 0.0
    return {count: (value / base if base else 0.0) for count, value in sorted(throughputs.items())}
