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


def test_control_characters_in_values_are_escaped_onto_one_line() -> None:
    # Before: a value without a space or quote went out raw, so a URL-decoded path could
    # start a forged line (CR LF) or colour the reader's terminal (ESC).
    line = KeyValueFormatter().format(
        record("callback refused", path="/callbacks/nyne/\r\nFAKE=1\x1b[31m", tab="a\tb")
    )
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\t" not in line
    assert 'path="/callbacks/nyne/\\r\\nFAKE=1\\x1b[31m"' in line
    assert 'tab="a\\tb"' in line


def test_other_unprintable_characters_and_quoting_are_escaped() -> None:
    line = KeyValueFormatter().format(
        record("x", bidi="evil\u202etxt", quote='say "hi"', slash="a\\b", empty="", plain="café")
    )
    assert 'bidi="evil\\u202etxt"' in line
    assert 'quote="say \\"hi\\""' in line
    assert 'slash="a\\\\b"' in line
    assert 'empty=""' in line
    assert "plain=café" in line  # printable text stays readable


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


# Before: each renderer escaped these (``"`` and ``\`` in both, non-ASCII in JSON), so the
# replace on the finished line looked for the raw secret and missed the escaped one.
AWKWARD_SECRETS = [
    'quo"te-secret',
    "back\\slash-secret",
    "café-secret-é",
    'mixed-ü"\\-secret',
    "ctl\tsecret\x1b-value",
]


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
def test_secrets_that_rendering_escapes_are_still_redacted(fmt: str, secret: str) -> None:
    formatter = (JsonFormatter if fmt == "json" else KeyValueFormatter)([secret])
    try:
        raise RuntimeError(f"connect failed with {secret}")
    except RuntimeError:
        import sys

        failing = record("token %s", field=secret, nested={"k": [secret]}, number=3)
        failing.args = (secret,)
        failing.exc_info = sys.exc_info()
    line = formatter.format(failing)
    escaped = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret.replace("\\", "\\\\").replace('"', '\\"'),
    }
    for form in escaped:
        assert form not in line
    assert line.count("[redacted]") >= 4
    if fmt == "json":
        fields = json.loads(line)
        assert secret not in json.dumps(fields, ensure_ascii=False)
        assert fields["msg"] == "token [redacted]"
        assert fields["field"] == "[redacted]"
        assert fields["nested"] == {"k": ["[redacted]"]}
        assert fields["number"] == 3
        assert "[redacted]" in fields["exc"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configure_logging_redacts_escaped_secrets_on_stderr(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(fmt=fmt, level="INFO", secrets=AWKWARD_SECRETS)
    for secret in AWKWARD_SECRETS:
        logging.getLogger("shared.test").warning("oops %s", secret, extra={"token": secret})
    err = capsys.readouterr().err
    for secret in AWKWARD_SECRETS:
        assert secret not in err
        assert json.dumps(secret)[1:-1] not in err
    assert err.count("[redacted]") >= 2 * len(AWKWARD_SECRETS)
