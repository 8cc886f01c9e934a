"""Liveness and readiness endpoints for load balancers and orchestrators."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from synapscale.api.exceptions import PROBLEM_CONTENT_TYPE, problem_body
from synapscale.health.checks import run_checks_cached
from synapscale.health.modules import FAIL, modules_report_cached
from synapscale.monitoring.exposition import metrics_text


@require_GET
def liveness(request):
    """The process answers; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_GET
def readiness(request):
    """Database, cache and broker each answer within the timeout, or 503 naming the failure.

    Results are reused for HEALTH_CACHE_SECONDS, and the probe connections are kept, so a
    probe that polls often costs the dependencies next to nothing.
    """
    results = run_checks_cached()
    failing = [result.name for result in results if not result.ok]
    body = {
        "status": "fail" if failing else "ok",
        "failing": failing,
        "checks": {result.name: result.as_dict() for result in results},
    }
    return JsonResponse(body, status=503 if failing else 200)


def _has_metrics_token(request) -> bool:
    token = settings.METRICS_TOKEN
    return bool(token) and constant_time_compare(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    )


@require_GET
def modules(request):
    """Each module's checks (ok, warn or fail, with detail), for staff or the metrics token.

    503 when a module fails, so a monitor can probe it; results are reused for
    HEALTH_CACHE_SECONDS.
    """
    if not (request.user.is_staff or _has_metrics_token(request)):
        status, code = (
            (403, "permission_denied")
            if request.user.is_authenticated
            else (
                401,
                "not_authenticated",
            )
        )
        body = problem_body(
            status_code=status, detail="Staff or the metrics token only.", code=code
        )
        return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    report = modules_report_cached()
    return JsonResponse(report, status=503 if report["status"] == FAIL else 200)


def metrics(request):
    """Prometheus metrics; with METRICS_TOKEN set, only for ``Authorization: Bearer <token>``.

    The process's (or, under gunicorn, every worker's) metrics, then the cached gauges.
    """
    token = settings.METRICS_TOKEN
    if token and not constant_time_compare(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    ):
        return JsonResponse({"status": 401, "detail": "A metrics token is required."}, status=401)
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
