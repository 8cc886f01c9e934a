"""Masking: each rule on real log records (JSON and text lines), tracebacks, settings, values."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from config.settings.base import build_logging
from synapscale.logging import JSONFormatter, RequestIdFilter
from synapscale.masking import MaskingFilter, mask_text, mask_value, truncate_ip

TEXT_FORMAT = "%(levelname)s [%(request_id)s] %(name)s: %(message)s"


@pytest.fixture(params=["json", "text"])
def captured(request):
    """A logger whose handler is configured as settings.LOGGING's; returns (log, lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskingFilter())
    formatter = JSONFormatter() if request.param == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"tests.masking.{request.param}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def lines() -> str:
        # JSON lines are decoded (escaping aside, what a reader of the log sees).
        handler.flush()
        if request.param == "text":
            return stream.getvalue()
        payloads = [orjson.loads(line) for line in stream.getvalue().splitlines()]
        return "\n".join(str(value) for payload in payloads for value in payload.values())

    yield logger, lines
    logger.removeHandler(handler)


# (what is logged, what must not appear, what appears instead)
RULES = {
    "email": ("signup email=%s", ("jane.doe@example.com",), "jane.doe", "j***@example.com"),
    "bearer": ("calling with Bearer %s", ("abc.def-ghi_jkl012",), "abc.def", "Bearer <masked>"),
    "authorization_header": (
        "headers %s",
        ({"Authorization": "Token 9f86d081884c7d659a2feaa0c55ad015"},),
        "9f86d0",
        "<masked>",
    ),
    "cookie_header": (
        "Cookie: sessionid=%s; csrftoken=x",
        ("s3ss10n",),
        "s3ss10n",
        "Cookie: <masked>",
    ),
    "password_query": (
        "login body password=%s&user=a",
        ("hunter2!",),
        "hunter2",
        "password=<masked>",
    ),
    "password_json": (
        'payload {"password": "%s"}',
        ("hunter2!",),
        "hunter2",
        '"password": "<masked>"',
    ),
    "password_repr": (
        "kwargs %s",
        ({"password": "hunter2!"},),
        "hunter2",
        "'password': '<masked>'",
    ),
    "prefixed_key": ("using key %s", ("sk_live_51Habcdefgh12345",), "sk_live_51H", "<key>"),
    "github_token": ("token %s", ("ghp_aBcDeFgHiJkLmNoPqRsTuV012345",), "ghp_aBc", "<key>"),
    "long_random": (
        "secret in text %s",
        ("Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmN",),
        "Zx9Qw8",
        "<key>",
    ),
    "ipv4": ("client %s", ("203.0.113.77",), "203.0.113.77", "203.0.113.0/24"),
    "ipv6": ("client %s", ("2001:db8:1:2::9",), "2001:db8:1:2::9", "2001:db8:1::/48"),
    "webhook_token": (
        "POST %s",
        ("/hooks/AbC_1/s3cretToken",),
        "s3cretToken",
        "/hooks/AbC_1/<token>",
    ),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_masks_the_message(captured, rule):
    log, lines = captured
    message, args, secret, replacement = RULES[rule]
    log.info(message, *args)
    output = lines()
    assert secret not in output
    assert replacement in output


def test_extra_fields_are_masked(captured):
    log, lines = captured
    log.info("login_failed", extra={"username": "jane@example.com", "ip": "198.51.100.4"})
    output = lines()
    assert "jane@example.com" not in output and "198.51.100.4" not in output


def test_exception_messages_and_tracebacks_are_masked(captured):
    log, lines = captured
    try:
        raise ValueError("could not reach https://u:pw@x.io?api_key=K3yK3yK3y for ann@example.com")
    except ValueError:
        log.exception("call_failed from %s", "192.0.2.10")
    output = lines()
    assert "Traceback" in output and "ValueError" in output
    for secret in ("K3yK3yK3y", "ann@example.com", "192.0.2.10"):
        assert secret not in output
    assert "api_key=<masked>" in output


def test_an_escaped_quote_inside_a_password_is_masked_with_it(captured):
    log, lines = captured
    log.info('body {"password": "p\\"w"} from %s', "203.0.113.9")
    assert 'body {"password": "<masked>"} from 203.0.113.0/24' in lines()


def test_what_is_not_secret_is_left_alone():
    text = (
        "execution_finished id=42 request_id=0f9c2b6ad4e34e1b9e2f3a4b5c6d7e8f status=succeeded "
        "duration_ms=1234 at 2026-12-03T11:38:34+00:00 workflow=send_weekly_digest_to_the_team"
    )
    assert mask_text(text) == text


def test_every_configured_handler_masks():
    for config in (settings.LOGGING, build_logging("json", "INFO")):
        assert config["filters"]["masking"]["()"] == "synapscale.masking.MaskingFilter"
        for handler in config["handlers"].values():
            assert "masking" in handler["filters"]
    live = [f for handler in logging.getLogger().handlers for f in handler.filters]
    assert any(isinstance(f, MaskingFilter) for f in live)


def test_values_are_walked_recursively():
    value = {"to": ["a.b@example.com"], "n": 3, "meta": {"ip": "198.51.100.3"}, "t": ("x@y.io",)}
    assert mask_value(value) == {
        "to": ["a***@example.com"],
        "n": 3,
        "meta": {"ip": "198.51.100.0/24"},
        "t": ["x***@y.io"],
    }


def test_truncate_ip():
    assert truncate_ip("203.0.113.77") == "203.0.113.0"
    assert truncate_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::"
    assert truncate_ip("not an address") is None


@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{2,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z]{2,10}\.(com|org|io)", fullmatch=True),
    prefix=st.text(alphabet=" :=,;([{", max_size=3),
)
def test_no_email_survives(local, domain, prefix):
    masked = mask_text(f"{prefix}{local}@{domain} done")
    assert f"{local}@" not in masked
    assert f"***@{domain}" in masked


def test_the_operators_own_addresses_are_left_as_they_are():
    from synapscale.masking import mask_text

    line = "database=127.0.0.1:5432 redis=10.0.0.7 peer=fe80::1 client=198.51.100.23"
    assert mask_text(line) == (
        "database=127.0.0.1:5432 redis=10.0.0.7 peer=fe80::1 client=198.51.100.0/24"
    )
