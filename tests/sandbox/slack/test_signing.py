"""Signed slash commands: signatures slack_sdk accepts, bodies shaped and escaped like Slack's."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import escape_command_text, sign, slash_command_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def _body(text: str, **kwargs: object) -> bytes:
    return slash_command_body(
        "/leads",
        text,
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0LEADS",
        channel_name="leads",
        team_id="T0SANDBOX",
        response_url="http://127.0.0.1:1/slack/responses/T0SANDBOX/1/abc",
        trigger_id="123.456.abcdef",
        **kwargs,  # type: ignore[arg-type]
    )


def test_signature_is_accepted_by_slack_sdks_verifier() -> None:
    body = _body("CTOs at fintech companies")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_signature_depends_on_secret_body_and_time() -> None:
    body = _body("x")
    now = int(time.time())
    verifier = SignatureVerifier(SECRET)
    assert not verifier.is_valid_request(body, sign("another-secret", body, now))
    assert not verifier.is_valid_request(body + b"&extra=1", sign(SECRET, body, now))
    stale = sign(SECRET, body, now - 10 * 60)  # older than the 5-minute window
    assert not verifier.is_valid_request(body, stale)


def test_known_vector() -> None:
    """The example from Slack's 'verifying requests' guide, byte for byte."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
        b"47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign(SECRET, body, 1531420618)
    assert headers["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_body_has_slacks_fields_in_slacks_order() -> None:
    fields = parse_qsl(_body("hello world").decode(), keep_blank_values=True)
    assert [name for name, _ in fields] == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert dict(fields)["command"] == "/leads"
    assert b"command=%2Fleads" in _body("x")
    assert b"text=hello+world" in _body("hello world")


def test_control_characters_arrive_as_entities_and_bolt_sees_them_so() -> None:
    typed = 'R&D leads <b>"hiring"</b> > 50 people'
    seen = parse_body(_body(typed).decode(), "application/x-www-form-urlencoded")
    assert seen["text"] == 'R&amp;D leads &lt;b&gt;"hiring"&lt;/b&gt; &gt; 50 people'


def test_mentions_and_links_without_escaping_arrive_as_typed() -> None:
    typed = "ask @alice in #leads about https://example.com/a?b=1&c=2 @here"
    assert escape_command_text(typed) == (
        "ask @alice in #leads about https://example.com/a?b=1&amp;c=2 @here"
    )


def test_mentions_and_links_with_escaping_become_control_sequences() -> None:
    typed = "ask @alice in #leads about https://example.com/a?b=1&c=2 @here, not @nobody"
    escaped = escape_command_text(
        typed, should_escape=True, users={"alice": "U0ALICE"}, channels={"leads": "C0LEADS"}
    )
    assert escaped == (
        "ask <@U0ALICE|alice> in <#C0LEADS|leads> about "
        "<https://example.com/a?b=1&amp;c=2> <!here>, not @nobody"
    )


def test_typed_brackets_cannot_forge_a_mention() -> None:
    forged = escape_command_text("<@U0BOB> <!channel>", should_escape=True, users={"bob": "U0BOB"})
    assert forged == "&lt;@U0BOB&gt; &lt;!channel&gt;"


def test_trigger_ids_are_generated_when_not_given() -> None:
    body = slash_command_body(
        "/leads",
        "help",
        user_id="U0ALICE",
        user_name="alice",
        channel_id="C0LEADS",
        channel_name="leads",
        team_id="T0SANDBOX",
        response_url="http://x/responses/1",
    )
    trigger = dict(parse_qsl(body.decode()))["trigger_id"]
    assert len(trigger.split(".")) == 3
