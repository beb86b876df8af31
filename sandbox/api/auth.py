"""API credentials: the ``X-API-Key``/``X-API-Secret`` headers or ``api_key``/``api_secret``."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiohttp import web

__all__ = ["Authenticator", "credentials_of"]


def credentials_of(request: web.Request) -> tuple[str | None, str | None]:
    """The key and secret a request carries; headers win over query parameters."""
    key = request.headers.get("X-API-Key") or request.query.get("api_key")
    secret = request.headers.get("X-API-Secret") or request.query.get("api_secret")
    return key, secret


def _bytes(text: str) -> bytes:
    # compare_digest refuses non-ASCII str; compare bytes so odd input is just "wrong".
    return text.encode("utf-8", "backslashreplace")


class Authenticator:
    """Checks a key/secret pair against the accepted ones, in constant time."""

    def __init__(self, pairs: Mapping[str, str]) -> None:
        self._secrets = {key: _bytes(secret) for key, secret in pairs.items()}

    @property
    def keys(self) -> list[str]:
        """The accepted API keys."""
        return list(self._secrets)

    def authenticate(self, key: str | None, secret: str | None) -> str | None:
        """The key when the pair is valid, else ``None``."""
        if not key or secret is None:
            return None
        expected = self._secrets.get(key)
        if expected is None:
            return None
        return key if hmac.compare_digest(expected, _bytes(secret)) else None
