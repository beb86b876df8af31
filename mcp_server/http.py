"""Streamable HTTP: the ASGI app, its bearer-token guard and its Host/Origin checks.

* **Who may call**: with ``MCP_AUTH_TOKEN`` set, every HTTP request must carry
  ``Authorization: Bearer <token>`` (compared in constant time) or gets 401. A pure ASGI
  wrapper does it rather than the SDK's OAuth resource-server hooks: it guards every path
  (not only ``/mcp``), needs no issuer URL, and keeps SSE streaming untouched. Off
  loopback the token is required and must be at least 32 characters
  (:func:`exposure_problem`); on loopback it is optional.
* **Which Host/Origin**: DNS-rebinding protection answers 421/403 to a Host or Origin not
  on the allowlist. On loopback the allowlist is localhost plus ``--allowed-host`` /
  ``--allowed-origin``; off loopback it is on when allowed hosts are given, and off
  otherwise (the bearer token is then what keeps strangers out, and a reverse proxy's
  hostname need not be known in advance).
* **No standalone stream**: the server is stateless, so it has no session to push
  server-initiated messages on, yet the SDK answers ``GET /mcp`` with an SSE stream that
  never ends (300 of them held 24 MB and 300 file descriptors). ``GET /mcp`` gets 405
  instead, as the spec allows, after the token check (:class:`NoStandaloneStream`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.settings import is_loopback_host

__all__ = [
    "BearerAuth",
    "NoStandaloneStream",
    "create_http_app",
    "exposure_problem",
    "is_loopback",
    "transport_security",
]

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")
MIN_AUTH_TOKEN_LENGTH = 32
"""Off loopback, the shortest ``MCP_AUTH_TOKEN`` accepted: a token that can be guessed
is no guard, and the log redaction skips values shorter than
:data:`shared.logs.MIN_REDACTED_LENGTH`, which this stays above."""
MAKE_A_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'  # noqa: S105 - a command


is_loopback = is_loopback_host
"""True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""


def exposure_problem(host: str, auth_token: str | None) -> str | None:
    """Why serving on ``host`` must not start, or None when it may.

    The message names the length of a short token, never the token itself.
    """
    if is_loopback(host):
        return None
    if not auth_token:
        return (
            f"Refusing to serve MCP over HTTP on {host} without MCP_AUTH_TOKEN: anyone who "
            "can reach this port could run searches on your API key. Set MCP_AUTH_TOKEN to "
            f"a random value of at least {MIN_AUTH_TOKEN_LENGTH} characters (make one with "
            f"`{MAKE_A_TOKEN}`) and send it as `Authorization: Bearer <token>`, or listen "
            "on 127.0.0.1."
        )
    if len(auth_token) < MIN_AUTH_TOKEN_LENGTH:
        return (
            f"Refusing to serve MCP over HTTP on {host}: MCP_AUTH_TOKEN is "
            f"{len(auth_token)} characters long, and off loopback it must be at least "
            f"{MIN_AUTH_TOKEN_LENGTH} so that it cannot be guessed. Make one with "
            f"`{MAKE_A_TOKEN}`, or listen on 127.0.0.1."
        )
    return None


def _host_patterns(host: str) -> list[str]:
    """``mcp.example.com`` → itself and any port; ``name:port`` as given."""
    bare = host.endswith("]") or ":" not in host
    return [host, f"{host}:*"] if bare else [host]


def transport_security(
    host: str, allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()
) -> TransportSecuritySettings:
    """The Host/Origin allowlist for a server bound to ``host`` (see the module docstring)."""
    if not allowed_hosts and not is_loopback(host):
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = list(LOOPBACK_HOSTS)
    for allowed in allowed_hosts:
        hosts.extend(_host_patterns(allowed))
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[*LOOPBACK_ORIGINS, *allowed_origins],
    )


class BearerAuth:
    """ASGI wrapper: HTTP requests without ``Authorization: Bearer <token>`` get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    def _authorized(self, scope: Scope) -> tuple[bool, bool]:
        """(authorized, a token was offered)."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    return False, False
                return hmac.compare_digest(token.strip(), self._token), True
        return False, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events pass through
            await self.app(scope, receive, send)
            return
        authorized, offered = self._authorized(scope)
        if authorized:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        log.warning(
            "HTTP request refused: %s bearer token",
            "wrong" if offered else "no",
            extra={"client": client[0] if client else None, "path": scope.get("path")},
        )
        challenge = 'Bearer realm="leads"' + (', error="invalid_token"' if offered else "")
        body = json.dumps(
            {
                "error": "invalid_token" if offered else "unauthorized",
                "error_description": "Send the server's MCP_AUTH_TOKEN as "
                "'Authorization: Bearer <token>'.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class NoStandaloneStream:
    """ASGI wrapper: ``GET /mcp`` gets 405 (``Allow: POST``) instead of a stream that never ends.

    For the stateless server only: with no session, that stream would carry nothing but
    hold a connection, a file descriptor and memory until the client went away. Clients
    treat 405 as "no server-initiated messages" (the transport spec's own answer).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].rstrip("/") == MCP_PATH
        ):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {
                    "code": -32000,
                    "message": "Method Not Allowed: this server is stateless and has no "
                    "stream for server-initiated messages; send requests with POST.",
                },
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"allow", b"POST"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_http_app(
    server: MCPServer[Any],
    *,
    host: str,
    auth_token: str | None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
) -> ASGIApp:
    """The streamable HTTP app (endpoint ``/mcp``), behind the token when there is one.

    Stateless: every request stands alone, so several processes can serve behind a load
    balancer without sticky sessions (progress notifications still stream per request).
    """
    stateless = True
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        host=host,
        transport_security=transport_security(host, allowed_hosts, allowed_origins),
    )
    if stateless:
        app = NoStandaloneStream(app)
    # Outermost, so an unauthenticated GET /mcp still gets 401, not 405.
    if auth_token:
        return BearerAuth(app, auth_token)
    log.warning("MCP_AUTH_TOKEN is not set: any local process can use this server over HTTP")
    return app
