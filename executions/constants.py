"""Limits of the definition format, shared by validation and the engine."""

MAX_NODES = 200
MAX_EDGES = 1000
MAX_NODE_TIMEOUT_SECONDS = 24 * 60 * 60
MAX_RETRY_ATTEMPTS = 10
MAX_RETRY_BACKOFF_SECONDS = 3600
MAX_HTTP_TIMEOUT_SECONDS = 120
DEFAULT_HTTP_TIMEOUT_SECONDS = 10
MAX_BULK_IDS = 100
NODE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# Keys a node may carry for the editor; the engine ignores them.
NODE_METADATA_KEYS = frozenset({"name", "position", "ui"})
CONDITION_BRANCHES = ("true", "false")
# An object id in a URL or a search box: ASCII digits that fit a bigint ("²".isdigit() is
# true, int("²") fails; 20 digits overflow the column).
OBJECT_ID_PATTERN = r"[0-9]{1,18}"
# Idempotency keys are echoed back and stored: printable ASCII only (no NUL, no controls).
IDEMPOTENCY_KEY_PATTERN = r"[\x20-\x7e]{1,255}"
# A credential's name, as `http_request` nodes refer to it ("credential": "<name>").
CREDENTIAL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
# Secrets are redacted from everything a node records by searching for them: a shorter one
# would turn ordinary text into "[redacted]" all over the output.
MIN_CREDENTIAL_SECRET_CHARS = 8
MAX_CREDENTIAL_SECRET_CHARS = 4096
# `Credential.last_used_at` is written at most once per this many seconds per credential.
CREDENTIAL_LAST_USED_PRECISION_SECONDS = 60
# The executions' Celery queues: runs not started yet, and runs resuming or urgent.
DEFAULT_QUEUE = "default"
HIGH_QUEUE = "high"
