"""Liveness and readiness endpoints for load balancers and orchestrators."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from synapscale.health.checks import run_checks


@require_GET
def liveness(request):
    """The process answers; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@require_GET
def readiness(request):
    """Database, cache and broker each answer within the timeout, or 503 naming the failure."""
    results = run_checks()
    failing = [result.name for result in results if not result.ok]
    body = {
        "status": "fail" if failing else "ok",
        "failing": failing,
        "checks": {result.name: result.as_dict() for result in results},
    }
    return JsonResponse(body, status=503 if failing else 200)
