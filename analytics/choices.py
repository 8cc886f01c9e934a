"""Enumerations of the analytics app."""

from django.db import models


class EventType(models.TextChoices):
    """The event types the product knows; any custom type matching the pattern is accepted too."""

    PAGE_VIEW = "page_view", "Page view"
    CLICK = "click", "Click"
    FORM_SUBMIT = "form_submit", "Form submit"
    WORKFLOW_CREATED = "workflow_created", "Workflow created"
    WORKFLOW_EXECUTED = "workflow_executed", "Workflow executed"
    TEMPLATE_INSTALLED = "template_installed", "Template installed"
    USER_LOGIN = "user_login", "User login"
    USER_LOGOUT = "user_logout", "User logout"
    FEATURE_USED = "feature_used", "Feature used"
    ERROR = "error", "Error"


class Sharing(models.TextChoices):
    PRIVATE = "private", "Only the owner"
    WORKSPACE = "workspace", "Every member of the workspace"


class ReportSource(models.TextChoices):
    EVENTS = "events", "Events"
    EXECUTIONS = "executions", "Executions"
    TEMPLATES = "templates", "Template installs"


class ReportMetric(models.TextChoices):
    COUNT = "count", "Count"
    UNIQUE_PEOPLE = "unique_people", "Unique people"
    SUM = "sum", "Sum of a property"
    AVG = "avg", "Average of a property"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"


class WidgetType(models.TextChoices):
    KPI = "kpi", "KPI"
    TIMESERIES = "timeseries", "Time series"
    BAR = "bar", "Bar chart"
    TABLE = "table", "Table"


class ExportSource(models.TextChoices):
    EVENTS = "events", "Events"
    REPORT_RUN = "report_run", "Report run"
    EXECUTIONS = "executions", "Executions"
    AUDIT = "audit", "Audit log"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON lines"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class MetricPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
