"""PostgreSQL restarts while clients send events: every acknowledged event is stored once.

The server really restarts (`pg_ctl restart -m fast`, as the data directory's owner): the
machine's cluster in CI, the embedded one on a fresh machine.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from analytics.models import Event
from tests.chaos.clients import RetryingClient, Traffic
from tests.executions.helpers import wait_for

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.shared_servers,
    pytest.mark.django_db(transaction=True),
]

BATCHES = 60
DEBIAN_CLUSTER = re.compile(r"/var/lib/postgresql/([0-9.]+)/([^/]+)")


def restart_postgres(log_dir: Path) -> float:
    """Restart the server the tests use; return how long the restart took."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_dir = Path(cursor.fetchone()[0])
    connection.close()
    debian = DEBIAN_CLUSTER.fullmatch(str(data_dir))
    if debian and shutil.which("pg_ctlcluster"):
        # Debian's wrapper keeps the cluster's own options and log file.
        version, cluster = debian.groups()
        argv = ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"]
        argv += ["-m", "fast"]
    else:  # the embedded server, or a cluster of one's own
        postmaster_pid = (data_dir / "postmaster.pid").read_text().split()[0]
        pg_ctl = Path(f"/proc/{postmaster_pid}/exe").resolve().with_name("pg_ctl")
        # pg_ctl restart reuses the options the server was started with (postmaster.opts).
        argv = [str(pg_ctl), "restart", "-D", str(data_dir), "-m", "fast", "-w"]
        argv += ["-l", str(log_dir / "postgres.log")]
        owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name
        if owner != pwd.getpwuid(os.getuid()).pw_name:
            argv = ["runuser", "-u", owner, "--", *argv]
    started = time.monotonic()
    # No pipes: the restarted server inherits them and would hold them open for good.
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        timeout=90,
    )
    return time.monotonic() - started


def test_events_acknowledged_across_a_postgres_restart_are_stored_once(
    live_server, workspace, tmp_path
):
    client = RetryingClient(live_server.url, {"X-Ingestion-Key": workspace.ingestion_key})
    traffic = Traffic(client, run_path="", runs=0, batches=BATCHES, events_per_batch=50)
    traffic.start()
    wait_for(lambda: len(traffic.acknowledged_events) >= 500, timeout=60)
    away = restart_postgres(tmp_path)
    traffic.join(timeout=180)
    assert not traffic.is_alive()

    stored = list(
        Event.objects.filter(workspace=workspace, event_type="click").values_list(
            "event_id", flat=True
        )
    )
    print(f"restart took {away:.1f}s; answers {dict(client.statuses)}")
    assert traffic.given_up == 0
    assert len(traffic.acknowledged_events) == BATCHES * 50
    assert {str(event_id) for event_id in stored} == traffic.acknowledged_events  # none lost
    assert len(stored) == len(set(stored))  # none doubled
    assert client.statuses[500] == 0
    assert client.statuses[503] >= 1, "no request met the restart"
    assert set(client.retry_afters) == {"2"}
    assert client.slowest_answer < 1.0  # a refused connection answers at once: no hung worker
