"""Slack's error answers: ``{"ok": false, "error": "<code>", ...}``, almost always with HTTP 200."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """A Web API method refusing a call, exactly as Slack words it.

    ``messages`` become ``response_metadata.messages`` (each prefixed ``[ERROR]`` as Slack
    does); ``extra`` adds top-level keys (``errors`` for ``invalid_blocks``, ``needed`` …).
    """

    def __init__(
        self,
        code: str,
        *,
        messages: list[str] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack answers with."""
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body


def missing_field(name: str) -> SlackError:
    """``invalid_arguments`` for a required argument that was not sent."""
    return SlackError("invalid_arguments", messages=[f"missing required field: {name}"])
