"""Helper process for ``mcp``: another replica of the product, where callbacks land.

``python -m bench._replica [--cpu N]`` says it is ready; its first request line
``{"redis_url", "api_url"}`` opens the product's runtime (:func:`shared.runtime.open_runtime`)
on that Redis and API, and is answered ``{"ok": true}``. Then:

* ``{"submit": description}`` starts a search from here (an MCP origin, with a callback
  URL, first poll an hour away) → ``{"request_id"}``;
* ``{"callback": {"token", "body"}}`` takes a callback the way the bot's
  ``/callbacks/nyne/<token>`` route completes a search (:meth:`LeadsService.resolve_callback_token`,
  then :meth:`LeadsService.accept_callback`) →
  ``{"outcome", "called_at", "returned_at"}`` (``time.time()`` around the call).

It stops when its stdin closes.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import SecretStr

from bench._callbacks import NO_POLLS
from bench._child import requests, run_pinned, say
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.service import CallbackOutcome
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin

__all__ = ["LIMIT", "UNUSED_CALLBACK_BASE", "replica_settings"]

UNUSED_CALLBACK_BASE = "http://127.0.0.1:9"
"""Searches carry a callback URL (so a token), but the sandbox is told never to send it."""
LIMIT = 1_000_000
"""``LEADS_RATE_LIMIT_PER_MINUTE`` and ``_PER_HOUR``: the shared API budget never throttles."""


def replica_settings(redis_url: str) -> Settings:
    """Defaults on ``redis_url``, with a shared API budget that never throttles."""
    return Settings(
        _env_file=None,
        redis_url=SecretStr(redis_url),
        leads_rate_limit_per_minute=LIMIT,
        leads_rate_limit_per_hour=LIMIT,
        leads_log_level="WARNING",
    )


async def _answer(runtime: Runtime, order: dict[str, Any]) -> dict[str, Any]:
    service = runtime.service
    if "submit" in order:
        submitted = await service.submit(
            order["submit"], Origin(front="mcp", client="bench-replica")
        )
        return {"request_id": submitted.search.request_id}
    callback = order["callback"]
    called_at = time.time()
    request_id = await service.resolve_callback_token(callback["token"])
    outcome = (
        CallbackOutcome.UNKNOWN_TOKEN
        if request_id is None
        else await service.accept_callback(request_id, callback["body"].encode())
    )
    return {"outcome": outcome.name, "called_at": called_at, "returned_at": time.time()}


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    orders = requests()
    setup = await anext(orders)
    endpoint = ApiEndpoint(setup["api_url"], SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True)
    async with open_runtime(
        replica_settings(setup["redis_url"]),
        endpoint=endpoint,
        callback_base_url=UNUSED_CALLBACK_BASE,
        schedule=NO_POLLS,
    ) as runtime:
        say({"ok": True})
        async for order in orders:
            say(await _answer(runtime, order))


if __name__ == "__main__":
    run_pinned(main)
