"""Look for secrets in a pg_dump of the test database (scripts/check_dump_for_secrets.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def check_dump(secrets: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "check_dump_for_secrets.py"),
            "--database-url",
            database_url(),
            "--secrets-file",
            "-",
        ],
        input="\n".join(secrets) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
