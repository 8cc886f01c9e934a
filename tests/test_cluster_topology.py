"""scripts/cluster_kit/topology.py: the cluster's pure parts (addresses, environments, configs).

The cluster itself (namespaces, servers) is run by `scripts/cluster.py`, not by the test suite.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "scripts" / "cluster_kit" / "topology.py"
_spec = importlib.util.spec_from_file_location("cluster_topology", PATH)
topology = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = topology  # dataclasses look their module up while building
_spec.loader.exec_module(topology)

STATE = {
    "dir": "/tmp/synapscale-cluster",
    "broker": "rabbitmq",
    "primary": "pg1",
    "standby": "pg2",
    "media_root": "/tmp/synapscale-cluster/media",
    "secrets": {"django": "d", "fernet": "f", "metrics": "m", "erlang_cookie": "c"},
}


def test_every_address_is_private_to_the_cluster_and_used_once():
    topology.check_addresses()
    addresses = [host.address for host in topology.HOSTS]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in topology.SUBNET for a in addresses)
    assert topology.BRIDGE_ADDRESS not in addresses


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ((topology.Host("x", "10.78.0.5", "web"),), "outside"),
        ((topology.Host("x", "10.77.0.5", "web"), topology.Host("y", "10.77.0.5", "web")), "twice"),
        ((topology.Host("x", topology.BRIDGE_ADDRESS, "web"),), "twice"),
        ((topology.Host("a-long-name", "10.77.0.5", "web"),), "15 bytes"),
    ],
)
def test_a_wrong_topology_is_refused(hosts, message):
    with pytest.raises(ValueError, match=message):
        topology.check_addresses(hosts)


def test_application_processes_run_production_settings_on_the_cluster_servers():
    env = topology.app_environment(STATE, host_name="web1", base_env={"PATH": "/usr/bin"})
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert env["DATABASE_URL"] == "postgres://postgres@10.77.0.11:5432/synapscale"
    assert env["DATABASE_REPLICA_URL"] == "postgres://postgres@10.77.0.12:5432/synapscale"
    assert env["CELERY_BROKER_URL"] == "amqp://guest:guest@10.77.0.14:5672//"
    assert env["REDIS_URL"] == "redis://10.77.0.13:6379/0"
    assert env["TRUSTED_PROXIES"] == "10.77.0.10"
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/synapscale-cluster/prometheus/web1"
    assert env["PATH"] == "/usr/bin"


def test_after_failover_the_promoted_standby_is_the_database_and_there_is_no_replica():
    state = {**STATE, "primary": "pg2", "standby": None, "broker": "redis"}
    env = topology.app_environment(state, host_name="worker1", base_env={})
    assert env["DATABASE_URL"] == "postgres://postgres@10.77.0.12:5432/synapscale"
    assert "DATABASE_REPLICA_URL" not in env
    assert env["CELERY_BROKER_URL"] == "redis://10.77.0.13:6379/1"


def test_the_balancer_checks_and_round_robins_every_web_host():
    config = topology.haproxy_config()
    assert "balance roundrobin" in config
    assert "bind 10.77.0.10:80" in config
    for name in topology.WEB_HOSTS:
        assert f"server {name} {topology.host(name).address}:8000 check" in config


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert topology.percentile(values, 0.5) == 50
    assert topology.percentile(values, 0.99) == 99
    assert topology.percentile(values, 1.0) == 100
    assert topology.percentile([3.0], 0.95) == 3
    assert topology.percentile([], 0.5) == 0


def test_scaling_ratios_are_relative_to_one_host():
    assert topology.scaling_ratios({2: 5.0, 1: 2.5, 3: 6.0}) == {1: 1.0, 2: 2.0, 3: 2.4}
    assert topology.scaling_ratios({2: 5.0}) == {2: 0.0}
