"""The rate-limit table: every API response counts against a group, in Redis."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client

from tests.api_checks import assert_problem
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

WORKFLOWS = "/api/v1/workflows/"
MARKETPLACE = "/api/v1/marketplace/templates/"
HOME = "/api/v1/marketplace/"


def test_every_limited_response_carries_the_ratelimit_fields(api_client, rate_limits):
    rate_limits(reads="5/m")
    first = api_client.get(WORKFLOWS)
    second = api_client.get(WORKFLOWS)
    assert first.status_code == 200
    assert first["RateLimit-Limit"] == "5"
    assert (first["RateLimit-Remaining"], second["RateLimit-Remaining"]) == ("4", "3")
    assert 0 <= int(first["RateLimit-Reset"]) <= 60
    assert first["RateLimit-Policy"] == "5;w=60"


def test_a_refusal_is_a_429_problem_with_retry_after(api_client, rate_limits):
    rate_limits(reads="2/m")
    api_client.get(WORKFLOWS)
    api_client.get(WORKFLOWS)
    refused = api_client.get(WORKFLOWS)
    body = assert_problem(refused, 429)
    assert body["type"].endswith("/rate-limited")
    assert "`reads` (2/m)" in body["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit-Remaining"] == "0"


def test_reads_and_writes_are_counted_apart(api_client, rate_limits):
    rate_limits(reads="1/m", writes="1/m")
    assert api_client.get(WORKFLOWS).status_code == 200
    assert api_client.post(WORKFLOWS, {}, format="json").status_code == 400
    assert api_client.get(WORKFLOWS).status_code == 429
    assert api_client.post(WORKFLOWS, {}, format="json").status_code == 429


def test_one_users_limit_is_not_anothers(api_client, other_api_client, rate_limits):
    rate_limits(reads="1/m")
    api_client.get(WORKFLOWS)
    assert api_client.get(WORKFLOWS).status_code == 429
    assert other_api_client.get(WORKFLOWS).status_code == 200


def test_runs_are_counted_per_workspace(workspace, user, make_member, rate_limits):
    from tests.executions.factories import WorkflowFactory

    rate_limits(run="1/m")
    colleague = make_user("colleague")
    make_member(workspace, colleague)
    workflow = WorkflowFactory(workspace=workspace, created_by=user)
    url = f"{WORKFLOWS}{workflow.id}/run/"
    assert client_for(user).post(url, {}, format="json").status_code == 202
    colleague_client = client_for(colleague)
    colleague_client.credentials(
        HTTP_AUTHORIZATION=colleague_client._credentials["HTTP_AUTHORIZATION"],
        HTTP_X_WORKSPACE=workspace.slug,
    )
    assert colleague_client.post(url, {}, format="json").status_code == 429


def test_anonymous_search_is_counted_by_address_and_tighter(anon_client, api_client, rate_limits):
    rate_limits(search_anonymous="1/m", search="3/m")
    assert anon_client.get(MARKETPLACE, REMOTE_ADDR="203.0.113.1").status_code == 200
    assert anon_client.get(MARKETPLACE, REMOTE_ADDR="203.0.113.1").status_code == 429
    assert anon_client.get(MARKETPLACE, REMOTE_ADDR="203.0.113.2").status_code == 200
    signed_in = [api_client.get(MARKETPLACE).status_code for _ in range(3)]
    assert signed_in == [200, 200, 200]


def test_refresh_is_ignored_for_anonymous_callers(anon_client, rate_limits):
    rate_limits(refresh="1/m")
    answers = [anon_client.get(HOME + "?refresh=true") for _ in range(3)]
    # Never recomputed after the first, and never counted against `refresh` (no 429).
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    second, third = answers[1].json(), answers[2].json()
    assert second["is_cached"] and third["is_cached"]
    assert second["cached_at"] == third["cached_at"]


def test_refresh_has_its_own_tighter_limit(api_client, rate_limits):
    rate_limits(refresh="1/m")
    assert api_client.get(HOME + "?refresh=true").status_code == 200
    refused = api_client.get(HOME + "?refresh=true")
    assert "`refresh`" in assert_problem(refused, 429)["detail"]
    assert api_client.get(HOME).status_code == 200  # the cached answer is still there


def test_the_ready_probe_is_rate_limited_per_address(rate_limits):
    rate_limits(health="1/m")
    client = Client()
    assert client.get("/health/ready/").status_code in (200, 503)
    assert_problem(client.get("/health/ready/"), 429)


def test_admin_sign_in_is_rate_limited_per_address(rate_limits):
    rate_limits(admin_login="2/m")
    client = Client()
    statuses = [
        client.post("/admin/login/", {"username": f"u{i}", "password": "x"}).status_code
        for i in range(3)
    ]
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429


def test_reads_fail_open_while_redis_is_down(api_client, redis_down, rate_limits):
    rate_limits(reads="1/m")
    responses = [api_client.get(WORKFLOWS) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert not responses[0].has_header("RateLimit-Limit")


def test_a_hit_counted_by_another_process_counts_here(api_client, user, rate_limits):
    # Two processes (or hosts) share one count in Redis.
    rate_limits(reads="2/m")
    other_process = f"""
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
django.setup()
from django.conf import settings
from django.test import RequestFactory
from synapscale.models import User
from synapscale.ratelimits import rate_limit_hit
table = dict(settings.RATE_LIMITS)
table["reads"] = {{**table["reads"], "rate": "2/m"}}
settings.RATE_LIMITS = table
request = RequestFactory().get("/")
request.user = User(pk={user.pk})
print(rate_limit_hit(request, "reads").remaining)
"""
    printed = subprocess.run(
        [sys.executable, "-c", other_process], capture_output=True, text=True, check=True
    )
    assert printed.stdout.strip().splitlines()[-1] == "1"
    assert api_client.get(WORKFLOWS).status_code == 200
    assert api_client.get(WORKFLOWS).status_code == 429


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(anon_client, rate_limits):
    rate_limits(search_anonymous="1/m")
    anon_client.get(MARKETPLACE, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    again = anon_client.get(
        MARKETPLACE, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert again.status_code == 429


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("198.51.100.7, 203.0.113.5", "203.0.113.5"),  # the client's own entry is ignored
        ("203.0.113.5, 10.0.0.3", "203.0.113.5"),  # two trusted proxies in a row
        ("not-an-address", "10.0.0.2"),
        ("", "10.0.0.2"),
    ],
)
def test_behind_trusted_proxies_the_first_untrusted_hop_is_the_client(
    settings, forwarded, expected
):
    from django.test import RequestFactory

    from synapscale.clients import client_ip

    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_refused_caller_is_refused_again_before_authentication(
    api_client, rate_limits, django_assert_num_queries
):
    from tests.round_trips import count_redis_commands

    rate_limits(reads="1/m")
    api_client.get(WORKFLOWS)
    assert api_client.get(WORKFLOWS).status_code == 429  # the full check: counted in Redis
    # Remembered in this process until the window ends: no token lookup, no Redis.
    with django_assert_num_queries(0), count_redis_commands() as redis_log:
        again = api_client.get(WORKFLOWS)
    assert again.status_code == 429 and redis_log.commands == []
    assert again["RateLimit-Remaining"] == "0" and int(again["Retry-After"]) >= 1
    # Another group of the same caller is not refused with it.
    assert api_client.post(WORKFLOWS, {}, format="json").status_code == 400
