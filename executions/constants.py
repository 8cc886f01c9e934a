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
