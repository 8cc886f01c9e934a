"""Debian's prometheus, started on a scrape config of the test's, and its query API."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from tests.executions.helpers import wait_for
from tests.monitoring.scraping import free_port

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"


def prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    assert binary, (
        "the prometheus binary is missing: `apt-get install -y prometheus` "
        "(.ci/run installs it); this test is not skipped without it"
    )
    return binary


def scrape_config(*, web: str, workers: list[str], token_file: Path) -> dict:
    """monitoring/prometheus/prometheus.yml with the test's targets, scraped every second."""
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(MONITORING / "prometheus" / "rules" / "*.yml")]
    for job in config["scrape_configs"]:
        if job["job_name"] == "synapscale-web":
            job["static_configs"] = [{"targets": [web]}]
            job["authorization"]["credentials_file"] = str(token_file)
        else:
            job["static_configs"] = [{"targets": workers}]
    return config


class Prometheus:
    def __init__(self, config: dict, run_dir: Path) -> None:
        self.port = free_port()
        config_path = run_dir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        self.log_path = run_dir / "prometheus.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    prometheus_binary(),
                    f"--config.file={config_path}",
                    f"--storage.tsdb.path={run_dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, timeout=30, interval=0.2)

    def _ready(self) -> bool:
        assert self.process.poll() is None, self.log_path.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1):
                return True
        except OSError:
            return False

    def query(self, expr: str) -> list[dict]:
        """The instant vector ``expr`` evaluates to now; fails on a PromQL error."""
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr}
        )
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{expr}: {error.read().decode()}") from None
        assert body["status"] == "success", body
        return body["data"]["result"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
