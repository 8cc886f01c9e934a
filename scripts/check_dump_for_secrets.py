"""Check that a pg_dump of a database holds none of the given secrets in the clear.

Runs the machine's `pg_dump` (plain SQL) of the database and looks for every secret in
the dump, as written and as pg_dump would write it inside a text or JSON column (COPY
escapes backslashes; JSON escapes quotes and control characters). The secrets are read one
per line from a file, or from standard input with `-`, so that they never show in a
process listing. Only their positions in the list are printed, never the secrets.

    .venv/bin/python scripts/check_dump_for_secrets.py --secrets-file secrets.txt
    printf '%s\\n' "$TOKEN" | .venv/bin/python scripts/check_dump_for_secrets.py \\
        --database-url postgres://postgres@127.0.0.1:5432/synapscale --secrets-file -

Exit status: 0 when no secret is in the dump, 1 when one is (each finding says in which
table), 2 when pg_dump failed or no secret was given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass

COPY_LINE = re.compile(rb"^COPY (\S+) ")


@dataclass(frozen=True)
class Finding:
    secret_index: int  # 1-based position in the list given
    where: str  # the table whose rows hold it, or "schema" (DDL, comments, defaults)
    line: int


def dump_forms(secret: str) -> set[bytes]:
    """Return the byte strings that the secret becomes in a plain pg_dump."""
    as_json = json.dumps(secret, ensure_ascii=False)[1:-1]
    forms = {secret, as_json}
    # COPY ... FROM stdin text format doubles backslashes (and escapes tab/newline/CR).
    forms |= {form.replace("\\", "\\\\") for form in list(forms)}
    return {form.encode() for form in forms if form}


def scan_dump(lines, secrets: list[str]) -> list[Finding]:
    """Return where each secret appears in the dump's lines (bytes); empty when nowhere."""
    patterns = [(index, dump_forms(secret)) for index, secret in enumerate(secrets, start=1)]
    findings, where = [], "schema"
    for number, line in enumerate(lines, start=1):
        copy = COPY_LINE.match(line)
        if copy:
            where = copy.group(1).decode()
            continue
        if line.startswith(b"\\."):  # the end of a COPY block
            where = "schema"
            continue
        for index, forms in patterns:
            if any(form in line for form in forms):
                findings.append(Finding(secret_index=index, where=where, line=number))
    return findings


def read_secrets(path: str) -> list[str]:
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with handle:
        return [line.rstrip("\n") for line in handle if line.strip()]


def check_database(database_url: str, secrets: list[str], pg_dump: str = "pg_dump") -> list:
    """Dump the database with pg_dump and return the findings (raise on a pg_dump failure)."""
    process = subprocess.Popen(
        [pg_dump, "--no-owner", "--no-privileges", f"--dbname={database_url}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    findings = scan_dump(process.stdout, secrets)
    _, errors = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"pg_dump failed ({process.returncode}): {errors.decode().strip()}")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--secrets-file", required=True, help="one secret a line; - for stdin")
    parser.add_argument("--pg-dump", default=os.environ.get("PG_DUMP", "pg_dump"))
    args = parser.parse_args(argv)
    secrets = read_secrets(args.secrets_file)
    if not args.database_url or not secrets:
        print("Give --database-url (or DATABASE_URL) and at least one secret.", file=sys.stderr)
        return 2
    try:
        findings = check_database(args.database_url, secrets, args.pg_dump)
    except (RuntimeError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    for finding in findings:
        print(f"secret #{finding.secret_index} in the clear: {finding.where} (line {finding.line})")
    if findings:
        return 1
    print(f"The dump holds none of the {len(secrets)} secret(s) in the clear.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
