import logging

import orjson

from synapscale.logging import JSONFormatter, RequestIdFilter, request_id_var


def test_json_lines_carry_the_request_id_and_extra_fields():
    record = logging.LogRecord(
        "synapscale.test", logging.INFO, __file__, 1, "thing_done n=%s", (3,), None
    )
    record.execution_id = 42
    token = request_id_var.set("req-abcdef12")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = orjson.loads(JSONFormatter().format(record))
    assert line["event"] == "thing_done n=3"
    assert line["request_id"] == "req-abcdef12"
    assert line["execution_id"] == 42
    assert line["level"] == "INFO"


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_a_requests_log_lines_carry_the_id_of_its_response(client, caplog, db):
    import logging as std_logging

    caplog.set_level(std_logging.WARNING, logger="django.request")
    response = client.get("/api/v1/auth/me/", HTTP_X_REQUEST_ID="trace-me-0001")
    assert response["X-Request-ID"] == "trace-me-0001"
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.request_id == "trace-me-0001" for r in records)


def test_django_s_records_reach_only_the_handler_that_masks_webhook_tokens():
    from synapscale.masking import MaskingFilter

    for name in ("django", "django.server"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.propagate
    filters = [f for handler in logging.getLogger().handlers for f in handler.filters]
    assert any(isinstance(f, MaskingFilter) for f in filters)
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" 404', ("POST /hooks/id1/tok3n",), None
    )
    MaskingFilter().filter(record)
    assert record.getMessage() == '"POST /hooks/id1/<token>" 404'
