"""Shared fixtures: users, workspaces, authenticated API clients and a real Celery worker."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from synapscale.choices import Role, TokenScope
from synapscale.services.tokens import token_create
from synapscale.services.workspaces import membership_set, workspace_create
from tests.factories import UserFactory

TEST_PASSWORD = "correct-horse-battery"


def _clear_cache_keys() -> None:
    # Only our keys: the Celery broker may share this Redis database.
    conn = get_redis_connection("default")
    keys = list(conn.scan_iter(match="synapscale*", count=1000))
    if keys:
        conn.delete(*keys)


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo
blocked_connections: list[tuple] = []
LOCAL_NAMES = frozenset({"localhost", "testserver"})


def _hermetic_getaddrinfo(host, port, *args, **kwargs):
    """Resolve only IP literals and local names: a test never asks a DNS server anything.

    Installed when this module is imported, before any test module, so fake-DNS fixtures that
    keep "the real getaddrinfo" for fallback keep this one.
    """
    name = host.decode() if isinstance(host, bytes) else host
    if name in LOCAL_NAMES or (isinstance(name, str) and name.endswith(".localhost")):
        # Answered here: the system resolver might ask DNS for "testserver" or "x.localhost".
        return _real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
    if name is not None:
        try:
            ipaddress.ip_address(str(name).split("%")[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no names ({name})") from None
    return _real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _hermetic_getaddrinfo


def _is_local(address) -> bool:
    if not isinstance(address, tuple):  # a unix socket path
        return True
    try:
        return ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
    except ValueError:
        return str(address[0]) == "localhost"


def _guarded_connect(sock, address):
    if not _is_local(address):
        blocked_connections.append(address)
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {address!r}")
    return _real_connect(sock, address)


def _guarded_connect_ex(sock, address):
    if not _is_local(address):
        blocked_connections.append(address)
        return 111  # ECONNREFUSED
    return _real_connect_ex(sock, address)


def _guarded_sendto(sock, data, *args):
    # sendto(data, address) or sendto(data, flags, address): an unconnected UDP send.
    address = args[-1]
    if not _is_local(address):
        blocked_connections.append(address)
        raise ConnectionRefusedError(f"tests may only send to loopback, not {address!r}")
    return _real_sendto(sock, data, *args)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only_network():
    """No test reaches past this machine: other addresses are refused before a packet leaves
    (and names other than local ones are not resolved, see _hermetic_getaddrinfo).

    It covers Python sockets (connect and UDP sendto); C libraries that open their own
    sockets, like libpq, are pointed at local servers by the test settings instead.

    Tests of what code *tries* to reach (DNS rebinding defences) read
    ``blocked_connections``.
    """
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.socket.sendto = _guarded_sendto
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.socket.sendto = _real_sendto


@pytest.fixture
def refused_connections():
    """The non-loopback addresses code tried to connect to during this test."""
    start = len(blocked_connections)
    yield lambda: blocked_connections[start:]


@pytest.fixture(autouse=True)
def _isolated_cache():
    from synapscale.ratelimits import refusals_forget

    _clear_cache_keys()
    refusals_forget()  # refusals this process remembers are per-window cache too
    yield


@pytest.fixture
def rate_limits(settings):
    """Lower some groups' rates for one test: ``rate_limits(auth="2/m")``."""

    def set_rates(**rates: str) -> None:
        table = dict(settings.RATE_LIMITS)
        for group, rate in rates.items():
            table[group] = {**table[group], "rate": rate}
        settings.RATE_LIMITS = table

    return set_rates


# What the staff fixtures may do beyond is_staff: moderate the marketplace. Tests of
# view-only staff use make_user(..., staff=True, permissions=()).
MODERATOR_PERMISSIONS = (
    "templates_app.change_template",
    "templates_app.change_review",
    "templates_app.change_collection",
)


def grant_permissions(user, *names: str) -> None:
    """Give ``user`` the model permissions ``app_label.codename`` (and forget the cache)."""
    from django.contrib.auth.models import Permission

    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)


def make_user(username: str, *, staff: bool = False, permissions=MODERATOR_PERMISSIONS):
    """Create a user with a personal workspace, as registration does.

    Staff get ``permissions`` (the marketplace moderator's by default).
    """
    user = UserFactory(username=username, is_staff=staff)
    workspace_create(name=f"{username}'s workspace", owner=user, is_personal=True)
    if staff:
        grant_permissions(user, *permissions)
    return user


def client_for(user, *, scopes=tuple(TokenScope.values)) -> APIClient:
    """An API client with a new personal access token of ``user`` (every scope by default)."""
    client = APIClient()
    created = token_create(user=user, name="tests", scopes=scopes)
    client.credentials(HTTP_AUTHORIZATION=f"Token {created.secret}")
    client.token = created.token
    return client


@pytest.fixture
def user(db):
    return make_user("alice")


@pytest.fixture
def other_user(db):
    return make_user("bob")


@pytest.fixture
def staff_user(db):
    return make_user("staffer", staff=True)


@pytest.fixture
def workspace(user):
    return user.memberships.select_related("workspace").get(workspace__is_personal=True).workspace


@pytest.fixture
def other_workspace(other_user):
    return (
        other_user.memberships.select_related("workspace")
        .get(workspace__is_personal=True)
        .workspace
    )


@pytest.fixture
def api_client(user):
    return client_for(user)


@pytest.fixture
def other_api_client(other_user):
    return client_for(other_user)


@pytest.fixture
def staff_api_client(staff_user):
    return client_for(staff_user)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def make_member(db):
    """Return ``make(workspace, user, role)`` that adds ``user`` to ``workspace``."""

    def make(workspace, user, role=Role.MEMBER):
        return membership_set(workspace=workspace, user=user, role=role)

    return make


@pytest.fixture
def celery_worker(transactional_db):
    """Run a real Celery worker (threads) on the real broker for the duration of a test."""
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.control.purge()  # tasks left by earlier tests refer to rows that no longer exist
    with start_worker(
        app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        queues=[queue.name for queue in app.conf.task_queues],  # every workload's
        shutdown_timeout=30,
    ) as worker:
        yield worker


@pytest.fixture
def redis_down(settings):
    """Point the cache (and the engine's Redis) at a port where nothing listens.

    The Celery broker keeps its own (working) connection.
    """
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                **settings.CACHES["default"].get("OPTIONS", {}),
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        },
    }
