"""Every environment variable the code reads is in the README's settings table, and back."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ["config", "synapscale", "executions", "analytics", "templates_app"]
# env.str("NAME"...), env.int(...), os.environ.get("NAME"), os.environ["NAME"], getenv("NAME")
READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(\s*|os\.environ(?:\.get)?[\[(]\s*|getenv\(\s*)(f?)"([A-Z][A-Z0-9_]*)"""
)
# Read by the Makefile and manage.py, not by Python under CODE_DIRS.
READ_ELSEWHERE = {"PORT": "Makefile", "DJANGO_SETTINGS_MODULE": "manage.py"}


def names_the_code_reads() -> tuple[set[str], set[str]]:
    """Return (names, prefixes of names built with an f-string such as RATE_LIMIT_{group})."""
    names, prefixes = set(), set()
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for is_template, name in READ.findall(path.read_text()):
                (prefixes if is_template else names).add(name)
    return names, prefixes


def names_the_readme_documents() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            documented.update(re.findall(r"`([A-Z][A-Z0-9_<>]*)`", row.split("|")[1]))
    return documented


def test_every_variable_the_code_reads_is_documented():
    names, prefixes = names_the_code_reads()
    documented = names_the_readme_documents()
    patterns = {name.split("<")[0] for name in documented if "<" in name}
    assert sorted(names - documented) == []
    assert sorted(prefix for prefix in prefixes if prefix not in patterns) == []


def test_every_documented_variable_is_read_somewhere():
    names, prefixes = names_the_code_reads()
    for name in names_the_readme_documents():
        if "<" in name:
            assert name.split("<")[0] in prefixes, name
        elif name in READ_ELSEWHERE:
            assert name in (ROOT / READ_ELSEWHERE[name]).read_text(), name
        else:
            # A row may document a Django setting that has no environment variable.
            assert name in names or hasattr(settings, name), f"{name}: nothing reads it"
