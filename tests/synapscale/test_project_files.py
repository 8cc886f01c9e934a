"""The deployment files agree with the README."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"]


def readme_compose_services():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Docker Compose", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_-]+)` \|", section, flags=re.MULTILINE))


def test_compose_file_parses_and_has_the_stack():
    services = compose_services()
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for variable in (
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SECRET_KEY",
            "CREDENTIALS_ENCRYPTION_KEYS",
        ):
            assert env.get(variable), f"{name} lacks {variable}"
        assert env.get("METRICS_TOKEN"), f"{name} lacks METRICS_TOKEN (production requires it)"
    assert "gunicorn config.wsgi" in services["web"]["command"]
    # The broker keeps its queue across a restart, and a stop waits for the longest node.
    assert "--appendonly yes" in services["redis"]["command"]
    assert int(services["worker"]["stop_grace_period"].rstrip("s")) >= 300


def test_every_service_the_readme_names_is_in_compose():
    named = readme_compose_services()
    assert named, "the README's Docker Compose section lists no services"
    assert named <= set(compose_services())


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make run", "make test"]
