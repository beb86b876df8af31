"""Hostile requests to ``POST /slack/events`` over real HTTP (issue 14).

Each row says what the sender sees; every row also checks that nothing reached Slack, no
search was made, and nothing was logged at ERROR (no traceback, no raw body).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from bot.slack_events import MAX_EVENT_BYTES
from sandbox.embedded import RunningSandbox
from sandbox.slack import sign
from tests.bot.support import (
    SIGNING_SECRET,
    BotProcess,
    BotUnderTest,
    bot_processes,
    new_port,
    searches_made,
    subprocess_env,
)

pytestmark = pytest.mark.integration

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COMMAND = b"command=%2Fleads&text=CTOs+at+fintech+companies&user_id=U0ALICE&channel_id=C0LEADS"
REFUSED = {"error": "invalid request"}
TOO_LARGE = {"error": "request too large"}
MALFORMED = {"error": "malformed request"}

Headers = Callable[[bytes], dict[str, str | bytes]]


def raw(headers: dict[str, str | bytes]) -> dict[bytes, bytes]:
    """Headers as bytes, so a row can send values httpx would refuse to encode ("²")."""
    return {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in headers.items()}


def signed(body: bytes) -> dict[str, str | bytes]:
    return {**FORM, **sign(SIGNING_SECRET, body)}


def unsigned(body: bytes) -> dict[str, str | bytes]:
    return dict(FORM)


def stamped(stamp: str | bytes) -> Headers:
    """A signature over the body, sent with a different (malformed) timestamp."""

    def headers(body: bytes) -> dict[str, str | bytes]:
        signature = sign(SIGNING_SECRET, body)["X-Slack-Signature"]
        return {**FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    return headers


def aged(seconds: int) -> Headers:
    return lambda body: {**FORM, **sign(SIGNING_SECRET, body, int(time.time()) - seconds)}


def forged(body: bytes) -> dict[str, str | bytes]:
    return {**FORM, **sign("not-the-signing-secret", body)}


def payload(raw: str) -> bytes:
    return b"payload=" + raw.encode()


@dataclass(frozen=True)
class Row:
    body: bytes
    headers: Headers
    status: int
    answer: dict[str, str]


ROWS = {
    "missing signature": Row(COMMAND, unsigned, 401, REFUSED),
    "wrong signature": Row(COMMAND, forged, 401, REFUSED),
    "timestamp 6 minutes old": Row(COMMAND, aged(360), 401, REFUSED),
    "timestamp 6 minutes ahead": Row(COMMAND, aged(-360), 401, REFUSED),
    # "²".isdigit() is true, int("²") raises: this was a 500 with a traceback.
    "superscript timestamp": Row(COMMAND, stamped("²".encode()), 401, REFUSED),
    "non-numeric timestamp": Row(COMMAND, stamped("soon"), 401, REFUSED),
    "non-ASCII signature": Row(
        COMMAND,
        lambda body: {**sign(SIGNING_SECRET, body), "X-Slack-Signature": "v0=é".encode()},
        401,
        REFUSED,
    ),
    "body not UTF-8": Row(b"text=\xff\xfe", signed, 401, REFUSED),
    "unsigned body over 64 KiB": Row(b"x" * (MAX_EVENT_BYTES + 1), unsigned, 413, TOO_LARGE),
    "signed body over 64 KiB": Row(b"x" * (MAX_EVENT_BYTES + 1), signed, 413, TOO_LARGE),
    "unsigned 1 MB body": Row(b"text=" + b"a" * 1_000_000, unsigned, 413, TOO_LARGE),
    "signed payload=[]": Row(payload("[]"), signed, 400, MALFORMED),
    "signed payload={not json": Row(payload("{not json"), signed, 400, MALFORMED),
    "signed payload string": Row(payload(quote('"just a string"')), signed, 400, MALFORMED),
    "signed JSON list": Row(
        b"[]", lambda body: {**signed(body), "Content-Type": "application/json"}, 400, MALFORMED
    ),
    # Nesting deep enough for a RecursionError yet under the cap ...
    "signed payload=[ * 50,000": Row(payload("[" * 50_000), signed, 400, MALFORMED),
    # ... and the review's 100,000, which the cap now refuses before any parse.
    "signed payload=[ * 100,000": Row(payload("[" * 100_000), signed, 413, TOO_LARGE),
}


def assert_no_error_logged(caplog: pytest.LogCaptureFixture, body: bytes) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage()[:200] for r in errors]
    if len(body) > 20:
        marker = body[:20].decode(errors="replace")
        assert not [r for r in caplog.records if marker in r.getMessage()]


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_hostile_requests_are_refused_before_bolt(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, row: Row
) -> None:
    caplog.set_level(logging.INFO)
    since = bot.sandbox.slack.last_seq
    response = await bot.http.post(
        f"{bot.url}/slack/events", content=row.body, headers=raw(row.headers(row.body))
    )
    assert response.status_code == row.status
    assert response.json() == row.answer
    assert bot.sandbox.slack.last_seq == since  # nothing reached Slack
    assert await searches_made(bot.sandbox) == 0
    assert_no_error_logged(caplog, row.body)
    refusals = [r for r in caplog.records if r.name == "bot.slack_events"]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.WARNING
    assert len(refusals[0].getMessage()) < 200  # the reason and the size, not the body


async def test_a_flood_of_1_mb_bodies_leaves_the_loop_free(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    """Three senders stream 1 MB each; /healthz answers while all three are mid-body."""
    caplog.set_level(logging.INFO)
    since = bot.sandbox.slack.last_seq
    healthz_answered = asyncio.Event()
    chunk = b"a" * 65_536

    async def slow_body() -> AsyncIterator[bytes]:
        yield chunk  # the handler has the headers and is reading the body ...
        await healthz_answered.wait()  # ... and is still waiting on it while /healthz runs
        for _ in range(15):
            yield chunk

    headers = {**FORM, **sign("not-the-signing-secret", b"")}
    flood = [
        asyncio.create_task(
            bot.http.post(f"{bot.url}/slack/events", content=slow_body(), headers=headers)
        )
        for _ in range(3)
    ]
    try:
        health = await bot.healthz()
        assert not any(task.done() for task in flood)  # healthz came back mid-flood
    finally:
        healthz_answered.set()
    responses = await asyncio.gather(*flood)
    assert health.status_code == 200
    assert [r.status_code for r in responses] == [413, 413, 413]
    assert all(r.json() == TOO_LARGE for r in responses)
    assert bot.sandbox.slack.last_seq == since
    assert_no_error_logged(caplog, chunk)


async def test_a_signed_command_of_only_whitespace_gets_help_and_posts_nothing(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    since = bot.sandbox.slack.last_seq
    response = await bot.slash(" \t  ")
    assert response.status_code == 200, response.text
    help_shown = response.json()  # Bolt's ack: help, to the sender only
    assert help_shown["text"] == "How to use /leads"
    assert help_shown["response_type"] == "ephemeral"
    assert bot.sandbox.slack.last_seq == since
    assert await searches_made(bot.sandbox) == 0
    assert_no_error_logged(caplog, b"")


MALFORMED_PATHS = ["/slack/events", "/callbacks/nyne/" + "t" * 43, "/healthz"]
HUGE_VALUE = b"A" * 60_000


def malformed_request(path: str) -> bytes:
    """What the review sent: a header name with \\x01 in it and a 60,000-byte value."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        + b"X-Evil\x01Name: "
        + HUGE_VALUE
        + b"\r\nContent-Length: 0\r\n\r\n"
    )


async def send_raw(port: int, request: bytes) -> bytes:
    """``request`` written as is over a socket; the whole answer (the server closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


async def test_a_malformed_http_request_is_one_short_warning_not_an_error_with_its_bytes(
    sandbox: RunningSandbox, redis_url: str, tmp_path: Path
) -> None:
    """The real ``python -m bot``, its logging as configured in production.

    Before: each of these got its 400 but left one ERROR line of ~60,600 characters in the
    log, traceback and raw header bytes included.
    """
    process = BotProcess(subprocess_env(sandbox, redis_url, new_port()), tmp_path / "bot.log")
    async with bot_processes(process):
        async with httpx.AsyncClient(timeout=10) as http:
            await process.wait_healthy(http)
        for path in MALFORMED_PATHS:
            answer = await send_raw(process.port, malformed_request(path))
            assert answer.split(b" ", 2)[1] == b"400", answer[:200]  # "Bad Request"
        # aiohttp logs before it answers, so the lines are already there.
        lines = process.log().splitlines()
    warnings = [line for line in lines if "malformed HTTP request from 127.0.0.1: " in line]
    assert len(warnings) == len(MALFORMED_PATHS), "\n".join(line[:300] for line in lines)
    said = 'level=warning logger=aiohttp.server msg="malformed HTTP request from 127.0.0.1: '
    assert all(f'{said}BadHttpMessage"' in line for line in warnings)
    assert not [line[:300] for line in lines if "level=error" in line or "Traceback" in line]
    assert max(len(line) for line in lines) < 300
    assert "AAAAAAAAAA" not in process.log()
