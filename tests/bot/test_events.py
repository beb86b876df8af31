"""The Events API side of ``/slack/events`` and the app manifest that points Slack at it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry

from sandbox.slack import sign
from tests.bot.support import SIGNING_SECRET, BotUnderTest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "bot" / "manifest.yaml"
# Slack's published manifest schema (slackapi/manifest-schema; see the README beside it).
SLACK_SCHEMA = ROOT / "tests" / "fixtures" / "slack" / "manifest.schema.1.0.0.json"


async def post_event(bot: BotUnderTest, payload: dict[str, object]) -> tuple[int, str]:
    body = json.dumps(payload).encode()
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/json"}
    response = await bot.http.post(f"{bot.url}/slack/events", content=body, headers=headers)
    return response.status_code, response.text


async def test_url_verification_answers_the_challenge_only_when_signed(bot: BotUnderTest) -> None:
    status, text = await post_event(bot, {"type": "url_verification", "challenge": "c-123"})
    assert status == 200
    assert json.loads(text) == {"challenge": "c-123"}
    unsigned = await bot.http.post(
        f"{bot.url}/slack/events",
        content=b'{"type": "url_verification", "challenge": "c"}',
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(int(time.time())),
        },
    )
    assert unsigned.status_code == 401


async def test_uninstalling_the_app_is_logged_for_the_admin(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0LEADSAPP",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev1",
        "event_time": int(time.time()),
    }
    status, _ = await post_event(bot, event)
    assert status == 200
    assert any("uninstalled" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_the_manifest_declares_the_command_scopes_and_urls() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/leads"
    assert command["url"].endswith("/slack/events")
    assert 1 <= len(command["description"]) <= 2000
    assert manifest["features"]["bot_user"]["display_name"] == "Leads"  # "/invite @Leads"
    assert {"commands", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"] == command["url"]
    assert settings["event_subscriptions"]["request_url"] == command["url"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert settings["socket_mode_enabled"] is False
    assert len(manifest["display_information"]["name"]) <= 35


def test_the_manifest_is_valid_against_slacks_published_schema() -> None:
    schema = json.loads(SLACK_SCHEMA.read_text())
    Draft7Validator.check_schema(schema)
    # An empty registry: a remote $ref fails here instead of being fetched (no network).
    validator = Draft7Validator(schema, registry=Registry())
    manifest = yaml.safe_load(MANIFEST.read_text())
    errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(manifest)]
    assert errors == []
    # The schema rejects what Slack's "From a manifest" would: a misspelled setting.
    misspelled = {**manifest, "settings": {**manifest["settings"], "socket_mode": True}}
    (error,) = validator.iter_errors(misspelled)
    assert "'socket_mode' was unexpected" in error.message
