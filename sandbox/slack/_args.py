"""Typed access to a Web API call's arguments, whichever way they were encoded.

Slack takes arguments as query parameters, form fields (every value a string, JSON-valued
arguments such as ``blocks`` as JSON text) or a JSON body (values of any JSON type). This
wrapper gives each handler the same view and turns wrong types into Slack's own error codes
instead of exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import SlackError, missing_field

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Args:
    """A call's arguments with Slack's coercions (``"true"``/``1``/``True`` all mean true)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, name: object) -> bool:
        return name in self._values and self._values[name] is not None

    def raw(self, name: str) -> Any:
        """The value as sent (string, number, list, object) or None."""
        return self._values.get(name)

    def string(self, name: str) -> str | None:
        """A string argument; numbers are taken as their text, arrays and objects refused."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, list):
            raise SlackError("invalid_array_arg")
        if isinstance(value, dict):
            raise SlackError(
                "invalid_arguments", messages=[f"must be a string [json-pointer:/{name}]"]
            )
        return str(value)

    def required(self, name: str) -> str:
        """A string argument that must be present and non-empty."""
        value = self.string(name)
        if not value:
            raise missing_field(name)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean argument (``true``/``false``, ``1``/``0``, JSON booleans)."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise SlackError(
            "invalid_arguments", messages=[f"must be a boolean [json-pointer:/{name}]"]
        )

    def integer(self, name: str, default: int) -> int:
        """An integer argument; text that is not a number is refused."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise SlackError(
                "invalid_arguments", messages=[f"must be an integer [json-pointer:/{name}]"]
            )
        try:
            return int(str(value))
        except ValueError:
            raise SlackError(
                "invalid_arguments", messages=[f"must be an integer [json-pointer:/{name}]"]
            ) from None

    def decoded(self, name: str, error: str = "invalid_arguments") -> Any:
        """A JSON-valued argument: already decoded (JSON body) or JSON text (form field).

        Text that is not JSON raises ``error`` (``invalid_blocks_format`` for ``blocks``).
        """
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value.strip() == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(error) from None
