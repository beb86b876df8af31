"""Structured logging: one line per event, fields from ``extra``, secrets never shown."""

from __future__ import annotations

import json
import logging

import pytest

from shared.logs import JsonFormatter, KeyValueFormatter, configure_logging

SECRET = "xoxb-very-secret-token"


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("shared.test", logging.INFO, __file__, 1, message, None, None)
    made.__dict__.update(extra)
    return made


def test_key_value_lines_carry_the_extra_fields() -> None:
    line = KeyValueFormatter().format(record("search submitted", request_id="abc", polls=2))
    assert 'msg="search submitted"' in line
    assert "request_id=abc" in line
    assert "polls=2" in line
    assert "level=info" in line


def test_json_lines_parse() -> None:
    fields = json.loads(JsonFormatter().format(record("search completed", request_id="abc")))
    assert fields["msg"] == "search completed"
    assert fields["request_id"] == "abc"


def test_secrets_are_redacted_from_message_fields_and_tracebacks() -> None:
    formatter = KeyValueFormatter([SECRET, "short"])
    try:
        raise RuntimeError(f"connect failed with {SECRET}")
    except RuntimeError:
        import sys

        failing = record(f"token {SECRET}", url=f"https://x.test/?t={SECRET}")
        failing.exc_info = sys.exc_info()
    line = formatter.format(failing)
    assert SECRET not in line
    assert line.count("[redacted]") >= 3
    assert "short" in KeyValueFormatter(["short"]).format(record("a short word"))  # too short


def test_configure_logging_redacts_what_reaches_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="text", level="INFO", secrets=[SECRET])
    logging.getLogger("shared.test").warning("oops %s", SECRET, extra={"token": SECRET})
    err = capsys.readouterr().err
    assert SECRET not in err
    assert "[redacted]" in err
