"""Developer tools of the local settings: the debug toolbar and SQL logging, nowhere else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import django, logging
django.setup()
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
call_command("check", fail_level="WARNING")
print("toolbar-app", "debug_toolbar" in settings.INSTALLED_APPS)
print("toolbar-html", b"djDebug" in Client(HTTP_HOST="127.0.0.1").get("/admin/login/").content)
with connection.cursor() as cursor:
    cursor.execute("SELECT 41 + 1")
"""


@pytest.fixture
def test_database_url(db) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{params['USER']}{password}@{params['HOST']}:{params['PORT']}/{name}"


def run_local(database_url: str, **env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_local_settings_show_the_toolbar_and_log_sql_when_asked(test_database_url):
    probe = run_local(test_database_url, DJANGO_DEBUG_TOOLBAR="true", SQL_LOG="true")
    assert probe.returncode == 0, probe.stderr
    assert "toolbar-app True" in probe.stdout and "toolbar-html True" in probe.stdout
    assert "SELECT 41 + 1" in probe.stderr  # the console handler writes to stderr


def test_without_the_switches_there_is_no_toolbar_and_no_sql_log(test_database_url):
    probe = run_local(test_database_url, DJANGO_DEBUG_TOOLBAR="false", SQL_LOG="false")
    assert probe.returncode == 0, probe.stderr
    assert "toolbar-app False" in probe.stdout
    assert "SELECT 41 + 1" not in probe.stderr


def test_the_test_settings_have_no_toolbar():
    assert "debug_toolbar" not in settings.INSTALLED_APPS
