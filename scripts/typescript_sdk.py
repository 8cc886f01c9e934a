#!/usr/bin/env python3
"""Generate the TypeScript SDK's types from the API schema, or check they have not drifted.

    .venv/bin/python scripts/typescript_sdk.py generate   # rewrite sdk/typescript/src/schema.d.ts
    .venv/bin/python scripts/typescript_sdk.py check      # fail if it differs; then tsc --noEmit
    .venv/bin/python scripts/typescript_sdk.py install    # npm ci, when node_modules is missing

The schema is the one `/api/schema/` serves (`manage.py spectacular`, test settings, so it
needs DATABASE_URL and REDIS_URL like the tests, or starts the embedded servers).
`openapi-typescript` and `tsc` come from `sdk/typescript/package-lock.json` (`npm ci` runs
when `node_modules` is missing). CI runs `check`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDK = ROOT / "sdk" / "typescript"
TYPES = SDK / "src" / "schema.d.ts"


def npm_install() -> None:
    """Install the SDK's pinned node packages if they are not there yet."""
    if (SDK / "node_modules" / ".bin" / "openapi-typescript").exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed: the TypeScript SDK needs Node.js and npm.")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SDK, check=True
    )


def dump_schema(path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--format", "openapi-json", "--file", path],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def generate_types() -> str:
    """Return the types openapi-typescript generates from the current schema."""
    npm_install()
    with tempfile.TemporaryDirectory() as tmp:
        schema, output = Path(tmp) / "openapi.json", Path(tmp) / "schema.d.ts"
        dump_schema(schema)
        subprocess.run(
            [
                SDK / "node_modules" / ".bin" / "openapi-typescript",
                schema,
                "--output",
                output,
                # A request field with a default may be left out; responses list every field
                # they always carry as required (synapscale.api.schema.AutoSchema).
                "--default-non-nullable",
                "false",
            ],
            cwd=SDK,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return output.read_text()


def type_check() -> None:
    npm_install()
    subprocess.run(
        [SDK / "node_modules" / ".bin" / "tsc", "--noEmit", "-p", "."], cwd=SDK, check=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["generate", "check", "install"])
    args = parser.parse_args()
    if args.command == "install":
        npm_install()
        return 0
    generated = generate_types()
    if args.command == "generate":
        TYPES.write_text(generated)
        print(f"wrote {TYPES.relative_to(ROOT)}")
    else:
        committed = TYPES.read_text() if TYPES.exists() else ""
        if committed != generated:
            diff = difflib.unified_diff(
                committed.splitlines(),
                generated.splitlines(),
                "committed",
                "generated",
                lineterm="",
            )
            print("\n".join(list(diff)[:80]))
            print(
                f"\n{TYPES.relative_to(ROOT)} differs from /api/schema/: run "
                "`.venv/bin/python scripts/typescript_sdk.py generate` and commit it."
            )
            return 1
        print(f"{TYPES.relative_to(ROOT)} matches /api/schema/")
    type_check()
    print("tsc --noEmit: the SDK and its example compile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
