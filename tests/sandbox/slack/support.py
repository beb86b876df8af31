"""Helpers for the Slack stand-in tests: a handle on a running stand-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import DEFAULT_TOKEN, SlackState


@dataclass(frozen=True)
class Sandbox:
    """A running stand-in: its state and where it listens."""

    state: SlackState
    #: ``http://127.0.0.1:PORT/slack`` — where the stand-in is mounted
    base_url: str

    @property
    def api_url(self) -> str:
        """What the bot gets as ``SLACK_API_URL``."""
        return f"{self.base_url}/api/"

    def client(self, token: str = DEFAULT_TOKEN, **kwargs: Any) -> AsyncWebClient:
        """The real slack_sdk client, pointed at the stand-in."""
        return AsyncWebClient(token=token, base_url=self.api_url, **kwargs)


def section(text: str, *, kind: str = "mrkdwn") -> dict[str, Any]:
    """A section block with one text object."""
    return {"type": "section", "text": {"type": kind, "text": text}}


def button(label: str, action_id: str = "go", **extra: Any) -> dict[str, Any]:
    """A button element."""
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        **extra,
    }
