"""Mutation testing of the core pure modules with mutmut; prints the score per module.

Each module is mutated on its own, against its fast unit tests only (no database), in a
scratch copy of the project (``.mutation/<module>/``, git-ignored): mutmut reads its settings
from the ``pyproject.toml`` of the directory it runs in, and each module has its own source
file and tests. mutmut runs niced (``nice -n 10``) with ``--max-children`` processes (1 by
default: the machine is shared). The tests still talk to Redis (the suite's autouse cache
fixture), so export REDIS_URL (and DATABASE_URL, which the settings require) first:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n>
    .venv/bin/python scripts/mutation_report.py                  # every module, one at a time
    .venv/bin/python scripts/mutation_report.py --module ranking --survivors
    .venv/bin/python scripts/mutation_report.py --json /tmp/mutation.json

The score is killed / (mutants - skipped): a mutant that times out counts as killed (the tests
noticed), one no test reaches counts as survived. ``--survivors`` lists the mutants that
survived with their diff (``mutmut show``). Not mutated yet: the query-spec parser
(analytics/query_spec.py), being rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
COPIED = ("analytics", "config", "executions", "synapscale", "templates_app", "tests", "manage.py")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "mutants")


@dataclass(frozen=True)
class Module:
    """A module to mutate and the pure tests that must catch its mutants."""

    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]


MODULES = (
    Module(
        "planner",
        ("executions/engine/graph.py", "executions/engine/planning.py"),
        ("tests/executions/test_graph_properties.py", "tests/executions/test_planning.py"),
    ),
    Module(
        "validation",
        ("executions/engine/validation.py",),
        (
            "tests/executions/test_validation.py",
            "tests/executions/test_validation_messages.py",
            "tests/executions/test_graph_properties.py",
        ),
    ),
    Module(
        "expressions",
        ("executions/engine/expressions.py",),
        (
            "tests/executions/test_expressions_and_outputs.py",
            "tests/executions/test_expressions.py",
        ),
    ),
    Module(
        "cache_keys",
        ("synapscale/cache/keys.py",),
        ("tests/synapscale/test_cache_keys.py", "tests/synapscale/test_cache_key_format.py"),
    ),
    Module("ranking", ("templates_app/ranking.py",), ("tests/templates_app/test_ranking.py",)),
    Module(
        "stats",
        ("analytics/analysis/stats.py",),
        ("tests/analytics/test_analysis_stats.py", "tests/analytics/test_analysis_stats_edges.py"),
    ),
    Module(
        "query_language",
        ("analytics/query_language.py",),
        (
            "tests/analytics/test_query_language_parser.py",
            "tests/analytics/test_reports_spec.py",
            "tests/analytics/test_analysis_specs.py",
        ),
    ),
)


def prepare(module: Module, workdir: Path) -> None:
    """Copy the project into ``workdir``, with this module's mutmut section in pyproject.toml."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=IGNORED)
        else:
            shutil.copy2(source, workdir / name)
    tests = [test for test in module.tests if (ROOT / test).exists()]
    # -m "not django_db": the tests that need the database are not unit tests of the module.
    section = {
        "source_paths": list(module.sources),
        "also_copy": [name for name in COPIED if name != "tests"],
        "pytest_add_cli_args": ["-p", "no:randomly", "--no-cov", "-m", "not django_db", "-q"],
        "pytest_add_cli_args_test_selection": tests,
    }
    pyproject = (ROOT / "pyproject.toml").read_text()
    lines = ["", "[tool.mutmut]"] + [
        f"{key} = {json.dumps(value)}" for key, value in section.items()
    ]
    (workdir / "pyproject.toml").write_text(pyproject + "\n".join(lines) + "\n")
    tomllib.loads((workdir / "pyproject.toml").read_text())  # fails here, not inside mutmut


def mutmut(workdir: Path, *args: str, quiet: bool = True) -> str:
    """Run mutmut in ``workdir`` (niced) and return its output."""
    completed = subprocess.run(
        ["nice", "-n", "10", str(MUTMUT), *args],
        cwd=workdir,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        output = (completed.stdout or "") + (completed.stderr or "")
        raise SystemExit(f"mutmut {' '.join(args)} failed in {workdir}:\n{output[-4000:]}")
    return completed.stdout or ""


def score(stats: dict) -> dict:
    """Killed (timeouts included) over the mutants that were not skipped."""
    killed = stats["killed"] + stats["timeout"] + stats.get("caught_by_type_check", 0)
    counted = stats["total"] - stats["skipped"]
    return {
        "mutants": counted,
        "killed": killed,
        "survived": stats["survived"],
        "no_tests": stats["no_tests"],
        "suspicious": stats["suspicious"],
        "score": killed / counted if counted else None,
    }


def survivors(workdir: Path) -> list[str]:
    """Names of the mutants that survived or that no test reached."""
    names = []
    for line in mutmut(workdir, "results").splitlines():
        name, _, status = line.strip().rpartition(": ")
        if status in {"survived", "no tests"}:
            names.append(name)
    return names


def run_module(module: Module, args: argparse.Namespace) -> dict:
    workdir = args.workdir / module.name
    print(f"== {module.name}: {', '.join(module.sources)}", flush=True)
    prepare(module, workdir)
    mutmut(workdir, "run", "--max-children", str(args.max_children), quiet=not args.verbose)
    mutmut(workdir, "export-cicd-stats")
    stats = json.loads((workdir / "mutants" / "mutmut-cicd-stats.json").read_text())
    result = {"module": module.name, "sources": list(module.sources), **score(stats)}
    left = survivors(workdir)
    result["survivors"] = left
    if args.survivors:
        for name in left:
            print(mutmut(workdir, "show", name))
    return result


def print_table(results: list[dict]) -> None:
    print(
        f"\n{'module':<12} {'mutants':>7} {'killed':>7} {'survived':>8} "
        f"{'no tests':>8} {'score':>7}"
    )
    for r in results:
        shown = f"{r['score']:.1%}" if r["score"] is not None else "n/a"
        print(
            f"{r['module']:<12} {r['mutants']:>7} {r['killed']:>7} {r['survived']:>8} "
            f"{r['no_tests']:>8} {shown:>7}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = [module.name for module in MODULES]
    parser.add_argument("--module", action="append", choices=names, help="repeatable; default all")
    parser.add_argument("--max-children", type=int, default=1, help="mutmut's parallel processes")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".mutation")
    parser.add_argument("--survivors", action="store_true", help="show each surviving mutant")
    parser.add_argument("--verbose", action="store_true", help="show mutmut's own output")
    parser.add_argument("--json", type=Path, help="write the scores to this file")
    parser.add_argument(
        "--fail-under", type=float, default=None, help="exit 1 if a module scores under this (0-1)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    for variable in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(variable):
            raise SystemExit(f"Set {variable}: the tests' settings need it (see --help).")
    chosen = [module for module in MODULES if not args.module or module.name in args.module]
    results = [run_module(module, args) for module in chosen]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    low = [
        r for r in results if args.fail_under is not None and (r["score"] or 0) < args.fail_under
    ]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
