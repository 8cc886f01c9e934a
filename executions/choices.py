"""Enumerations of the executions app: statuses, triggers, log levels, API actions."""

from django.db import models


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    TIMED_OUT = "timed_out", "Timed out"

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        """Return the statuses an execution never leaves."""
        return (cls.SUCCEEDED, cls.FAILED, cls.CANCELLED, cls.TIMED_OUT)

    @classmethod
    def active(cls) -> tuple[str, ...]:
        """Return the statuses of an execution that has not finished yet."""
        return (cls.PENDING, cls.QUEUED, cls.RUNNING)


class NodeRunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    RETRYING = "retrying", "Retrying"

    @classmethod
    def done(cls) -> tuple[str, ...]:
        """Return the statuses after which a node is never run again in its execution."""
        return (cls.SUCCEEDED, cls.FAILED, cls.SKIPPED)


class Trigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    API = "api", "API"
    SCHEDULE = "schedule", "Schedule"
    TEMPLATE = "template", "Template"
    RETRY = "retry", "Retry"
    WEBHOOK = "webhook", "Webhook"


class TriggerKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    SCHEDULE = "schedule", "Schedule"


class ScheduleOverlap(models.TextChoices):
    """What a schedule trigger does when its previous run is still active."""

    SKIP = "skip", "Skip: no run while the previous one is active"
    QUEUE = "queue", "Queue: start once the previous one finished"
    ALLOW = "allow", "Allow: runs may overlap"


class ScheduleCatchUp(models.TextChoices):
    """What a schedule trigger does with the run it missed while beat (or the workers) were down."""

    RUN_ONCE = "run_once", "Run once on recovery"
    SKIP = "skip", "Skip what was missed"


class WebhookAuth(models.TextChoices):
    """How a webhook call proves it may start the workflow."""

    # The secret token is the URL's last segment: /hooks/<public_id>/<token>.
    TOKEN = "token", "Secret token in the URL"
    # GitHub's scheme: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    HMAC_SHA256 = "hmac_sha256", "HMAC-SHA256 of the body (GitHub style)"
    # Stripe's scheme: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`.
    STRIPE = "stripe", "Timestamped HMAC-SHA256 (Stripe style)"


class WebhookResponseMode(models.TextChoices):
    # 202 with the execution id at once.
    ACCEPTED = "accepted", "Accepted: answer at once"
    # Wait for the run, answer 200 with the terminal node's output (504 when it outlasts
    # the trigger's wait).
    LAST_NODE = "last_node", "Last node: answer with the output"


class LogLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class RetryMode(models.TextChoices):
    FROM_START = "from_start", "From the start"
    FROM_FAILURE = "from_failure", "From the failed node"


class BulkAction(models.TextChoices):
    CANCEL = "cancel", "Cancel"
    RETRY = "retry", "Retry"
    DELETE = "delete", "Delete"


class ErrorType(models.TextChoices):
    """The `type` of an execution's or node run's `error`."""

    NODE_FAILED = "node_failed", "Node failed"
    HTTP_ERROR = "http_error", "HTTP error"
    CIRCUIT_OPEN = "circuit_open", "Circuit open"
    EXPRESSION_ERROR = "expression_error", "Expression error"
    TIMEOUT = "timeout", "Timeout"
    CANCELLED = "cancelled", "Cancelled"
    EXPLICIT_FAIL = "fail", "Explicit failure"
    INTERNAL = "internal", "Internal error"
    OUTPUT_TOO_LARGE = "output_too_large", "Output too large"
    RESPONSE_TOO_LARGE = "response_too_large", "Response too large"
    CREDENTIAL_UNAVAILABLE = "credential_unavailable", "Credential unavailable"


class CredentialType(models.TextChoices):
    """How a workspace credential is applied to an `http_request` node's request."""

    HEADER = "header", "Header (header_name: value)"
    BEARER = "bearer", "Bearer token (Authorization: Bearer <token>)"
    BASIC = "basic", "Basic auth (username, password)"
    API_KEY_QUERY = "api_key_query", "API key in the query string (param_name=value)"
